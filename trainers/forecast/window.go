package forecast

import (
	"fmt"

	"github.com/gornn/gornn/graph"
)

// Series is a target series with optional covariates, all indexed by the
// same time steps.
type Series struct {
	// Target is the series to forecast.
	Target []float64
	// Past are covariates known only up to the forecast origin (as the
	// target is), each as long as Target.
	Past [][]float64
	// Future are covariates known in advance (calendar, prices, plans),
	// each at least as long as Target; to forecast H steps past the end of
	// Target each needs len(Target)+H values.
	Future [][]float64
}

// Features is the number of input features per time step: the target,
// the past covariates and the future covariates.
func (s Series) Features() int { return 1 + len(s.Past) + len(s.Future) }

// check validates the series for windows of the given size.
func (s Series) check(window, horizon int) error {
	if window < 1 {
		return fmt.Errorf("%w: window %d (want at least 1)", ErrArgument, window)
	}
	if horizon < 1 {
		return fmt.Errorf("%w: horizon %d (want at least 1)", ErrArgument, horizon)
	}
	if len(s.Target) == 0 {
		return fmt.Errorf("%w: empty target series", ErrData)
	}
	if i := firstNonFinite(s.Target); i >= 0 {
		return fmt.Errorf("%w: target value %d is %v", ErrData, i, s.Target[i])
	}
	for k, p := range s.Past {
		if len(p) != len(s.Target) {
			return fmt.Errorf("%w: past covariate %d has %d values, the target %d", ErrData, k, len(p), len(s.Target))
		}
		if i := firstNonFinite(p); i >= 0 {
			return fmt.Errorf("%w: past covariate %d, value %d is %v", ErrData, k, i, p[i])
		}
	}
	for k, f := range s.Future {
		if len(f) < len(s.Target) {
			return fmt.Errorf("%w: future covariate %d has %d values, fewer than the target's %d", ErrData, k, len(f), len(s.Target))
		}
		if i := firstNonFinite(f); i >= 0 {
			return fmt.Errorf("%w: future covariate %d, value %d is %v", ErrData, k, i, f[i])
		}
	}
	return nil
}

// Windows are samples for a direct multi-horizon model: Inputs [N, Window,
// Features] and Targets [N, Horizon], row-major.
//
// The sample with origin o (the index of its first target) has targets
// Target[o : o+Horizon]. Its time step j (0 ≤ j < Window) stands for time
// t = o−Window+j and holds, in order, Target[t], each past covariate at t,
// and each future covariate at t+Horizon: the future covariates are led by
// the horizon, so the last step carries their values at the last target
// and a window at least as long as the horizon sees them over all of it.
type Windows struct {
	N, Window, Features, Horizon int
	Inputs, Targets              []float64
	Origins                      []int
}

// MakeWindows returns every sample of s whose inputs and targets lie
// inside Target: origins Window..len(Target)−Horizon. Too short a series
// for one sample is an error wrapping ErrData.
func MakeWindows(s Series, window, horizon int) (*Windows, error) {
	if err := s.check(window, horizon); err != nil {
		return nil, fmt.Errorf("windows: %w", err)
	}
	n := len(s.Target) - window - horizon + 1
	if n < 1 {
		return nil, fmt.Errorf("windows: %w: %d values, need at least window %d + horizon %d", ErrData, len(s.Target), window, horizon)
	}
	origins := make([]int, n)
	for i := range origins {
		origins[i] = window + i
	}
	return windowsAt(s, window, horizon, origins, true)
}

// InputAt returns the inputs [Window, Features] of the sample with the
// given origin, to forecast Target[origin : origin+horizon]; origin may be
// len(Target) (a forecast past the end) when the future covariates reach
// origin+horizon.
func InputAt(s Series, window, horizon, origin int) ([]float64, error) {
	if err := s.check(window, horizon); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	w, err := windowsAt(s, window, horizon, []int{origin}, false)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	return w.Inputs, nil
}

// windowsAt builds the samples at the given origins, with their targets
// when targets is set.
func windowsAt(s Series, window, horizon int, origins []int, targets bool) (*Windows, error) {
	f := s.Features()
	w := &Windows{N: len(origins), Window: window, Features: f, Horizon: horizon, Origins: origins}
	w.Inputs = make([]float64, 0, len(origins)*window*f)
	if targets {
		w.Targets = make([]float64, 0, len(origins)*horizon)
	}
	for _, o := range origins {
		if o < window || o > len(s.Target) {
			return nil, fmt.Errorf("%w: origin %d outside [%d, %d]", ErrData, o, window, len(s.Target))
		}
		if targets && o+horizon > len(s.Target) {
			return nil, fmt.Errorf("%w: origin %d: targets run past the %d values", ErrData, o, len(s.Target))
		}
		for k, fc := range s.Future {
			if o+horizon > len(fc) {
				return nil, fmt.Errorf("%w: origin %d needs future covariate %d up to %d, it has %d values", ErrData, o, k, o+horizon, len(fc))
			}
		}
		for t := o - window; t < o; t++ {
			w.Inputs = append(w.Inputs, s.Target[t])
			for _, p := range s.Past {
				w.Inputs = append(w.Inputs, p[t])
			}
			for _, fc := range s.Future {
				w.Inputs = append(w.Inputs, fc[t+horizon])
			}
		}
		if targets {
			w.Targets = append(w.Targets, s.Target[o:o+horizon]...)
		}
	}
	return w, nil
}

// Tensors returns the inputs and targets as tensors of dtype dt.
func (w *Windows) Tensors(dt graph.DType) (x, y *graph.Tensor, err error) {
	x, err = graph.FromFloat64s(dt, w.Inputs, w.N, w.Window, w.Features)
	if err != nil {
		return nil, nil, err
	}
	y, err = graph.FromFloat64s(dt, w.Targets, w.N, w.Horizon)
	if err != nil {
		return nil, nil, err
	}
	return x, y, nil
}
