package models_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// mse is the mean squared error written from graph ops, so these tests do
// not depend on trainers (which sits above models).
func mse(b *graph.Builder, p, y *graph.Node) *graph.Node {
	return b.Mean(b.Square(b.Sub(p, y)))
}

// uniformTensor returns a float64 tensor of the given shape with values
// drawn uniformly from [-1, 1) by a generator seeded with seed.
func uniformTensor(seed uint64, shape ...int) *graph.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float64, n)
	for i := range data {
		data[i] = 2*r.Float64() - 1
	}
	t, err := graph.FromFloat64s(graph.Float64, data, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

// must returns v, panicking on err (a panic fails the test with its
// stack, which points at the call).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// seedModelLayers returns the layers of the SimpleRNN seed model:
// SimpleRNN(20, return sequences) then Dense(1).
func seedModelLayers(t testing.TB) []layers.Layer {
	t.Helper()
	rnn := must(layers.NewSimpleRNN(20, &layers.SimpleRNNOptions{ReturnSequences: true}))
	dense := must(layers.NewDense(1, nil))
	return []layers.Layer{rnn, dense}
}

// newSeedModel builds the SimpleRNN seed model for inputs (10, 1).
func newSeedModel(t testing.TB, opts *models.Options) *models.Model {
	t.Helper()
	return must(models.NewSequential([]int{10, 1}, seedModelLayers(t), opts))
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
