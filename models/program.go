package models

import (
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// LossFunc builds a scalar loss from a batch of predictions and targets of
// the same shape. trainers.MSE and the other losses have this form.
type LossFunc func(b *graph.Builder, pred, target *graph.Node) *graph.Node

// Forward adds the whole model to b's graph and returns its output for the
// input node x [batch, input shape...]. A model of several inputs takes
// them with ForwardInputs.
func (m *Model) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	return m.ForwardInputs(b, []*graph.Node{x})
}

// forwardAll adds the model to b's graph: the output for x, its mask (nil
// unless a Masking layer or an Embedding with mask_zero made one and the
// output is still a sequence), and, when initial is not nil, the final
// states of every StateLayer, started from initial[i] for layer i (nil
// entries: zero states).
func (m *Model) forwardAll(b *graph.Builder, x *graph.Node, initial [][]*graph.Node, noise *layers.Noise) (*graph.Node, *layers.Mask, [][]*graph.Node) {
	if b == nil {
		return nil, nil, nil
	}
	if err := m.usable(); err != nil {
		b.Fail(err)
		return nil, nil, nil
	}
	var mask *layers.Mask
	var finals [][]*graph.Node
	if initial != nil {
		finals = make([][]*graph.Node, len(m.layers))
	}
	for i, l := range m.layers {
		if tl, ok := l.(layers.TrainingLayer); ok && noise != nil {
			var init []*graph.Node
			if initial != nil {
				init = initial[i]
			}
			var f []*graph.Node
			x, mask, f = tl.ForwardTraining(b, x, mask, init, noise)
			if finals != nil {
				finals[i] = f
			}
			continue
		}
		if sl, ok := l.(layers.StateLayer); ok && initial != nil {
			x, mask, finals[i] = sl.ForwardStates(b, x, mask, initial[i])
			continue
		}
		if ml, ok := l.(layers.MaskedLayer); ok {
			x, mask = ml.ForwardMasked(b, x, mask)
			continue
		}
		if mask != nil {
			b.Fail(fmt.Errorf("%w: layer %d (%s, %s) does not support masking (it is not a layers.MaskedLayer) but receives the mask of the layers before it", ErrModel, i, l.Name(), l.ClassName()))
			return nil, nil, nil
		}
		x = l.Forward(b, x)
	}
	if x == nil || len(x.Shape()) != 3 {
		mask = nil
	}
	return x, mask, finals
}

// StateInfo describes the states of one recurrent layer of a model (a
// layers.StateLayer), as programs with ProgramSpec.States take and give
// them.
type StateInfo struct {
	Layer  int    // the layer's index in Layers
	Name   string // the layer's name
	States int    // how many states it carries (LSTM: h and c)
	Units  int    // the width of each state
}

// StateLayers returns the model's layers that take initial states and
// give final ones (SimpleRNN, LSTM, GRU and RNN; not Bidirectional), in
// order.
func (m *Model) StateLayers() []StateInfo {
	if m == nil {
		return nil
	}
	var out []StateInfo
	for i, l := range m.layers {
		if m.wiring != nil && len(m.wiring.Layers[i].Initial) > 0 {
			continue // its initial states are wired
		}
		if sl, ok := l.(layers.StateLayer); ok {
			out = append(out, StateInfo{Layer: i, Name: l.Name(), States: sl.States(), Units: sl.Units()})
		}
	}
	return out
}

// NewInput creates the model's (first) input node in b: [batch, time,
// features] fed step by step for sequence models. NewInputs makes every
// input of a model of several.
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
	// (Executor.InputGrad); false: no gradients (a forward program).
	Grads, InputGrads bool
	// Target is the shape of one sample's targets (input 1); nil means
	// the model's output shape. A sparse categorical cross-entropy takes
	// class indices [..., 1] for outputs [..., C].
	Target []int
	// Elementwise builds the loss of each element before the mean (the
	// trainers' losses have one: Loss.Elementwise). A model whose output
	// is a masked sequence (after a Masking layer or an Embedding with
	// mask_zero) needs it: its loss is the sum over the valid steps
	// divided by their number of elements (Keras' masked mean, without
	// its 1e-7 in the count; PyTorch's loss on packed sequences): nil is
	// then an error. Without a mask it is not used.
	Elementwise LossFunc
	// States adds the states of the model's StateLayers (in that order,
	// each layer's states in its order: h, then c for an LSTM): after x
	// and y, one input [batch, units] per state, its initial value (zero
	// unless set), and after the prediction one output per state, its
	// final value (Keras' initial_state and return_state). Their
	// gradients are the inputs' (InputGrads). False: no state inputs or
	// outputs.
	States bool
	// Noise, if set, makes a training program: layers that act
	// differently in training (Dropout, recurrent dropout) draw their
	// masks from it, each an input after all the others
	// (Noise.Inputs), which the caller fills before every run
	// (layers.Fill; the trainers do). Without it nothing is dropped.
	Noise *layers.Noise
	// Mask adds, for a model whose output is a masked sequence
	// [batch, T, ...] (MaskedOutput), a last output [batch, T]: 1 for the
	// valid steps and 0 for the masked ones, so that metrics can leave the
	// masked steps out as the loss does. For other models it adds
	// nothing. False: no mask output.
	Mask bool
	// Losses, for a model of several outputs (NewMultiOutput), gives
	// every output its loss (nil: Loss for each), Elementwises their
	// elementwise forms (nil: Elementwise for each), Targets their
	// targets' shapes (nil: the outputs' shapes; Target is for models of
	// one output) and LossWeights their weights, finite and ≥ 0 (nil: all
	// 1; Keras' loss_weights): the program's loss is Σ_k w_k·loss_k. Such
	// a program takes one target per output after the model's inputs
	// (before any state), gives the predictions as outputs 0 to k-1 (the
	// final states and masks follow, a mask for each masked output in
	// order) and, with OutputLosses, every output's own loss, unweighted,
	// as one last output [1] each.
	Losses, Elementwises []LossFunc
	Targets              [][]int
	LossWeights          []float64
	OutputLosses         bool
}

// checkOutputs checks the per-output fields of spec for a model of k
// outputs.
func (spec ProgramSpec) checkOutputs(k int) error {
	for _, f := range []struct {
		what string
		n    int
	}{{"Losses", len(spec.Losses)}, {"Elementwises", len(spec.Elementwises)}, {"Targets", len(spec.Targets)}, {"LossWeights", len(spec.LossWeights)}} {
		if f.n != 0 && f.n != k {
			return fmt.Errorf("%w: %s: %d for a model of %d outputs", graph.ErrArgument, f.what, f.n, k)
		}
	}
	if k > 1 && spec.Target != nil {
		return fmt.Errorf("%w: Target is for a model of one output; give Targets", graph.ErrArgument)
	}
	for i, w := range spec.LossWeights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("%w: loss weight %d is %v (want finite and ≥ 0)", graph.ErrArgument, i, w)
		}
	}
	for i := range k {
		if spec.lossOf(i) == nil {
			return fmt.Errorf("%w: nil loss", graph.ErrArgument)
		}
	}
	return nil
}

func (spec ProgramSpec) lossOf(i int) LossFunc {
	if spec.Losses != nil {
		return spec.Losses[i]
	}
	return spec.Loss
}

func (spec ProgramSpec) elementwiseOf(i int) LossFunc {
	if spec.Elementwises != nil {
		return spec.Elementwises[i]
	}
	return spec.Elementwise
}

// Program compiles the model for batches of spec.Batch samples with a
// loss, and the gradients spec asks for. The program's input 0 is x, input
// 1 the target y (for a model of n inputs, inputs 0 to n-1 are the inputs
// in order and input n is y; a model of k outputs takes its k targets as
// inputs n to n+k-1); output 0 is the prediction (outputs 0 to k-1 the k
// predictions). Programs for different batch sizes share the model's
// weights.
func (m *Model) Program(spec ProgramSpec) (*graph.Program, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	batch, grads, inputGrads := spec.Batch, spec.Grads, spec.InputGrads
	k := m.NumOutputs()
	if err := spec.checkOutputs(k); err != nil {
		return nil, err
	}
	b, err := graph.NewBuilder(m.dt, batch)
	if err != nil {
		return nil, err
	}
	xs := m.NewInputs(b)
	var initial [][]*graph.Node
	var infos []StateInfo
	if spec.States {
		infos = m.StateLayers()
		initial = make([][]*graph.Node, len(m.layers))
	}
	outShapes := m.OutputShapes()
	ys := make([]*graph.Node, k)
	for i := range ys {
		target := outShapes[i]
		switch {
		case spec.Targets != nil && spec.Targets[i] != nil:
			target = spec.Targets[i]
		case spec.Target != nil:
			target = spec.Target
		}
		name := "y"
		if i > 0 {
			name = fmt.Sprintf("y_%d", i)
		}
		yShape := append([]int{batch}, target...)
		if len(yShape) == 3 {
			ys[i] = b.SequenceInput(name, yShape...)
		} else {
			ys[i] = b.Input(name, yShape...)
		}
	}
	for _, si := range infos {
		for k := range si.States {
			initial[si.Layer] = append(initial[si.Layer], b.Input(fmt.Sprintf("%s/initial_state_%d", si.Name, k), batch, si.Units))
		}
	}
	preds, masks, finals := m.forwardOutputs(b, xs, initial, spec.Noise)
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.name, err)
	}
	var l *graph.Node
	losses := make([]*graph.Node, k)
	for i := range k {
		if masks[i] != nil {
			ew := spec.elementwiseOf(i)
			if ew == nil {
				return nil, fmt.Errorf("%w: %s: output %d is a masked sequence and its loss has no elementwise form (ProgramSpec.Elementwise)", graph.ErrArgument, m.name, i)
			}
			losses[i] = maskedMean(b, ew(b, preds[i], ys[i]), masks[i])
		} else {
			losses[i] = spec.lossOf(i)(b, preds[i], ys[i])
		}
		term := losses[i]
		if spec.LossWeights != nil && spec.LossWeights[i] != 1 {
			term = b.Scale(term, spec.LossWeights[i])
		}
		if l == nil {
			l = term
		} else {
			l = b.Add(l, term)
		}
	}
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.name, err)
	}
	outs := slices.Clone(preds)
	for _, si := range infos {
		outs = append(outs, finals[si.Layer]...)
	}
	if spec.Mask {
		for _, mask := range masks {
			if mask != nil {
				outs = append(outs, mask.Sequence(b))
			}
		}
	}
	if spec.OutputLosses {
		for _, li := range losses {
			outs = append(outs, b.Reshape(li, 1))
		}
	}
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.name, err)
	}
	return b.Compile(graph.Spec{Outputs: outs, Loss: l, Grads: grads, InputGrads: inputGrads})
}

// maskedMean is the mean of the elementwise loss e ([batch, T, k], or
// [batch, T] for a sparse cross-entropy) over the steps mask keeps:
// Σ e·m / (k·Σ m).
func maskedMean(b *graph.Builder, e *graph.Node, mask *layers.Mask) *graph.Node {
	if b.Err() != nil || e == nil {
		if b.Err() == nil {
			b.Fail(fmt.Errorf("%w: nil elementwise loss", graph.ErrArgument))
		}
		return nil
	}
	s := e.Shape()
	if len(s) < 2 || len(s) > 3 || s[1] != mask.Len() {
		b.Fail(fmt.Errorf("%w: elementwise loss %v for a mask of %d steps", graph.ErrShape, s, mask.Len()))
		return nil
	}
	k := 1
	var m *graph.Node
	if len(s) == 3 {
		k = s[2]
		steps := make([]*graph.Node, mask.Len())
		for t := range steps {
			steps[t] = mask.Spread(b, t, k)
		}
		m = b.Stack(steps)
	} else {
		m = mask.Sequence(b)
	}
	return b.Div(b.Sum(b.Mul(e, m)), b.Scale(b.Sum(mask.Sequence(b)), float64(k)))
}

// forwardProgram compiles prediction only.
func (m *Model) forwardProgram(batch int) (*graph.Program, error) {
	b, err := graph.NewBuilder(m.dt, batch)
	if err != nil {
		return nil, err
	}
	preds, _, _ := m.forwardOutputs(b, m.NewInputs(b), nil, nil)
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", m.name, err)
	}
	return b.Compile(graph.Spec{Outputs: preds})
}

// CheckSamples checks that x holds samples of the model's input shape
// ([n, input shape...], n ≥ 1) of a float dtype, all finite; the error names
// the first bad sample. Samples cut from a larger tensor (graph.SampleRange)
// are checked on their own elements only. For a float32 model a float64 value beyond
// float32's range is not finite either: it would become an infinity when
// converted to the model's dtype.
func (m *Model) CheckSamples(what string, x *graph.Tensor) error {
	if err := m.usable(); err != nil {
		return err
	}
	if n := m.NumInputs(); n > 1 {
		return fmt.Errorf("%w: %s takes %d inputs (give them all: CheckInputs, PredictInputs, TrainBatchInputs)", graph.ErrArgument, m.name, n)
	}
	return m.checkInput(0, what, x)
}

// CheckInputs is CheckSamples for every input of the model, in order, all
// of the same number of samples.
func (m *Model) CheckInputs(xs []*graph.Tensor) error {
	if err := m.checkInputCount(xs); err != nil {
		return err
	}
	for i, x := range xs {
		what := fmt.Sprintf("input %d", i)
		if err := m.checkInput(i, what, x); err != nil {
			return err
		}
		if n, n0 := x.Dim(0), xs[0].Dim(0); n != n0 {
			return fmt.Errorf("%w: input %d has %d samples, input 0 %d", graph.ErrShape, i, n, n0)
		}
	}
	return nil
}

// CheckInputValues checks what the layers reading each input check of its
// values (an Embedding's ids, a SequenceLengths input's lengths), without
// the shape, dtype and finiteness checks of CheckInputs: for data whose
// shapes were checked before and whose values may have changed since (a
// training loop's batches, which the executor checks for shape and
// finiteness as it takes them). xs holds one tensor per input, in order.
func (m *Model) CheckInputValues(xs []*graph.Tensor) error {
	if err := m.checkInputCount(xs); err != nil {
		return err
	}
	for i, x := range xs {
		if err := m.checkInputValues(i, "", x); err != nil {
			return err
		}
	}
	return nil
}

// checkInputCount checks that m is usable and xs holds one tensor per
// input.
func (m *Model) checkInputCount(xs []*graph.Tensor) error {
	if err := m.usable(); err != nil {
		return err
	}
	if len(xs) != m.NumInputs() {
		return fmt.Errorf("%w: %d inputs given, %s takes %d", graph.ErrArgument, len(xs), m.name, m.NumInputs())
	}
	return nil
}

// checkInput checks the data of input i: shape, finiteness, and what the
// layers reading it check (an Embedding's ids).
func (m *Model) checkInput(i int, what string, x *graph.Tensor) error {
	shape := m.inShape // not InputShapes: a training step allocates nothing
	if len(m.inShapes) > i {
		shape = m.inShapes[i]
	}
	if err := CheckTensor(what, x, shape, m.dt); err != nil {
		return err
	}
	return m.checkInputValues(i, what, x)
}

// checkInputValues runs the checks of the layers that read input i,
// naming it what in an error (or, for "", x or input i as CheckSamples and
// CheckInputs do: the name is made only for an error, so that a training
// step allocates nothing).
func (m *Model) checkInputValues(i int, what string, x *graph.Tensor) error {
	name := func() string {
		switch {
		case what != "":
			return what
		case m.NumInputs() == 1:
			return "x"
		}
		return fmt.Sprintf("input %d", i)
	}
	for j, l := range m.layers {
		reads := j == 0 && i == 0
		if m.wiring != nil {
			reads = slices.Contains(m.wiring.Layers[j].Inputs, source{Layer: -1, Index: i})
		}
		if c, ok := l.(layers.InputChecker); ok && reads {
			if err := c.CheckInput(x); err != nil {
				return fmt.Errorf("%s: %w", name(), err)
			}
		}
		if c, ok := l.(layers.InputsChecker); ok && m.wiring != nil {
			for k, s := range m.wiring.Layers[j].Inputs {
				if s == (source{Layer: -1, Index: i}) {
					if err := c.CheckInputAt(k, x); err != nil {
						return fmt.Errorf("%s: %w", name(), err)
					}
				}
			}
		}
	}
	return nil
}

// samplesOf reports whether x is shaped [n, sample...].
func samplesOf(x *graph.Tensor, sample []int) bool {
	if x.Dims() != len(sample)+1 {
		return false
	}
	for i, d := range sample {
		if x.Dim(i+1) != d {
			return false
		}
	}
	return true
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
	if !samplesOf(x, sample) { // not x.Shape(): that copies, every step
		return fmt.Errorf("%w: %s has shape %v, want [n %v]", graph.ErrShape, what, []int(x.Shape()), sample)
	}
	if x.Dim(0) < 1 {
		return fmt.Errorf("%w: %s has no samples", graph.ErrArgument, what)
	}
	per := x.Len() / x.Dim(0)
	if i := graph.FirstNonFinite(x); i >= 0 {
		return fmt.Errorf("%w: %s sample %d", graph.ErrNotFinite, what, i/per)
	}
	if dt == graph.Float32 && xdt == graph.Float64 {
		d, _ := graph.Float64Data(x)
		for i, v := range d {
			if math.IsInf(float64(float32(v)), 0) {
				return fmt.Errorf("%w: %s sample %d: %v is beyond float32's range", graph.ErrNotFinite, what, i/per, v)
			}
		}
	}
	return nil
}

// MaskedOutput reports whether the model's output is a sequence with a
// mask (after a Masking layer, an Embedding with mask_zero or
// SequenceLengths, through layers that keep the time axis), so that its
// loss averages over the valid steps and ProgramSpec.Mask adds the mask
// output. It builds the forward graph once for a batch of 1 to see (the
// layers make the mask there); a model that cannot be built says false.
func (m *Model) MaskedOutput() bool {
	masked := m.MaskedOutputs()
	return len(masked) > 0 && masked[0]
}

// mayMask reports whether a mask may arise in ls: false when every layer
// is a MaskSource that makes none, so that MaskedOutput need not build a
// graph to know.
func mayMask(ls []layers.Layer) bool {
	for _, l := range ls {
		if s, ok := l.(layers.MaskSource); !ok || s.MakesMask() {
			return true
		}
	}
	return false
}
