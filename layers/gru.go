package layers

import "github.com/gornn/gornn/graph"

// GRU is the gated recurrent unit of Keras with reset_after=True (the
// default, and cuDNN's form). With gates z, r, h and h_0 = 0:
//
//	xz_k = x_t·W_k + bi_k,  hz_k = h_{t-1}·U_k + br_k   (k = z, r, h)
//	z = σ(xz_z + hz_z)
//	r = σ(xz_r + hz_r)
//	ĥ = tanh(xz_h + r*hz_h)
//	h_t = z*h_{t-1} + (1-z)*ĥ
//
// In Keras layout kernel is [F, 3U], recurrent_kernel [U, 3U] and bias
// [2, 3U]: row 0 the input bias bi, row 1 the recurrent bias br.
type GRU struct{ recurrent }

var (
	_ Layer         = (*GRU)(nil)
	_ WeightPlanner = (*GRU)(nil)
	_ TorchLayout   = (*GRU)(nil)
)

// kindGRU is GRU's kind, in configurations and files.
const kindGRU = "gru"

func init() {
	registerBuiltin(kindGRU, func(c Config) (Layer, error) {
		if err := c.noOptions(); err != nil {
			return nil, err
		}
		r := c.recurrent()
		return NewGRU(c.Units, &GRUOptions{Name: r.name, ReturnSequences: r.returnSequences, GoBackwards: r.goBackwards,
			NoBias: r.noBias, Dropout: r.dropout, RecurrentDropout: r.recurrentDropout})
	})
}

// NewGRU returns a GRU layer of the given units (1 to MaxUnits) and
// settings (nil: Keras' defaults).
func NewGRU(units int, opts *GRUOptions) (*GRU, error) {
	r, err := newRecurrent(kindGRU, opts.recurrent(), units, gruCell{})
	if err != nil {
		return nil, err
	}
	r.torchOrder = torchGRUOrder
	return &GRU{r}, nil
}

// Kind returns "gru".
func (l *GRU) Kind() string { return kindGRU }

// ClassName returns "GRU".
func (l *GRU) ClassName() string { return "GRU" }

// Config returns the layer's configuration.
func (l *GRU) Config() Config {
	if l == nil {
		return Config{Kind: kindGRU}
	}
	return l.baseConfig(kindGRU)
}

// Build creates the weights for inputs [time, features], with zero biases.
func (l *GRU) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	return l.core().build(kindGRU, dt, in, rng)
}

// Plan returns the number of weights Build would create for inputs
// [time, F] (3·F·U + 3·U·U + 6·U) and the output shape, or Build's error
// for that shape.
func (l *GRU) Plan(in []int) (int, []int, error) { return l.core().plan(kindGRU, in) }

// WeightSpecs returns kernel [F, 3U], recurrent_kernel [U, 3U] and bias
// [2, 3U] for inputs [time, F], and the output shape, or Build's error.
func (l *GRU) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	return l.core().weightSpecs(kindGRU, in)
}

// Forward unrolls the layer over the time steps of x [batch, time, F].
func (l *GRU) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	return l.core().forward(b, x)
}

// gruCell is the GRU's step (reset after), with an input and a recurrent
// bias.
type gruCell struct{}

func (gruCell) Spec() CellSpec {
	return CellSpec{Kind: kindGRU, ClassName: "GRU", Gates: 3, SplitBias: true}
}

// Step computes the input and recurrent pre-activations of z, r, h (one
// product each for all gates when fused), then h_t. The recurrent bias
// sits inside the reset product, so h_0 = 0 is kept as a real zero state
// rather than left out.
func (gruCell) Step(w *CellWeights, x *graph.Node, states []*graph.Node) (*graph.Node, []*graph.Node) {
	b, h := w.Builder(), states[0]
	if h == nil {
		h = w.Zeros()
	}
	xz, hz := w.InputGates(x), w.RecurrentGates(h)
	z := b.Sigmoid(b.Add(xz[0], hz[0]))
	r := b.Sigmoid(b.Add(xz[1], hz[1]))
	hh := b.Tanh(b.Add(xz[2], b.Mul(r, hz[2])))
	h = b.Add(b.Mul(z, h), b.Mul(b.OneMinus(z), hh))
	return h, []*graph.Node{h}
}
