package graph

import (
	"errors"
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// DType is the floating-point type of a graph's values.
type DType int

const (
	// Float32 is the default, as in Keras.
	Float32 DType = iota
	// Float64 is used for reference checks and gradient checks.
	Float64
)

// String returns "float32" or "float64".
func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// ParseDType is the inverse of [DType.String].
func ParseDType(s string) (DType, error) {
	switch s {
	case "float32":
		return Float32, nil
	case "float64":
		return Float64, nil
	}
	return 0, fmt.Errorf("%w: unknown dtype %q (want float32 or float64)", ErrArgument, s)
}

// Valid reports whether d is Float32 or Float64.
func (d DType) Valid() bool { return d == Float32 || d == Float64 }

// Finite reports whether v stays finite once stored in d: 1e39 is a finite
// float64 but overflows to an infinity as a float32.
func (d DType) Finite(v float64) bool {
	if d == Float32 {
		v = float64(float32(v))
	}
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

func (d DType) tensorDtype() tensor.Dtype {
	if d == Float64 {
		return tensor.Float64
	}
	return tensor.Float32
}

// Errors returned by this package (and used by the packages built on it), for errors.Is.
var (
	// ErrShape reports a tensor whose shape does not fit.
	ErrShape = errors.New("shape mismatch")
	// ErrDType reports a tensor of the wrong element type.
	ErrDType = errors.New("dtype mismatch")
	// ErrNotFinite reports a NaN or an infinity in data or results.
	ErrNotFinite = errors.New("value is not finite")
	// ErrArgument reports an invalid argument or hyperparameter.
	ErrArgument = errors.New("invalid argument")
	// ErrGraph reports a failure while building or running an expression graph.
	ErrGraph = errors.New("graph error")
	// ErrConfig reports a setting that cannot be honoured, given when
	// something is made: a layer's options (layers.ErrConfig is this
	// error), an optimizer's, forecast.Settings. It is the one sentinel of
	// configuration errors in gornn, and an ErrArgument too:
	// errors.Is(err, ErrArgument) holds for every error that wraps it.
	ErrConfig error = configError{}
)

// configError is ErrConfig's type: a sentinel whose parent is
// ErrArgument, without changing its message.
type configError struct{}

func (configError) Error() string { return "invalid configuration" }
func (configError) Unwrap() error { return ErrArgument }
