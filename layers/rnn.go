package layers

import "github.com/gornn/gornn/graph"

// RNN is a recurrent layer around a Cell of one's own: Keras'
// keras.layers.RNN(cell). It owns what SimpleRNN, LSTM and GRU share with
// it: the time loop over the steps of [batch, time, F], return_sequences,
// the weights in the cell's gate layout (kernel [F, gU], recurrent_kernel
// [U, gU], bias [gU] or [2, gU], Keras' initializers), their Keras layout
// for Weights and SetWeights, and the fused products of small layers that
// the cell reaches through CellWeights.
//
// Its kind and class name are the cell's (CellSpec.Kind and ClassName,
// "rnn" and "RNN" if empty) and its Config holds the kind, name, units and
// return_sequences: to save and load it, register the kind with a decoder
// that wraps the same cell again (Register). It has no PyTorch mapping
// (it is not a TorchLayout), since PyTorch has no module for an arbitrary
// cell.
type RNN struct{ recurrent }

var (
	_ Layer         = (*RNN)(nil)
	_ WeightPlanner = (*RNN)(nil)
)

// NewRNN returns a layer of the given units (1 to MaxUnits) and settings
// (nil: Keras' defaults) around cell. The cell's spec is checked here
// (errors wrap ErrConfig).
func NewRNN(cell Cell, units int, opts *RNNOptions) (*RNN, error) {
	kind := kindRNN
	if cell != nil && cell.Spec().Kind != "" {
		kind = cell.Spec().Kind
	}
	r, err := newRecurrent(kind, opts.recurrent(), units, cell)
	if err != nil {
		return nil, err
	}
	return &RNN{r}, nil
}

// kindRNN is the kind of an RNN whose cell names none.
const kindRNN = "rnn"

// core returns l's recurrent part, nil for a nil l.
func (l *RNN) core() *recurrent {
	if l == nil {
		return nil
	}
	return &l.recurrent
}

// Cell returns the layer's cell.
func (l *RNN) Cell() Cell {
	if l == nil {
		return nil
	}
	return l.cell
}

// Kind returns the cell's CellSpec.Kind, or "rnn".
func (l *RNN) Kind() string {
	if l == nil || l.cell == nil || l.cell.Spec().Kind == "" {
		return kindRNN
	}
	return l.cell.Spec().Kind
}

// ClassName returns the cell's CellSpec.ClassName, or "RNN".
func (l *RNN) ClassName() string {
	if l == nil || l.cell == nil || l.cell.Spec().ClassName == "" {
		return "RNN"
	}
	return l.cell.Spec().ClassName
}

// Config returns the layer's configuration: kind, name, units and
// return_sequences.
func (l *RNN) Config() Config {
	if l == nil {
		return Config{Kind: kindRNN}
	}
	return l.baseConfig(l.Kind())
}

// Name returns the layer's name.
func (l *RNN) Name() string { return l.core().baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *RNN) SetName(name string) error { return l.core().baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *RNN) Built() bool { return l.core().baseOf().Built() }

// Params returns kernel, recurrent kernel and bias, gate-major (none
// before Build).
func (l *RNN) Params() []*graph.Param { return l.core().baseOf().Params() }

// Units returns the number of units.
func (l *RNN) Units() int { return l.core().Units() }

// ReturnSequences reports whether the layer returns every step.
func (l *RNN) ReturnSequences() bool { return l.core().ReturnSequences() }

// Plan returns the number of weights Build would create for inputs
// [time, F] (g·F·U + g·U·U + g·U, or 2g·U of bias with SplitBias) and the
// output shape, or Build's error for that shape.
func (l *RNN) Plan(in []int) (int, []int, error) { return l.core().plan(l.Kind(), in) }

// WeightSpecs returns kernel [F, gU], recurrent_kernel [U, gU] and bias
// [gU] (or [2, gU]) for inputs [time, F], and the output shape, or Build's
// error.
func (l *RNN) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	return l.core().weightSpecs(l.Kind(), in)
}

// Build creates the weights for inputs [time, features]: Glorot uniform
// kernel, orthogonal recurrent kernel (over their Keras shapes) and the
// bias of the cell's CellSpec.BiasInit (zeros without one).
func (l *RNN) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	return l.core().build(l.Kind(), dt, in, rng)
}

// Forward runs the cell over the time steps of x [batch, time, F], from
// zero states.
func (l *RNN) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	return l.core().forward(b, x)
}

// Weights returns kernel [F, gU], recurrent_kernel [U, gU] and bias in
// Keras layout.
func (l *RNN) Weights() []Weight { return l.core().Weights() }

// KerasLayout converts values shaped like Params to Keras layout.
func (l *RNN) KerasLayout(values [][]float64) ([]Weight, error) { return l.core().KerasLayout(values) }

// SetWeights sets the weights from Keras layout.
func (l *RNN) SetWeights(ws []Weight) error { return l.core().SetWeights(ws) }
