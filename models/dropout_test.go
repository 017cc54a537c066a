package models_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// refRecurrent computes a SimpleRNN (tanh) or GRU (reset_after) over x
// [B, T, F] with Keras weights, the input mask mx [B, F] applied to x_t in
// the input products and the recurrent mask mh [B, U] to h_{t-1} in the
// recurrent products only (Keras 3's dropout and recurrent_dropout),
// returning the last state [B, U].
func refRecurrent(kind string, ws []layers.Weight, x []float64, B, T, F, U int, mx, mh []float64) []float64 {
	g := 1
	if kind == "gru" {
		g = 3
	}
	k, rk, bias := ws[0].Data, ws[1].Data, ws[2].Data
	h := make([]float64, B*U)
	for t := range T {
		next := make([]float64, B*U)
		for i := range B {
			xz := make([]float64, g*U) // x·W + b_in
			hz := make([]float64, g*U) // h·U (+ b_rec for the GRU)
			for c := range g * U {
				xz[c] = bias[c]
				if kind == "gru" {
					hz[c] = bias[g*U+c]
				}
				for f := range F {
					xz[c] += x[(i*T+t)*F+f] * mx[i*F+f] * k[f*g*U+c]
				}
				for j := range U {
					hz[c] += h[i*U+j] * mh[i*U+j] * rk[j*g*U+c]
				}
			}
			for u := range U {
				if kind != "gru" {
					next[i*U+u] = math.Tanh(xz[u] + hz[u])
					continue
				}
				z := 1 / (1 + math.Exp(-(xz[u] + hz[u])))
				r := 1 / (1 + math.Exp(-(xz[U+u] + hz[U+u])))
				hh := math.Tanh(xz[2*U+u] + r*hz[2*U+u])
				next[i*U+u] = z*h[i*U+u] + (1-z)*hh
			}
		}
		h = next
	}
	return h
}

// TestRecurrentDropoutMatchesKeras: in a training program, dropout and
// recurrent dropout multiply x_t and h_{t-1} by one mask per sequence where
// they enter the products (the GRU's update keeps the undropped h), as
// Keras 3 does; the prediction program drops nothing.
func TestRecurrentDropoutMatchesKeras(t *testing.T) {
	const B, T, F, U = 3, 4, 2, 3
	r := rand.New(rand.NewPCG(8, 8))
	x := randTensor(r, B, T, F)
	for _, kind := range []string{"simple_rnn", "gru"} {
		l := recurrentOf(t, kind, U, &layers.RNNOptions{Dropout: 0.3, RecurrentDropout: 0.4})
		m := must(models.NewSequential([]int{T, F}, []layers.Layer{l}, &models.Options{DType: graph.Float64}))
		randomWeights(t, m, 6)
		noise := layers.NewNoise()
		mse := func(b *graph.Builder, p, y *graph.Node) *graph.Node { return b.Mean(b.Square(b.Sub(p, y))) }
		p := must(m.Program(models.ProgramSpec{Batch: B, Loss: mse, Grads: true, Noise: noise}))
		ins := noise.Inputs()
		if len(ins) != 2 || ins[0].Rate != 0.3 || ins[1].Rate != 0.4 || !slices.Equal(ins[0].Shape, []int{B, F}) || !slices.Equal(ins[1].Shape, []int{B, U}) {
			t.Fatalf("%s: noise inputs %+v", kind, ins)
		}
		masks := make([][]float64, 2)
		rng := graph.NewRNG(1)
		e := p.NewExecutor()
		must(0, e.SetInput(0, x))
		for k, in := range ins {
			masks[k] = make([]float64, in.Shape[0]*in.Shape[1])
			layers.Fill(masks[k], in.Rate, rng)
			must(0, e.SetInput(p.NumInputs()-2+k, must(graph.FromFloat64s(graph.Float64, masks[k], in.Shape...))))
		}
		must(0, e.Run())
		got := graph.Float64s(must(e.Output(0)))
		want := refRecurrent(kind, m.Weights()[0].Weights, graph.Float64s(x), B, T, F, U, masks[0], masks[1])
		if d := maxDiff(got, want); d > 1e-14 {
			t.Errorf("%s: training output differs from the dropout equations by %g", kind, d)
		}
		ones := func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = 1
			}
			return v
		}
		plain := refRecurrent(kind, m.Weights()[0].Weights, graph.Float64s(x), B, T, F, U, ones(B*F), ones(B*U))
		if d := maxDiff(predict(t, m, graph.Float64s(x), B, T, F), plain); d > 1e-14 {
			t.Errorf("%s: prediction drops (differs from the undropped equations by %g)", kind, d)
		}
	}
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestFillScales: a mask is 0 at about the rate and 1/(1-rate) elsewhere
// (inverted dropout: its mean is about 1), the same for the same seed.
func TestFillScales(t *testing.T) {
	const n, rate = 100000, 0.25
	a, b := make([]float64, n), make([]float64, n)
	layers.Fill(a, rate, graph.NewRNG(3))
	layers.Fill(b, rate, graph.NewRNG(3))
	if !slices.Equal(a, b) {
		t.Error("the same seed gave different masks")
	}
	zeros, sum := 0, 0.0
	for _, v := range a {
		switch v {
		case 0:
			zeros++
		case 1 / (1 - rate):
		default:
			t.Fatalf("mask value %v", v)
		}
		sum += v
	}
	if f := float64(zeros) / n; math.Abs(f-rate) > 0.01 {
		t.Errorf("%.3f of the mask is 0, want about %v", f, rate)
	}
	if mean := sum / n; math.Abs(mean-1) > 0.02 {
		t.Errorf("mask mean %v, want about 1", mean)
	}
}

// TestDropoutSaveLoad: Dropout layers and recurrent dropout save and load.
func TestDropoutSaveLoad(t *testing.T) {
	ls := []layers.Layer{
		recurrentOf(t, "lstm", 3, &layers.RNNOptions{ReturnSequences: true, Dropout: 0.2, RecurrentDropout: 0.1}),
		must(layers.NewDropout(0.5, nil)),
		must(layers.NewDense(1, nil)),
	}
	m := must(models.NewSequential([]int{4, 2}, ls, &models.Options{DType: graph.Float64}))
	path := filepath.Join(t.TempDir(), "d.safetensors")
	must(0, models.Save(m, path))
	got := must(models.Load(path))
	for i, l := range got.Layers() {
		if a, b := l.Config(), m.Layers()[i].Config(); !layers.Equivalent(a, b) {
			t.Errorf("layer %d loads as %+v, saved %+v", i, a, b)
		}
	}
	if c := got.Layers()[0].Config(); c.Dropout != 0.2 || c.RecurrentDropout != 0.1 || got.Layers()[1].Config().Rate != 0.5 {
		t.Errorf("rates lost: %+v, %+v", c, got.Layers()[1].Config())
	}
}
