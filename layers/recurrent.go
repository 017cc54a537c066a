package layers

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
)

// recurrent is the layer around a Cell, shared by SimpleRNN, LSTM, GRU
// and RNN: it owns the units, the return-sequences switch, the three Keras
// weights stored gate-major, and the time loop (forward) that runs the
// cell step by step.
//
// Keras keeps a cell's gates side by side in column blocks: kernel [F, gU],
// recurrent_kernel [U, gU]. Here each weight is stored as [g, rows, U] so
// every gate's matrix is a contiguous block, bound to the graph on its own
// (graph.Builder.ParamBlock): large layers take one product per gate and
// never slice a fused product, which keeps Gorgonia's slice-merging bug
// out of the way; layers of at most fuseMaxUnits units join the blocks and
// slice one product per step, at offsets below 256 (CellWeights). Weights
// and SetWeights convert to and from the Keras layout.
type recurrent struct {
	base
	cell            Cell
	units           int
	gates           int
	biasRows        int // rows of the internal bias: gates, or 2·gates for the GRU
	states          int // states the cell carries
	biasInit        func(units int) []float64
	returnSequences bool
	goBackwards     bool
	noBias          bool // use_bias false: no bias parameter
	dropout         float64
	recDropout      float64
	features        int
	kernel          *graph.Param // [g, F, U]
	recurrentKernel *graph.Param // [g, U, U]
	bias            *graph.Param // [g, U], or [2g, U] for GRU; nil without a bias
	// torchOrder gives, for each of PyTorch's gate blocks, the Keras
	// block it is (nil: the same order).
	torchOrder []int
}

// newRecurrent returns the layer around cell, checking the units, the
// dropout rates, the cell's spec and that the layer's weights can fit
// within MaxWeights for one input feature.
func newRecurrent(kind string, o recurrentOptions, units int, cell Cell) (recurrent, error) {
	if err := checkUnits(kind, units); err != nil {
		return recurrent{}, err
	}
	if err := o.check(); err != nil {
		return recurrent{}, fmt.Errorf("%s: %w", kind, err)
	}
	if cell == nil {
		return recurrent{}, fmt.Errorf("%w: %s: nil cell", ErrConfig, kind)
	}
	spec := cell.Spec()
	if err := spec.check(); err != nil {
		return recurrent{}, fmt.Errorf("%s: %w", kind, err)
	}
	r := recurrent{base: base{name: o.name}, cell: cell, units: units, gates: spec.Gates,
		biasRows: spec.biasRows(), states: spec.states(), biasInit: spec.BiasInit,
		returnSequences: o.returnSequences, goBackwards: o.goBackwards, noBias: o.noBias,
		dropout: o.dropout, recDropout: o.recurrentDropout}
	if _, _, err := r.plan(kind, []int{1, 1}); err != nil {
		return recurrent{}, fmt.Errorf("%w: %s(%d) cannot be built: its weights exceed MaxWeights (%d) even for one input feature", ErrConfig, kind, units, MaxWeights)
	}
	return r, nil
}

// Units returns the number of units.
func (l *recurrent) Units() int {
	if l == nil {
		return 0
	}
	return l.units
}

// ReturnSequences reports whether the layer returns every step.
func (l *recurrent) ReturnSequences() bool { return l != nil && l.returnSequences }

// GoBackwards reports whether the layer visits the steps last to first.
func (l *recurrent) GoBackwards() bool { return l != nil && l.goBackwards }

// UseBias reports whether the layer has a bias.
func (l *recurrent) UseBias() bool { return l != nil && !l.noBias }

// baseConfig returns the settings every recurrent layer's Config holds:
// kind, name, units, return_sequences, go_backwards and use_bias (only
// when false, so files of layers with a bias are what they were).
func (l *recurrent) baseConfig(kind string) Config {
	c := Config{Kind: kind, Name: l.name, Units: l.units, ReturnSequences: l.returnSequences, GoBackwards: l.goBackwards}
	if l.noBias {
		c.UseBias = new(bool)
	}
	c.Dropout, c.RecurrentDropout = l.dropout, l.recDropout
	return c
}

// Dropout returns the rate of the dropout of the inputs.
func (l *recurrent) Dropout() float64 {
	if l == nil {
		return 0
	}
	return l.dropout
}

// RecurrentDropout returns the rate of the dropout of the recurrent state.
func (l *recurrent) RecurrentDropout() float64 {
	if l == nil {
		return 0
	}
	return l.recDropout
}

// plan is Plan for a layer of the given kind: g·F·U + g·U·U + biasRows·U
// weights for inputs [time, F].
func (l *recurrent) plan(kind string, in []int) (int, []int, error) {
	if l == nil {
		return 0, nil, fmt.Errorf("%w: nil %s layer", ErrConfig, kind)
	}
	if l.gates <= 0 || l.biasRows <= 0 {
		return 0, nil, fmt.Errorf("%w: %s %q is not configured (a zero value: use its constructor)", ErrConfig, kind, l.name)
	}
	if err := checkUnits(kind, l.units); err != nil {
		return 0, nil, fmt.Errorf("%s: %w", l.name, err)
	}
	if err := checkInput(l.name, in, 2); err != nil {
		return 0, nil, err
	}
	f, u, g := in[1], l.units, l.gates
	var c weightCount
	c.add(g, f, u)
	c.add(g, u, u)
	if !l.noBias {
		c.add(l.biasRows, u)
	}
	n, err := c.check(l.name, in)
	if err != nil {
		return 0, nil, err
	}
	if l.returnSequences {
		return n, []int{in[0], u}, nil
	}
	return n, []int{u}, nil
}

// weightSpecs is WeightSpecs for a layer of the given kind: kernel
// [F, gU], recurrent_kernel [U, gU] and bias in Keras layout for inputs
// [time, F].
func (l *recurrent) weightSpecs(kind string, in []int) ([]WeightSpec, []int, error) {
	_, out, err := l.plan(kind, in)
	if err != nil {
		return nil, nil, err
	}
	g, u := l.gates, l.units
	specs := []WeightSpec{
		{Name: "kernel", Shape: []int{in[1], g * u}},
		{Name: "recurrent_kernel", Shape: []int{u, g * u}},
	}
	if !l.noBias {
		specs = append(specs, WeightSpec{Name: "bias", Shape: l.kerasBiasShape()})
	}
	return specs, out, nil
}

// build creates the weights with Keras' default initializers: Glorot
// uniform kernel (fans of the Keras shape [F, gU]), orthogonal recurrent
// kernel (of the Keras shape [U, gU]) and the bias the cell's
// CellSpec.BiasInit gives (of biasRows·U values; zeros without one), once
// every check has passed.
func (l *recurrent) build(kind string, dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: Build on a nil %s layer", ErrConfig, kind)
	}
	if err := l.startBuild(dt, rng, kind); err != nil {
		return nil, err
	}
	_, out, err := l.plan(kind, in)
	if err != nil {
		return nil, err
	}
	f, u, g := in[1], l.units, l.gates
	biasRows := l.biasRows
	k, err := l.newParam("kernel", dt, []int{g, f, u}, graph.GlorotUniformFans(f, g*u), rng)
	if err != nil {
		return nil, err
	}
	orth := graph.Orthogonal(u, g*u)
	rk, err := l.newParam("recurrent_kernel", dt, []int{g, u, u}, graph.InitFunc(func(r *graph.RNG, shape []int) ([]float64, error) {
		keras, err := orth.Init(r, shape)
		if err != nil {
			return nil, err
		}
		return gateMajor(keras, u, g, u), nil
	}), rng)
	if err != nil {
		return nil, err
	}
	if l.noBias {
		l.features, l.kernel, l.recurrentKernel = f, k, rk
		l.finishBuild(dt, in, k, rk)
		return out, nil
	}
	b, err := l.newParam("bias", dt, []int{biasRows, u}, graph.InitFunc(func(*graph.RNG, []int) ([]float64, error) {
		if l.biasInit == nil {
			return make([]float64, biasRows*u), nil
		}
		v := l.biasInit(u)
		if len(v) != biasRows*u {
			return nil, fmt.Errorf("%w: %s: the cell's BiasInit gave %d values for a bias of %d", ErrConfig, l.name, len(v), biasRows*u)
		}
		return v, nil
	}), rng)
	if err != nil {
		return nil, err
	}
	l.features, l.kernel, l.recurrentKernel, l.bias = f, k, rk, b
	l.finishBuild(dt, in, k, rk, b)
	return out, nil
}

// kerasBiasShape is the Keras shape of the bias: [gU], or [biasRows/g,
// gU] (the GRU's [2, 3U]).
func (l *recurrent) kerasBiasShape() []int {
	if l.biasRows == l.gates {
		return []int{l.gates * l.units}
	}
	return []int{l.biasRows / l.gates, l.gates * l.units}
}

// Weights returns kernel [F, gU], recurrent_kernel [U, gU] and bias in
// Keras layout.
func (l *recurrent) Weights() []Weight {
	if !l.baseOf().Built() {
		return nil
	}
	ws, _ := l.KerasLayout(paramValues(l.params))
	return ws
}

// KerasLayout converts values shaped like Params (gate-major) to Keras
// layout.
func (l *recurrent) KerasLayout(values [][]float64) ([]Weight, error) {
	if err := checkValues(l.baseOf(), values); err != nil {
		return nil, err
	}
	g, u := l.gates, l.units
	ws := []Weight{
		{Name: "kernel", Shape: []int{l.features, g * u}, Data: gateMinor(values[0], l.features, g, u)},
		{Name: "recurrent_kernel", Shape: []int{u, g * u}, Data: gateMinor(values[1], u, g, u)},
	}
	if !l.noBias {
		// The bias [g, U] (or [2g, U]) flattens to Keras' [gU] ([2, gU]).
		ws = append(ws, Weight{Name: "bias", Shape: l.kerasBiasShape(), Data: slices.Clone(values[2])})
	}
	return ws, nil
}

// SetWeights sets the weights from Keras layout.
func (l *recurrent) SetWeights(ws []Weight) error {
	if !l.baseOf().Built() {
		return fmt.Errorf("%w: %s", ErrNotBuilt, l.baseOf().Name())
	}
	if err := checkWeights(l.name, ws, l.Weights()); err != nil {
		return err
	}
	g, u := l.gates, l.units
	if l.noBias {
		return setAll(l.name, []*graph.Param{l.kernel, l.recurrentKernel}, [][]float64{
			gateMajor(ws[0].Data, l.features, g, u),
			gateMajor(ws[1].Data, u, g, u),
		})
	}
	return setAll(l.name, []*graph.Param{l.kernel, l.recurrentKernel, l.bias}, [][]float64{
		gateMajor(ws[0].Data, l.features, g, u),
		gateMajor(ws[1].Data, u, g, u),
		ws[2].Data,
	})
}

// steps returns the input steps, checking the input is [batch, T, F].
func (l *recurrent) steps(b *graph.Builder, x *graph.Node) []*graph.Node {
	if b == nil {
		return nil
	}
	if !l.baseOf().Built() {
		b.Fail(fmt.Errorf("%w: %s", ErrNotBuilt, l.baseOf().Name()))
		return nil
	}
	if s := x.Shape(); len(s) != 3 || s[1] != l.in[0] || s[2] != l.in[1] {
		b.Fail(fmt.Errorf("%w: %s built for [batch %v] got %v", graph.ErrShape, l.name, l.in, s))
		return nil
	}
	return b.Steps(x)
}

// forward is the time loop from zero states without a mask (run).
func (l *recurrent) forward(b *graph.Builder, x *graph.Node) *graph.Node {
	out, _, _ := l.forwardStates(b, x, nil, nil, nil)
	return out
}

// forwardStates runs the layer over x [batch, T, F] (run) and returns its
// output (every step's [batch, T, U] with return_sequences, in visiting
// order, else the last [batch, U]), the output's mask (the input's, for
// sequences) and the final states.
func (l *recurrent) forwardStates(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (*graph.Node, *Mask, []*graph.Node) {
	outs, last, final := l.run(b, x, mask, initial, noise)
	if outs == nil || b.Err() != nil {
		return nil, nil, nil
	}
	if l.returnSequences {
		if mask != nil && l.goBackwards {
			mask = mask.reversed()
		}
		return b.Stack(outs), mask, final
	}
	return last, nil, final
}

// run is the time loop: it binds the weights into b's graph once
// (CellWeights) and runs the cell over the steps of x [batch, T, F], in
// order or, with go_backwards, last to first, from the initial states
// (nil: zero states, whose terms the cell leaves out). It returns each
// step's output in visiting order, the last output and the final states.
//
// With a mask (one [batch, 1] node of 1 or 0 per step), a step of a
// sample whose mask is 0 carries the states unchanged and outputs 0:
// s_t = m·cell(x_t, s_{t-1}) + (1-m)·s_{t-1}, out_t = m·cell's output,
// and the last output is the one of the sample's last valid step visited.
// These are graph operations (exact for m of 0 and 1), so Grad
// differentiates through them. States are passed explicitly from step to
// step, so initial states, returned states, masks and reversal live here,
// not in cells.
//
// With noise (a training graph) and a dropout rate, the inputs and the
// recurrent state are multiplied by masks drawn once per sequence (the
// same at every step) where they enter the gate products (CellWeights).
func (l *recurrent) run(b *graph.Builder, x *graph.Node, mask *Mask, initial []*graph.Node, noise *Noise) (outs []*graph.Node, last *graph.Node, final []*graph.Node) {
	xs := l.steps(b, x)
	if xs == nil {
		return nil, nil, nil
	}
	if mask != nil && mask.Len() != len(xs) {
		b.Fail(fmt.Errorf("%w: %s: a mask of %d steps for %d steps", graph.ErrShape, l.name, mask.Len(), len(xs)))
		return nil, nil, nil
	}
	states := make([]*graph.Node, l.states)
	if initial != nil {
		if len(initial) != l.states {
			b.Fail(fmt.Errorf("%w: %s: %d initial states, want %d", graph.ErrArgument, l.name, len(initial), l.states))
			return nil, nil, nil
		}
		for i, s := range initial {
			if s == nil || !slices.Equal(s.Shape(), []int{b.Batch(), l.units}) {
				b.Fail(fmt.Errorf("%w: %s: initial state %d has shape %v, want [%d %d]", graph.ErrShape, l.name, i, s.Shape(), b.Batch(), l.units))
				return nil, nil, nil
			}
		}
		copy(states, initial)
	}
	w := l.bindCell(b)
	if noise != nil && l.dropout > 0 {
		w.inMask = noise.Mask(b, l.name+"/dropout_mask", l.dropout, b.Batch(), l.features)
	}
	if noise != nil && l.recDropout > 0 {
		w.recMask = noise.Mask(b, l.name+"/recurrent_dropout_mask", l.recDropout, b.Batch(), l.units)
	}
	outs = make([]*graph.Node, len(xs))
	for i := range xs {
		t := i
		if l.goBackwards {
			t = len(xs) - 1 - i
		}
		out, next := l.cell.Step(w, xs[t], slices.Clone(states))
		if b.Err() != nil {
			return nil, nil, nil
		}
		if out == nil || len(next) != l.states || slices.Contains(next, nil) {
			b.Fail(fmt.Errorf("%w: %s: step %d of the cell gave output %v and %d states (want %d, none nil)", graph.ErrArgument, l.name, t, out != nil, len(next), l.states))
			return nil, nil, nil
		}
		if mask == nil {
			outs[i], last, states = out, out, next
			continue
		}
		m, keep := mask.spread(b, t, l.units)
		sameAsState := out == next[0]
		for k := range next {
			next[k] = carry(b, m, keep, next[k], states[k])
		}
		if sameAsState {
			last = next[0]
		} else {
			last = carry(b, m, keep, out, last)
		}
		outs[i], states = b.Mul(m, out), next
	}
	if b.Err() != nil {
		return nil, nil, nil
	}
	return outs, last, states
}

// carry returns m·cur + keep·prev (keep = 1-m), or m·cur for a nil (zero)
// prev: exact for a mask of 0 and 1.
func carry(b *graph.Builder, m, keep, cur, prev *graph.Node) *graph.Node {
	if prev == nil {
		return b.Mul(m, cur)
	}
	return b.Add(b.Mul(m, cur), b.Mul(keep, prev))
}

// gateMajor turns a Keras matrix [rows, g·u] into blocks [g, rows, u].
func gateMajor(keras []float64, rows, g, u int) []float64 {
	out := make([]float64, len(keras))
	for r := 0; r < rows; r++ {
		for k := 0; k < g; k++ {
			copy(out[(k*rows+r)*u:(k*rows+r+1)*u], keras[r*g*u+k*u:r*g*u+(k+1)*u])
		}
	}
	return out
}

// gateMinor is the inverse of gateMajor.
func gateMinor(blocks []float64, rows, g, u int) []float64 {
	out := make([]float64, len(blocks))
	for r := 0; r < rows; r++ {
		for k := 0; k < g; k++ {
			copy(out[r*g*u+k*u:r*g*u+(k+1)*u], blocks[(k*rows+r)*u:(k*rows+r+1)*u])
		}
	}
	return out
}
