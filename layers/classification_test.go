package layers_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// softmaxRef is the softmax of one row, computed as written in Keras'
// docs (shifted by the row's maximum).
func softmaxRef(z []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	out, s := make([]float64, len(z)), 0.0
	for i, v := range z {
		out[i] = math.Exp(v - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func TestDenseSoftmaxMatchesEquation(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, U := range []int{1, 2, 3, 5, 8} {
		const B, F = 4, 3
		l := must(layers.NewDense(U, &layers.DenseOptions{Name: "d", Activation: layers.Softmax}))
		must(l.Build(graph.Float64, []int{F}, graph.NewRNG(1)))
		// Large weights: logits in the hundreds, which an unshifted
		// exp would overflow (float64 overflows past 709).
		k, bias := uniform(r, F*U, 300), uniform(r, U, 1)
		if err := l.SetWeights([]layers.Weight{{Name: "kernel", Shape: []int{F, U}, Data: k}, {Name: "bias", Shape: []int{U}, Data: bias}}); err != nil {
			t.Fatal(err)
		}
		x := uniform(r, B*F, 2)
		var want []float64
		for s := range B {
			z := make([]float64, U)
			for j := range U {
				z[j] = bias[j]
				for i := range F {
					z[j] += x[s*F+i] * k[i*U+j]
				}
			}
			want = append(want, softmaxRef(z)...)
		}
		got := forward(t, l, must(graph.FromFloat64s(graph.Float64, x, B, F)), false)
		if d := maxAbsDiff(got, want); d > 1e-14 || math.IsNaN(d) {
			t.Errorf("U=%d: max |graph - reference| = %g", U, d)
		}
	}
}

func TestDenseSoftmaxOnSequences(t *testing.T) {
	// Dense(softmax) after a return_sequences layer: softmax over the
	// last axis of every step.
	const B, T, F, U = 2, 3, 2, 3
	r := rand.New(rand.NewPCG(8, 8))
	l := must(layers.NewDense(U, &layers.DenseOptions{Name: "d", Activation: layers.Softmax}))
	must(l.Build(graph.Float64, []int{T, F}, graph.NewRNG(1)))
	k, bias := uniform(r, F*U, 2), uniform(r, U, 1)
	if err := l.SetWeights([]layers.Weight{{Name: "kernel", Shape: []int{F, U}, Data: k}, {Name: "bias", Shape: []int{U}, Data: bias}}); err != nil {
		t.Fatal(err)
	}
	x := uniform(r, B*T*F, 2)
	var want []float64
	for s := range B * T {
		z := make([]float64, U)
		for j := range U {
			z[j] = bias[j]
			for i := range F {
				z[j] += x[s*F+i] * k[i*U+j]
			}
		}
		want = append(want, softmaxRef(z)...)
	}
	for _, seq := range []bool{false, true} {
		got := forward(t, l, must(graph.FromFloat64s(graph.Float64, x, B, T, F)), seq)
		if d := maxAbsDiff(got, want); d > 1e-14 || math.IsNaN(d) {
			t.Errorf("sequence input %v: max |graph - reference| = %g", seq, d)
		}
	}
}

func TestSimpleRNNActivationsMatchEquation(t *testing.T) {
	const B, T, F, U = 2, 4, 3, 5
	acts := map[layers.Activation]func(float64) float64{
		layers.Tanh:    math.Tanh,
		layers.ReLU:    func(v float64) float64 { return math.Max(v, 0) },
		layers.Sigmoid: sigmoid,
		layers.Linear:  func(v float64) float64 { return v },
	}
	r := rand.New(rand.NewPCG(9, 9))
	for a, f := range acts {
		for _, seqOut := range []bool{false, true} {
			l := must(layers.NewSimpleRNN(U, &layers.SimpleRNNOptions{Name: "r", Activation: a, ReturnSequences: seqOut}))
			if l.Activation() != a {
				t.Fatalf("Activation() = %v, want %v", l.Activation(), a)
			}
			must(l.Build(graph.Float64, []int{T, F}, graph.NewRNG(1)))
			w := kerasWeights{f: F, u: U, g: 1, kernel: uniform(r, F*U, 1), recurrent: uniform(r, U*U, 0.5), bias: uniform(r, U, 0.5)}
			if err := l.SetWeights([]layers.Weight{
				{Name: "kernel", Shape: []int{F, U}, Data: w.kernel},
				{Name: "recurrent_kernel", Shape: []int{U, U}, Data: w.recurrent},
				{Name: "bias", Shape: []int{U}, Data: w.bias},
			}); err != nil {
				t.Fatal(err)
			}
			x := uniform(r, B*T*F, 2)
			var want []float64
			for s := range B {
				h := make([]float64, U)
				for ts := range T {
					xt := x[(s*T+ts)*F : (s*T+ts+1)*F]
					xw, hu := proj(xt, w.kernel, F, 1, U, 0), proj(h, w.recurrent, U, 1, U, 0)
					next := make([]float64, U)
					for j := range U {
						next[j] = f(xw[j] + hu[j] + w.bias[j])
					}
					h = next
					if seqOut {
						want = append(want, h...)
					}
				}
				if !seqOut {
					want = append(want, h...)
				}
			}
			got := forward(t, l, must(graph.FromFloat64s(graph.Float64, x, B, T, F)), true)
			if d := maxAbsDiff(got, want); d > 1e-13 || math.IsNaN(d) {
				t.Errorf("%v, return_sequences %v: max |graph - reference| = %g", a, seqOut, d)
			}
		}
	}
}

func TestSimpleRNNActivationConfig(t *testing.T) {
	// The default leaves the file as before; relu (and an explicit tanh)
	// is stored and restored.
	def := must(layers.NewSimpleRNN(3, nil))
	if c := def.Config(); c.Activation != "" || def.Activation() != layers.Tanh {
		t.Errorf("default SimpleRNN: config activation %q, activation %v", c.Activation, def.Activation())
	}
	for _, a := range []layers.Activation{layers.ReLU, layers.Tanh, layers.Sigmoid, layers.Linear} {
		l := must(layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{Name: "r", Activation: a}))
		c := l.Config()
		if c.Activation != a.String() {
			t.Errorf("%v: config activation %q", a, c.Activation)
		}
		back, err := layers.FromConfig(c)
		if err != nil {
			t.Fatalf("%v: FromConfig: %v", a, err)
		}
		if got := back.(*layers.SimpleRNN).Activation(); got != a {
			t.Errorf("%v: FromConfig gave activation %v", a, got)
		}
	}
	if _, err := layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{Activation: layers.Softmax}); !errors.Is(err, layers.ErrConfig) {
		t.Errorf("SimpleRNN softmax: error %v, want ErrConfig", err)
	}
	for _, kind := range []string{"lstm", "gru"} {
		if _, err := layers.FromConfig(layers.Config{Kind: kind, Units: 2, Activation: "relu"}); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s with activation relu: error %v, want ErrConfig", kind, err)
		}
	}
	d := must(layers.NewDense(2, &layers.DenseOptions{Activation: layers.Softmax}))
	back, err := layers.FromConfig(d.Config())
	if err != nil || back.(*layers.Dense).Activation() != layers.Softmax {
		t.Errorf("Dense softmax through its config: %v, %v", back, err)
	}
}
