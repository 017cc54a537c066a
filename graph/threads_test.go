package graph

import (
	"os"
	"runtime"
	"strconv"
	"testing"
)

func TestThreads(t *testing.T) {
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	limit, err := strconv.Atoi(os.Getenv("GORNN_THREADS"))
	if err != nil || limit < 1 {
		limit = 1 << 30
	}
	for _, p := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(p)
		if got, want := Threads(), min(p, limit); got != want {
			t.Errorf("GOMAXPROCS %d, GORNN_THREADS %q: Threads() = %d, want %d", p, os.Getenv("GORNN_THREADS"), got, want)
		}
	}
}
