package layers

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
)

// Size limits. They are checked with arithmetic that cannot overflow, from
// shapes alone, before anything is allocated: constructors refuse a layer
// that could never be built within them (its weights for a single input
// feature already too many), Build refuses an input shape that would break
// them, and models refuse a model whose layers together would, before
// building any layer. Errors wrap ErrConfig.
//
// They are generous for real use (an LSTM(4096) on 4,096 features holds
// 134 million weights, half of MaxWeights) and refuse what would exhaust
// the memory of an ordinary machine: MaxWeights float64 scalars are 2 GiB,
// and building them takes a few times that in intermediate values.
const (
	// MaxUnits is the most units a layer may have.
	MaxUnits = 1 << 20
	// MaxWeights is the most weight scalars (kernels, recurrent kernels
	// and biases together) of one layer, and of a whole model: 2²⁸, 1 GiB
	// as float32. An LSTM layer can have at most 8,191 units, a GRU
	// 9,458, a SimpleRNN 16,383.
	MaxWeights = 1 << 28
	// MaxSampleElements is the most values of one input sample (the input
	// shape without the batch axis): 2²⁴.
	MaxSampleElements = 1 << 24
	// MaxTimeSteps is the most time steps of a sequence input [time,
	// features]: a model unrolls its graph over every step (a few KB of
	// graph per step and layer, more with gradients, and building time
	// that grows faster than the number of steps).
	MaxTimeSteps = 1 << 14
)

// weightCount adds up products of dimensions, saturating once the total
// exceeds MaxWeights, so that no product or sum can overflow.
type weightCount struct {
	n    int
	over bool
}

// add adds the product of dims (all positive).
func (c *weightCount) add(dims ...int) {
	p := 1
	for _, d := range dims {
		if d <= 0 || p > MaxWeights/d {
			c.over = true
			return
		}
		p *= d
	}
	if c.n += p; c.n > MaxWeights {
		c.over = true
	}
}

// check returns the count, or an error wrapping ErrConfig if it exceeds
// MaxWeights.
func (c *weightCount) check(name string, in []int) (int, error) {
	if c.over {
		return 0, fmt.Errorf("%w: %s for input %v: more than MaxWeights (%d) weights", ErrConfig, name, in, MaxWeights)
	}
	return c.n, nil
}

// checkInput checks an input shape of the given rank (0: any rank from
// 1) against the size limits.
func checkInput(name string, in []int, rank int) error {
	if rank > 0 && len(in) != rank {
		return fmt.Errorf("%w: %s expects inputs of rank %d (without batch), got shape %v", graph.ErrShape, name, rank, in)
	}
	if len(in) == 0 || slices.ContainsFunc(in, func(d int) bool { return d <= 0 }) {
		return fmt.Errorf("%w: %s: invalid input shape %v", graph.ErrShape, name, in)
	}
	return CheckSampleShape(in)
}

// CheckSampleShape checks an input sample's shape (without the batch axis,
// all dimensions positive) against MaxSampleElements and, for a sequence
// [time, features], MaxTimeSteps, returning an error wrapping ErrConfig.
func CheckSampleShape(shape []int) error {
	n := 1
	for _, d := range shape {
		if d <= 0 {
			return fmt.Errorf("%w: input shape %v must be positive", graph.ErrShape, shape)
		}
		if n > MaxSampleElements/d {
			return fmt.Errorf("%w: input shape %v holds more than MaxSampleElements (%d) values per sample", ErrConfig, shape, MaxSampleElements)
		}
		n *= d
	}
	if len(shape) == 2 && shape[0] > MaxTimeSteps {
		return fmt.Errorf("%w: input shape %v has more than MaxTimeSteps (%d) time steps", ErrConfig, shape, MaxTimeSteps)
	}
	return nil
}

// checkUnits checks a constructor's units.
func checkUnits(kind string, units int) error {
	if units <= 0 {
		return fmt.Errorf("%w: %s: units must be positive, got %d", ErrConfig, kind, units)
	}
	if units > MaxUnits {
		return fmt.Errorf("%w: %s: %d units, more than MaxUnits (%d)", ErrConfig, kind, units, MaxUnits)
	}
	return nil
}
