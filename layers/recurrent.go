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
	features        int
	kernel          *graph.Param // [g, F, U]
	recurrentKernel *graph.Param // [g, U, U]
	bias            *graph.Param // [g, U], or [2g, U] for GRU
	// torchOrder gives, for each of PyTorch's gate blocks, the Keras
	// block it is (nil: the same order).
	torchOrder []int
}

// newRecurrent returns the layer around cell, checking the cell's spec
// and that the layer's weights can fit within MaxWeights for one input
// feature.
func newRecurrent(kind string, o options, units int, cell Cell) (recurrent, error) {
	if cell == nil {
		return recurrent{}, fmt.Errorf("%w: %s: nil cell", ErrConfig, kind)
	}
	spec := cell.Spec()
	if err := spec.check(); err != nil {
		return recurrent{}, fmt.Errorf("%s: %w", kind, err)
	}
	r := recurrent{base: base{name: o.name}, cell: cell, units: units, gates: spec.Gates,
		biasRows: spec.biasRows(), states: spec.states(), biasInit: spec.BiasInit}
	if o.returnSequences != nil {
		r.returnSequences = *o.returnSequences
	}
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
	c.add(l.biasRows, u)
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
	return []WeightSpec{
		{Name: "kernel", Shape: []int{in[1], g * u}},
		{Name: "recurrent_kernel", Shape: []int{u, g * u}},
		{Name: "bias", Shape: l.kerasBiasShape()},
	}, out, nil
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
	return []Weight{
		{Name: "kernel", Shape: []int{l.features, g * u}, Data: gateMinor(values[0], l.features, g, u)},
		{Name: "recurrent_kernel", Shape: []int{u, g * u}, Data: gateMinor(values[1], u, g, u)},
		// The bias [g, U] (or [2g, U]) flattens to Keras' [gU] ([2, gU]).
		{Name: "bias", Shape: l.kerasBiasShape(), Data: slices.Clone(values[2])},
	}, nil
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

// forward is the time loop: it binds the weights into b's graph once
// (CellWeights), runs the cell over the steps of x [batch, T, F] from zero
// initial states (nil: the cell leaves their terms out) and returns every
// step's output [batch, T, U] with return_sequences, else the last one
// [batch, U]. States are passed explicitly from step to step, so initial
// states, returned states, masks and reversal belong here, not in cells.
func (l *recurrent) forward(b *graph.Builder, x *graph.Node) *graph.Node {
	xs := l.steps(b, x)
	if xs == nil {
		return nil
	}
	w := l.bindCell(b)
	states := make([]*graph.Node, l.states)
	outs := make([]*graph.Node, len(xs))
	for t, xt := range xs {
		out, next := l.cell.Step(w, xt, slices.Clone(states))
		if b.Err() != nil {
			return nil
		}
		if out == nil || len(next) != l.states || slices.Contains(next, nil) {
			b.Fail(fmt.Errorf("%w: %s: step %d of the cell gave output %v and %d states (want %d, none nil)", graph.ErrArgument, l.name, t, out != nil, len(next), l.states))
			return nil
		}
		outs[t], states = out, next
	}
	return l.output(b, outs)
}

// output returns the sequence of states or the last one.
func (l *recurrent) output(b *graph.Builder, hs []*graph.Node) *graph.Node {
	if b.Err() != nil {
		return nil
	}
	if l.returnSequences {
		return b.Stack(hs)
	}
	return hs[len(hs)-1]
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
