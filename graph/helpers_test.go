package graph_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gornn/gornn/graph"
)

// must returns v, panicking on err (a panic fails the test with its
// stack, which points at the call).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// seeded returns n values uniform in [-1, 1) from a generator seeded with
// seed.
func seeded(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]float64, n)
	for i := range out {
		out[i] = 2*r.Float64() - 1
	}
	return out
}

// seededTensor is seeded shaped as a float64 tensor.
func seededTensor(seed uint64, shape ...int) *graph.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return must(graph.FromFloat64s(graph.Float64, seeded(seed, n), shape...))
}

// compareAll reports the first few values of got that differ from want by
// more than tol (relative to max(1, |want|)).
func compareAll(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.12g, want %.12g", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d values differ in all", what, bad)
	}
}

// run compiles spec, feeds inputs in order and runs once.
func run(t *testing.T, b *graph.Builder, spec graph.Spec, inputs ...*graph.Tensor) *graph.Executor {
	t.Helper()
	p, err := b.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	e := p.NewExecutor()
	for i, x := range inputs {
		if err := e.SetInput(i, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	return e
}

// data64 returns x's values, sharing its memory; x must be a float64
// tensor (a test's own data).
func data64(x *graph.Tensor) []float64 {
	d, ok := graph.Float64Data(x)
	if !ok {
		panic(fmt.Sprintf("data64: %v tensor, want float64", x.DType()))
	}
	return d
}
