package layers

import "github.com/gornn/gornn/graph"

// SimpleRNN is the fully connected recurrent layer of Keras:
//
//	h_t = tanh(x_t·kernel + h_{t-1}·recurrent_kernel + bias),  h_0 = 0.
type SimpleRNN struct{ recurrent }

var _ Layer = (*SimpleRNN)(nil)

// NewSimpleRNN returns a SimpleRNN layer. Options: WithReturnSequences and
// WithName.
func NewSimpleRNN(units int, opts ...Option) (*SimpleRNN, error) {
	o, err := applyOptions("simple_rnn", units, opts)
	if err != nil {
		return nil, err
	}
	l := &SimpleRNN{recurrent{base: base{name: o.name}, units: units, gates: 1}}
	if o.returnSequences != nil {
		l.returnSequences = *o.returnSequences
	}
	return l, nil
}

// Kind returns "simple_rnn".
func (l *SimpleRNN) Kind() string { return "simple_rnn" }

// ClassName returns "SimpleRNN".
func (l *SimpleRNN) ClassName() string { return "SimpleRNN" }

// Config returns the layer's configuration.
func (l *SimpleRNN) Config() Config {
	return Config{Kind: "simple_rnn", Name: l.name, Units: l.units, ReturnSequences: l.returnSequences}
}

// Build creates kernel, recurrent_kernel and a zero bias for inputs
// [time, features].
func (l *SimpleRNN) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	return l.build("simple_rnn", dt, in, rng, 1, make([]float64, l.units))
}

// Forward unrolls the layer over the time steps of x [batch, time, F].
func (l *SimpleRNN) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	xs := l.steps(b, x)
	if xs == nil {
		return nil
	}
	w, r, bias := b.ParamBlock(l.kernel, 0), b.ParamBlock(l.recurrentKernel, 0), b.ParamBlock(l.bias, 0)
	h := initialState(b, len(xs), l.units)
	hs := make([]*graph.Node, len(xs))
	for t, xt := range xs {
		z := b.MatMul(xt, w)
		if h != nil {
			z = b.Add(z, b.MatMul(h, r))
		}
		h = b.Tanh(b.AddBias(z, bias))
		hs[t] = h
	}
	return l.output(b, hs)
}

// initialState returns nil (h_0 = 0, so its terms are left out) unless the
// sequence has a single step, where a zero state keeps the recurrent
// weights in the graph so they get their (zero) gradient.
func initialState(b *graph.Builder, steps, units int) *graph.Node {
	if steps > 1 {
		return nil
	}
	return b.Zeros(b.Batch(), units)
}
