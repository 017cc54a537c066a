package layers

import (
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
)

// Masking masks the steps of a sequence [batch, T, F] whose every feature
// equals the mask value (Keras' Masking(mask_value), default 0): the
// recurrent layers after it skip those steps (carrying their states over
// them and outputting 0 there), and the loss of a model whose output is a
// sequence leaves them out. This is how per-sample lengths are given:
// pad each sequence after its last valid step with the mask value. It
// outputs its input times the mask (masked steps become 0) and has no
// weights.
type Masking struct {
	base
	value float64
}

var (
	_ Layer         = (*Masking)(nil)
	_ WeightPlanner = (*Masking)(nil)
	_ MaskedLayer   = (*Masking)(nil)
	_ TorchLayout   = (*Masking)(nil)
)

const kindMasking = "masking"

func init() {
	registerBuiltin(kindMasking, func(c Config) (Layer, error) {
		if len(c.Options) > 0 || c.Units != 0 || c.ReturnSequences || c.Activation != "" || c.UnitForgetBias != nil || c.GoBackwards || c.UseBias != nil || c.MergeMode != "" || c.Layer != nil || c.InputDim != 0 || c.OutputDim != 0 || c.MaskZero {
			return nil, fmt.Errorf("%w: a masking layer takes mask_value and name only", ErrConfig)
		}
		v := 0.0
		if c.MaskValue != nil {
			v = *c.MaskValue
		}
		return NewMasking(v, &MaskingOptions{Name: c.Name})
	})
}

// NewMasking returns a Masking layer for the given (finite) mask value.
// The options may be nil.
func NewMasking(value float64, opts *MaskingOptions) (*Masking, error) {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return nil, fmt.Errorf("%w: %s: mask value %v is not finite", ErrConfig, kindMasking, value)
	}
	l := &Masking{value: value}
	if opts != nil {
		l.name = opts.Name
	}
	return l, nil
}

// MaskValue returns the mask value.
func (l *Masking) MaskValue() float64 {
	if l == nil {
		return 0
	}
	return l.value
}

// Kind returns "masking".
func (l *Masking) Kind() string { return kindMasking }

// ClassName returns "Masking".
func (l *Masking) ClassName() string { return "Masking" }

// Config returns the layer's configuration.
func (l *Masking) Config() Config {
	if l == nil {
		return Config{Kind: kindMasking}
	}
	v := l.value
	return Config{Kind: kindMasking, Name: l.name, MaskValue: &v}
}

func (l *Masking) baseOf() *base {
	if l == nil {
		return nil
	}
	return &l.base
}

// Name returns the layer's name.
func (l *Masking) Name() string { return l.baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *Masking) SetName(name string) error { return l.baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *Masking) Built() bool { return l.baseOf().Built() }

// Params returns none.
func (l *Masking) Params() []*graph.Param { return nil }

// Plan returns 0 weights and the input shape, for sequences [T, F].
func (l *Masking) Plan(in []int) (int, []int, error) {
	if l == nil {
		return 0, nil, fmt.Errorf("%w: nil masking layer", ErrConfig)
	}
	if err := checkInput(l.name, in, 2); err != nil {
		return 0, nil, err
	}
	return 0, slices.Clone(in), nil
}

// WeightSpecs returns no weights and the input shape.
func (l *Masking) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	_, out, err := l.Plan(in)
	if err != nil {
		return nil, nil, err
	}
	return []WeightSpec{}, out, nil
}

// Build checks the input shape [T, F].
func (l *Masking) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	if err := l.baseOf().startBuild(dt, rng, kindMasking); err != nil {
		return nil, err
	}
	_, out, err := l.Plan(in)
	if err != nil {
		return nil, err
	}
	l.finishBuild(dt, in)
	return out, nil
}

// Forward returns x with its masked steps set to 0.
func (l *Masking) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	out, _ := l.ForwardMasked(b, x, nil)
	return out
}

// ForwardMasked masks the steps of x whose features all equal the mask
// value (and those an incoming mask masks).
func (l *Masking) ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	if b == nil {
		return nil, nil
	}
	if !l.Built() {
		b.Fail(fmt.Errorf("%w: %s", ErrNotBuilt, l.Name()))
		return nil, nil
	}
	if s := x.Shape(); len(s) != 3 || s[1] != l.in[0] || s[2] != l.in[1] {
		b.Fail(fmt.Errorf("%w: %s built for [batch %v] got %v", graph.ErrShape, l.name, l.in, s))
		return nil, nil
	}
	xs := b.Steps(x)
	ms := make([]*graph.Node, len(xs))
	outs := make([]*graph.Node, len(xs))
	for t, xt := range xs {
		ms[t] = b.AnyNotEqual(xt, l.value)
		if mask != nil && t < mask.Len() {
			ms[t] = b.Mul(ms[t], mask.steps[t])
		}
		outs[t] = b.Mul(xt, b.SpreadLast(ms[t], l.in[1]))
	}
	if b.Err() != nil {
		return nil, nil
	}
	return b.Stack(outs), NewMask(ms)
}

// Weights returns none.
func (l *Masking) Weights() []Weight {
	if !l.Built() {
		return nil
	}
	return []Weight{}
}

// KerasLayout accepts no values.
func (l *Masking) KerasLayout(values [][]float64) ([]Weight, error) {
	if err := checkValues(l.baseOf(), values); err != nil {
		return nil, err
	}
	return []Weight{}, nil
}

// SetWeights accepts no weights.
func (l *Masking) SetWeights(ws []Weight) error {
	if !l.Built() {
		return fmt.Errorf("%w: %s", ErrNotBuilt, l.Name())
	}
	return checkWeights(l.name, ws, nil)
}

// ToTorch returns no parameters (PyTorch has no masking module: its
// counterpart is pack_padded_sequence, which takes the lengths).
func (l *Masking) ToTorch(ws []Weight) ([]Weight, error) {
	if len(ws) != 0 {
		return nil, fmt.Errorf("%w: %s has no weights", graph.ErrShape, l.Name())
	}
	return []Weight{}, nil
}

// FromTorch accepts no parameters.
func (l *Masking) FromTorch(ps []Weight) ([]Weight, error) { return l.ToTorch(ps) }
