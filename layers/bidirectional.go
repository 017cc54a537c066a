package layers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gornn/gornn/graph"
)

// MergeMode says how Bidirectional joins its two directions' outputs.
type MergeMode string

// The merge modes of Keras' Bidirectional.
const (
	MergeConcat MergeMode = "concat" // [forward, backward] on the last axis (the default)
	MergeSum    MergeMode = "sum"    // forward + backward
	MergeMul    MergeMode = "mul"    // forward * backward
	MergeAve    MergeMode = "ave"    // (forward + backward) / 2
)

func (m MergeMode) valid() bool {
	switch m {
	case MergeConcat, MergeSum, MergeMul, MergeAve:
		return true
	}
	return false
}

// Bidirectional runs a recurrent layer over the sequence in both
// directions, as Keras' Bidirectional(layer, merge_mode) and PyTorch's
// bidirectional=True: a forward copy visits the steps first to last, a
// backward copy (same settings, its own weights) last to first, and their
// outputs are merged. With return_sequences the output at step t merges
// the forward output at t with the backward one at t (re-reversed, so both
// are aligned with the input), and the mask is passed on; otherwise it
// merges the forward state after the last valid step with the backward
// state after step 0. A masked (padded) step is skipped by both
// directions, so the backward direction starts at each sample's last
// valid step.
//
// Its states are the forward layer's then the backward layer's (h, h for
// GRU and SimpleRNN; h, c, h, c for LSTM), as Keras passes them in
// initial_state and returns them with return_state: the initial states
// start each direction, and the final states are the forward states after
// the last valid step and the backward ones after step 0.
//
// Weights are the forward layer's then the backward layer's, named
// "forward/kernel", ..., "backward/kernel", ... (Keras' get_weights order);
// the parameters are named "<name>/forward_<kind>/kernel" and so on.
type Bidirectional struct {
	base
	mode     MergeMode
	fwd, bwd recurrentLayer
}

// recurrentLayer is a built-in or RNN layer: one with the recurrent core.
type recurrentLayer interface {
	Layer
	core() *recurrent
}

var (
	_ Layer         = (*Bidirectional)(nil)
	_ WeightPlanner = (*Bidirectional)(nil)
	_ TrainingLayer = (*Bidirectional)(nil)
	_ StateLayer    = (*Bidirectional)(nil)
)

const kindBidirectional = "bidirectional"

func init() {
	registerBuiltin(kindBidirectional, func(c Config) (Layer, error) {
		if len(c.Options) > 0 || c.Units != 0 || c.ReturnSequences || c.Activation != "" || c.UnitForgetBias != nil || c.GoBackwards || c.UseBias != nil || c.InputDim != 0 || c.OutputDim != 0 || c.MaskZero || c.MaskValue != nil {
			return nil, fmt.Errorf("%w: a bidirectional layer takes merge_mode, layer and name only", ErrConfig)
		}
		if c.Layer == nil {
			return nil, fmt.Errorf("%w: a bidirectional layer needs its layer", ErrConfig)
		}
		inner, err := FromConfig(*c.Layer)
		if err != nil {
			return nil, err
		}
		mode := MergeMode(c.MergeMode)
		if mode == "" {
			mode = MergeConcat
		}
		return NewBidirectional(inner, mode, &BidirectionalOptions{Name: c.Name})
	})
}

// NewBidirectional wraps layer, an unnamed and unbuilt SimpleRNN, LSTM,
// GRU or RNN whose go_backwards is false, in both directions; mode is one
// of MergeConcat, MergeSum, MergeMul, MergeAve ("" means MergeConcat).
// The options may be nil (no name: the model names it). The layer itself
// becomes the forward direction.
func NewBidirectional(layer Layer, mode MergeMode, opts *BidirectionalOptions) (*Bidirectional, error) {
	if mode == "" {
		mode = MergeConcat
	}
	if !mode.valid() {
		return nil, fmt.Errorf("%w: %s: unknown merge mode %q (concat, sum, mul or ave)", ErrConfig, kindBidirectional, mode)
	}
	fwd, ok := layer.(recurrentLayer)
	if !ok || isNil(layer) || fwd.core() == nil || fwd.core().gates == 0 {
		return nil, fmt.Errorf("%w: %s wraps a SimpleRNN, LSTM, GRU or RNN made by its constructor, not %T", ErrConfig, kindBidirectional, layer)
	}
	if fwd.Built() || fwd.Name() != "" {
		return nil, fmt.Errorf("%w: %s: the wrapped layer must be unnamed and unbuilt (it is named after the wrapper)", ErrConfig, kindBidirectional)
	}
	if fwd.core().goBackwards {
		return nil, fmt.Errorf("%w: %s: the wrapped layer must not go backwards", ErrConfig, kindBidirectional)
	}
	bwd, err := reverseCopy(fwd)
	if err != nil {
		return nil, err
	}
	var name string
	if opts != nil {
		name = opts.Name
	}
	return &Bidirectional{base: base{name: name}, mode: mode, fwd: fwd, bwd: bwd}, nil
}

// isNil reports a nil interface or a typed nil pointer.
func isNil(l Layer) bool {
	if l == nil {
		return true
	}
	switch v := l.(type) {
	case *SimpleRNN:
		return v == nil
	case *LSTM:
		return v == nil
	case *GRU:
		return v == nil
	case *RNN:
		return v == nil
	}
	return false
}

// reverseCopy returns an unbuilt copy of l that goes backwards.
func reverseCopy(l recurrentLayer) (recurrentLayer, error) {
	var out recurrentLayer
	switch v := l.(type) {
	case *SimpleRNN:
		c := *v
		out = &c
	case *LSTM:
		c := *v
		out = &c
	case *GRU:
		c := *v
		out = &c
	case *RNN:
		c := *v
		out = &c
	default:
		return nil, fmt.Errorf("%w: %s cannot wrap %T", ErrConfig, kindBidirectional, l)
	}
	out.core().goBackwards = true
	return out, nil
}

// Layer returns the forward layer.
func (l *Bidirectional) Layer() Layer {
	if l == nil {
		return nil
	}
	return l.fwd
}

// BackwardLayer returns the backward layer.
func (l *Bidirectional) BackwardLayer() Layer {
	if l == nil {
		return nil
	}
	return l.bwd
}

// MergeMode returns the merge mode.
func (l *Bidirectional) MergeMode() MergeMode {
	if l == nil {
		return MergeConcat
	}
	return l.mode
}

// Kind returns "bidirectional".
func (l *Bidirectional) Kind() string { return kindBidirectional }

// ClassName returns "Bidirectional".
func (l *Bidirectional) ClassName() string { return "Bidirectional" }

// Config returns the layer's configuration: merge mode and the wrapped
// layer's Config (unnamed).
func (l *Bidirectional) Config() Config {
	if l == nil || l.fwd == nil {
		return Config{Kind: kindBidirectional}
	}
	inner := l.fwd.Config()
	inner.Name = ""
	return Config{Kind: kindBidirectional, Name: l.name, MergeMode: string(l.mode), Layer: &inner}
}

func (l *Bidirectional) baseOf() *base {
	if l == nil {
		return nil
	}
	return &l.base
}

// Name returns the layer's name.
func (l *Bidirectional) Name() string { return l.baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *Bidirectional) SetName(name string) error { return l.baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *Bidirectional) Built() bool { return l.baseOf().Built() }

// Params returns the forward layer's parameters, then the backward's.
func (l *Bidirectional) Params() []*graph.Param { return l.baseOf().Params() }

// ReturnSequences reports whether the layer returns every step.
func (l *Bidirectional) ReturnSequences() bool {
	return l != nil && l.fwd != nil && l.fwd.core().returnSequences
}

// merged returns the output shape for a direction's output shape.
func (l *Bidirectional) merged(out []int) []int {
	out = slices.Clone(out)
	if l.mode == MergeConcat {
		out[len(out)-1] *= 2
	}
	return out
}

// Plan returns both directions' weights and the merged output shape.
func (l *Bidirectional) Plan(in []int) (int, []int, error) {
	if l == nil || l.fwd == nil || l.bwd == nil {
		return 0, nil, fmt.Errorf("%w: %s is not configured (use NewBidirectional)", ErrConfig, kindBidirectional)
	}
	n, out, err := l.fwd.core().plan(l.fwd.Kind(), in)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", l.name, err)
	}
	if n > MaxWeights/2 {
		return 0, nil, fmt.Errorf("%w: %s for input %v: more than MaxWeights (%d) weights", ErrConfig, l.name, in, MaxWeights)
	}
	return 2 * n, l.merged(out), nil
}

// WeightSpecs returns the forward weights, then the backward ones, named
// "forward/..." and "backward/...".
func (l *Bidirectional) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	if _, _, err := l.Plan(in); err != nil {
		return nil, nil, err
	}
	specs, out, err := l.fwd.core().weightSpecs(l.fwd.Kind(), in)
	if err != nil {
		return nil, nil, err
	}
	var all []WeightSpec
	for _, dir := range []string{"forward/", "backward/"} {
		for _, s := range specs {
			all = append(all, WeightSpec{Name: dir + s.Name, Shape: slices.Clone(s.Shape)})
		}
	}
	return all, l.merged(out), nil
}

// Build builds both directions, named "<name>/forward_<kind>" and
// "<name>/backward_<kind>", with their own weights.
func (l *Bidirectional) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	if err := l.baseOf().startBuild(dt, rng, kindBidirectional); err != nil {
		return nil, err
	}
	if _, _, err := l.Plan(in); err != nil {
		return nil, err
	}
	if err := l.fwd.SetName(l.name + "/forward_" + l.fwd.Kind()); err != nil {
		return nil, err
	}
	if err := l.bwd.SetName(l.name + "/backward_" + l.bwd.Kind()); err != nil {
		return nil, err
	}
	out, err := l.fwd.Build(dt, in, rng.Split())
	if err != nil {
		return nil, err
	}
	if _, err := l.bwd.Build(dt, in, rng.Split()); err != nil {
		return nil, err
	}
	l.finishBuild(dt, in, append(l.fwd.Params(), l.bwd.Params()...)...)
	return l.merged(out), nil
}

// Forward runs both directions over x [batch, T, F] and merges them.
func (l *Bidirectional) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	out, _ := l.ForwardMasked(b, x, nil)
	return out
}

// ForwardMasked runs both directions, skipping the masked steps, and
// merges them.
func (l *Bidirectional) ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	if b == nil {
		return nil, nil
	}
	if !l.Built() {
		b.Fail(fmt.Errorf("%w: %s", ErrNotBuilt, l.Name()))
		return nil, nil
	}
	out, m, _ := l.forward(b, x, mask, nil, nil)
	return out, m
}

// States returns the number of states: twice the wrapped layer's (the
// forward ones, then the backward ones).
func (l *Bidirectional) States() int {
	if l == nil || l.fwd == nil {
		return 0
	}
	return 2 * l.fwd.core().statesOf()
}

// Units returns the width of each state: the wrapped layer's units.
func (l *Bidirectional) Units() int {
	if l == nil || l.fwd == nil {
		return 0
	}
	return l.fwd.core().Units()
}

// ForwardStates runs both directions from the given initial states (the
// forward layer's, then the backward layer's; nil: zero states) and
// returns the merged output and the final states in the same order
// (Keras' initial_state and return_state on Bidirectional).
func (l *Bidirectional) ForwardStates(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node) (*graph.Node, *Mask, []*graph.Node) {
	return l.forward(b, x, mask, initial, nil)
}

// ForwardTraining runs both directions in a training graph (their dropout
// masks from noise, each direction its own) from the given initial states.
func (l *Bidirectional) ForwardTraining(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node) {
	return l.forward(b, x, mask, initial, noise)
}

func (l *Bidirectional) forward(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node) {
	if b == nil {
		return nil, nil, nil
	}
	if !l.Built() {
		b.Fail(fmt.Errorf("%w: %s", ErrNotBuilt, l.Name()))
		return nil, nil, nil
	}
	var fi, bi []*graph.Node
	if initial != nil {
		if len(initial) != l.States() {
			b.Fail(fmt.Errorf("%w: %s takes %d initial states (forward, then backward), given %d", ErrConfig, l.name, l.States(), len(initial)))
			return nil, nil, nil
		}
		half := len(initial) / 2
		fi, bi = initial[:half], initial[half:]
	}
	fo, flast, ff := l.fwd.core().run(b, x, mask, fi, noise)
	bo, blast, bf := l.bwd.core().run(b, x, mask, bi, noise)
	if fo == nil || bo == nil || b.Err() != nil {
		return nil, nil, nil
	}
	final := append(slices.Clone(ff), bf...)
	if !l.ReturnSequences() {
		return l.merge(b, flast, blast), nil, final
	}
	steps := make([]*graph.Node, len(fo))
	for t := range fo {
		steps[t] = l.merge(b, fo[t], bo[len(bo)-1-t])
	}
	if b.Err() != nil {
		return nil, nil, nil
	}
	return b.Stack(steps), mask, final
}

// merge joins a forward and a backward output [batch, U].
func (l *Bidirectional) merge(b *graph.Builder, f, r *graph.Node) *graph.Node {
	switch l.mode {
	case MergeSum:
		return b.Add(f, r)
	case MergeMul:
		return b.Mul(f, r)
	case MergeAve:
		return b.Scale(b.Add(f, r), 0.5)
	}
	return b.Concat(1, f, r)
}

// Weights returns the forward weights, then the backward ones.
func (l *Bidirectional) Weights() []Weight {
	if !l.Built() {
		return nil
	}
	return append(prefixed("forward/", l.fwd.Weights()), prefixed("backward/", l.bwd.Weights())...)
}

func prefixed(p string, ws []Weight) []Weight {
	for i := range ws {
		ws[i].Name = p + ws[i].Name
	}
	return ws
}

// KerasLayout converts values shaped like Params.
func (l *Bidirectional) KerasLayout(values [][]float64) ([]Weight, error) {
	if err := checkValues(l.baseOf(), values); err != nil {
		return nil, err
	}
	n := len(l.fwd.Params())
	f, err := l.fwd.KerasLayout(values[:n])
	if err != nil {
		return nil, err
	}
	r, err := l.bwd.KerasLayout(values[n:])
	if err != nil {
		return nil, err
	}
	return append(prefixed("forward/", f), prefixed("backward/", r)...), nil
}

// SetWeights sets both directions' weights, given as Weights returns them;
// either both change or neither.
func (l *Bidirectional) SetWeights(ws []Weight) error {
	if !l.Built() {
		return fmt.Errorf("%w: %s", ErrNotBuilt, l.Name())
	}
	if err := checkWeights(l.name, ws, l.Weights()); err != nil {
		return err
	}
	n := len(l.fwd.Weights())
	f, r := unprefixed("forward/", ws[:n]), unprefixed("backward/", ws[n:])
	old := l.fwd.Weights()
	if err := checkWeights(l.bwd.Name(), r, l.bwd.Weights()); err != nil {
		return err
	}
	if err := l.fwd.SetWeights(f); err != nil {
		return err
	}
	if err := l.bwd.SetWeights(r); err != nil {
		_ = l.fwd.SetWeights(old)
		return err
	}
	return nil
}

func unprefixed(p string, ws []Weight) []Weight {
	out := make([]Weight, len(ws))
	for i, w := range ws {
		w.Name = strings.TrimPrefix(w.Name, p)
		out[i] = w
	}
	return out
}

var _ TorchLayout = (*Bidirectional)(nil)

// ToTorch converts the weights to the parameters of a PyTorch module of
// the inner type with bidirectional=True: the forward direction's
// weight_ih_l0, ... and the backward direction's weight_ih_l0_reverse, ...
// PyTorch concatenates the two directions' outputs (MergeConcat); for the
// other merge modes the torch side sums, multiplies or averages the two
// halves itself.
func (l *Bidirectional) ToTorch(ws []Weight) ([]Weight, error) {
	if l == nil || l.fwd == nil {
		return nil, fmt.Errorf("%w: %s is not configured", ErrConfig, kindBidirectional)
	}
	n := len(ws) / 2
	if len(ws) != 2*n || n == 0 {
		return nil, fmt.Errorf("%w: %s: %d weights, want the two directions'", graph.ErrShape, l.name, len(ws))
	}
	f, err := l.fwd.core().toTorch(unprefixed("forward/", ws[:n]))
	if err != nil {
		return nil, err
	}
	r, err := l.bwd.core().toTorch(unprefixed("backward/", ws[n:]))
	if err != nil {
		return nil, err
	}
	for i := range r {
		r[i].Name += "_reverse"
	}
	return append(f, r...), nil
}

// FromTorch converts a bidirectional PyTorch module's parameters (as
// ToTorch names them) to the weights.
func (l *Bidirectional) FromTorch(ps []Weight) ([]Weight, error) {
	if l == nil || l.fwd == nil {
		return nil, fmt.Errorf("%w: %s is not configured", ErrConfig, kindBidirectional)
	}
	n := len(ps) / 2
	if len(ps) != 2*n || n == 0 {
		return nil, fmt.Errorf("%w: %s: %d parameters, want the two directions'", graph.ErrShape, l.name, len(ps))
	}
	back := make([]Weight, n)
	for i, p := range ps[n:] {
		if !strings.HasSuffix(p.Name, "_reverse") {
			return nil, fmt.Errorf("%w: %s: parameter %q of the backward direction has no _reverse suffix", graph.ErrShape, l.name, p.Name)
		}
		p.Name = strings.TrimSuffix(p.Name, "_reverse")
		back[i] = p
	}
	f, err := l.fwd.core().fromTorch(ps[:n])
	if err != nil {
		return nil, err
	}
	r, err := l.bwd.core().fromTorch(back)
	if err != nil {
		return nil, err
	}
	return append(prefixed("forward/", f), prefixed("backward/", r)...), nil
}
