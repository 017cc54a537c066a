package forecast

import (
	"context"
	"fmt"
	"sync"
)

// FitMany fits one local network per series with the same settings, on a
// pool of workers goroutines (at least 1; at most one per series). The
// networks come back in the order of the series, and each is the one Fit
// gives alone: the settings' seed is used for every series, so the result
// does not depend on the number of workers. The first error (by series
// order) is returned, naming the series' index; the other fits still run
// to their end or to ctx's cancellation.
func FitMany(ctx context.Context, series []Series, st Settings, workers int) ([]*Network, error) {
	if workers < 1 {
		return nil, fmt.Errorf("forecast: %w: %d workers (want at least 1)", ErrArgument, workers)
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("forecast: %w: no series", ErrData)
	}
	st.Progress = nil // lines from several goroutines would interleave
	if st.Workers == 0 {
		st.Workers = 1 // the series are already spread over workers
	}
	nets := make([]*Network, len(series))
	errs := make([]error, len(series))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(series)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				nets[i], errs[i] = Fit(ctx, series[i], st)
			}
		}()
	}
	for i := range series {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("series %d: %w", i, err)
		}
	}
	return nets, nil
}
