// Package lru is a small least-recently-used cache for the compiled
// programs that models and trainers keep per batch size: at most a fixed
// number of entries, the least recently used dropped to make room. It is
// safe for concurrent use.
package lru

import "sync"

// Cache maps keys to values, holding at most its capacity. The zero value
// is not usable; make one with New.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	max     int
	entries []entry[K, V] // most recently used first
}

type entry[K comparable, V any] struct {
	key K
	val V
}

// New returns an empty cache holding at most size entries (at least 1).
func New[K comparable, V any](size int) *Cache[K, V] {
	return &Cache[K, V]{max: max(size, 1)}
}

// Get returns the value for key, made by build on a miss; a miss that
// finds the cache full drops its least recently used entry. build runs with
// the cache locked, so concurrent callers of one new key make it once; its
// error is returned and nothing is stored.
func (c *Cache[K, V]) Get(key K, build func() (V, error)) (V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if e.key == key {
			copy(c.entries[1:i+1], c.entries[:i])
			c.entries[0] = e
			return e.val, nil
		}
	}
	v, err := build()
	if err != nil {
		var zero V
		return zero, err
	}
	if len(c.entries) < c.max {
		c.entries = append(c.entries, entry[K, V]{})
	}
	copy(c.entries[1:], c.entries)
	c.entries[0] = entry[K, V]{key, v}
	return v, nil
}

// Keys returns the cached keys, most recently used first.
func (c *Cache[K, V]) Keys() []K {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]K, len(c.entries))
	for i, e := range c.entries {
		out[i] = e.key
	}
	return out
}
