package forecast

import (
	"fmt"
	"math"
	"slices"
)

// ScalerKind names a scaling of a series.
type ScalerKind int

const (
	// Standard scales to zero mean and unit standard deviation (the
	// population deviation). It is the zero value and the default.
	Standard ScalerKind = iota
	// MinMax scales the range [min, max] to [0, 1].
	MinMax
	// Robust subtracts the median and divides by the interquartile range
	// (R's type-7 quantiles).
	Robust
	// NoScaling leaves the values as they are.
	NoScaling
)

// String returns the kind's name, as ParseScaler accepts it.
func (k ScalerKind) String() string {
	switch k {
	case Standard:
		return "standard"
	case MinMax:
		return "minmax"
	case Robust:
		return "robust"
	case NoScaling:
		return "none"
	}
	return fmt.Sprintf("ScalerKind(%d)", int(k))
}

// ParseScaler parses "standard", "minmax", "robust" or "none".
func ParseScaler(s string) (ScalerKind, error) {
	for _, k := range []ScalerKind{Standard, MinMax, Robust, NoScaling} {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown scaler %q (want standard, minmax, robust or none)", ErrArgument, s)
}

// A Scaler maps values to (v − Center) / Scale and back. Fit it on the
// training part only.
type Scaler struct {
	Kind          ScalerKind
	Center, Scale float64
	// Log, when set, takes logarithms first: v ↦ (ln v − Center) / Scale
	// (FitLogScaler).
	Log bool `json:",omitempty"`
}

// FitLogScaler fits a scaler of the given kind to the logarithms of
// train, every value of which must be positive and finite (ErrData
// otherwise). Multiplicative seasonality and growth become additive.
func FitLogScaler(kind ScalerKind, train []float64) (Scaler, error) {
	logs := make([]float64, len(train))
	for i, v := range train {
		if !(v > 0) || math.IsInf(v, 0) {
			return Scaler{}, fmt.Errorf("scaler: %w: value %d is %v, a log scaler needs positive values", ErrData, i, v)
		}
		logs[i] = math.Log(v)
	}
	s, err := FitScaler(kind, logs)
	s.Log = true
	return s, err
}

// To returns one value in scaled units.
func (s Scaler) To(v float64) float64 {
	if s.Log {
		v = math.Log(v)
	}
	return (v - s.Center) / s.Scale
}

// From returns one scaled value in the series' units.
func (s Scaler) From(z float64) float64 {
	v := z*s.Scale + s.Center
	if s.Log {
		return math.Exp(v)
	}
	return v
}

// FitScaler fits a scaler of the given kind to train. A constant series
// (zero spread) gets Scale 1, so it is only centred. Empty or non-finite
// data is an error wrapping ErrData.
func FitScaler(kind ScalerKind, train []float64) (Scaler, error) {
	if len(train) == 0 {
		return Scaler{}, fmt.Errorf("scaler: %w: no values", ErrData)
	}
	if i := firstNonFinite(train); i >= 0 {
		return Scaler{}, fmt.Errorf("scaler: %w: value %d is %v", ErrData, i, train[i])
	}
	s := Scaler{Kind: kind, Scale: 1}
	switch kind {
	case Standard:
		var m float64
		for _, v := range train {
			m += v
		}
		m /= float64(len(train))
		var ss float64
		for _, v := range train {
			ss += (v - m) * (v - m)
		}
		s.Center, s.Scale = m, math.Sqrt(ss/float64(len(train)))
	case MinMax:
		s.Center = slices.Min(train)
		s.Scale = slices.Max(train) - s.Center
	case Robust:
		sorted := slices.Sorted(slices.Values(train))
		s.Center = quantile(sorted, 0.5)
		s.Scale = quantile(sorted, 0.75) - quantile(sorted, 0.25)
	case NoScaling:
		return s, nil
	default:
		return Scaler{}, fmt.Errorf("scaler: %w: unknown kind %v", ErrArgument, kind)
	}
	if !(s.Scale > 0) || math.IsInf(s.Scale, 0) {
		s.Scale = 1
	}
	return s, nil
}

// quantile is R's type-7 quantile of sorted values.
func quantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Transform returns the scaled copy of x.
func (s Scaler) Transform(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = s.To(v)
	}
	return out
}

// Inverse returns the unscaled copy of x: Inverse(Transform(x)) is x up
// to rounding.
func (s Scaler) Inverse(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = s.From(v)
	}
	return out
}
