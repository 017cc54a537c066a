package trainers_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// must returns v, panicking on err: for setup that cannot fail unless
// something is badly broken (a panic fails the test run).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// denseModel is a linear regression: input [3], one Dense unit.
func denseModel(t testing.TB, dt graph.DType, seed uint64) *models.Model {
	t.Helper()
	d := must(layers.NewDense(1, nil))
	return must(models.NewSequential([]int{3}, []layers.Layer{d}, &models.Options{DType: dt, Seed: seed}))
}

// denseData returns n samples of 3 inputs with y a fixed linear function of
// them plus a small deterministic wobble.
func denseData(t testing.TB, dt graph.DType, n int) (x, y *graph.Tensor) {
	t.Helper()
	xs, ys := make([]float64, 3*n), make([]float64, n)
	for i := range n {
		a, b, c := math.Sin(float64(i)), math.Cos(1.3*float64(i)), float64(i%5)/5-0.4
		xs[3*i], xs[3*i+1], xs[3*i+2] = a, b, c
		ys[i] = 0.7*a - 1.2*b + 0.5*c + 0.3 + 0.05*math.Sin(7*float64(i))
	}
	return must(graph.FromFloat64s(dt, xs, n, 3)), must(graph.FromFloat64s(dt, ys, n, 1))
}

// rnnModel is a small recurrent model: input [4, 1], SimpleRNN(3), Dense(1).
func rnnModel(t testing.TB, dt graph.DType, seed uint64) *models.Model {
	t.Helper()
	r := must(layers.NewSimpleRNN(3, nil))
	d := must(layers.NewDense(1, nil))
	return must(models.NewSequential([]int{4, 1}, []layers.Layer{r, d}, &models.Options{DType: dt, Seed: seed}))
}

// rnnData returns n windows of 4 steps of a sine and the next value.
func rnnData(t testing.TB, dt graph.DType, n int) (x, y *graph.Tensor) {
	t.Helper()
	xs, ys := make([]float64, 4*n), make([]float64, n)
	for i := range n {
		for j := range 4 {
			xs[4*i+j] = math.Sin(0.4 * float64(i+j))
		}
		ys[i] = math.Sin(0.4 * float64(i+4))
	}
	return must(graph.FromFloat64s(dt, xs, n, 4, 1)), must(graph.FromFloat64s(dt, ys, n, 1))
}

// flatWeights returns all of a model's weights in one slice.
func flatWeights(m *models.Model) []float64 {
	var out []float64
	for _, lw := range m.Weights() {
		for _, w := range lw.Weights {
			out = append(out, w.Data...)
		}
	}
	return out
}

// rows returns samples lo..hi-1 of x as a new tensor.
func rows(t testing.TB, x *graph.Tensor, lo, hi int) *graph.Tensor {
	t.Helper()
	idx := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		idx = append(idx, i)
	}
	return must(trainers.Samples(x, idx))
}

// replay trains a model as Fit should, batch by batch through TrainBatch
// in the order of EpochOrder, and returns the epoch losses.
func replay(t testing.TB, tr *trainers.Trainer, x, y *graph.Tensor, epochs, batch int, seed uint64, shuffle bool) []float64 {
	t.Helper()
	n := x.Dim(0)
	var losses []float64
	for e := range epochs {
		order := must(trainers.EpochOrder(n, seed, e, shuffle))
		var sum float64
		for lo := 0; lo < n; lo += batch {
			idx := order[lo:min(lo+batch, n)]
			r := must(tr.TrainBatch(must(trainers.Samples(x, idx)), must(trainers.Samples(y, idx))))
			sum += r.Loss * float64(len(idx))
		}
		losses = append(losses, sum/float64(n))
	}
	return losses
}

// closeTo reports whether got is within tol of want, relative to |want|
// when it exceeds 1.
func closeTo(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
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
