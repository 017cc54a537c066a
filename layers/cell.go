package layers

import (
	"fmt"

	"github.com/gornn/gornn/graph"
)

// A Cell is one step of a recurrent layer: from the input x_t [batch, F]
// of a step and the states the previous step left, each [batch, units], it
// computes the step's output and the next states (Keras' cell.call(inputs,
// states)). Everything around the step belongs to the layer that wraps the
// cell: the time loop, return_sequences, binding the weights into each
// graph and the choice between fused and per-gate products. SimpleRNN,
// LSTM and GRU are cells inside that loop; NewRNN wraps a cell of one's
// own.
//
// The weights are the layer's too: the cell's CellSpec says how many gates
// it has, and the layer creates, initializes, stores, checks and converts
// kernel [F, gU], recurrent_kernel [U, gU] and bias [gU] (or [2, gU]) in
// Keras layout, as for the built-in cells, and hands the cell each gate's
// blocks, bound into the graph, in a CellWeights.
type Cell interface {
	// Spec describes the cell's weights and states. It must return the
	// same for the life of the cell.
	Spec() CellSpec
	// Step adds one step to w's graph. states holds the states the
	// previous step returned, in the cell's order (CellSpec.States of
	// them); a nil state is a zero state (the initial state), so that the
	// cell can leave out the terms it multiplies, or replace it by
	// w.Zeros(). Step returns the step's output [batch, units] and the
	// next states, one non-nil node [batch, units] each. A cell must not
	// keep states between calls: the layer passes them explicitly.
	// Builder operations record their errors in the builder, so Step just
	// returns what it has.
	Step(w *CellWeights, x *graph.Node, states []*graph.Node) (out *graph.Node, next []*graph.Node)
}

// CellSpec describes a cell to the layer that wraps it.
type CellSpec struct {
	// Kind and ClassName are the layer's kind (in snake case, for
	// configurations, files and the registry) and Keras class name (for
	// summaries) when the cell is wrapped by NewRNN: "rnn" and "RNN" if
	// empty.
	Kind, ClassName string
	// Gates is the number of gates g (at least 1): kernel [F, gU] and
	// recurrent_kernel [U, gU] hold one column block of U per gate, in
	// the order the cell reads them (CellWeights.Kernel(k)).
	Gates int
	// SplitBias gives the layer a bias [2, gU], an input row and a
	// recurrent row (the GRU's reset_after form), instead of one [gU].
	SplitBias bool
	// States is the number of states the cell carries (the LSTM's h and
	// c: 2); 0 means 1.
	States int
	// BiasInit returns the bias' initial values for a layer of the given
	// units, in Keras layout (gU values, 2gU with SplitBias); nil means
	// zeros.
	BiasInit func(units int) []float64
}

// states returns the number of states, at least 1.
func (s CellSpec) states() int { return max(s.States, 1) }

// biasRows returns the rows of U values of the bias: g, or 2g with
// SplitBias.
func (s CellSpec) biasRows() int {
	if s.SplitBias {
		return 2 * s.Gates
	}
	return s.Gates
}

// check validates a cell's spec.
func (s CellSpec) check() error {
	if s.Gates < 1 || s.Gates > maxGates {
		return fmt.Errorf("%w: a cell has 1 to %d gates, not %d", ErrConfig, maxGates, s.Gates)
	}
	if s.States < 0 || s.States > maxGates {
		return fmt.Errorf("%w: a cell carries 1 to %d states, not %d", ErrConfig, maxGates, s.States)
	}
	if s.Kind != "" {
		if err := checkKind(s.Kind); err != nil {
			return err
		}
	}
	return nil
}

// maxGates bounds a cell's gates and states (the LSTM has 4).
const maxGates = 16

// fuseMaxUnits is the largest layer whose gates are computed fused: one
// product per step for all gates (their weight blocks joined once per
// run), split into the gates by column slices, instead of one product per
// gate. At small sizes this halves the number of products and the step
// gets faster (seed LSTM step, U=20: 352 → 310 µs); from U=64 on, copying
// the slices and summing their gradients costs more than it saves (U=64:
// 45.8 → 49.9 ms, U=128: 122 → 143 ms at batch 64, 50 steps).
const fuseMaxUnits = 32

// fuseMaxWidth bounds the width g·U of a fused product, so that every
// column slice of it ends at most at 256 and starts below: Gorgonia's
// slice-merge bug (one byte per bound) cannot join two of them.
const fuseMaxWidth = 256

// fuseGates reports whether a layer of g gates of the given units computes
// its gates fused.
func fuseGates(gates, units int) bool {
	return gates > 1 && units <= fuseMaxUnits && gates*units <= fuseMaxWidth
}

// CellWeights is a recurrent layer's weights bound into one graph, for one
// run of its time loop: each gate's blocks of the kernel, the recurrent
// kernel and the bias, and, for a fused layer, the blocks joined, with the
// products a step takes from them. The helpers (Gates, InputGates,
// RecurrentGates) give every gate's pre-activation with one product for
// all gates when the layer is fused (small layers: at most 32 units) and
// one product per gate otherwise, the choice the built-in cells make; a
// cell that uses them is fused like the built-ins.
type CellWeights struct {
	b            *graph.Builder
	units, gates int
	fused        bool
	kernel, rec  []*graph.Node   // per gate: W_k [F, U], U_k [U, U]
	bias         [][]*graph.Node // per bias row (input, recurrent), per gate: [U]
	// The joined blocks, made on first use: W [F, gU], U [U, gU] and
	// each bias row [gU].
	kernelAll, recAll *graph.Node
	biasAll           []*graph.Node
	// inMask and recMask are the dropout masks of a training graph (nil
	// without dropout): [batch, F] for x, [batch, U] for h.
	inMask, recMask *graph.Node
}

// DropInput returns x times the input dropout mask in a training graph
// (x itself otherwise): what the helpers multiply by the kernels. A cell
// that multiplies x by the kernel blocks itself applies it first.
func (w *CellWeights) DropInput(x *graph.Node) *graph.Node {
	if w.inMask == nil || x == nil {
		return x
	}
	return w.b.Mul(x, w.inMask)
}

// DropRecurrent returns h times the recurrent dropout mask in a training
// graph (h itself otherwise, and nil for a nil h): what the helpers
// multiply by the recurrent kernels.
func (w *CellWeights) DropRecurrent(h *graph.Node) *graph.Node {
	if w.recMask == nil || h == nil {
		return h
	}
	return w.b.Mul(h, w.recMask)
}

// bindCell binds the weights of l into b's graph: for each gate its
// kernel, recurrent kernel and bias blocks.
func (l *recurrent) bindCell(b *graph.Builder) *CellWeights {
	g := l.gates
	rows := l.biasRows / g
	if l.noBias {
		rows = 0
	}
	w := &CellWeights{
		b: b, units: l.units, gates: g, fused: fuseGates(g, l.units),
		kernel: make([]*graph.Node, g), rec: make([]*graph.Node, g),
		bias: make([][]*graph.Node, rows), biasAll: make([]*graph.Node, rows),
	}
	for r := range rows {
		w.bias[r] = make([]*graph.Node, g)
	}
	for k := range g {
		w.kernel[k], w.rec[k] = b.ParamBlock(l.kernel, k), b.ParamBlock(l.recurrentKernel, k)
		if rows == 0 {
			continue
		}
		for r := range rows {
			w.bias[r][k] = b.ParamBlock(l.bias, r*g+k)
		}
	}
	return w
}

// Builder returns the builder of the graph the weights are bound into.
func (w *CellWeights) Builder() *graph.Builder { return w.b }

// Units returns the layer's units U.
func (w *CellWeights) Units() int { return w.units }

// Fused reports whether the helpers take one product for all gates (and
// split it by column slices) rather than one per gate.
func (w *CellWeights) Fused() bool { return w.fused }

// Kernel returns gate k's block W_k [F, U] of the kernel.
func (w *CellWeights) Kernel(k int) *graph.Node { return w.block(w.kernel, k) }

// RecurrentKernel returns gate k's block U_k [U, U] of the recurrent
// kernel.
func (w *CellWeights) RecurrentKernel(k int) *graph.Node { return w.block(w.rec, k) }

// HasBias reports whether the layer has a bias (it has none with
// NoBias); Bias and RecurrentBias are nil without one, and the
// helpers leave the bias terms out.
func (w *CellWeights) HasBias() bool { return len(w.bias) > 0 }

// Bias returns gate k's bias b_k [U] (with CellSpec.SplitBias, the input
// bias), nil for a layer without a bias (HasBias).
func (w *CellWeights) Bias(k int) *graph.Node {
	if !w.HasBias() {
		return nil
	}
	return w.block(w.bias[0], k)
}

// RecurrentBias returns gate k's recurrent bias [U] of a cell with
// CellSpec.SplitBias (nil, with an error in the builder, for another; nil
// for a layer without a bias).
func (w *CellWeights) RecurrentBias(k int) *graph.Node {
	if !w.HasBias() {
		return nil
	}
	if len(w.bias) < 2 {
		w.b.Fail(fmt.Errorf("%w: RecurrentBias of a cell without SplitBias", ErrConfig))
		return nil
	}
	return w.block(w.bias[1], k)
}

func (w *CellWeights) block(blocks []*graph.Node, k int) *graph.Node {
	if k < 0 || k >= len(blocks) {
		w.b.Fail(fmt.Errorf("%w: gate %d of a cell of %d gates", graph.ErrArgument, k, len(blocks)))
		return nil
	}
	return blocks[k]
}

// Zeros returns a zero state [batch, units].
func (w *CellWeights) Zeros() *graph.Node { return w.b.Zeros(w.b.Batch(), w.units) }

// Gates returns, for every gate k, x·W_k + h·U_k + b_k (with
// CellSpec.SplitBias, b_k is the input bias only). A nil h is a zero
// state: its term is left out. Fused, that is one product with x, one with
// h and one bias for all gates, split by column slices; otherwise one of
// each per gate.
func (w *CellWeights) Gates(x, h *graph.Node) []*graph.Node {
	b, z := w.b, make([]*graph.Node, w.gates)
	x, h = w.DropInput(x), w.DropRecurrent(h)
	if w.fused {
		all := b.MatMul(x, w.joinedKernel())
		if h != nil {
			all = b.Add(all, b.MatMul(h, w.joinedRecurrent()))
		}
		w.split(w.addBias(all, 0, -1), z)
		return z
	}
	for k := range z {
		z[k] = b.MatMul(x, w.kernel[k])
		if h != nil {
			z[k] = b.Add(z[k], b.MatMul(h, w.rec[k]))
		}
		z[k] = w.addBias(z[k], 0, k)
	}
	return z
}

// InputGates returns, for every gate k, x·W_k + b_k (with
// CellSpec.SplitBias, the input bias): one product for all gates when
// fused.
func (w *CellWeights) InputGates(x *graph.Node) []*graph.Node {
	b, z := w.b, make([]*graph.Node, w.gates)
	x = w.DropInput(x)
	if w.fused {
		w.split(w.addBias(b.MatMul(x, w.joinedKernel()), 0, -1), z)
		return z
	}
	for k := range z {
		z[k] = w.addBias(b.MatMul(x, w.kernel[k]), 0, k)
	}
	return z
}

// RecurrentGates returns, for every gate k, h·U_k, plus the recurrent bias
// with CellSpec.SplitBias: one product for all gates when fused. h must
// not be nil.
func (w *CellWeights) RecurrentGates(h *graph.Node) []*graph.Node {
	b, z := w.b, make([]*graph.Node, w.gates)
	if h == nil {
		b.Fail(fmt.Errorf("%w: RecurrentGates of a nil (zero) state", graph.ErrArgument))
		return z
	}
	split := len(w.bias) > 1
	h = w.DropRecurrent(h)
	if w.fused {
		all := b.MatMul(h, w.joinedRecurrent())
		if split {
			all = b.AddBias(all, w.joinedBias(1))
		}
		w.split(all, z)
		return z
	}
	for k := range z {
		z[k] = b.MatMul(h, w.rec[k])
		if split {
			z[k] = b.AddBias(z[k], w.bias[1][k])
		}
	}
	return z
}

// addBias adds bias row row of gate k (all gates joined for k < 0) to z,
// or returns z for a layer without a bias.
func (w *CellWeights) addBias(z *graph.Node, row, k int) *graph.Node {
	if !w.HasBias() {
		return z
	}
	if k < 0 {
		return w.b.AddBias(z, w.joinedBias(row))
	}
	return w.b.AddBias(z, w.bias[row][k])
}

// split cuts a fused product [batch, g·U] into the gates' [batch, U]
// columns, at offsets below fuseMaxWidth.
func (w *CellWeights) split(all *graph.Node, gates []*graph.Node) {
	for k := range gates {
		gates[k] = w.b.Slice(all, 1, k*w.units, (k+1)*w.units)
	}
}

func (w *CellWeights) joinedKernel() *graph.Node {
	if w.kernelAll == nil {
		w.kernelAll = w.b.Concat(1, w.kernel...)
	}
	return w.kernelAll
}

func (w *CellWeights) joinedRecurrent() *graph.Node {
	if w.recAll == nil {
		w.recAll = w.b.Concat(1, w.rec...)
	}
	return w.recAll
}

func (w *CellWeights) joinedBias(row int) *graph.Node {
	if w.biasAll[row] == nil {
		w.biasAll[row] = w.b.Concat(0, w.bias[row]...)
	}
	return w.biasAll[row]
}
