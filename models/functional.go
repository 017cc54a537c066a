package models

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/gornn/gornn/layers"
)

// Symbol is a symbolic value of the functional API (Keras' KerasTensor):
// the model's input, or the result of applying a layer to another Symbol.
// It holds no data (graph.Tensor is data); it records how it was made, and
// New turns the chain from an input to an output into a Model.
//
// Errors are kept in the Symbol and reported by New, so a model can be
// written as a chain of Apply calls.
type Symbol struct {
	shape []int // without the batch axis
	layer layers.Layer
	from  *Symbol
	err   error
	// froms are a merge layer's inputs (ApplyMerge); initial a state
	// layer's initial states (ApplyStates).
	froms, initial []*Symbol
	// owner and state are set for a final state of a layer: the symbol
	// of the layer's application and the state's index.
	owner *Symbol
	state int
}

// Input returns the symbolic input of a model whose samples have the given
// shape, [timesteps, features] for recurrent models (Keras' Input(shape)).
// A sample may hold at most layers.MaxSampleElements values, and a
// sequence at most layers.MaxTimeSteps steps (errors wrapping both ErrModel
// and layers.ErrConfig).
func Input(shape ...int) *Symbol {
	if len(shape) == 0 || slices.ContainsFunc(shape, func(d int) bool { return d <= 0 }) {
		return &Symbol{err: fmt.Errorf("%w: input shape %v must be non-empty and positive", ErrModel, shape)}
	}
	if err := layers.CheckSampleShape(shape); err != nil {
		return &Symbol{err: fmt.Errorf("%w: %w", ErrModel, err)}
	}
	return &Symbol{shape: slices.Clone(shape)}
}

// Shape returns the tensor's shape without the batch axis (nil if the
// tensor carries an error).
func (t *Symbol) Shape() []int {
	if t == nil || t.err != nil {
		return nil
	}
	return slices.Clone(t.shape)
}

// Err returns the error met while making t, if any.
func (t *Symbol) Err() error {
	if t == nil {
		return fmt.Errorf("%w: nil tensor", ErrModel)
	}
	return t.err
}

// Apply applies layer to x, as calling a Keras layer on a tensor. The
// layer's weights are created when the model is built by New.
func Apply(layer layers.Layer, x *Symbol) *Symbol {
	if err := x.Err(); err != nil {
		return &Symbol{err: err}
	}
	if layer == nil || isNilLayer(layer) {
		return &Symbol{err: fmt.Errorf("%w: nil layer applied", ErrModel)}
	}
	return &Symbol{layer: layer, from: x}
}

// isNilLayer reports a typed nil (a nil *LSTM, or a nil pointer of a
// custom layer type) behind the interface.
func isNilLayer(l layers.Layer) bool {
	v := reflect.ValueOf(l)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// errNotChain reports a model that is not a chain of one-input layers,
// which New builds as a graph instead.
var errNotChain = errors.New("not a chain")

// ErrModel reports an invalid model definition.
var ErrModel = errors.New("invalid model")

// chain walks from output back to input and returns the input tensor and
// the layers in order.
func chain(input, output *Symbol) ([]layers.Layer, error) {
	if err := input.Err(); err != nil {
		return nil, err
	}
	if err := output.Err(); err != nil {
		return nil, err
	}
	if input.layer != nil || input.owner != nil {
		return nil, fmt.Errorf("%w: the model's input must come from Input", ErrModel)
	}
	var ls []layers.Layer
	seen := map[layers.Layer]bool{}
	t := output
	for t != nil && t != input {
		if t.froms != nil || t.initial != nil || t.owner != nil {
			return nil, errNotChain
		}
		if t.layer == nil {
			return nil, fmt.Errorf("%w: the output is not computed from this input", ErrModel)
		}
		if seen[t.layer] {
			return nil, fmt.Errorf("%w: layer %s is applied twice (shared layers are not supported)", ErrModel, t.layer.Name())
		}
		seen[t.layer] = true
		ls = append(ls, t.layer)
		t = t.from
	}
	if t == nil {
		return nil, fmt.Errorf("%w: the output is not computed from this input", ErrModel)
	}
	slices.Reverse(ls)
	return ls, nil
}
