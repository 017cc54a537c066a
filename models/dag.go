package models

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// This file holds the functional models that are not a chain: several
// inputs, merge layers (layers.Concatenate, layers.Add) and states passed
// between layers (an encoder's final states as a decoder's initial
// states).

// ApplyMerge applies a merge layer to several symbols (Keras'
// Concatenate()([a, b])).
func ApplyMerge(layer layers.MergeLayer, xs ...*Symbol) *Symbol {
	if layer == nil || isNilLayer(layer) {
		return &Symbol{err: fmt.Errorf("%w: nil layer applied", ErrModel)}
	}
	if len(xs) < 2 {
		return &Symbol{err: fmt.Errorf("%w: %s merges at least 2 symbols, got %d", ErrModel, layer.ClassName(), len(xs))}
	}
	for _, x := range xs {
		if err := x.Err(); err != nil {
			return &Symbol{err: err}
		}
	}
	return &Symbol{layer: layer, from: xs[0], froms: slices.Clone(xs)}
}

// ApplyStates applies a recurrent layer to x from the given initial states
// (none: zero states; otherwise one per state of the layer, h then c for
// an LSTM, each a symbol of shape [units]: a model Input or another
// layer's final state) and returns its output and its final states
// (Keras' layer(x, initial_state=[...]) with return_state=True).
func ApplyStates(layer layers.StateLayer, x *Symbol, initial ...*Symbol) (*Symbol, []*Symbol) {
	fail := func(err error) (*Symbol, []*Symbol) {
		return &Symbol{err: err}, nil
	}
	if layer == nil || isNilLayer(layer) {
		return fail(fmt.Errorf("%w: nil layer applied", ErrModel))
	}
	if err := x.Err(); err != nil {
		return fail(err)
	}
	if len(initial) != 0 && len(initial) != layer.States() {
		return fail(fmt.Errorf("%w: %s carries %d states, given %d initial states", ErrModel, layer.ClassName(), layer.States(), len(initial)))
	}
	for _, s := range initial {
		if err := s.Err(); err != nil {
			return fail(err)
		}
	}
	out := &Symbol{layer: layer, from: x}
	if len(initial) > 0 {
		out.initial = slices.Clone(initial)
	}
	states := make([]*Symbol, layer.States())
	for k := range states {
		states[k] = &Symbol{shape: []int{layer.Units()}, owner: out, state: k}
	}
	return out, states
}

// source says where a layer of a graph model reads a value: a model input
// (Layer -1, Index the input), a layer's output (Index -1) or one of its
// final states (Index k ≥ 0).
type source struct {
	Layer int `json:"layer"`
	Index int `json:"index"`
}

// wire is what one layer of a graph model reads.
type wire struct {
	Inputs  []source `json:"inputs"`
	Initial []source `json:"initial_states,omitempty"`
}

// wiring is a graph model's connections, as saved with its architecture.
// A model of several outputs (NewMultiOutput) lists them all in Outputs
// (Output is the first); Outputs is nil for a model of one.
type wiring struct {
	Inputs  [][]int  `json:"inputs"`
	Layers  []wire   `json:"layers"`
	Output  source   `json:"output"`
	Outputs []source `json:"outputs,omitempty"`
}

// outputs returns the sources of the model's outputs, in order.
func (w *wiring) outputs() []source {
	if len(w.Outputs) > 0 {
		return w.Outputs
	}
	return []source{w.Output}
}

// NewMulti builds the model computing output from the given inputs (Keras'
// Model(inputs=[...], outputs=...)): symbols made with Input, Apply,
// ApplyMerge and ApplyStates, where layers may read several inputs, merge
// branches and pass states. Every input the output depends on must be
// listed; the inputs are fed in the order listed (PredictInputs,
// trainers.Trainer.TrainBatchInputs). Each layer may be applied once.
func NewMulti(inputs []*Symbol, output *Symbol, opts *Options) (*Model, error) {
	return newGraph(inputs, []*Symbol{output}, opts)
}

// newGraph is NewMulti and NewMultiOutput: the model computing outputs
// from inputs.
func newGraph(inputs []*Symbol, outputs []*Symbol, opts *Options) (*Model, error) {
	if len(outputs) == 0 || len(outputs) > MaxOutputs {
		return nil, fmt.Errorf("%w: %d outputs (want 1 to %d)", ErrModel, len(outputs), MaxOutputs)
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("%w: a model needs an input", ErrModel)
	}
	if len(inputs) > MaxInputs {
		return nil, fmt.Errorf("%w: %d inputs, over MaxInputs (%d)", ErrModel, len(inputs), MaxInputs)
	}
	inIndex := map[*Symbol]int{}
	shapes := make([][]int, len(inputs))
	for i, in := range inputs {
		if err := in.Err(); err != nil {
			return nil, err
		}
		if in.layer != nil || in.owner != nil {
			return nil, fmt.Errorf("%w: input %d must come from Input", ErrModel, i)
		}
		if _, dup := inIndex[in]; dup {
			return nil, fmt.Errorf("%w: input %d is listed twice", ErrModel, i)
		}
		inIndex[in], shapes[i] = i, in.shape
	}
	for i, out := range outputs {
		if err := out.Err(); err != nil {
			return nil, err
		}
		if slices.Contains(outputs[:i], out) {
			return nil, fmt.Errorf("%w: output %d is listed twice", ErrModel, i)
		}
	}
	var ls []layers.Layer
	var wires []wire
	index := map[*Symbol]int{} // application → layer index
	seen := map[layers.Layer]bool{}
	visiting := map[*Symbol]bool{}
	var src func(s *Symbol) (source, error)
	var visit func(app *Symbol) error
	src = func(s *Symbol) (source, error) {
		if err := s.Err(); err != nil {
			return source{}, err
		}
		switch {
		case s.owner != nil:
			if err := visit(s.owner); err != nil {
				return source{}, err
			}
			return source{Layer: index[s.owner], Index: s.state}, nil
		case s.layer == nil:
			i, ok := inIndex[s]
			if !ok {
				return source{}, fmt.Errorf("%w: the output depends on an Input that is not among the model's inputs", ErrModel)
			}
			return source{Layer: -1, Index: i}, nil
		}
		if err := visit(s); err != nil {
			return source{}, err
		}
		return source{Layer: index[s], Index: -1}, nil
	}
	visit = func(app *Symbol) error {
		if _, done := index[app]; done {
			return nil
		}
		if visiting[app] {
			return fmt.Errorf("%w: a cycle through layer %s", ErrModel, app.layer.Name())
		}
		if len(ls) >= MaxLayers {
			return fmt.Errorf("%w: more than MaxLayers (%d) layers", ErrModel, MaxLayers)
		}
		visiting[app] = true
		if seen[app.layer] {
			return fmt.Errorf("%w: layer %s is applied twice (shared layers are not supported)", ErrModel, app.layer.Name())
		}
		// The initial states first, so that an encoder comes before what
		// its decoder reads.
		var w wire
		for _, f := range app.initial {
			s, err := src(f)
			if err != nil {
				return err
			}
			w.Initial = append(w.Initial, s)
		}
		froms := app.froms
		if froms == nil {
			froms = []*Symbol{app.from}
		}
		for _, f := range froms {
			s, err := src(f)
			if err != nil {
				return err
			}
			w.Inputs = append(w.Inputs, s)
		}
		if seen[app.layer] {
			return fmt.Errorf("%w: layer %s is applied twice (shared layers are not supported)", ErrModel, app.layer.Name())
		}
		seen[app.layer] = true
		index[app] = len(ls)
		ls = append(ls, app.layer)
		wires = append(wires, w)
		delete(visiting, app)
		return nil
	}
	outs := make([]source, len(outputs))
	for i, output := range outputs {
		out, err := src(output)
		if err != nil {
			return nil, err
		}
		if out.Layer < 0 {
			return nil, fmt.Errorf("%w: output %d is an input: a model's outputs are layers'", ErrModel, i)
		}
		outs[i] = out
	}
	w := &wiring{Inputs: cloneShapes(shapes), Layers: wires, Output: outs[0]}
	if len(outs) > 1 {
		w.Outputs = outs
	}
	return build("model", true, shapes, ls, w, opts)
}

// MaxInputs bounds the inputs of a model.
const MaxInputs = 64

func cloneShapes(s [][]int) [][]int {
	out := make([][]int, len(s))
	for i, x := range s {
		out[i] = slices.Clone(x)
	}
	return out
}

// sourceShape returns the shape of a source, without the batch axis (the
// layers it reads are built).
func (m *Model) sourceShape(s source) []int {
	switch {
	case s.Layer < 0:
		return slices.Clone(m.inShapes[s.Index])
	case s.Index < 0:
		return slices.Clone(m.shapes[s.Layer])
	}
	return []int{m.layers[s.Layer].(layers.StateLayer).Units()}
}

// checkSource checks that a source of layer i reads an input or an
// earlier layer that has it.
func (m *Model) checkSource(i int, s source) error {
	switch {
	case s.Layer < 0:
		if s.Index < 0 || s.Index >= len(m.inShapes) {
			return fmt.Errorf("%w: layer %d reads input %d of %d", ErrModel, i, s.Index, len(m.inShapes))
		}
	case s.Layer >= i:
		return fmt.Errorf("%w: layer %d reads layer %d, not an earlier one", ErrModel, i, s.Layer)
	case s.Index >= 0:
		sl, ok := m.layers[s.Layer].(layers.StateLayer)
		if !ok || s.Index >= sl.States() {
			return fmt.Errorf("%w: layer %d reads state %d of layer %d, which has no such state", ErrModel, i, s.Index, s.Layer)
		}
	case s.Index < -1:
		return fmt.Errorf("%w: layer %d reads output %d of layer %d", ErrModel, i, s.Index, s.Layer)
	}
	return nil
}

// buildWired builds layer i of a graph model for the shapes its sources
// have.
func (m *Model) buildWired(i int, rng *graph.RNG) ([]int, error) {
	if i >= len(m.wiring.Layers) {
		return nil, fmt.Errorf("%w: no wiring for layer %d", ErrModel, i)
	}
	w, l := m.wiring.Layers[i], m.layers[i]
	var in [][]int
	for _, s := range append(slices.Clone(w.Inputs), w.Initial...) {
		if err := m.checkSource(i, s); err != nil {
			return nil, err
		}
	}
	for _, s := range w.Inputs {
		in = append(in, m.sourceShape(s))
	}
	if len(w.Initial) > 0 {
		sl, ok := l.(layers.StateLayer)
		if !ok || len(w.Initial) != sl.States() {
			return nil, fmt.Errorf("%w: layer %s takes no %d initial states", ErrModel, l.Name(), len(w.Initial))
		}
		for _, s := range w.Initial {
			if sh := m.sourceShape(s); !slices.Equal(sh, []int{sl.Units()}) {
				return nil, fmt.Errorf("%w: an initial state of %s has shape %v, want [%d]", graph.ErrShape, l.Name(), sh, sl.Units())
			}
		}
	}
	if ml, ok := l.(layers.MergeLayer); ok {
		return ml.BuildMerge(m.dt, in, rng)
	}
	if len(in) != 1 {
		return nil, fmt.Errorf("%w: layer %s reads %d inputs (only merge layers read several)", ErrModel, l.Name(), len(in))
	}
	return l.Build(m.dt, in[0], rng)
}

// NumInputs returns the number of the model's inputs.
func (m *Model) NumInputs() int {
	if m == nil {
		return 0
	}
	return max(1, len(m.inShapes))
}

// InputShapes returns the shape of one sample of every input.
func (m *Model) InputShapes() [][]int {
	if m == nil {
		return nil
	}
	if len(m.inShapes) == 0 {
		return [][]int{slices.Clone(m.inShape)}
	}
	return cloneShapes(m.inShapes)
}

// NewInputs creates the model's inputs in b, one per input, in order:
// [batch, time, features] inputs are fed step by step.
func (m *Model) NewInputs(b *graph.Builder) []*graph.Node {
	if b == nil {
		return nil
	}
	if err := m.usable(); err != nil {
		b.Fail(err)
		return nil
	}
	shapes := m.InputShapes()
	out := make([]*graph.Node, len(shapes))
	for i, s := range shapes {
		name := "x"
		if i > 0 {
			name = fmt.Sprintf("x_%d", i)
		}
		shape := append([]int{b.Batch()}, s...)
		if len(s) == 2 {
			out[i] = b.SequenceInput(name, shape...)
		} else {
			out[i] = b.Input(name, shape...)
		}
	}
	return out
}

// ForwardInputs adds the model to b's graph and returns its output for
// the input nodes xs (one per input, in order).
func (m *Model) ForwardInputs(b *graph.Builder, xs []*graph.Node) *graph.Node {
	out, _, _ := m.forwardInputs(b, xs, nil, nil)
	return out
}

// forwardInputs is forwardAll for any model: its (first) output.
func (m *Model) forwardInputs(b *graph.Builder, xs []*graph.Node, initial [][]*graph.Node, noise *layers.Noise) (*graph.Node, *layers.Mask, [][]*graph.Node) {
	outs, masks, finals := m.forwardOutputs(b, xs, initial, noise)
	if outs == nil {
		return nil, nil, nil
	}
	return outs[0], masks[0], finals
}

// forwardOutputs adds the model to b's graph and returns every output
// (with its mask, nil unless it is a masked sequence) and the final states
// of its layers.
func (m *Model) forwardOutputs(b *graph.Builder, xs []*graph.Node, initial [][]*graph.Node, noise *layers.Noise) ([]*graph.Node, []*layers.Mask, [][]*graph.Node) {
	if b == nil {
		return nil, nil, nil
	}
	if err := m.usable(); err != nil {
		b.Fail(err)
		return nil, nil, nil
	}
	if len(xs) != m.NumInputs() {
		b.Fail(fmt.Errorf("%w: %s: %d input nodes for %d inputs", graph.ErrArgument, m.name, len(xs), m.NumInputs()))
		return nil, nil, nil
	}
	if m.wiring == nil {
		out, mask, finals := m.forwardAll(b, xs[0], initial, noise)
		if out == nil {
			return nil, nil, nil
		}
		return []*graph.Node{out}, []*layers.Mask{mask}, finals
	}
	n := len(m.layers)
	outs, masks, finals := make([]*graph.Node, n), make([]*layers.Mask, n), make([][]*graph.Node, n)
	value := func(s source) (*graph.Node, *layers.Mask) {
		switch {
		case s.Layer < 0:
			return xs[s.Index], nil
		case s.Index < 0:
			return outs[s.Layer], masks[s.Layer]
		}
		return finals[s.Layer][s.Index], nil
	}
	for i, l := range m.layers {
		w := m.wiring.Layers[i]
		var ins []*graph.Node
		var ms []*layers.Mask
		for _, s := range w.Inputs {
			x, mk := value(s)
			ins, ms = append(ins, x), append(ms, mk)
		}
		var init []*graph.Node
		for _, s := range w.Initial {
			x, _ := value(s)
			init = append(init, x)
		}
		if init == nil && initial != nil {
			init = initial[i]
		}
		if ml, ok := l.(layers.MergeLayer); ok {
			outs[i], masks[i] = ml.ForwardMerge(b, ins, ms)
		} else if tl, ok := l.(layers.TrainingLayer); ok && noise != nil {
			outs[i], masks[i], finals[i] = tl.ForwardTraining(b, ins[0], ms[0], init, noise)
		} else if sl, ok := l.(layers.StateLayer); ok {
			outs[i], masks[i], finals[i] = sl.ForwardStates(b, ins[0], ms[0], init)
		} else if init != nil {
			b.Fail(fmt.Errorf("%w: layer %s takes no initial states", ErrModel, l.Name()))
			return nil, nil, nil
		} else if ml, ok := l.(layers.MaskedLayer); ok {
			outs[i], masks[i] = ml.ForwardMasked(b, ins[0], ms[0])
		} else if ms[0] != nil {
			b.Fail(fmt.Errorf("%w: layer %d (%s, %s) does not support masking (it is not a layers.MaskedLayer) but receives the mask of the layers before it", ErrModel, i, l.Name(), l.ClassName()))
			return nil, nil, nil
		} else {
			outs[i] = l.Forward(b, ins[0])
		}
		if b.Err() != nil {
			return nil, nil, nil
		}
	}
	srcs := m.wiring.outputs()
	res, resMasks := make([]*graph.Node, len(srcs)), make([]*layers.Mask, len(srcs))
	for i, s := range srcs {
		out, mask := value(s)
		if out == nil {
			b.Fail(fmt.Errorf("%w: %s: output %d has no value", graph.ErrArgument, m.name, i))
			return nil, nil, nil
		}
		if len(out.Shape()) != 3 {
			mask = nil
		}
		res[i], resMasks[i] = out, mask
	}
	return res, resMasks, finals
}

// checkWiring checks a saved graph model's wiring before its layers are
// decoded: its inputs' shapes, one wire per layer, and sources that read
// inputs or earlier layers.
func (a architecture) checkWiring() error {
	w := a.Wiring
	if len(w.Inputs) == 0 || len(w.Inputs) > MaxInputs {
		return fmt.Errorf("%w: wiring of %d inputs (want 1 to %d)", ErrFormat, len(w.Inputs), MaxInputs)
	}
	for _, s := range w.Inputs {
		if err := checkInputShape(s); err != nil {
			return fmt.Errorf("%w: %w", ErrFormat, err)
		}
	}
	if !slices.Equal(w.Inputs[0], a.InputShape) {
		return fmt.Errorf("%w: input_shape %v is not the wiring's first input %v", ErrFormat, a.InputShape, w.Inputs[0])
	}
	if len(w.Layers) != len(a.Layers) {
		return fmt.Errorf("%w: wiring for %d layers, the model has %d", ErrFormat, len(w.Layers), len(a.Layers))
	}
	ok := func(i int, s source) bool {
		if s.Layer < 0 {
			return s.Layer == -1 && s.Index >= 0 && s.Index < len(w.Inputs)
		}
		return s.Layer < i && s.Index >= -1 && s.Index < maxStates
	}
	for i, l := range w.Layers {
		if len(l.Inputs) == 0 || len(l.Inputs) > MaxInputs || len(l.Initial) > maxStates {
			return fmt.Errorf("%w: layer %d reads %d inputs and %d states", ErrFormat, i, len(l.Inputs), len(l.Initial))
		}
		for _, s := range append(slices.Clone(l.Inputs), l.Initial...) {
			if !ok(i, s) {
				return fmt.Errorf("%w: layer %d reads %+v, not an input or an earlier layer", ErrFormat, i, s)
			}
		}
	}
	if len(w.Outputs) == 1 || len(w.Outputs) > MaxOutputs || len(w.Outputs) > 1 && w.Outputs[0] != w.Output {
		return fmt.Errorf("%w: wiring of %d outputs (want 2 to %d, the first the output)", ErrFormat, len(w.Outputs), MaxOutputs)
	}
	for _, out := range w.outputs() {
		if !ok(len(w.Layers), out) || out.Layer < 0 {
			return fmt.Errorf("%w: output %+v is not a layer's", ErrFormat, out)
		}
	}
	return nil
}

// maxStates bounds the states a saved wire may read.
const maxStates = 16

// wiredSpecs is weightSpecs for layer i of a saved graph model: the shapes
// of its sources come from the inputs and the earlier layers (ls, outs).
func (a architecture) wiredSpecs(i int, l layers.Layer, c layers.Config, dt graph.DType, ls []layers.Layer, outs [][]int) ([]layers.WeightSpec, []int, error) {
	w := a.Wiring.Layers[i]
	shape := func(s source) ([]int, error) {
		switch {
		case s.Layer < 0:
			return a.Wiring.Inputs[s.Index], nil
		case s.Index < 0:
			return outs[s.Layer], nil
		}
		sl, ok := ls[s.Layer].(layers.StateLayer)
		if !ok || s.Index >= sl.States() {
			return nil, fmt.Errorf("%w: reads state %d of layer %d, which has no such state", ErrFormat, s.Index, s.Layer)
		}
		return []int{sl.Units()}, nil
	}
	var in [][]int
	for _, s := range append(slices.Clone(w.Inputs), w.Initial...) {
		sh, err := shape(s)
		if err != nil {
			return nil, nil, err
		}
		in = append(in, sh)
	}
	in = in[:len(w.Inputs)]
	if ml, ok := l.(layers.MergeLayer); ok {
		_, out, err := ml.PlanMerge(in)
		return []layers.WeightSpec{}, out, err
	}
	if len(in) != 1 {
		return nil, nil, fmt.Errorf("%w: reads %d inputs (only merge layers read several)", ErrFormat, len(in))
	}
	return weightSpecs(l, c, dt, in[0])
}
