package layers

import (
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
)

// SequenceLengths gives a sequence the mask of per-sample lengths: applied
// to a sequence [batch, T, F] and its lengths [batch, 1] (whole numbers in
// [1, T], the number of valid leading steps of each sample), it returns the
// sequence unchanged with the mask of steps t < L (Keras' mask= argument
// of a layer call, PyTorch's pack_padded_sequence(x, lengths)). The
// recurrent layers after it skip the padded steps and the loss of a
// sequence output leaves them out, as after a Masking layer, whatever the
// padding holds. It is a MergeLayer: in a functional model,
// models.ApplyMerge(lengths, x, l) with l an Input(1).
//
// The mask is computed in the graph as relu(L - t) - relu(L - t - 1),
// exactly 1 or 0 for whole-number lengths, which the models check before
// any step.
type SequenceLengths struct{ merge }

var (
	_ MergeLayer    = (*SequenceLengths)(nil)
	_ InputsChecker = (*SequenceLengths)(nil)
)

// An InputsChecker is a merge layer that checks the data of the model
// inputs it reads directly: k is the position among its inputs.
type InputsChecker interface {
	CheckInputAt(k int, x *graph.Tensor) error
}

const kindSequenceLengths = "sequence_lengths"

func init() {
	registerBuiltin(kindSequenceLengths, func(c Config) (Layer, error) {
		if len(c.Options) > 0 || c.Units != 0 || c.ReturnSequences || c.Activation != "" || c.UnitForgetBias != nil || c.GoBackwards || c.UseBias != nil || c.MergeMode != "" || c.Layer != nil || c.InputDim != 0 || c.OutputDim != 0 || c.MaskZero || c.MaskValue != nil {
			return nil, fmt.Errorf("%w: a %s layer takes a name only", ErrConfig, c.Kind)
		}
		return NewSequenceLengths(&SequenceLengthsOptions{Name: c.Name})
	})
}

// NewSequenceLengths returns a SequenceLengths layer; the options may be
// nil.
func NewSequenceLengths(opts *SequenceLengthsOptions) (*SequenceLengths, error) {
	var name string
	if opts != nil {
		name = opts.Name
	}
	return &SequenceLengths{merge{base: base{name: name}, kind: kindSequenceLengths, class: "SequenceLengths"}}, nil
}

func (l *SequenceLengths) m() *merge {
	if l == nil {
		return nil
	}
	return &l.merge
}

// Kind returns "sequence_lengths".
func (l *SequenceLengths) Kind() string { return kindSequenceLengths }

// ClassName returns "SequenceLengths".
func (l *SequenceLengths) ClassName() string { return "SequenceLengths" }

// Config returns the layer's configuration.
func (l *SequenceLengths) Config() Config { return Config{Kind: kindSequenceLengths, Name: l.Name()} }

// Name returns the layer's name.
func (l *SequenceLengths) Name() string { return l.m().baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *SequenceLengths) SetName(name string) error { return l.m().baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *SequenceLengths) Built() bool { return l.m().baseOf().Built() }

// Params returns none.
func (l *SequenceLengths) Params() []*graph.Param { return nil }

// PlanMerge checks the inputs, a sequence [T, F] and lengths [1], and
// returns the sequence's shape.
func (l *SequenceLengths) PlanMerge(in [][]int) (int, []int, error) {
	if l == nil {
		return 0, nil, fmt.Errorf("%w: nil %s layer", ErrConfig, kindSequenceLengths)
	}
	if len(in) != 2 || len(in[0]) != 2 || !slices.Equal(in[1], []int{1}) {
		return 0, nil, fmt.Errorf("%w: %s reads a sequence [time, features] and its lengths [1], got %v", graph.ErrShape, l.Name(), in)
	}
	if err := CheckSampleShape(in[0]); err != nil {
		return 0, nil, err
	}
	return 0, slices.Clone(in[0]), nil
}

// BuildMerge checks the inputs.
func (l *SequenceLengths) BuildMerge(dt graph.DType, in [][]int, rng *graph.RNG) ([]int, error) {
	if err := l.m().baseOf().startBuild(dt, rng, kindSequenceLengths); err != nil {
		return nil, err
	}
	out, err := l.planOut(in)
	if err != nil {
		return nil, err
	}
	l.finishBuild(dt, in[0])
	return out, nil
}

func (l *SequenceLengths) planOut(in [][]int) ([]int, error) {
	_, out, err := l.PlanMerge(in)
	return out, err
}

// Build is an error: the layer reads a sequence and its lengths.
func (l *SequenceLengths) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	return l.BuildMerge(dt, [][]int{in}, rng)
}

// Plan is an error: the layer reads a sequence and its lengths.
func (l *SequenceLengths) Plan(in []int) (int, []int, error) { return l.PlanMerge([][]int{in}) }

// ForwardMerge returns xs[0] with the mask of the lengths xs[1] (joined
// with xs[0]'s own mask, if any).
func (l *SequenceLengths) ForwardMerge(b *graph.Builder, xs []*graph.Node, masks []*Mask) (*graph.Node, *Mask) {
	if b == nil {
		return nil, nil
	}
	if !l.Built() {
		b.Fail(fmt.Errorf("%w: %s", ErrNotBuilt, l.Name()))
		return nil, nil
	}
	if len(xs) != 2 || len(masks) > 2 {
		b.Fail(fmt.Errorf("%w: %s reads a sequence and its lengths, got %d inputs", ErrConfig, l.name, len(xs)))
		return nil, nil
	}
	steps := make([]*graph.Node, l.in[0])
	for t := range steps {
		d := b.AddScalar(xs[1], -float64(t))
		steps[t] = b.Sub(b.ReLU(d), b.ReLU(b.AddScalar(d, -1)))
	}
	if b.Err() != nil {
		return nil, nil
	}
	var own *Mask
	if len(masks) > 0 {
		own = masks[0]
	}
	return xs[0], joinMasks(b, []*Mask{own, NewMask(steps)})
}

// Forward is an error: the layer reads a sequence and its lengths.
func (l *SequenceLengths) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	out, _ := l.ForwardMerge(b, []*graph.Node{x}, nil)
	return out
}

// CheckInputAt checks the lengths (input 1): whole numbers in [1, T].
func (l *SequenceLengths) CheckInputAt(k int, x *graph.Tensor) error {
	if k != 1 || !l.Built() {
		return nil
	}
	v := graph.Float64sView(x)
	for i := range x.Len() {
		if L := v.At(i); L != math.Trunc(L) || L < 1 || L > float64(l.in[0]) {
			return fmt.Errorf("%w: %s: sample %d: length %v is not a whole number in [1, %d]", graph.ErrArgument, l.name, i, L, l.in[0])
		}
	}
	return nil
}

// Weights returns none.
func (l *SequenceLengths) Weights() []Weight { return mergeWeights(l.Built()) }

// KerasLayout accepts no values.
func (l *SequenceLengths) KerasLayout(values [][]float64) ([]Weight, error) {
	return []Weight{}, checkValues(l.m().baseOf(), values)
}

// SetWeights accepts no weights.
func (l *SequenceLengths) SetWeights(ws []Weight) error { return l.m().setNone(ws) }

// ToTorch returns no parameters.
func (l *SequenceLengths) ToTorch(ws []Weight) ([]Weight, error) { return noTorch(l.Name(), ws) }

// FromTorch accepts no parameters.
func (l *SequenceLengths) FromTorch(ps []Weight) ([]Weight, error) { return noTorch(l.Name(), ps) }
