package layers

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
)

// A MergeLayer joins several inputs into one (Keras' merge layers,
// Concatenate and Add). The functional API applies it to several symbols
// (models.ApplyMerge); its one-input Build and Forward are errors.
type MergeLayer interface {
	Layer
	// PlanMerge returns the number of weights and the output shape for
	// inputs of the given shapes (without the batch axis), or Build's
	// error.
	PlanMerge(in [][]int) (weights int, out []int, err error)
	// BuildMerge creates the weights (none for Concatenate and Add) for
	// inputs of the given shapes and returns the output shape.
	BuildMerge(dt graph.DType, in [][]int, rng *graph.RNG) ([]int, error)
	// ForwardMerge joins xs, whose masks (nil entries: none) give the
	// output's mask.
	ForwardMerge(b *graph.Builder, xs []*graph.Node, masks []*Mask) (*graph.Node, *Mask)
}

// merge is what Concatenate and Add share: a name, no weights, and the
// joint mask of the inputs.
type merge struct {
	base
	kind, class string
	concat      bool
}

// Concatenate joins its inputs along the last axis (Keras'
// Concatenate(axis=-1), torch.cat(dim=-1)): inputs [..., F_i] with the
// same leading axes give [..., ΣF_i]. A sequence's steps are joined step
// by step. Masks of the inputs are combined (a step is valid where it is
// valid in every masked input).
type Concatenate struct{ merge }

// Add sums its inputs, all of one shape (Keras' Add, the + of PyTorch).
// Masks combine as Concatenate's.
type Add struct{ merge }

var (
	_ MergeLayer    = (*Concatenate)(nil)
	_ MergeLayer    = (*Add)(nil)
	_ WeightPlanner = (*Concatenate)(nil)
	_ TorchLayout   = (*Concatenate)(nil)
	_ TorchLayout   = (*Add)(nil)
)

const (
	kindConcatenate = "concatenate"
	kindAdd         = "add"
)

func init() {
	for _, k := range []string{kindConcatenate, kindAdd} {
		registerBuiltin(k, func(c Config) (Layer, error) {
			if len(c.Options) > 0 || c.Units != 0 || c.ReturnSequences || c.Activation != "" || c.UnitForgetBias != nil || c.GoBackwards || c.UseBias != nil || c.MergeMode != "" || c.Layer != nil || c.InputDim != 0 || c.OutputDim != 0 || c.MaskZero || c.MaskValue != nil {
				return nil, fmt.Errorf("%w: a %s layer takes a name only", ErrConfig, c.Kind)
			}
			if c.Kind == kindAdd {
				return NewAdd(&AddOptions{Name: c.Name})
			}
			return NewConcatenate(&ConcatenateOptions{Name: c.Name})
		})
	}
}

// NewConcatenate returns a Concatenate layer; the options may be nil.
func NewConcatenate(opts *ConcatenateOptions) (*Concatenate, error) {
	var name string
	if opts != nil {
		name = opts.Name
	}
	return &Concatenate{merge{base: base{name: name}, kind: kindConcatenate, class: "Concatenate", concat: true}}, nil
}

// NewAdd returns an Add layer; the options may be nil.
func NewAdd(opts *AddOptions) (*Add, error) {
	var name string
	if opts != nil {
		name = opts.Name
	}
	return &Add{merge{base: base{name: name}, kind: kindAdd, class: "Add"}}, nil
}

func (l *Concatenate) m() *merge {
	if l == nil {
		return nil
	}
	return &l.merge
}

func (l *Add) m() *merge {
	if l == nil {
		return nil
	}
	return &l.merge
}

func (l *merge) baseOf() *base {
	if l == nil {
		return nil
	}
	return &l.base
}

func (l *merge) plan(in [][]int) (int, []int, error) {
	if l == nil || l.kind == "" {
		return 0, nil, fmt.Errorf("%w: merge layer not made by its constructor", ErrConfig)
	}
	if len(in) < 2 {
		return 0, nil, fmt.Errorf("%w: %s %s joins at least 2 inputs, got %d", ErrConfig, l.kind, l.name, len(in))
	}
	for _, s := range in {
		if err := checkInput(l.name, s, 0); err != nil {
			return 0, nil, err
		}
	}
	first := in[0]
	if !l.concat {
		for _, s := range in[1:] {
			if !slices.Equal(s, first) {
				return 0, nil, fmt.Errorf("%w: %s adds inputs of shapes %v and %v", graph.ErrShape, l.name, first, s)
			}
		}
		return 0, slices.Clone(first), nil
	}
	out := slices.Clone(first)
	for _, s := range in[1:] {
		if len(s) != len(first) || !slices.Equal(s[:len(s)-1], first[:len(first)-1]) {
			return 0, nil, fmt.Errorf("%w: %s joins inputs of shapes %v and %v (all axes but the last must agree)", graph.ErrShape, l.name, first, s)
		}
		out[len(out)-1] += s[len(s)-1]
	}
	if err := CheckSampleShape(out); err != nil {
		return 0, nil, err
	}
	return 0, out, nil
}

func (l *merge) build(dt graph.DType, in [][]int, rng *graph.RNG) ([]int, error) {
	if err := l.baseOf().startBuild(dt, rng, l.kindOr()); err != nil {
		return nil, err
	}
	_, out, err := l.plan(in)
	if err != nil {
		return nil, err
	}
	l.finishBuild(dt, out)
	return out, nil
}

func (l *merge) kindOr() string {
	if l == nil || l.kind == "" {
		return "merge"
	}
	return l.kind
}

func (l *merge) forward(b *graph.Builder, xs []*graph.Node, masks []*Mask) (*graph.Node, *Mask) {
	if b == nil {
		return nil, nil
	}
	if !l.baseOf().Built() {
		b.Fail(fmt.Errorf("%w: %s", ErrNotBuilt, l.baseOf().Name()))
		return nil, nil
	}
	if len(xs) < 2 {
		b.Fail(fmt.Errorf("%w: %s joins at least 2 inputs, got %d", ErrConfig, l.name, len(xs)))
		return nil, nil
	}
	var out *graph.Node
	switch {
	case !l.concat:
		out = xs[0]
		for _, x := range xs[1:] {
			out = b.Add(out, x)
		}
	case len(xs[0].Shape()) == 3:
		// Step by step, so that sequences kept as steps stay so.
		steps := make([][]*graph.Node, len(xs))
		for i, x := range xs {
			steps[i] = b.Steps(x)
		}
		if b.Err() != nil {
			return nil, nil
		}
		joined := make([]*graph.Node, len(steps[0]))
		for t := range joined {
			parts := make([]*graph.Node, len(xs))
			for i := range xs {
				if t >= len(steps[i]) {
					b.Fail(fmt.Errorf("%w: %s joins sequences of different lengths", graph.ErrShape, l.name))
					return nil, nil
				}
				parts[i] = steps[i][t]
			}
			joined[t] = b.Concat(1, parts...)
		}
		out = b.Stack(joined)
	default:
		out = b.Concat(len(xs[0].Shape())-1, xs...)
	}
	if b.Err() != nil {
		return nil, nil
	}
	if out == nil || len(out.Shape()) != 3 {
		return out, nil
	}
	return out, joinMasks(b, masks)
}

// joinMasks returns the product of the masks given (nil if none): a step
// is valid where every masked input is valid.
func joinMasks(b *graph.Builder, masks []*Mask) *Mask {
	var out *Mask
	for _, m := range masks {
		switch {
		case m == nil:
		case out == nil:
			out = m
		case m != out:
			if m.Len() != out.Len() {
				b.Fail(fmt.Errorf("%w: masks of %d and %d steps", graph.ErrShape, m.Len(), out.Len()))
				return nil
			}
			steps := make([]*graph.Node, m.Len())
			for t := range steps {
				steps[t] = b.Mul(out.steps[t], m.steps[t])
			}
			out = NewMask(steps)
		}
	}
	return out
}

// Kind returns "concatenate".
func (l *Concatenate) Kind() string { return kindConcatenate }

// ClassName returns "Concatenate".
func (l *Concatenate) ClassName() string { return "Concatenate" }

// Kind returns "add".
func (l *Add) Kind() string { return kindAdd }

// ClassName returns "Add".
func (l *Add) ClassName() string { return "Add" }

// Config returns the layer's configuration.
func (l *Concatenate) Config() Config { return Config{Kind: kindConcatenate, Name: l.Name()} }

// Config returns the layer's configuration.
func (l *Add) Config() Config { return Config{Kind: kindAdd, Name: l.Name()} }

// Name returns the layer's name.
func (l *Concatenate) Name() string { return l.m().baseOf().Name() }

// Name returns the layer's name.
func (l *Add) Name() string { return l.m().baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *Concatenate) SetName(name string) error { return l.m().baseOf().SetName(name) }

// SetName names the layer; it fails once the layer is built.
func (l *Add) SetName(name string) error { return l.m().baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *Concatenate) Built() bool { return l.m().baseOf().Built() }

// Built reports whether Build succeeded.
func (l *Add) Built() bool { return l.m().baseOf().Built() }

// Params returns none.
func (l *Concatenate) Params() []*graph.Param { return nil }

// Params returns none.
func (l *Add) Params() []*graph.Param { return nil }

// PlanMerge returns 0 weights and the joined shape.
func (l *Concatenate) PlanMerge(in [][]int) (int, []int, error) { return l.m().plan(in) }

// PlanMerge returns 0 weights and the common shape.
func (l *Add) PlanMerge(in [][]int) (int, []int, error) { return l.m().plan(in) }

// Plan is an error: a merge layer has several inputs (PlanMerge).
func (l *Concatenate) Plan(in []int) (int, []int, error) { return l.m().plan([][]int{in}) }

// Plan is an error: a merge layer has several inputs (PlanMerge).
func (l *Add) Plan(in []int) (int, []int, error) { return l.m().plan([][]int{in}) }

// WeightSpecs is an error: a merge layer has several inputs.
func (l *Concatenate) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	_, _, err := l.Plan(in)
	return nil, nil, err
}

// BuildMerge builds the layer for inputs of the given shapes.
func (l *Concatenate) BuildMerge(dt graph.DType, in [][]int, rng *graph.RNG) ([]int, error) {
	return l.m().build(dt, in, rng)
}

// BuildMerge builds the layer for inputs of the given shapes.
func (l *Add) BuildMerge(dt graph.DType, in [][]int, rng *graph.RNG) ([]int, error) {
	return l.m().build(dt, in, rng)
}

// Build is an error: a merge layer has several inputs (BuildMerge).
func (l *Concatenate) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	return l.m().build(dt, [][]int{in}, rng)
}

// Build is an error: a merge layer has several inputs (BuildMerge).
func (l *Add) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	return l.m().build(dt, [][]int{in}, rng)
}

// ForwardMerge joins xs along the last axis.
func (l *Concatenate) ForwardMerge(b *graph.Builder, xs []*graph.Node, masks []*Mask) (*graph.Node, *Mask) {
	return l.m().forward(b, xs, masks)
}

// ForwardMerge sums xs.
func (l *Add) ForwardMerge(b *graph.Builder, xs []*graph.Node, masks []*Mask) (*graph.Node, *Mask) {
	return l.m().forward(b, xs, masks)
}

// Forward is an error: a merge layer has several inputs.
func (l *Concatenate) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	out, _ := l.ForwardMerge(b, []*graph.Node{x}, nil)
	return out
}

// Forward is an error: a merge layer has several inputs.
func (l *Add) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	out, _ := l.ForwardMerge(b, []*graph.Node{x}, nil)
	return out
}

// Weights returns none.
func (l *Concatenate) Weights() []Weight { return mergeWeights(l.Built()) }

// Weights returns none.
func (l *Add) Weights() []Weight { return mergeWeights(l.Built()) }

func mergeWeights(built bool) []Weight {
	if !built {
		return nil
	}
	return []Weight{}
}

// KerasLayout accepts no values.
func (l *Concatenate) KerasLayout(values [][]float64) ([]Weight, error) {
	return []Weight{}, checkValues(l.m().baseOf(), values)
}

// KerasLayout accepts no values.
func (l *Add) KerasLayout(values [][]float64) ([]Weight, error) {
	return []Weight{}, checkValues(l.m().baseOf(), values)
}

// SetWeights accepts no weights.
func (l *Concatenate) SetWeights(ws []Weight) error { return l.m().setNone(ws) }

// SetWeights accepts no weights.
func (l *Add) SetWeights(ws []Weight) error { return l.m().setNone(ws) }

func (l *merge) setNone(ws []Weight) error {
	if !l.baseOf().Built() {
		return fmt.Errorf("%w: %s", ErrNotBuilt, l.baseOf().Name())
	}
	return checkWeights(l.name, ws, nil)
}

// ToTorch returns no parameters (torch.cat has none).
func (l *Concatenate) ToTorch(ws []Weight) ([]Weight, error) { return noTorch(l.Name(), ws) }

// FromTorch accepts no parameters.
func (l *Concatenate) FromTorch(ps []Weight) ([]Weight, error) { return noTorch(l.Name(), ps) }

// ToTorch returns no parameters.
func (l *Add) ToTorch(ws []Weight) ([]Weight, error) { return noTorch(l.Name(), ws) }

// FromTorch accepts no parameters.
func (l *Add) FromTorch(ps []Weight) ([]Weight, error) { return noTorch(l.Name(), ps) }

func noTorch(name string, ws []Weight) ([]Weight, error) {
	if len(ws) != 0 {
		return nil, fmt.Errorf("%w: %s has no weights", graph.ErrShape, name)
	}
	return []Weight{}, nil
}
