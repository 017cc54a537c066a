package forecast

import "fmt"

// A Method forecasts the h values that follow history.
type Method func(history []float64, h int) ([]float64, error)

// checkHistory checks a history of at least min finite values and a
// positive horizon.
func checkHistory(history []float64, h, min int) error {
	if h <= 0 {
		return fmt.Errorf("%w: horizon %d (want at least 1)", ErrArgument, h)
	}
	if len(history) < min {
		return fmt.Errorf("%w: %d values in the history, need at least %d", ErrData, len(history), min)
	}
	if i := firstNonFinite(history); i >= 0 {
		return fmt.Errorf("%w: history value %d is %v", ErrData, i, history[i])
	}
	return nil
}

// Naive repeats the last value of history h times (R's naive).
func Naive(history []float64, h int) ([]float64, error) {
	if err := checkHistory(history, h, 1); err != nil {
		return nil, fmt.Errorf("naive: %w", err)
	}
	out := make([]float64, h)
	for i := range out {
		out[i] = history[len(history)-1]
	}
	return out, nil
}

// SeasonalNaive returns a Method repeating the last season of history
// (R's snaive): step i (0-based) is history[n−m+(i mod m)]. Season 1 is
// Naive. The history needs at least m values.
func SeasonalNaive(m int) Method {
	return func(history []float64, h int) ([]float64, error) {
		if m < 1 {
			return nil, fmt.Errorf("seasonal naive: %w: season %d (want at least 1)", ErrArgument, m)
		}
		if err := checkHistory(history, h, m); err != nil {
			return nil, fmt.Errorf("seasonal naive: %w", err)
		}
		n := len(history)
		out := make([]float64, h)
		for i := range out {
			out[i] = history[n-m+i%m]
		}
		return out, nil
	}
}

// Drift continues the line through the first and last values of history
// (R's rwf with drift): step i (1-based) is last + i·(last−first)/(n−1).
// The history needs at least 2 values.
func Drift(history []float64, h int) ([]float64, error) {
	if err := checkHistory(history, h, 2); err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	n := len(history)
	last := history[n-1]
	slope := (last - history[0]) / float64(n-1)
	out := make([]float64, h)
	for i := range out {
		out[i] = last + float64(i+1)*slope
	}
	return out, nil
}

// Mean repeats the mean of history (R's meanf).
func Mean(history []float64, h int) ([]float64, error) {
	if err := checkHistory(history, h, 1); err != nil {
		return nil, fmt.Errorf("mean: %w", err)
	}
	var s float64
	for _, v := range history {
		s += v
	}
	out := make([]float64, h)
	for i := range out {
		out[i] = s / float64(len(history))
	}
	return out, nil
}
