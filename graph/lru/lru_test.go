package lru

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[int, string](3)
	made := 0
	get := func(k int) string {
		v, err := c.Get(k, func() (string, error) { made++; return string(rune('a' + k)), nil })
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, k := range []int{1, 2, 3} {
		get(k)
	}
	if get(1) != "b" || made != 3 {
		t.Fatalf("hit made a value again (%d made)", made)
	}
	get(4) // drops 2, the least recently used
	if got := c.Keys(); !slices.Equal(got, []int{4, 1, 3}) {
		t.Fatalf("keys %v, want [4 1 3]", got)
	}
	get(2)
	if made != 5 || !slices.Equal(c.Keys(), []int{2, 4, 1}) {
		t.Fatalf("after re-adding 2: keys %v, %d made", c.Keys(), made)
	}
}

func TestCacheErrorStoresNothing(t *testing.T) {
	c := New[int, int](2)
	bad := errors.New("bad")
	if _, err := c.Get(1, func() (int, error) { return 0, bad }); !errors.Is(err, bad) {
		t.Fatalf("error %v", err)
	}
	if len(c.Keys()) != 0 {
		t.Fatal("a failed build was stored")
	}
}

func TestCacheConcurrentBuildsOnce(t *testing.T) {
	c := New[int, int](4)
	var mu sync.Mutex
	made := 0
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			c.Get(7, func() (int, error) { mu.Lock(); made++; mu.Unlock(); return 7, nil })
		})
	}
	wg.Wait()
	if made != 1 {
		t.Fatalf("built %d times", made)
	}
}
