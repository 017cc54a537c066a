package models

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/graph/lru"
	"github.com/gornn/gornn/layers"
)

// Model is a built network: a chain of layers with their weights, ready to
// predict and to be trained. Predict may be called from many goroutines at
// once; changing the weights (training, SetWeights) must not overlap with
// anything else.
type Model struct {
	name     string
	dt       graph.DType
	seed     uint64
	inShape  []int
	layers   []layers.Layer
	shapes   [][]int // output shape of each layer, without batch
	sequence bool    // whether the input is a [time, features] sequence
	// inShapes are the shapes of every input (inShape is the first);
	// wiring, nil for a chain, says what each layer of a graph reads.
	inShapes [][]int
	wiring   *wiring
	// functional is set for models made with New: Summary lists their
	// InputLayer, as Keras does.
	functional bool

	predict *lru.Cache[int, *pooled] // forward-only programs by batch size
}

// Options are a model's settings, given to New, NewSequential, NewMulti
// and NewMultiOutput; nil, or a field left at its zero value, is the
// default. An invalid DType is an error wrapping ErrModel and
// graph.ErrConfig.
type Options struct {
	// Name is the model's name, shown by Summary; "": "sequential" for
	// NewSequential, "model" for the others.
	Name string
	// DType is the element type of the weights and graphs; the zero value
	// is graph.Float32, as in Keras.
	DType graph.DType
	// Seed seeds the weight initializers (0 is a seed like any other): the
	// same seed gives the same initial weights.
	Seed uint64
}

// New builds the model computing output from input, made with Input and
// Apply (Keras' Model(inputs, outputs)). Layers without a name are named
// after their type ("lstm", "lstm_1", ...) and every layer is built, in
// order, for the shape it receives.
func New(input, output *Symbol, opts *Options) (*Model, error) {
	ls, err := chain(input, output)
	if errors.Is(err, errNotChain) {
		return NewMulti([]*Symbol{input}, output, opts)
	}
	if err != nil {
		return nil, err
	}
	return build("model", true, [][]int{input.shape}, ls, nil, opts)
}

// NewSequential builds the chain of layers for samples of the given input
// shape, the shorthand of Keras' Sequential.
func NewSequential(inputShape []int, ls []layers.Layer, opts *Options) (*Model, error) {
	return newChain(false, inputShape, ls, opts)
}

// newChain builds the chain of layers ls on an input of the given shape,
// as New (functional) or NewSequential would.
func newChain(functional bool, inputShape []int, ls []layers.Layer, opts *Options) (*Model, error) {
	in := Input(inputShape...)
	if err := in.Err(); err != nil {
		return nil, err
	}
	t := in
	for _, l := range ls {
		t = Apply(l, t)
	}
	chained, err := chain(in, t)
	if err != nil {
		return nil, err
	}
	name := "sequential"
	if functional {
		name = "model"
	}
	return build(name, functional, [][]int{inputShape}, chained, nil, opts)
}

// build names and builds the layers of a model on inputs of the given
// shapes: a chain (g nil: layer i reads layer i-1, the first the one
// input) or the graph g.
func build(defaultName string, functional bool, inShapes [][]int, ls []layers.Layer, g *wiring, opts *Options) (*Model, error) {
	inShape := inShapes[0]
	var s Options
	if opts != nil {
		s = *opts
	}
	if s.Name == "" {
		s.Name = defaultName
	}
	if !s.DType.Valid() {
		return nil, fmt.Errorf("%w: %w: invalid dtype %v", ErrModel, graph.ErrConfig, s.DType)
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("%w: a model needs at least one layer", ErrModel)
	}
	m := &Model{name: s.Name, dt: s.DType, seed: s.Seed, inShape: slices.Clone(inShape), layers: ls, inShapes: cloneShapes(inShapes), wiring: g,
		sequence: len(inShape) == 2, functional: functional, predict: lru.New[int, *pooled](PredictCacheSize)}
	// Name the unnamed layers, Keras style, and reject duplicates.
	counts := map[string]int{}
	names := map[string]bool{}
	for _, l := range ls {
		if l.Built() {
			return nil, fmt.Errorf("%w: layer %s is already part of a model", ErrModel, l.Name())
		}
		if l.Name() != "" {
			names[l.Name()] = true
		}
	}
	for _, l := range ls {
		if l.Name() != "" {
			continue
		}
		for {
			n := l.Kind()
			if k := counts[l.Kind()]; k > 0 {
				n = fmt.Sprintf("%s_%d", l.Kind(), k)
			}
			counts[l.Kind()]++
			if !names[n] {
				names[n] = true
				if err := l.SetName(n); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	seen := map[string]bool{}
	for _, l := range ls {
		if seen[l.Name()] {
			return nil, fmt.Errorf("%w: two layers are named %q", ErrModel, l.Name())
		}
		seen[l.Name()] = true
	}
	if g == nil {
		if err := checkModelSize(m.inShape, ls); err != nil {
			return nil, err
		}
	}
	rng := graph.NewRNG(s.Seed)
	shape := m.inShape
	total := 0
	for i, l := range ls {
		var out []int
		var err error
		if g == nil {
			out, err = l.Build(s.DType, shape, rng.Split())
		} else {
			out, err = m.buildWired(i, rng.Split())
		}
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, l.Name(), err)
		}
		// A layer that is not a layers.Planner was not counted before
		// building: count what it made, and stop before the next layer.
		for _, p := range l.Params() {
			if total += p.Len(); total > layers.MaxWeights {
				return nil, fmt.Errorf("%w: %w: layer %d (%s): the model's weights exceed MaxWeights (%d)", ErrModel, layers.ErrConfig, i, l.Name(), layers.MaxWeights)
			}
		}
		m.shapes = append(m.shapes, out)
		shape = out
	}
	if g != nil {
		for i, out := range g.outputs() {
			if err := m.checkSource(len(ls), out); err != nil {
				return nil, fmt.Errorf("output %d: %w", i, err)
			}
			if out.Layer < 0 {
				return nil, fmt.Errorf("%w: output %d is an input", ErrModel, i)
			}
		}
	}
	return m, nil
}

// checkModelSize adds up, from shapes alone and before anything is built,
// the weights of the layers that are layers.Planners (every layer of this
// module), and refuses a model whose weights exceed layers.MaxWeights, or
// a layer that would refuse its input shape. It stops at the first layer
// that cannot tell its size (a custom layer), whose output shape is then
// unknown.
func checkModelSize(in []int, ls []layers.Layer) error {
	total := 0
	shape := in
	for i, l := range ls {
		p, ok := l.(layers.Planner)
		if !ok {
			return nil
		}
		n, out, err := p.Plan(shape)
		if err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, l.Name(), err)
		}
		// n ≤ MaxWeights and total ≤ MaxWeights: the sum cannot overflow.
		if n < 0 || n > layers.MaxWeights-total {
			return fmt.Errorf("%w: %w: layer %d (%s) takes the model's weights past MaxWeights (%d)", ErrModel, layers.ErrConfig, i, l.Name(), layers.MaxWeights)
		}
		total += n
		shape = out
	}
	return nil
}

// Name returns the model's name.
func (m *Model) Name() string {
	if m == nil {
		return ""
	}
	return m.name
}

// DType returns the model's element type.
func (m *Model) DType() graph.DType {
	if m == nil {
		return 0
	}
	return m.dt
}

// Seed returns the seed the weights were initialized with.
func (m *Model) Seed() uint64 {
	if m == nil {
		return 0
	}
	return m.seed
}

// InputShape returns the shape of one sample, without the batch axis.
func (m *Model) InputShape() []int {
	if m == nil {
		return nil
	}
	return slices.Clone(m.inShape)
}

// OutputShape returns the shape of one sample's output (of a model of
// several outputs, the first's: OutputShapes gives them all).
func (m *Model) OutputShape() []int {
	if m.usable() != nil {
		return nil
	}
	if m.wiring != nil {
		return m.sourceShape(m.wiring.Output)
	}
	return slices.Clone(m.shapes[len(m.shapes)-1])
}

// Layers returns the model's layers in order.
func (m *Model) Layers() []layers.Layer {
	if m == nil {
		return nil
	}
	return slices.Clone(m.layers)
}

// Params returns every trainable parameter, layer by layer, in a stable
// order.
func (m *Model) Params() []*graph.Param {
	if m == nil {
		return nil
	}
	var ps []*graph.Param
	for _, l := range m.layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// CountParams returns the number of trainable scalars.
func (m *Model) CountParams() int {
	n := 0
	for _, p := range m.Params() {
		n += p.Len()
	}
	return n
}
