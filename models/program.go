package models

import (
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
)

// LossFunc builds a scalar loss from a batch of predictions and targets of
// the same shape. trainers.MSE and the other losses have this form.
type LossFunc func(b *graph.Builder, pred, target *graph.Node) *graph.Node

// Forward adds the whole model to b's graph and returns its output for the
// input node x [batch, input shape...].
func (m *Model) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	if b == nil {
		return nil
	}
	if err := m.usable(); err != nil {
		b.Fail(err)
		return nil
	}
	for _, l := range m.layers {
		x = l.Forward(b, x)
	}
	return x
}

// NewInput creates the model's input node in b: [batch, time, features]
// fed step by step for sequence models.
func (m *Model) NewInput(b *graph.Builder) *graph.Node {
	if b == nil {
		return nil
	}
	if err := m.usable(); err != nil {
		b.Fail(err)
		return nil
	}
	shape := append([]int{b.Batch()}, m.inShape...)
	if m.sequence {
		return b.SequenceInput("x", shape...)
	}
	return b.Input("x", shape...)
}

// ProgramSpec says what Model.Program compiles. Its zero value is not
// valid: Batch and Loss are required.
type ProgramSpec struct {
	// Batch is the batch size the program is built for (≥ 1).
	Batch int
	// Loss builds the scalar loss from predictions and targets
	// (trainers.MSE and the other losses have this form).
	Loss LossFunc
	// Grads asks for the loss's gradient with respect to every parameter
	// (Executor.Grads), InputGrads with respect to the input
	// (Executor.InputGrad).
	Grads, InputGrads bool
	// Target is the shape of one sample's targets (input 1); nil means
	// the model's output shape. A sparse categorical cross-entropy takes
	// class indices [..., 1] for outputs [..., C].
	Target []int
}

// Program compiles the model for batches of spec.Batch samples with a
// loss, and the gradients spec asks for. The program's input 0 is x, input
// 1 the target y; output 0 is the prediction. Programs for different batch
// sizes share the model's weights.
func (m *Model) Program(spec ProgramSpec) (*graph.Program, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	batch, loss, grads, inputGrads := spec.Batch, spec.Loss, spec.Grads, spec.InputGrads
	if loss == nil {
		return nil, fmt.Errorf("%w: nil loss", graph.ErrArgument)
	}
	b, err := graph.NewBuilder(m.dt, batch)
	if err != nil {
		return nil, err
	}
	x := m.NewInput(b)
	pred := m.Forward(b, x)
	target := spec.Target
	if target == nil {
		target = m.OutputShape()
	}
	yShape := append([]int{batch}, target...)
	var y *graph.Node
	if len(yShape) == 3 {
		y = b.SequenceInput("y", yShape...)
	} else {
		y = b.Input("y", yShape...)
	}
	l := loss(b, pred, y)
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.name, err)
	}
	return b.Compile(graph.Spec{Outputs: []*graph.Node{pred}, Loss: l, Grads: grads, InputGrads: inputGrads})
}

// forwardProgram compiles prediction only.
func (m *Model) forwardProgram(batch int) (*graph.Program, error) {
	b, err := graph.NewBuilder(m.dt, batch)
	if err != nil {
		return nil, err
	}
	pred := m.Forward(b, m.NewInput(b))
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.name, err)
	}
	return b.Compile(graph.Spec{Outputs: []*graph.Node{pred}})
}

// CheckSamples checks that x holds samples of the model's input shape
// ([n, input shape...], n ≥ 1) of a float dtype, all finite; the error names
// the first bad sample. A view (a slice of a larger tensor) is checked on
// its own elements only. For a float32 model a float64 value beyond
// float32's range is not finite either: it would become an infinity when
// converted to the model's dtype.
func (m *Model) CheckSamples(what string, x *graph.Tensor) error {
	if err := m.usable(); err != nil {
		return err
	}
	return CheckTensor(what, x, m.inShape, m.dt)
}

// CheckTensor is CheckSamples for any sample shape and element type dt:
// x must be [n, sample...] with n ≥ 1, float32 or float64, every element
// finite and, for dt Float32, within float32's range. The trainers check
// targets with it.
func CheckTensor(what string, x *graph.Tensor, sample []int, dt graph.DType) error {
	if x == nil {
		return fmt.Errorf("%w: %s is nil", graph.ErrArgument, what)
	}
	xdt, err := graph.DTypeOf(x)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	shape := []int(x.Shape())
	if len(shape) != len(sample)+1 || !slices.Equal(shape[1:], sample) {
		return fmt.Errorf("%w: %s has shape %v, want [n %v]", graph.ErrShape, what, shape, sample)
	}
	if shape[0] < 1 {
		return fmt.Errorf("%w: %s has no samples", graph.ErrArgument, what)
	}
	if x.IsView() {
		// A view's backing memory may hold elements outside it (and in
		// another order): scan a copy of its own elements.
		x = x.Materialize().(*graph.Tensor)
	}
	per := x.Shape().TotalSize() / shape[0]
	if i := graph.FirstNonFinite(x); i >= 0 {
		return fmt.Errorf("%w: %s sample %d", graph.ErrNotFinite, what, i/per)
	}
	if dt == graph.Float32 && xdt == graph.Float64 {
		for i, v := range x.Float64s() {
			if math.IsInf(float64(float32(v)), 0) {
				return fmt.Errorf("%w: %s sample %d: %v is beyond float32's range", graph.ErrNotFinite, what, i/per, v)
			}
		}
	}
	return nil
}
