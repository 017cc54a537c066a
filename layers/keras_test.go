package layers_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// These tests pin the Keras semantics of the layers: the cell equations
// applied to weights given in Keras layout, and Keras' default
// initializers.

func uniform(r *rand.Rand, n int, scale float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = scale * (2*r.Float64() - 1)
	}
	return out
}

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// kerasWeights holds one recurrent layer's weights in Keras layout.
type kerasWeights struct {
	f, u, g   int
	kernel    []float64 // [F, gU]
	recurrent []float64 // [U, gU]
	bias      []float64 // [gU], or [2, gU] for GRU
}

// proj returns x·W[:, k-th gate block] (+ bias row) for one sample.
func proj(x []float64, w []float64, rows, g, u, k int) []float64 {
	out := make([]float64, u)
	for j := range u {
		for r := range rows {
			out[j] += x[r] * w[r*g*u+k*u+j]
		}
	}
	return out
}

// referenceStep computes one step of a cell from Keras-layout weights,
// written independently of the layers package. c is the LSTM cell state.
func referenceStep(kind string, w kerasWeights, x, h, c []float64) (hNew, cNew []float64) {
	u := w.u
	b := func(row, k, j int) float64 { return w.bias[row*w.g*u+k*u+j] }
	hNew = make([]float64, u)
	switch kind {
	case "simple_rnn":
		xw, hu := proj(x, w.kernel, w.f, 1, u, 0), proj(h, w.recurrent, u, 1, u, 0)
		for j := range u {
			hNew[j] = math.Tanh(xw[j] + hu[j] + b(0, 0, j))
		}
	case "lstm": // gates i, f, c, o
		cNew = make([]float64, u)
		var z [4][]float64
		for k := range 4 {
			xw, hu := proj(x, w.kernel, w.f, 4, u, k), proj(h, w.recurrent, u, 4, u, k)
			z[k] = make([]float64, u)
			for j := range u {
				z[k][j] = xw[j] + hu[j] + b(0, k, j)
			}
		}
		for j := range u {
			i, f, g, o := sigmoid(z[0][j]), sigmoid(z[1][j]), math.Tanh(z[2][j]), sigmoid(z[3][j])
			cNew[j] = f*c[j] + i*g
			hNew[j] = o * math.Tanh(cNew[j])
		}
	case "gru": // gates z, r, h; reset applied after the recurrent product
		var xz, hz [3][]float64
		for k := range 3 {
			xz[k], hz[k] = proj(x, w.kernel, w.f, 3, u, k), proj(h, w.recurrent, u, 3, u, k)
			for j := range u {
				xz[k][j] += b(0, k, j)
				hz[k][j] += b(1, k, j)
			}
		}
		for j := range u {
			z := sigmoid(xz[0][j] + hz[0][j])
			r := sigmoid(xz[1][j] + hz[1][j])
			hh := math.Tanh(xz[2][j] + r*hz[2][j])
			hNew[j] = z*h[j] + (1-z)*hh
		}
	}
	return hNew, cNew
}

// referenceSequence runs a cell over x [B, T, F] and returns [B, T, U]
// or [B, U].
func referenceSequence(kind string, w kerasWeights, x []float64, B, T int, returnSequences bool) []float64 {
	var out []float64
	for s := range B {
		h, c := make([]float64, w.u), make([]float64, w.u)
		for t := range T {
			xt := x[(s*T+t)*w.f : (s*T+t+1)*w.f]
			h, c = referenceStep(kind, w, xt, h, c)
			if returnSequences {
				out = append(out, h...)
			}
		}
		if !returnSequences {
			out = append(out, h...)
		}
	}
	return out
}

// forward runs l on x through a compiled graph.
func forward(t *testing.T, l layers.Layer, x *graph.Tensor, sequence bool) []float64 {
	t.Helper()
	shape := []int(x.Shape())
	b := must(graph.NewBuilder(graph.Float64, shape[0]))
	var in *graph.Node
	if sequence {
		in = b.SequenceInput("x", shape...)
	} else {
		in = b.Input("x", shape...)
	}
	y := l.Forward(b, in)
	p, err := b.Compile(graph.Spec{Outputs: []*graph.Node{y}})
	if err != nil {
		t.Fatal(err)
	}
	e := p.NewExecutor()
	if err := e.SetInput(0, x); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	return graph.Float64s(must(e.Output(0)))
}

func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func TestRecurrentCellsMatchKerasEquations(t *testing.T) {
	const B, T, F, U = 2, 5, 3, 4
	gates := map[string]int{"simple_rnn": 1, "lstm": 4, "gru": 3}
	for ci, c := range constructors[1:] {
		for _, rs := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s_seq%v", c.kind, rs), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(ci), 11))
				g := gates[c.kind]
				w := kerasWeights{f: F, u: U, g: g,
					kernel:    uniform(r, F*g*U, 0.8),
					recurrent: uniform(r, U*g*U, 0.8),
					bias:      uniform(r, g*U, 0.5),
				}
				biasShape := []int{g * U}
				if c.kind == "gru" {
					w.bias = uniform(r, 2*g*U, 0.5)
					biasShape = []int{2, g * U}
				}
				l := must(c.make(U, settings{name: "cell", returnSequences: rs}))
				must(l.Build(graph.Float64, []int{T, F}, graph.NewRNG(1)))
				err := l.SetWeights([]layers.Weight{
					{Name: "kernel", Shape: []int{F, g * U}, Data: w.kernel},
					{Name: "recurrent_kernel", Shape: []int{U, g * U}, Data: w.recurrent},
					{Name: "bias", Shape: biasShape, Data: w.bias},
				})
				if err != nil {
					t.Fatal(err)
				}
				x := must(graph.FromFloat64s(graph.Float64, uniform(r, B*T*F, 1), B, T, F))
				want := referenceSequence(c.kind, w, data64(x), B, T, rs)
				for _, sequence := range []bool{true, false} { // step-fed and plain input
					got := forward(t, l, x, sequence)
					if d := maxAbsDiff(got, want); d > 1e-13 {
						t.Errorf("sequence input %v: max |graph - reference| = %g", sequence, d)
					}
				}
				// Weights gives back exactly what was set.
				ws := l.Weights()
				if !slices.Equal(ws[0].Data, w.kernel) || !slices.Equal(ws[1].Data, w.recurrent) || !slices.Equal(ws[2].Data, w.bias) {
					t.Error("Weights does not return the Keras-layout weights that were set")
				}
				if !slices.Equal(ws[2].Shape, biasShape) {
					t.Errorf("bias shape %v, want %v", ws[2].Shape, biasShape)
				}
			})
		}
	}
}

// TestGateMajorStorage pins the internal layout: gate k of the Keras
// kernel [F, gU] (columns k·U..(k+1)·U) is block k of the parameter
// [g, F, U].
func TestGateMajorStorage(t *testing.T) {
	const F, U = 2, 3
	l := must(layers.NewLSTM(U, &layers.LSTMOptions{Name: "l"}))
	must(l.Build(graph.Float64, []int{4, F}, graph.NewRNG(1)))
	ws := l.Weights()
	for i := range ws[0].Data {
		ws[0].Data[i] = float64(i) // kernel[r, c] = r*4U + c
	}
	if err := l.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	p := l.Params()[0]
	if got, want := p.Shape(), []int{4, F, U}; !slices.Equal(got, want) {
		t.Fatalf("kernel parameter shape %v, want %v", got, want)
	}
	v := p.Float64s()
	for k := range 4 {
		for r := range F {
			for j := range U {
				if got, want := v[(k*F+r)*U+j], float64(r*4*U+k*U+j); got != want {
					t.Fatalf("block %d [%d,%d] = %v, want Keras kernel[%d,%d] = %v", k, r, j, got, r, k*U+j, want)
				}
			}
		}
	}
	if got := l.Params()[2].Shape(); !slices.Equal(got, []int{4, U}) {
		t.Errorf("bias parameter shape %v, want [4 %d]", got, U)
	}
}

func TestDenseMatchesEquation(t *testing.T) {
	const B, F, U = 3, 4, 2
	acts := map[layers.Activation]func(float64) float64{
		layers.Linear:  func(v float64) float64 { return v },
		layers.Tanh:    math.Tanh,
		layers.Sigmoid: sigmoid,
		layers.ReLU:    func(v float64) float64 { return math.Max(v, 0) },
	}
	r := rand.New(rand.NewPCG(5, 5))
	for a, f := range acts {
		l := must(layers.NewDense(U, &layers.DenseOptions{Name: "d", Activation: a}))
		must(l.Build(graph.Float64, []int{F}, graph.NewRNG(1)))
		k, bias := uniform(r, F*U, 1), uniform(r, U, 1)
		if err := l.SetWeights([]layers.Weight{{Name: "kernel", Shape: []int{F, U}, Data: k}, {Name: "bias", Shape: []int{U}, Data: bias}}); err != nil {
			t.Fatal(err)
		}
		x := uniform(r, B*F, 2)
		var want []float64
		for s := range B {
			for j := range U {
				v := bias[j]
				for i := range F {
					v += x[s*F+i] * k[i*U+j]
				}
				want = append(want, f(v))
			}
		}
		got := forward(t, l, must(graph.FromFloat64s(graph.Float64, x, B, F)), false)
		if d := maxAbsDiff(got, want); d > 1e-14 {
			t.Errorf("%v: max |graph - reference| = %g", a, d)
		}
	}
}

// built returns a layer built for input (10, 1) with the given seed.
func built(t *testing.T, c constructor, units int, seed uint64, s settings) layers.Layer {
	t.Helper()
	s.name = c.kind
	l := must(c.make(units, s))
	in := []int{10, 1}
	if c.kind == "dense" {
		in = []int{20}
	}
	must(l.Build(graph.Float64, in, graph.NewRNG(seed)))
	return l
}

func TestGlorotUniformBounds(t *testing.T) {
	// Keras kernel shapes for input (10, 1) (Dense after 20 units):
	// limit = sqrt(6 / (fan_in + fan_out)) of the Keras shape.
	for _, c := range constructors {
		l := built(t, c, 20, 3, settings{})
		k := l.Weights()[0]
		limit := math.Sqrt(6 / float64(k.Shape[0]+k.Shape[1]))
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range k.Data {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if lo < -limit || hi > limit {
			t.Errorf("%s: kernel %v spans [%g, %g], outside ±%g", c.kind, k.Shape, lo, hi, limit)
		}
		// Uniform over the whole interval, not a narrower law.
		if n := len(k.Data); n >= 60 && (hi < 0.85*limit || lo > -0.85*limit) {
			t.Errorf("%s: kernel %v spans only [%g, %g] of ±%g", c.kind, k.Shape, lo, hi, limit)
		}
	}
	// Moments on a large kernel: mean 0, variance limit²/3.
	l := must(layers.NewDense(64, &layers.DenseOptions{Name: "big"}))
	must(l.Build(graph.Float64, []int{64}, graph.NewRNG(9)))
	k := l.Weights()[0].Data
	limit := math.Sqrt(6.0 / 128)
	mean, sq := 0.0, 0.0
	for _, v := range k {
		mean += v
		sq += v * v
	}
	mean /= float64(len(k))
	variance := sq/float64(len(k)) - mean*mean
	if math.Abs(mean) > 0.05*limit || math.Abs(variance/(limit*limit/3)-1) > 0.1 {
		t.Errorf("Dense(64) kernel: mean %g, variance %g, want 0 and %g", mean, variance, limit*limit/3)
	}
}

func TestOrthogonalRecurrentKernel(t *testing.T) {
	for _, c := range constructors[1:] {
		for _, u := range []int{1, 5, 20} {
			l := built(t, c, u, 4, settings{})
			rk := l.Weights()[1] // Keras [U, gU]
			rows, cols := rk.Shape[0], rk.Shape[1]
			m := mat.NewDense(rows, cols, rk.Data)
			var rrt mat.Dense
			rrt.Mul(m, m.T())
			for i := range rows {
				for j := range rows {
					want := 0.0
					if i == j {
						want = 1
					}
					if d := math.Abs(rrt.At(i, j) - want); d > 1e-12 {
						t.Fatalf("%s(%d): (R·Rᵀ)[%d,%d] = %g, want %g", c.kind, u, i, j, rrt.At(i, j), want)
					}
				}
			}
		}
	}
}

func TestInitialBiases(t *testing.T) {
	const U = 20
	check := func(name string, got []float64, want func(i int) float64) {
		t.Helper()
		for i, v := range got {
			if v != want(i) {
				t.Errorf("%s[%d] = %v, want %v", name, i, v, want(i))
				return
			}
		}
	}
	zero := func(int) float64 { return 0 }
	lstm := built(t, constructors[2], U, 1, settings{})
	check("lstm bias", lstm.Weights()[2].Data, func(i int) float64 {
		if i >= U && i < 2*U { // the forget gate
			return 1
		}
		return 0
	})
	if got := lstm.Weights()[2].Shape; !slices.Equal(got, []int{4 * U}) {
		t.Errorf("lstm bias shape %v", got)
	}
	check("lstm bias without unit forget bias", built(t, constructors[2], U, 1, settings{noUnitForgetBias: true}).Weights()[2].Data, zero)
	check("gru bias", built(t, constructors[3], U, 1, settings{}).Weights()[2].Data, zero)
	check("simple_rnn bias", built(t, constructors[1], U, 1, settings{}).Weights()[2].Data, zero)
	check("dense bias", built(t, constructors[0], 1, 1, settings{}).Weights()[1].Data, zero)
}

func TestSeedsDetermineWeights(t *testing.T) {
	for _, c := range constructors {
		a, b, other := built(t, c, 6, 42, settings{}), built(t, c, 6, 42, settings{}), built(t, c, 6, 43, settings{})
		wa, wb, wo := a.Weights(), b.Weights(), other.Weights()
		for i := range wa {
			if !slices.Equal(wa[i].Data, wb[i].Data) {
				t.Errorf("%s: %s differs for the same seed", c.kind, wa[i].Name)
			}
			if wa[i].Name != "bias" && slices.Equal(wa[i].Data, wo[i].Data) {
				t.Errorf("%s: %s is the same for seeds 42 and 43", c.kind, wa[i].Name)
			}
		}
	}
}
