package graph_test

import (
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
)

// TestUnusedParamZeroGradient compiles a loss that reads one of two bound
// parameters, and an input it does not read: Compile succeeds (Gorgonia's
// Grad alone refuses "Non Differentiable WRTs"), the unused parameter and
// input get zero gradients, and the used parameter its true one, equal to
// what a program without the unused parameter computes.
func TestUnusedParamZeroGradient(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			used := must(graph.NewParam("used", dt, []int{3, 2}, graph.GlorotUniform(), graph.NewRNG(1)))
			unused := must(graph.NewParam("unused", dt, []int{2, 2}, graph.GlorotUniform(), graph.NewRNG(2)))
			x := must(graph.FromFloat64s(dt, []float64{1, -2, 0.5, 3, 0.25, -1, 2, 1}, 4, 2))
			run := func(withUnused bool) (grads [][]float64, inGrad []float64) {
				b := must(graph.NewBuilder(dt, 4))
				in := b.Input("x", 4, 3)
				b.Input("other", 4, 2)
				if withUnused {
					b.Param(unused)
				}
				loss := b.Mean(b.Square(b.MatMul(in, b.Param(used))))
				p, err := b.Compile(graph.Spec{Loss: loss, Grads: true, InputGrads: true})
				if err != nil {
					t.Fatal(err)
				}
				e := p.NewExecutor()
				if err := e.SetInput(0, must(graph.FromFloat64s(dt, []float64{1, 2, 3, -1, 0, 1, 2, 2, -2, 0.5, 1, 0}, 4, 3))); err != nil {
					t.Fatal(err)
				}
				if err := e.SetInput(1, x); err != nil {
					t.Fatal(err)
				}
				if err := e.Run(); err != nil {
					t.Fatal(err)
				}
				gs := must(e.Grads([]*graph.Param{used, unused}))
				for _, g := range gs {
					grads = append(grads, graph.Float64s(g))
				}
				return grads, graph.Float64s(must(e.InputGrad(1)))
			}
			with, inGrad := run(true)
			without, _ := run(false)
			if !slices.Equal(with[0], without[0]) {
				t.Errorf("gradient of the used parameter %v, without the unused one bound %v", with[0], without[0])
			}
			if slices.ContainsFunc(with[0], func(v float64) bool { return v == 0 }) {
				t.Errorf("used parameter's gradient %v has zeros: the check could not tell", with[0])
			}
			if !slices.Equal(with[1], make([]float64, 4)) {
				t.Errorf("unused parameter's gradient %v, want zeros", with[1])
			}
			if !slices.Equal(inGrad, make([]float64, 8)) {
				t.Errorf("unread input's gradient %v, want zeros", inGrad)
			}
		})
	}
}
