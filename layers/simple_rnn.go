package layers

import (
	"fmt"

	"github.com/gornn/gornn/graph"
)

// SimpleRNN is the fully connected recurrent layer of Keras:
//
//	h_t = act(x_t·kernel + h_{t-1}·recurrent_kernel + bias),  h_0 = 0,
//
// with act tanh by default, or relu, sigmoid or linear (Keras'
// SimpleRNN(activation=...); PyTorch's nn.RNN(nonlinearity="relu") is the
// relu one).
type SimpleRNN struct {
	recurrent
	activation Activation
	// explicit records an activation given in the options, so that a
	// configuration naming the default ("tanh") keeps it.
	explicit bool
}

var (
	_ Layer         = (*SimpleRNN)(nil)
	_ WeightPlanner = (*SimpleRNN)(nil)
	_ TorchLayout   = (*SimpleRNN)(nil)
)

// kindSimpleRNN is SimpleRNN's kind, in configurations and files.
const kindSimpleRNN = "simple_rnn"

func init() {
	registerBuiltin(kindSimpleRNN, func(c Config) (Layer, error) {
		if err := c.noOptions(); err != nil {
			return nil, err
		}
		act, err := c.activation()
		if err != nil {
			return nil, err
		}
		r := c.recurrent()
		return NewSimpleRNN(c.Units, &SimpleRNNOptions{Name: r.name, Activation: act, ReturnSequences: r.returnSequences,
			GoBackwards: r.goBackwards, NoBias: r.noBias, Dropout: r.dropout, RecurrentDropout: r.recurrentDropout})
	})
}

// NewSimpleRNN returns a SimpleRNN layer of the given units (1 to
// MaxUnits) and settings (nil: Keras' defaults, tanh).
func NewSimpleRNN(units int, opts *SimpleRNNOptions) (*SimpleRNN, error) {
	var given Activation
	if opts != nil {
		given = opts.Activation
	}
	act, err := given.or(Tanh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kindSimpleRNN, err)
	}
	if act == Softmax {
		return nil, fmt.Errorf("%w: %s: activation %v is not elementwise (a Dense layer's only)", ErrConfig, kindSimpleRNN, act)
	}
	r, err := newRecurrent(kindSimpleRNN, opts.recurrent(), units, simpleRNNCell{activation: act})
	if err != nil {
		return nil, err
	}
	return &SimpleRNN{recurrent: r, activation: act, explicit: given != DefaultActivation}, nil
}

// Activation returns the layer's activation (Tanh by default).
func (l *SimpleRNN) Activation() Activation {
	if l == nil {
		return Tanh
	}
	return l.activation
}

// Kind returns "simple_rnn".
func (l *SimpleRNN) Kind() string { return kindSimpleRNN }

// ClassName returns "SimpleRNN".
func (l *SimpleRNN) ClassName() string { return "SimpleRNN" }

// Config returns the layer's configuration.
func (l *SimpleRNN) Config() Config {
	if l == nil {
		return Config{Kind: kindSimpleRNN}
	}
	c := l.baseConfig(kindSimpleRNN)
	if l.explicit || l.activation != Tanh {
		// The default is left out, so that files of tanh layers are
		// what they were before the option existed.
		c.Activation = l.activation.String()
	}
	return c
}

// Build creates kernel, recurrent_kernel and a zero bias for inputs
// [time, features].
func (l *SimpleRNN) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	return l.core().build(kindSimpleRNN, dt, in, rng)
}

// Plan returns the number of weights Build would create for inputs
// [time, F] (F·U + U·U + U) and the output shape, or Build's error for
// that shape.
func (l *SimpleRNN) Plan(in []int) (int, []int, error) { return l.core().plan(kindSimpleRNN, in) }

// WeightSpecs returns kernel [F, U], recurrent_kernel [U, U] and bias [U]
// for inputs [time, F], and the output shape, or Build's error.
func (l *SimpleRNN) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	return l.core().weightSpecs(kindSimpleRNN, in)
}

// Forward unrolls the layer over the time steps of x [batch, time, F].
func (l *SimpleRNN) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	return l.core().forward(b, x)
}

// simpleRNNCell is SimpleRNN's step: one gate, one state.
type simpleRNNCell struct{ activation Activation }

func (simpleRNNCell) Spec() CellSpec {
	return CellSpec{Kind: kindSimpleRNN, ClassName: "SimpleRNN", Gates: 1}
}

// Step computes h_t = act(x_t·W + h_{t-1}·U + b); a nil (zero) h leaves
// its term out.
func (c simpleRNNCell) Step(w *CellWeights, x *graph.Node, states []*graph.Node) (*graph.Node, []*graph.Node) {
	h := activate(w.Builder(), c.activation, w.Gates(x, states[0])[0])
	return h, []*graph.Node{h}
}
