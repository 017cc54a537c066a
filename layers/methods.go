package layers

import "github.com/gornn/gornn/graph"

// A method promoted from an embedded struct dereferences its receiver, so
// on a nil *LSTM it would panic before running. The layer types therefore
// define these methods themselves: each passes a nil *base or *recurrent
// for a nil layer, and those methods handle it. A nil or zero layer
// answers with empty values, and Build, SetWeights and the other methods
// that return an error return one.

// baseOf returns l's base, nil for a nil l.
func (l *recurrent) baseOf() *base {
	if l == nil {
		return nil
	}
	return &l.base
}

// baseOf returns l's base, nil for a nil l.
func (l *Dense) baseOf() *base {
	if l == nil {
		return nil
	}
	return &l.base
}

// core returns l's recurrent part, nil for a nil l.
func (l *SimpleRNN) core() *recurrent {
	if l == nil {
		return nil
	}
	return &l.recurrent
}

// core returns l's recurrent part, nil for a nil l.
func (l *LSTM) core() *recurrent {
	if l == nil {
		return nil
	}
	return &l.recurrent
}

// core returns l's recurrent part, nil for a nil l.
func (l *GRU) core() *recurrent {
	if l == nil {
		return nil
	}
	return &l.recurrent
}

// Name returns the layer's name.
func (l *Dense) Name() string { return l.baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *Dense) SetName(name string) error { return l.baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *Dense) Built() bool { return l.baseOf().Built() }

// Params returns kernel and bias (none before Build).
func (l *Dense) Params() []*graph.Param { return l.baseOf().Params() }

// Name returns the layer's name.
func (l *SimpleRNN) Name() string { return l.core().baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *SimpleRNN) SetName(name string) error { return l.core().baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *SimpleRNN) Built() bool { return l.core().baseOf().Built() }

// Params returns kernel, recurrent kernel and bias, gate-major (none
// before Build).
func (l *SimpleRNN) Params() []*graph.Param { return l.core().baseOf().Params() }

// Units returns the number of units.
func (l *SimpleRNN) Units() int { return l.core().Units() }

// ReturnSequences reports whether the layer returns every step.
func (l *SimpleRNN) ReturnSequences() bool { return l.core().ReturnSequences() }

// Weights returns kernel [F, U], recurrent_kernel [U, U] and bias [U].
func (l *SimpleRNN) Weights() []Weight { return l.core().Weights() }

// KerasLayout converts values shaped like Params to Keras layout.
func (l *SimpleRNN) KerasLayout(values [][]float64) ([]Weight, error) {
	return l.core().KerasLayout(values)
}

// SetWeights sets the weights from Keras layout.
func (l *SimpleRNN) SetWeights(ws []Weight) error { return l.core().SetWeights(ws) }

// Name returns the layer's name.
func (l *LSTM) Name() string { return l.core().baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *LSTM) SetName(name string) error { return l.core().baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *LSTM) Built() bool { return l.core().baseOf().Built() }

// Params returns kernel, recurrent kernel and bias, gate-major (none
// before Build).
func (l *LSTM) Params() []*graph.Param { return l.core().baseOf().Params() }

// Units returns the number of units.
func (l *LSTM) Units() int { return l.core().Units() }

// ReturnSequences reports whether the layer returns every step.
func (l *LSTM) ReturnSequences() bool { return l.core().ReturnSequences() }

// Weights returns kernel [F, 4U], recurrent_kernel [U, 4U] and bias [4U].
func (l *LSTM) Weights() []Weight { return l.core().Weights() }

// KerasLayout converts values shaped like Params to Keras layout.
func (l *LSTM) KerasLayout(values [][]float64) ([]Weight, error) { return l.core().KerasLayout(values) }

// SetWeights sets the weights from Keras layout.
func (l *LSTM) SetWeights(ws []Weight) error { return l.core().SetWeights(ws) }

// Name returns the layer's name.
func (l *GRU) Name() string { return l.core().baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *GRU) SetName(name string) error { return l.core().baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *GRU) Built() bool { return l.core().baseOf().Built() }

// Params returns kernel, recurrent kernel and bias, gate-major (none
// before Build).
func (l *GRU) Params() []*graph.Param { return l.core().baseOf().Params() }

// Units returns the number of units.
func (l *GRU) Units() int { return l.core().Units() }

// ReturnSequences reports whether the layer returns every step.
func (l *GRU) ReturnSequences() bool { return l.core().ReturnSequences() }

// Weights returns kernel [F, 3U], recurrent_kernel [U, 3U] and bias
// [2, 3U].
func (l *GRU) Weights() []Weight { return l.core().Weights() }

// KerasLayout converts values shaped like Params to Keras layout.
func (l *GRU) KerasLayout(values [][]float64) ([]Weight, error) { return l.core().KerasLayout(values) }

// SetWeights sets the weights from Keras layout.
func (l *GRU) SetWeights(ws []Weight) error { return l.core().SetWeights(ws) }

// ToTorch converts the Keras weights to torch.nn.RNN's parameters.
func (l *SimpleRNN) ToTorch(ws []Weight) ([]Weight, error) { return l.core().toTorch(ws) }

// FromTorch converts torch.nn.RNN's parameters to Keras weights.
func (l *SimpleRNN) FromTorch(ps []Weight) ([]Weight, error) { return l.core().fromTorch(ps) }

// ToTorch converts the Keras weights to torch.nn.LSTM's parameters.
func (l *LSTM) ToTorch(ws []Weight) ([]Weight, error) { return l.core().toTorch(ws) }

// FromTorch converts torch.nn.LSTM's parameters to Keras weights.
func (l *LSTM) FromTorch(ps []Weight) ([]Weight, error) { return l.core().fromTorch(ps) }

// ToTorch converts the Keras weights to torch.nn.GRU's parameters (gates
// reordered from z, r, h to r, z, n).
func (l *GRU) ToTorch(ws []Weight) ([]Weight, error) { return l.core().toTorch(ws) }

// FromTorch converts torch.nn.GRU's parameters to Keras weights.
func (l *GRU) FromTorch(ps []Weight) ([]Weight, error) { return l.core().fromTorch(ps) }
