package layers

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
)

// A Mask marks the valid steps of a batch of sequences, as Keras' masks
// do: one node [batch, 1] per time step holding 1 for the samples whose
// step is valid and 0 for those whose step is padding. A Masking layer or
// an Embedding with mask_zero makes one; recurrent layers skip the masked
// steps (they carry their states over them and output 0 there), layers
// acting per step (Dense) pass it on, and the model's loss leaves the
// masked steps out.
//
// A mask is a constant to the gradient: it is made by comparisons (Masking)
// or from whole-number ids (Embedding), so that the weights' gradients come
// from Grad through the products that apply it.
type Mask struct {
	steps []*graph.Node
	// spreads caches, per step, the mask and its complement spread to a
	// width ([batch, width]), so that every layer of one width shares them.
	spreads map[spreadKey][2]*graph.Node
}

type spreadKey struct{ t, width int }

// NewMask returns the mask of the given steps, each [batch, 1] of 1 and 0
// (nil for no steps).
func NewMask(steps []*graph.Node) *Mask {
	if len(steps) == 0 {
		return nil
	}
	return &Mask{steps: slices.Clone(steps)}
}

// Len returns the number of steps (0 for a nil mask).
func (m *Mask) Len() int {
	if m == nil {
		return 0
	}
	return len(m.steps)
}

// Steps returns the per-step nodes [batch, 1].
func (m *Mask) Steps() []*graph.Node {
	if m == nil {
		return nil
	}
	return slices.Clone(m.steps)
}

// Spread returns step t's mask repeated over width columns, [batch,
// width].
func (m *Mask) Spread(b *graph.Builder, t, width int) *graph.Node {
	s, _ := m.spread(b, t, width)
	return s
}

// spread returns step t's mask and 1 minus it, [batch, width] each.
func (m *Mask) spread(b *graph.Builder, t, width int) (*graph.Node, *graph.Node) {
	if m == nil || t < 0 || t >= len(m.steps) {
		b.Fail(fmt.Errorf("%w: step %d of a mask of %d", graph.ErrArgument, t, m.Len()))
		return nil, nil
	}
	key := spreadKey{t, width}
	if s, ok := m.spreads[key]; ok {
		return s[0], s[1]
	}
	on := b.SpreadLast(m.steps[t], width)
	off := b.OneMinus(on)
	if m.spreads == nil {
		m.spreads = map[spreadKey][2]*graph.Node{}
	}
	m.spreads[key] = [2]*graph.Node{on, off}
	return on, off
}

// reversed returns the mask with its steps in reverse order.
func (m *Mask) reversed() *Mask {
	if m == nil {
		return nil
	}
	s := slices.Clone(m.steps)
	slices.Reverse(s)
	return &Mask{steps: s}
}

// Sequence returns the mask as one node [batch, T] (nil for a nil mask).
func (m *Mask) Sequence(b *graph.Builder) *graph.Node {
	if m == nil {
		return nil
	}
	if len(m.steps) == 1 {
		return m.steps[0]
	}
	return b.Concat(1, m.steps...)
}

// A MaskedLayer takes the mask of its input's steps and gives its
// output's: Keras' supports_masking with compute_mask. The models call
// ForwardMasked instead of Forward for layers that implement it, with the
// mask made by the layers before (nil: no mask); a layer that is not a
// MaskedLayer may not receive a mask (the model reports an error, as Keras
// does). With a nil mask ForwardMasked must build what Forward builds.
type MaskedLayer interface {
	Layer
	// ForwardMasked is Forward with the mask of x's steps; it returns
	// the output and its mask (nil when the output has no time axis or no
	// step is masked).
	ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask)
}

// A StateLayer is a recurrent layer whose states can be given and read
// (Keras' initial_state and return_state): SimpleRNN, GRU and RNN carry
// one state h, LSTM two, h and c, each [batch, units].
type StateLayer interface {
	MaskedLayer
	// States returns the number of states the layer carries.
	States() int
	// Units returns the width of each state.
	Units() int
	// ForwardStates is ForwardMasked from the given initial states (nil:
	// zero states), returning also the final states: those after the
	// last step visited, for a masked sample its last valid step.
	ForwardStates(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node) (out *graph.Node, outMask *Mask, final []*graph.Node)
}

var (
	_ StateLayer = (*SimpleRNN)(nil)
	_ StateLayer = (*LSTM)(nil)
	_ StateLayer = (*GRU)(nil)
	_ StateLayer = (*RNN)(nil)
)

// states returns the number of states (0 for a nil layer).
func (l *recurrent) statesOf() int {
	if l == nil {
		return 0
	}
	return l.states
}

// masked is ForwardMasked for every recurrent layer.
func (l *recurrent) masked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	if b == nil {
		return nil, nil
	}
	out, m, _ := l.forwardStates(b, x, mask, nil, nil)
	return out, m
}

// withStates is ForwardStates for every recurrent layer.
func (l *recurrent) withStates(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node) (*graph.Node, *Mask, []*graph.Node) {
	if b == nil {
		return nil, nil, nil
	}
	if l == nil {
		b.Fail(fmt.Errorf("%w: nil recurrent layer", ErrConfig))
		return nil, nil, nil
	}
	return l.forwardStates(b, x, mask, initial, nil)
}

// training is ForwardTraining for every recurrent layer.
func (l *recurrent) training(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node) {
	if b == nil {
		return nil, nil, nil
	}
	if l == nil {
		b.Fail(fmt.Errorf("%w: nil recurrent layer", ErrConfig))
		return nil, nil, nil
	}
	return l.forwardStates(b, x, mask, initial, noise)
}

// ForwardMasked runs the layer over x, skipping the masked steps.
func (l *SimpleRNN) ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	return l.core().masked(b, x, mask)
}

// ForwardStates runs the layer from initial states [h] and returns the
// final ones.
func (l *SimpleRNN) ForwardStates(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node) (*graph.Node, *Mask, []*graph.Node) {
	return l.core().withStates(b, x, mask, initial)
}

// States returns 1 (h).
func (l *SimpleRNN) States() int { return l.core().statesOf() }

// ForwardMasked runs the layer over x, skipping the masked steps.
func (l *LSTM) ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	return l.core().masked(b, x, mask)
}

// ForwardStates runs the layer from initial states [h, c] and returns the
// final ones.
func (l *LSTM) ForwardStates(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node) (*graph.Node, *Mask, []*graph.Node) {
	return l.core().withStates(b, x, mask, initial)
}

// States returns 2 (h and c).
func (l *LSTM) States() int { return l.core().statesOf() }

// ForwardMasked runs the layer over x, skipping the masked steps.
func (l *GRU) ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	return l.core().masked(b, x, mask)
}

// ForwardStates runs the layer from initial states [h] and returns the
// final ones.
func (l *GRU) ForwardStates(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node) (*graph.Node, *Mask, []*graph.Node) {
	return l.core().withStates(b, x, mask, initial)
}

// States returns 1 (h).
func (l *GRU) States() int { return l.core().statesOf() }

// ForwardMasked runs the layer over x, skipping the masked steps.
func (l *RNN) ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	return l.core().masked(b, x, mask)
}

// ForwardStates runs the layer from the given initial states (the cell's
// CellSpec.States of them) and returns the final ones.
func (l *RNN) ForwardStates(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node) (*graph.Node, *Mask, []*graph.Node) {
	return l.core().withStates(b, x, mask, initial)
}

// States returns the number of states the cell carries.
func (l *RNN) States() int { return l.core().statesOf() }

// GoBackwards reports whether the layer visits the steps last to first.
func (l *SimpleRNN) GoBackwards() bool { return l.core().GoBackwards() }

// GoBackwards reports whether the layer visits the steps last to first.
func (l *LSTM) GoBackwards() bool { return l.core().GoBackwards() }

// GoBackwards reports whether the layer visits the steps last to first.
func (l *GRU) GoBackwards() bool { return l.core().GoBackwards() }

// GoBackwards reports whether the layer visits the steps last to first.
func (l *RNN) GoBackwards() bool { return l.core().GoBackwards() }

// UseBias reports whether the layer has a bias.
func (l *SimpleRNN) UseBias() bool { return l.core().UseBias() }

// UseBias reports whether the layer has a bias.
func (l *LSTM) UseBias() bool { return l.core().UseBias() }

// UseBias reports whether the layer has a bias.
func (l *GRU) UseBias() bool { return l.core().UseBias() }

// UseBias reports whether the layer has a bias.
func (l *RNN) UseBias() bool { return l.core().UseBias() }

// ForwardMasked applies the layer at every step and passes the mask on
// (Keras' Dense supports masking).
func (l *Dense) ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	out := l.Forward(b, x)
	if x == nil || len(x.Shape()) != 3 {
		mask = nil
	}
	return out, mask
}

var (
	_ TrainingLayer = (*SimpleRNN)(nil)
	_ TrainingLayer = (*LSTM)(nil)
	_ TrainingLayer = (*GRU)(nil)
	_ TrainingLayer = (*RNN)(nil)
)

// ForwardTraining is ForwardStates in a training graph: with dropout, the
// masks come from noise.
func (l *SimpleRNN) ForwardTraining(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node) {
	return l.core().training(b, x, mask, initial, noise)
}

// ForwardTraining is ForwardStates in a training graph: with dropout, the
// masks come from noise.
func (l *LSTM) ForwardTraining(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node) {
	return l.core().training(b, x, mask, initial, noise)
}

// ForwardTraining is ForwardStates in a training graph: with dropout, the
// masks come from noise.
func (l *GRU) ForwardTraining(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node) {
	return l.core().training(b, x, mask, initial, noise)
}

// ForwardTraining is ForwardStates in a training graph: with dropout, the
// masks come from noise.
func (l *RNN) ForwardTraining(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node) {
	return l.core().training(b, x, mask, initial, noise)
}

// Dropout returns the rate of the dropout of the inputs.
func (l *SimpleRNN) Dropout() float64 { return l.core().Dropout() }

// Dropout returns the rate of the dropout of the inputs.
func (l *LSTM) Dropout() float64 { return l.core().Dropout() }

// Dropout returns the rate of the dropout of the inputs.
func (l *GRU) Dropout() float64 { return l.core().Dropout() }

// Dropout returns the rate of the dropout of the inputs.
func (l *RNN) Dropout() float64 { return l.core().Dropout() }

// RecurrentDropout returns the rate of the dropout of the recurrent state.
func (l *SimpleRNN) RecurrentDropout() float64 { return l.core().RecurrentDropout() }

// RecurrentDropout returns the rate of the dropout of the recurrent state.
func (l *LSTM) RecurrentDropout() float64 { return l.core().RecurrentDropout() }

// RecurrentDropout returns the rate of the dropout of the recurrent state.
func (l *GRU) RecurrentDropout() float64 { return l.core().RecurrentDropout() }

// RecurrentDropout returns the rate of the dropout of the recurrent state.
func (l *RNN) RecurrentDropout() float64 { return l.core().RecurrentDropout() }
