package models

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// Stream predicts a sequence one step at a time, carrying the recurrent
// layers' states from call to call: serving a model as its data arrive
// (Keras' stateful=True at batch size n, PyTorch's passing (h, c) back
// into the next call). Each Step takes one time step of n sequences and
// returns the model's output for it; Reset starts the sequences again from
// zero states.
//
// A Stream holds a copy of the model's weights taken by NewStream: later
// training of the model does not change it (make a new Stream). It works
// for chain models whose recurrent layers are StateLayers that go forward
// (not Bidirectional, not go_backwards); its output per step is the
// model's for a sequence of one step: [n, units...] after a layer
// returning its last state, [n, 1, units...] with return_sequences. A
// Stream is not safe for concurrent use.
type Stream struct {
	m      *Model // the model rebuilt for one step
	batch  int
	exec   *graph.Executor
	states []*graph.Tensor // the current states, in StateLayers order
}

// NewStream returns a Stream of batch sequences over m's weights.
func (m *Model) NewStream(batch int) (*Stream, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	if batch <= 0 {
		return nil, fmt.Errorf("%w: batch size %d must be positive", graph.ErrArgument, batch)
	}
	if m.wiring != nil || len(m.inShape) < 1 {
		return nil, fmt.Errorf("%w: %s: a Stream runs chain models of sequences", ErrModel, m.name)
	}
	ls := make([]layers.Layer, len(m.layers))
	for i, l := range m.layers {
		if r, ok := l.(layers.Reverser); ok && r.ReadsBackwards() {
			return nil, fmt.Errorf("%w: %s: layer %s cannot stream (it reads the sequence backwards)", ErrModel, m.name, l.Name())
		}
		nl, err := layers.FromConfig(l.Config())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		ls[i] = nl
	}
	step := slices.Clone(m.inShape)
	step[0] = 1
	one, err := build(m.name, m.functional, [][]int{step}, ls, nil, &Options{DType: m.dt, Seed: m.seed})
	if err != nil {
		return nil, fmt.Errorf("%s: one step: %w", m.name, err)
	}
	if err := one.SetWeights(m.Weights()); err != nil {
		return nil, err
	}
	b, err := graph.NewBuilder(m.dt, batch)
	if err != nil {
		return nil, err
	}
	x := one.NewInputs(b)
	infos := one.StateLayers()
	initial := make([][]*graph.Node, len(ls))
	for _, si := range infos {
		for k := range si.States {
			initial[si.Layer] = append(initial[si.Layer], b.Input(fmt.Sprintf("%s/state_%d", si.Name, k), batch, si.Units))
		}
	}
	pred, _, finals := one.forwardInputs(b, x, initial, nil)
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.name, err)
	}
	outs := []*graph.Node{pred}
	s := &Stream{m: one, batch: batch}
	for _, si := range infos {
		outs = append(outs, finals[si.Layer]...)
		for range si.States {
			s.states = append(s.states, graph.NewTensor(m.dt, batch, si.Units))
		}
	}
	p, err := b.Compile(graph.Spec{Outputs: outs})
	if err != nil {
		return nil, err
	}
	s.exec = p.NewExecutor()
	return s, nil
}

// Step runs one time step x [batch, 1, features] (for a model of token
// ids, [batch, 1]) from the states the previous steps left and returns the
// model's output for it.
func (s *Stream) Step(x *graph.Tensor) (*graph.Tensor, error) {
	if s == nil || s.exec == nil {
		return nil, fmt.Errorf("%w: Stream not made by NewStream", graph.ErrArgument)
	}
	if err := s.m.CheckSamples("x", x); err != nil {
		return nil, err
	}
	if n := x.Dim(0); n != s.batch {
		return nil, fmt.Errorf("%w: a step of %d sequences for a Stream of %d", graph.ErrShape, n, s.batch)
	}
	if err := s.exec.SetInput(0, x); err != nil {
		return nil, err
	}
	for i, st := range s.states {
		if err := s.exec.SetInput(1+i, st); err != nil {
			return nil, err
		}
	}
	if err := s.exec.Run(); err != nil {
		return nil, err
	}
	out, err := s.exec.Output(0)
	if err != nil {
		return nil, err
	}
	next := make([]*graph.Tensor, len(s.states))
	for i := range s.states {
		if next[i], err = s.exec.Output(1 + i); err != nil {
			return nil, err
		}
	}
	s.states = next
	return out, nil
}

// Reset sets every state back to zero: the next Step starts new
// sequences.
func (s *Stream) Reset() {
	if s == nil {
		return
	}
	for i, st := range s.states {
		s.states[i] = graph.NewTensor(s.m.dt, st.Shape()...)
	}
}

// States returns copies of the current states, in the order of the
// model's StateLayers (each layer's states in its order: h, then c for an
// LSTM), each [batch, units].
func (s *Stream) States() []*graph.Tensor {
	if s == nil {
		return nil
	}
	out := make([]*graph.Tensor, len(s.states))
	for i, st := range s.states {
		out[i] = st.Clone()
	}
	return out
}
