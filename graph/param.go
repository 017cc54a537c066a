package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"
)

// Param is a trainable weight. Its value lives in one tensor that every
// compiled graph of a model binds directly, so an update made in place
// (by an optimizer or SetWeights) is seen by all of them.
//
// The shape is the layer's internal layout; layers convert to and from the
// Keras layout at their public face.
//
// A Param comes from NewParam. The methods of a nil or zero Param do not
// panic: it has no name, shape or values, and SetFloat64s fails.
type Param struct {
	name  string
	value *Tensor
}

// NewParam returns a parameter of the given dtype and shape, filled by init
// from rng.
func NewParam(name string, dt DType, shape []int, init Initializer, rng *RNG) (*Param, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: parameter needs a name", ErrArgument)
	}
	if !dt.Valid() {
		return nil, fmt.Errorf("%w: parameter %s: invalid dtype %v", ErrArgument, name, dt)
	}
	if len(shape) == 0 || slices.ContainsFunc(shape, func(d int) bool { return d <= 0 }) {
		return nil, fmt.Errorf("%w: parameter %s: invalid shape %v", ErrShape, name, shape)
	}
	if _, err := shapeSize(shape); err != nil {
		return nil, fmt.Errorf("parameter %s: %w", name, err)
	}
	if init == nil {
		init = Zeros()
	}
	vals, err := init.Init(rng, shape)
	if err != nil {
		return nil, fmt.Errorf("parameter %s: %w", name, err)
	}
	t, err := FromFloat64s(dt, vals, shape...)
	if err != nil {
		return nil, fmt.Errorf("parameter %s: %w", name, err)
	}
	return &Param{name: name, value: t}, nil
}

// Name returns the parameter's hierarchical name, such as "lstm_1/kernel".
func (p *Param) Name() string {
	if p == nil {
		return ""
	}
	return p.name
}

// Shape returns a copy of the parameter's internal shape.
func (p *Param) Shape() []int {
	if p == nil || p.value == nil {
		return nil
	}
	return p.value.Shape()
}

// Len returns the number of scalars in the parameter.
func (p *Param) Len() int {
	if p == nil || p.value == nil {
		return 0
	}
	return p.value.Len()
}

// DType returns the parameter's element type (an invalid DType, -1, for a
// nil or zero Param).
func (p *Param) DType() DType {
	if p == nil || p.value == nil {
		return -1
	}
	dt, _ := DTypeOf(p.value)
	return dt
}

// Value returns the tensor holding the parameter (nil for a nil or zero
// Param). Writing to its data changes the model; it must not be done while
// the model runs.
func (p *Param) Value() *Tensor {
	if p == nil {
		return nil
	}
	return p.value
}

// Float64s returns a copy of the parameter's values.
func (p *Param) Float64s() []float64 {
	if p == nil || p.value == nil {
		return nil
	}
	return Float64s(p.value)
}

// SetFloat64s overwrites the parameter's values with data (converted to the
// parameter's dtype), which must have exactly Len values, all finite.
func (p *Param) SetFloat64s(data []float64) error {
	if p == nil || p.value == nil {
		return fmt.Errorf("%w: parameter %q has no value (not made by NewParam)", ErrArgument, p.Name())
	}
	if len(data) != p.Len() {
		return fmt.Errorf("%w: %s: got %d values, want %d", ErrShape, p.name, len(data), p.Len())
	}
	// Check in the parameter's own dtype, before writing anything: 1e39 is
	// finite in float64 but not in float32.
	dt := p.DType()
	for i, v := range data {
		if !dt.Finite(v) {
			return fmt.Errorf("%s: %w at flat index %d (%v as %v)", p.name, ErrNotFinite, i, v, dt)
		}
	}
	switch d := anyData(p.value.d).(type) {
	case []float32:
		for i, v := range data {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, data)
	default:
		return fmt.Errorf("%w: %s holds %v", ErrDType, p.name, p.value.d.Dtype())
	}
	return nil
}

// block returns a tensor sharing the memory of the i-th block along the
// first axis of the parameter.
func (p *Param) block(i int) (*tensor.Dense, error) {
	if p.value == nil {
		return nil, fmt.Errorf("%w: parameter %q has no value (not made by NewParam)", ErrArgument, p.name)
	}
	shape := p.value.d.Shape()
	if len(shape) < 2 || i < 0 || i >= shape[0] {
		return nil, fmt.Errorf("%w: %s: block %d of shape %v", ErrShape, p.name, i, shape)
	}
	inner := []int(shape[1:].Clone())
	n := sizeOf(inner)
	switch d := anyData(p.value.d).(type) {
	case []float32:
		return tensor.New(tensor.WithShape(inner...), tensor.WithBacking(d[i*n:(i+1)*n:(i+1)*n])), nil
	case []float64:
		return tensor.New(tensor.WithShape(inner...), tensor.WithBacking(d[i*n:(i+1)*n:(i+1)*n])), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrDType, p.name)
}
