package layers_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// lstmLikeCell is the LSTM's step written outside the package with the
// CellWeights helpers, as a user would.
type lstmLikeCell struct{}

func (lstmLikeCell) Spec() layers.CellSpec {
	return layers.CellSpec{Gates: 4, States: 2, BiasInit: func(u int) []float64 { return make([]float64, 4*u) }}
}

func (lstmLikeCell) Step(w *layers.CellWeights, x *graph.Node, s []*graph.Node) (*graph.Node, []*graph.Node) {
	b, h, c := w.Builder(), s[0], s[1]
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

// TestRNNOfLSTMCellMatchesLSTM: the LSTM's step written as a cell of one's
// own and wrapped by NewRNN computes, with the same weights, what LSTM
// does, bit for bit, fused (U=5) and not (U=40).
func TestRNNOfLSTMCellMatchesLSTM(t *testing.T) {
	for _, u := range []int{5, 40} {
		for _, rs := range []bool{false, true} {
			lstm := must(layers.NewLSTM(u, &layers.LSTMOptions{ReturnSequences: rs, Name: "lstm"}))
			rnn := must(layers.NewRNN(lstmLikeCell{}, u, &layers.RNNOptions{ReturnSequences: rs, Name: "rnn"}))
			in := []int{4, 3}
			must(lstm.Build(graph.Float64, in, graph.NewRNG(1)))
			must(rnn.Build(graph.Float64, in, graph.NewRNG(2)))
			if err := rnn.SetWeights(lstm.Weights()); err != nil {
				t.Fatal(err)
			}
			specs, out, err := rnn.WeightSpecs(in)
			want, wantOut, _ := lstm.WeightSpecs(in)
			if err != nil || !slices.EqualFunc(specs, want, func(a, b layers.WeightSpec) bool {
				return a.Name == b.Name && slices.Equal(a.Shape, b.Shape)
			}) || !slices.Equal(out, wantOut) {
				t.Errorf("U=%d: WeightSpecs %v %v %v, want %v %v", u, specs, out, err, want, wantOut)
			}
			r := rand.New(rand.NewPCG(3, 4))
			x := must(graph.FromFloat64s(graph.Float64, uniform(r, 2*4*3, 1), 2, 4, 3))
			got, exp := forward(t, rnn, x, true), forward(t, lstm, x, true)
			if !slices.Equal(got, exp) {
				t.Errorf("U=%d rs=%v: RNN(lstm cell) differs from LSTM by %g", u, rs, maxAbsDiff(got, exp))
			}
			if rnn.Kind() != "rnn" || rnn.ClassName() != "RNN" {
				t.Errorf("kind %q, class %q", rnn.Kind(), rnn.ClassName())
			}
		}
	}
}

// referenceMGU runs the MGU's equations on x [B, T, F] from Keras-layout
// weights, returning [B, T, U].
func referenceMGU(w kerasWeights, x []float64, B, T int) []float64 {
	u := w.u
	var out []float64
	for s := range B {
		h := make([]float64, u)
		for t := range T {
			xt := x[(s*T+t)*w.f : (s*T+t+1)*w.f]
			xf, xh := proj(xt, w.kernel, w.f, 2, u, 0), proj(xt, w.kernel, w.f, 2, u, 1)
			hf := proj(h, w.recurrent, u, 2, u, 0)
			f := make([]float64, u)
			fh := make([]float64, u)
			for j := range u {
				f[j] = sigmoid(xf[j] + hf[j] + w.bias[j])
				fh[j] = f[j] * h[j]
			}
			hh := proj(fh, w.recurrent, u, 2, u, 1)
			next := make([]float64, u)
			for j := range u {
				cand := math.Tanh(xh[j] + hh[j] + w.bias[u+j])
				next[j] = (1-f[j])*h[j] + f[j]*cand
			}
			h = next
			out = append(out, h...)
		}
	}
	return out
}

// TestMGUCellMatchesEquations: the example's MGU cell, wrapped by NewRNN,
// computes its equations with random weights, fused (U=6) and not (U=40).
func TestMGUCellMatchesEquations(t *testing.T) {
	const B, T, F = 3, 5, 2
	for _, u := range []int{6, 40} {
		l := must(layers.NewRNN(MGUCell{}, u, &layers.RNNOptions{ReturnSequences: true, Name: "mgu"}))
		must(l.Build(graph.Float64, []int{T, F}, graph.NewRNG(1)))
		r := rand.New(rand.NewPCG(5, uint64(u)))
		w := kerasWeights{f: F, u: u, g: 2,
			kernel: uniform(r, F*2*u, 0.5), recurrent: uniform(r, u*2*u, 0.5), bias: uniform(r, 2*u, 0.5)}
		if err := l.SetWeights([]layers.Weight{
			{Name: "kernel", Shape: []int{F, 2 * u}, Data: w.kernel},
			{Name: "recurrent_kernel", Shape: []int{u, 2 * u}, Data: w.recurrent},
			{Name: "bias", Shape: []int{2 * u}, Data: w.bias},
		}); err != nil {
			t.Fatal(err)
		}
		xs := uniform(r, B*T*F, 1)
		got := forward(t, l, must(graph.FromFloat64s(graph.Float64, xs, B, T, F)), true)
		if d := maxAbsDiff(got, referenceMGU(w, xs, B, T)); d > 1e-12 {
			t.Errorf("U=%d: MGU differs from its equations by %g", u, d)
		}
		if l.Kind() != "mgu" || l.ClassName() != "MGU" || l.Config().Kind != "mgu" || l.Config().Units != u {
			t.Errorf("U=%d: kind %q, class %q, config %+v", u, l.Kind(), l.ClassName(), l.Config())
		}
	}
}

// badCell is a cell whose spec or step is wrong in the ways its fields say.
type badCell struct {
	spec   layers.CellSpec
	states int // the number of states Step returns
}

func (c badCell) Spec() layers.CellSpec { return c.spec }

func (c badCell) Step(w *layers.CellWeights, x *graph.Node, s []*graph.Node) (*graph.Node, []*graph.Node) {
	h := w.Builder().Tanh(w.Gates(x, s[0])[0])
	next := make([]*graph.Node, c.states)
	for i := range next {
		next[i] = h
	}
	return h, next
}

func TestRNNErrors(t *testing.T) {
	for name, c := range map[string]layers.Cell{
		"nil cell": nil,
		"no gates": badCell{spec: layers.CellSpec{}},
		"bad kind": badCell{spec: layers.CellSpec{Kind: "a b", Gates: 1}},
		"states":   badCell{spec: layers.CellSpec{Gates: 1, States: -1}},
	} {
		if _, err := layers.NewRNN(c, 4, nil); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: NewRNN: %v, want ErrConfig", name, err)
		}
	}
	if _, err := layers.NewRNN(MGUCell{}, 0, nil); !errors.Is(err, layers.ErrConfig) {
		t.Errorf("NewRNN(0 units): %v, want ErrConfig", err)
	}
	// A setting RNN lacks (unit_forget_bias) does not compile
	// (TestMisuseDoesNotCompile in graph/internal/compiletest); one out of range fails here.
	if _, err := layers.NewRNN(MGUCell{}, 4, &layers.RNNOptions{Dropout: 1}); !errors.Is(err, layers.ErrConfig) {
		t.Errorf("NewRNN with dropout 1: %v, want ErrConfig", err)
	}

	short := badCell{spec: layers.CellSpec{Gates: 1, BiasInit: func(int) []float64 { return []float64{1} }}, states: 1}
	l := must(layers.NewRNN(short, 4, &layers.RNNOptions{Name: "short"}))
	if _, err := l.Build(graph.Float64, []int{3, 2}, graph.NewRNG(1)); !errors.Is(err, layers.ErrConfig) {
		t.Errorf("Build with a short BiasInit: %v, want ErrConfig", err)
	}

	// A step returning the wrong number of states is a builder error.
	l = must(layers.NewRNN(badCell{spec: layers.CellSpec{Gates: 1}, states: 2}, 4, &layers.RNNOptions{Name: "bad"}))
	must(l.Build(graph.Float64, []int{3, 2}, graph.NewRNG(1)))
	b := must(graph.NewBuilder(graph.Float64, 2))
	if y := l.Forward(b, b.SequenceInput("x", 2, 3, 2)); y != nil || !errors.Is(b.Err(), graph.ErrArgument) {
		t.Errorf("Forward of a cell giving 2 states for 1: %v, %v, want ErrArgument", y, b.Err())
	}

	// Nil and zero RNNs do not panic.
	var nilRNN *layers.RNN
	for name, l := range map[string]*layers.RNN{"nil": nilRNN, "zero": {}} {
		if l.Kind() != "rnn" || l.Built() || l.Params() != nil || l.Weights() != nil || l.Cell() != nil || l.Units() != 0 {
			t.Errorf("%s RNN: kind %q, built, params, weights or cell", name, l.Kind())
		}
		if _, err := l.Build(graph.Float32, []int{4, 2}, graph.NewRNG(1)); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s RNN: Build: %v, want ErrConfig", name, err)
		}
		b := must(graph.NewBuilder(graph.Float32, 2))
		if y := l.Forward(b, b.SequenceInput("x", 2, 4, 2)); y != nil || !errors.Is(b.Err(), layers.ErrNotBuilt) {
			t.Errorf("%s RNN: Forward: %v, %v, want ErrNotBuilt", name, y, b.Err())
		}
	}

	// An RNN has no PyTorch mapping.
	if _, ok := any(must(layers.NewRNN(MGUCell{}, 4, nil))).(layers.TorchLayout); ok {
		t.Error("RNN is a TorchLayout")
	}
}

// registerMGU registers the MGU cell's kind once per test process.
var registerMGU = sync.OnceValue(func() error {
	return layers.Register("mgu", func(c layers.Config) (layers.Layer, error) {
		return layers.NewRNN(MGUCell{}, c.Units, &layers.RNNOptions{Name: c.Name, ReturnSequences: c.ReturnSequences})
	})
})

// TestRNNFromConfig: an RNN's Config, with its cell's kind registered,
// decodes to an equivalent layer.
func TestRNNFromConfig(t *testing.T) {
	if err := registerMGU(); err != nil {
		t.Fatal(err)
	}
	l := must(layers.NewRNN(MGUCell{}, 7, &layers.RNNOptions{ReturnSequences: true, Name: "mgu_2"}))
	got, err := layers.FromConfig(l.Config())
	if err != nil {
		t.Fatal(err)
	}
	if !layers.Equivalent(got.Config(), l.Config()) || got.Name() != "mgu_2" {
		t.Errorf("FromConfig(%+v) = %+v", l.Config(), got.Config())
	}
	if !slices.Contains(layers.Kinds(), "mgu") {
		t.Errorf("Kinds() = %v, without mgu", layers.Kinds())
	}
}
