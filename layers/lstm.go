package layers

import "github.com/gornn/gornn/graph"

// LSTM is the long short-term memory layer of Keras. With gates in the
// order i, f, c, o and h_0 = c_0 = 0:
//
//	i = σ(x_t·W_i + h_{t-1}·U_i + b_i)
//	f = σ(x_t·W_f + h_{t-1}·U_f + b_f)
//	g = tanh(x_t·W_c + h_{t-1}·U_c + b_c)
//	o = σ(x_t·W_o + h_{t-1}·U_o + b_o)
//	c_t = f*c_{t-1} + i*g
//	h_t = o*tanh(c_t)
//
// In Keras layout kernel is [F, 4U] = [W_i W_f W_c W_o], recurrent_kernel
// [U, 4U] and bias [4U].
type LSTM struct {
	recurrent
	unitForgetBias bool
}

var (
	_ Layer         = (*LSTM)(nil)
	_ WeightPlanner = (*LSTM)(nil)
	_ TorchLayout   = (*LSTM)(nil)
)

// kindLSTM is LSTM's kind, in configurations and files.
const kindLSTM = "lstm"

func init() {
	registerBuiltin(kindLSTM, func(c Config) (Layer, error) {
		if err := c.noOptions(); err != nil {
			return nil, err
		}
		r := c.recurrent()
		return NewLSTM(c.Units, &LSTMOptions{Name: r.name, ReturnSequences: r.returnSequences, GoBackwards: r.goBackwards,
			NoBias: r.noBias, Dropout: r.dropout, RecurrentDropout: r.recurrentDropout,
			NoUnitForgetBias: c.UnitForgetBias != nil && !*c.UnitForgetBias})
	})
}

// NewLSTM returns an LSTM layer of the given units (1 to MaxUnits) and
// settings (nil: Keras' defaults).
func NewLSTM(units int, opts *LSTMOptions) (*LSTM, error) {
	ufb := opts == nil || !opts.NoUnitForgetBias
	r, err := newRecurrent(kindLSTM, opts.recurrent(), units, lstmCell{unitForgetBias: ufb})
	if err != nil {
		return nil, err
	}
	return &LSTM{recurrent: r, unitForgetBias: ufb}, nil
}

// Kind returns "lstm".
func (l *LSTM) Kind() string { return kindLSTM }

// ClassName returns "LSTM".
func (l *LSTM) ClassName() string { return "LSTM" }

// UnitForgetBias reports whether the forget-gate bias starts at 1.
func (l *LSTM) UnitForgetBias() bool { return l != nil && l.unitForgetBias }

// Config returns the layer's configuration.
func (l *LSTM) Config() Config {
	if l == nil {
		return Config{Kind: kindLSTM}
	}
	ufb := l.unitForgetBias
	c := l.baseConfig(kindLSTM)
	c.UnitForgetBias = &ufb
	return c
}

// Plan returns the number of weights Build would create for inputs
// [time, F] (4·F·U + 4·U·U + 4·U) and the output shape, or Build's error
// for that shape.
func (l *LSTM) Plan(in []int) (int, []int, error) { return l.core().plan(kindLSTM, in) }

// WeightSpecs returns kernel [F, 4U], recurrent_kernel [U, 4U] and bias
// [4U] for inputs [time, F], and the output shape, or Build's error.
func (l *LSTM) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	return l.core().weightSpecs(kindLSTM, in)
}

// Build creates the weights for inputs [time, features]: bias zero but for
// the forget gate's, which starts at 1 with UnitForgetBias.
func (l *LSTM) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	return l.core().build(kindLSTM, dt, in, rng)
}

// Forward unrolls the layer over the time steps of x [batch, time, F].
func (l *LSTM) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	return l.core().forward(b, x)
}

// lstmCell is the LSTM's step, with states h and c.
type lstmCell struct{ unitForgetBias bool }

func (c lstmCell) Spec() CellSpec {
	return CellSpec{Kind: kindLSTM, ClassName: "LSTM", Gates: 4, States: 2, BiasInit: c.bias}
}

// bias is zero but for the forget gate's, 1 with unit_forget_bias.
func (c lstmCell) bias(u int) []float64 {
	bias := make([]float64, 4*u)
	if c.unitForgetBias {
		for j := u; j < 2*u; j++ {
			bias[j] = 1
		}
	}
	return bias
}

// Step computes i, f, g, o from x_t and h_{t-1} (one product each for all
// gates when fused), then c_t and h_t; a nil (zero) h or c leaves its
// terms out.
func (lstmCell) Step(w *CellWeights, x *graph.Node, states []*graph.Node) (*graph.Node, []*graph.Node) {
	b, h, c := w.Builder(), states[0], states[1]
	z := w.Gates(x, h)
	i, f, g, o := b.Sigmoid(z[0]), b.Sigmoid(z[1]), b.Tanh(z[2]), b.Sigmoid(z[3])
	if c == nil {
		c = b.Mul(i, g)
	} else {
		c = b.Add(b.Mul(f, c), b.Mul(i, g))
	}
	h = b.Mul(o, b.Tanh(c))
	return h, []*graph.Node{h, c}
}
