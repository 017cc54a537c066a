package forecast

import (
	"sync"
)

// parallel runs fn(0), ..., fn(n−1) on at most workers goroutines (at
// least 1) and returns the error of the lowest index that failed; the
// other calls still run to their end. Each call must write only its own
// results: the results then do not depend on the number of workers or on
// the order the calls finish in. done, when set, is called with each index
// in increasing order as soon as that index and every one before it have
// finished (for progress lines in a fixed order), never concurrently.
func parallel(n, workers int, fn func(i int) error, done func(i int)) error {
	errs := make([]error, n)
	finished := make([]bool, n)
	var mu sync.Mutex
	next := 0
	report := func(i int) {
		mu.Lock()
		defer mu.Unlock()
		finished[i] = true
		for next < n && finished[next] {
			if done != nil && errs[next] == nil {
				done(next)
			}
			next++
		}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				err := fn(i)
				mu.Lock()
				errs[i] = err
				mu.Unlock()
				report(i)
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
