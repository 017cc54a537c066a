package layers

import (
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
)

// Noise hands out the dropout masks of one training graph. A mask is an
// input of the graph, fed before each training step with a fresh draw
// (Fill): 0 with probability rate, else 1/(1-rate) (inverted dropout, as
// Keras and PyTorch scale). Only training programs have one: prediction
// and evaluation graphs are built without noise, and drop nothing.
type Noise struct {
	inputs []NoiseInput
}

// NoiseInput is one dropout mask of a graph: its input node, shape (batch
// first) and rate.
type NoiseInput struct {
	Node  *graph.Node
	Shape []int
	Rate  float64
}

// NewNoise returns an empty Noise for one graph.
func NewNoise() *Noise { return &Noise{} }

// Inputs returns the masks made so far, in the order their input nodes
// were created.
func (n *Noise) Inputs() []NoiseInput {
	if n == nil {
		return nil
	}
	return slices.Clone(n.inputs)
}

// Mask returns a new dropout mask of the given rate and shape (batch
// first; a [batch, time, features] mask is fed step by step), an input of
// b's graph.
func (n *Noise) Mask(b *graph.Builder, name string, rate float64, shape ...int) *graph.Node {
	if n == nil || b == nil {
		if b != nil {
			b.Fail(fmt.Errorf("%w: dropout mask of a nil Noise", graph.ErrArgument))
		}
		return nil
	}
	if !(rate > 0 && rate < 1) {
		b.Fail(fmt.Errorf("%w: dropout rate %v outside (0, 1)", ErrConfig, rate))
		return nil
	}
	var x *graph.Node
	if len(shape) == 3 {
		x = b.SequenceInput(name, shape...)
	} else {
		x = b.Input(name, shape...)
	}
	if x != nil {
		n.inputs = append(n.inputs, NoiseInput{Node: x, Shape: slices.Clone(shape), Rate: rate})
	}
	return x
}

// Fill writes a draw of a mask of the given rate into dst (0 with
// probability rate, else 1/(1-rate)), from rng.
func Fill(dst []float64, rate float64, rng *graph.RNG) {
	keep := 1 / (1 - rate)
	for i := range dst {
		if rng.Float64() < rate {
			dst[i] = 0
		} else {
			dst[i] = keep
		}
	}
}

// A TrainingLayer computes something else in a training step than in
// prediction (dropout). Models call ForwardTraining in training programs,
// with the graph's Noise; the arguments and results are ForwardStates'
// (initial states and final states are nil for a layer without states).
type TrainingLayer interface {
	MaskedLayer
	ForwardTraining(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node)
}

// Dropout sets inputs to 0 with probability rate during training and
// scales the others by 1/(1-rate) (Keras' Dropout(rate), PyTorch's
// nn.Dropout(p)): an independent draw per element and per training step,
// from the trainer's seeded generator. Prediction and evaluation pass the
// input through unchanged. It has no weights and passes masks on.
type Dropout struct {
	base
	rate float64
}

var (
	_ TrainingLayer = (*Dropout)(nil)
	_ WeightPlanner = (*Dropout)(nil)
	_ TorchLayout   = (*Dropout)(nil)
)

const kindDropout = "dropout"

func init() {
	registerBuiltin(kindDropout, func(c Config) (Layer, error) {
		if len(c.Options) > 0 || c.Units != 0 || c.ReturnSequences || c.Activation != "" || c.UnitForgetBias != nil || c.GoBackwards || c.UseBias != nil || c.MergeMode != "" || c.Layer != nil || c.InputDim != 0 || c.OutputDim != 0 || c.MaskZero || c.MaskValue != nil || c.Dropout != 0 || c.RecurrentDropout != 0 {
			return nil, fmt.Errorf("%w: a dropout layer takes rate and name only", ErrConfig)
		}
		return NewDropout(c.Rate, &DropoutOptions{Name: c.Name})
	})
}

// NewDropout returns a Dropout layer of the given rate in [0, 1); the
// options may be nil.
func NewDropout(rate float64, opts *DropoutOptions) (*Dropout, error) {
	if err := checkRate("rate", rate); err != nil {
		return nil, fmt.Errorf("%s: %w", kindDropout, err)
	}
	l := &Dropout{rate: rate}
	if opts != nil {
		l.name = opts.Name
	}
	return l, nil
}

// checkRate checks a dropout rate: in [0, 1).
func checkRate(what string, r float64) error {
	if !(r >= 0 && r < 1) || math.IsNaN(r) {
		return fmt.Errorf("%w: %s %v outside [0, 1)", ErrConfig, what, r)
	}
	return nil
}

// Rate returns the dropout rate.
func (l *Dropout) Rate() float64 {
	if l == nil {
		return 0
	}
	return l.rate
}

// Kind returns "dropout".
func (l *Dropout) Kind() string { return kindDropout }

// ClassName returns "Dropout".
func (l *Dropout) ClassName() string { return "Dropout" }

// Config returns the layer's configuration.
func (l *Dropout) Config() Config {
	if l == nil {
		return Config{Kind: kindDropout}
	}
	return Config{Kind: kindDropout, Name: l.name, Rate: l.rate}
}

func (l *Dropout) baseOf() *base {
	if l == nil {
		return nil
	}
	return &l.base
}

// Name returns the layer's name.
func (l *Dropout) Name() string { return l.baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *Dropout) SetName(name string) error { return l.baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *Dropout) Built() bool { return l.baseOf().Built() }

// Params returns none.
func (l *Dropout) Params() []*graph.Param { return nil }

// Plan returns 0 weights and the input shape.
func (l *Dropout) Plan(in []int) (int, []int, error) {
	if l == nil {
		return 0, nil, fmt.Errorf("%w: nil dropout layer", ErrConfig)
	}
	if err := checkInput(l.name, in, 0); err != nil {
		return 0, nil, err
	}
	return 0, slices.Clone(in), nil
}

// WeightSpecs returns no weights and the input shape.
func (l *Dropout) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	_, out, err := l.Plan(in)
	if err != nil {
		return nil, nil, err
	}
	return []WeightSpec{}, out, nil
}

// Build checks the input shape.
func (l *Dropout) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	if err := l.baseOf().startBuild(dt, rng, kindDropout); err != nil {
		return nil, err
	}
	_, out, err := l.Plan(in)
	if err != nil {
		return nil, err
	}
	l.finishBuild(dt, in)
	return out, nil
}

// Forward returns x: prediction drops nothing.
func (l *Dropout) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	out, _ := l.ForwardMasked(b, x, nil)
	return out
}

// ForwardMasked returns x and its mask.
func (l *Dropout) ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	if b == nil {
		return nil, nil
	}
	if !l.Built() {
		b.Fail(fmt.Errorf("%w: %s", ErrNotBuilt, l.Name()))
		return nil, nil
	}
	return x, mask
}

// ForwardTraining multiplies x by a dropout mask of its shape.
func (l *Dropout) ForwardTraining(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node) {
	out, mask := l.ForwardMasked(b, x, mask)
	if out == nil || l.rate == 0 || noise == nil {
		return out, mask, nil
	}
	if initial != nil {
		b.Fail(fmt.Errorf("%w: %s has no states", ErrConfig, l.name))
		return nil, nil, nil
	}
	m := noise.Mask(b, l.name+"/mask", l.rate, x.Shape()...)
	return b.Mul(x, m), mask, nil
}

// Weights returns none.
func (l *Dropout) Weights() []Weight { return mergeWeights(l.Built()) }

// KerasLayout accepts no values.
func (l *Dropout) KerasLayout(values [][]float64) ([]Weight, error) {
	return []Weight{}, checkValues(l.baseOf(), values)
}

// SetWeights accepts no weights.
func (l *Dropout) SetWeights(ws []Weight) error {
	if !l.Built() {
		return fmt.Errorf("%w: %s", ErrNotBuilt, l.Name())
	}
	return checkWeights(l.name, ws, nil)
}

// ToTorch returns no parameters (nn.Dropout has none).
func (l *Dropout) ToTorch(ws []Weight) ([]Weight, error) { return noTorch(l.Name(), ws) }

// FromTorch accepts no parameters.
func (l *Dropout) FromTorch(ps []Weight) ([]Weight, error) { return noTorch(l.Name(), ps) }
