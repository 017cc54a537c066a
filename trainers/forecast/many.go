package forecast

import (
	"context"
	"fmt"
)

// FitMany fits one local network per series with the same settings, on a
// pool of workers goroutines (at least 1; at most one per series). The
// networks come back in the order of the series, and each is the one Fit
// gives alone: the settings' seed is used for every series, so the result
// does not depend on the number of workers. The first error (by series
// order) is returned as a *SeriesError naming the series' index; the other fits still run
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
	err := parallel(len(series), workers, func(i int) error {
		var err error
		if nets[i], err = Fit(ctx, series[i], st); err != nil {
			return &SeriesError{Series: i, Err: err}
		}
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return nets, nil
}
