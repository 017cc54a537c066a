package graph

import (
	"math"
	"slices"
	"testing"
)

// TestKernelsMatchOps runs a graph that uses every kernel twice: the first
// run calls the Gorgonia ops, later runs the executor's kernels. Outputs
// and gradients must be bit for bit the same, in both dtypes, and every
// kernel must actually have run.
func TestKernelsMatchOps(t *testing.T) {
	for _, dt := range []DType{Float32, Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			rng := NewRNG(3)
			w, err := NewParam("w", dt, []int{3, 4}, GlorotUniform(), rng)
			if err != nil {
				t.Fatal(err)
			}
			bias, err := NewParam("b", dt, []int{4}, Constant(0.25), rng)
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewBuilder(dt, 5)
			if err != nil {
				t.Fatal(err)
			}
			x := b.Input("x", 5, 3)
			y := b.Input("y", 5, 4)
			z := b.AddBias(b.MatMul(x, b.Param(w)), b.Param(bias)) // products, column sums in the gradient
			s := b.Sigmoid(z)
			h := b.Tanh(b.Sub(z, y))
			q := b.Div(b.Mul(s, h), b.AddScalar(b.Square(s), 1))
			r := b.Add(q, b.Neg(b.OneMinus(s)))
			loss := b.Mean(b.Square(r))
			p, err := b.Compile(Spec{Outputs: []*Node{r}, Loss: loss, Grads: true, InputGrads: true})
			if err != nil {
				t.Fatal(err)
			}
			e := p.NewExecutor()
			xs := make([]float64, 15)
			ys := make([]float64, 20)
			for i := range xs {
				xs[i] = math.Sin(float64(i)) * 3
			}
			for i := range ys {
				ys[i] = math.Cos(float64(i))
			}
			xt, _ := FromFloat64s(dt, xs, 5, 3)
			yt, _ := FromFloat64s(dt, ys, 5, 4)
			run := func() [][]float64 {
				t.Helper()
				if err := e.SetInput(0, xt); err != nil {
					t.Fatal(err)
				}
				if err := e.SetInput(1, yt); err != nil {
					t.Fatal(err)
				}
				if err := e.Run(); err != nil {
					t.Fatal(err)
				}
				out, _ := e.Output(0)
				l, _ := e.Loss()
				gs, err := e.Grads([]*Param{w, bias})
				if err != nil {
					t.Fatal(err)
				}
				ig, _ := e.InputGrad(0)
				return [][]float64{Float64s(out), {l}, Float64s(gs[0]), Float64s(gs[1]), Float64s(ig)}
			}
			first := run()
			for k := 0; k < 2; k++ {
				again := run()
				for i := range first {
					if !slices.Equal(first[i], again[i]) {
						t.Errorf("run %d, result %d: kernels give %v, ops gave %v", k+2, i, again[i], first[i])
					}
				}
			}
			for kind := kAdd; kind <= kColSum; kind++ {
				if e.hits[kind] == 0 {
					t.Errorf("kernel %d never ran", kind)
				}
			}
		})
	}
}
