package layers

import "github.com/gornn/gornn/graph"

// SimpleRNN is the fully connected recurrent layer of Keras:
//
//	h_t = tanh(x_t·kernel + h_{t-1}·recurrent_kernel + bias),  h_0 = 0.
type SimpleRNN struct{ recurrent }

var (
	_ Layer         = (*SimpleRNN)(nil)
	_ WeightPlanner = (*SimpleRNN)(nil)
	_ TorchLayout   = (*SimpleRNN)(nil)
)

// kindSimpleRNN is SimpleRNN's kind, in configurations and files.
const kindSimpleRNN = "simple_rnn"

func init() {
	registerBuiltin(kindSimpleRNN, func(c Config) (Layer, error) {
		opts, err := c.options()
		if err != nil {
			return nil, err
		}
		return NewSimpleRNN(c.Units, opts...)
	})
}

// NewSimpleRNN returns a SimpleRNN layer. Options: WithReturnSequences and
// WithName.
func NewSimpleRNN(units int, opts ...Option) (*SimpleRNN, error) {
	o, err := applyOptions(kindSimpleRNN, units, takesReturnSequences, opts)
	if err != nil {
		return nil, err
	}
	r, err := newRecurrent(kindSimpleRNN, o, units, 1, 1)
	if err != nil {
		return nil, err
	}
	return &SimpleRNN{r}, nil
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
	return Config{Kind: kindSimpleRNN, Name: l.name, Units: l.units, ReturnSequences: l.returnSequences}
}

// Build creates kernel, recurrent_kernel and a zero bias for inputs
// [time, features].
func (l *SimpleRNN) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	return l.core().build(kindSimpleRNN, dt, in, rng, func(u int) []float64 { return make([]float64, u) })
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
	xs := l.core().steps(b, x)
	if xs == nil {
		return nil
	}
	w, r, bias := b.ParamBlock(l.kernel, 0), b.ParamBlock(l.recurrentKernel, 0), b.ParamBlock(l.bias, 0)
	var h *graph.Node // h_0 = 0: its terms are left out
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
