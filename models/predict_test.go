package models_test

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// firstN returns a copy of the first n samples of x.
func firstN(x *graph.Tensor, n int) *graph.Tensor {
	shape := slices.Clone([]int(x.Shape()))
	per := x.Len() / shape[0]
	shape[0] = n
	dt, _ := graph.DTypeOf(x)
	return must(graph.FromFloat64s(dt, graph.Float64s(x)[:n*per], shape...))
}

// TestPredictAnyBatch checks that the prediction of a sample does not
// depend on how many samples are predicted with it or on the batch size:
// float64 results are bit-equal.
func TestPredictAnyBatch(t *testing.T) {
	models_ := map[string]*models.Model{
		"simple_rnn_seq": newSeedModel(t, &models.Options{DType: graph.Float64, Seed: 1}),
		"lstm_last":      must(models.NewSequential([]int{10, 1}, []layers.Layer{must(layers.NewLSTM(8, nil)), must(layers.NewDense(1, nil))}, &models.Options{DType: graph.Float64, Seed: 2})),
	}
	for name, m := range models_ {
		t.Run(name, func(t *testing.T) {
			const N = 1000
			x := uniformTensor(5, N, 10, 1)
			ref := must(m.PredictBatch(x, 1)) // one sample at a time
			want := append([]int{N}, m.OutputShape()...)
			if !slices.Equal([]int(ref.Shape()), want) {
				t.Fatalf("output shape %v, want %v", ref.Shape(), want)
			}
			refData := graph.Float64s(ref)
			per := len(refData) / N
			for _, n := range []int{1, 7, 32, 33, N} {
				for _, batch := range []int{1, 7, 32, 33, 1000, 4096} {
					if n == N && batch == 1 {
						continue
					}
					var got *graph.Tensor
					if batch == models.DefaultPredictBatch {
						got = must(m.Predict(firstN(x, n)))
					} else {
						got = must(m.PredictBatch(firstN(x, n), batch))
					}
					if !slices.Equal([]int(got.Shape()), append([]int{n}, m.OutputShape()...)) {
						t.Fatalf("n=%d batch=%d: shape %v", n, batch, got.Shape())
					}
					if d := graph.Float64s(got); !slices.Equal(d, refData[:n*per]) {
						t.Errorf("n=%d batch=%d: predictions differ from one-at-a-time (max diff %g)", n, batch, predMaxDiff(d, refData[:n*per]))
					}
				}
			}
		})
	}
}

func predMaxDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestPredictFloat32 checks the float32 model against its float64 twin
// (same seed, so the same weights rounded) and that the result is float32.
func TestPredictFloat32(t *testing.T) {
	m32 := newSeedModel(t, &models.Options{Seed: 3})
	m64 := newSeedModel(t, &models.Options{Seed: 3, DType: graph.Float64})
	x := uniformTensor(6, 50, 10, 1)
	y32, y64 := must(m32.Predict(x)), must(m64.Predict(x))
	if dt, _ := graph.DTypeOf(y32); dt != graph.Float32 {
		t.Errorf("float32 model returned %v", dt)
	}
	if d := predMaxDiff(graph.Float64s(y32), graph.Float64s(y64)); d > 1e-5 {
		t.Errorf("float32 and float64 predictions differ by %g", d)
	}
	// The input's dtype does not matter.
	x32 := must(graph.FromFloat64s(graph.Float32, graph.Float64s(x), 50, 10, 1))
	if !slices.Equal(graph.Float64s(must(m32.Predict(x32))), graph.Float64s(y32)) {
		t.Error("float32 input gives another prediction")
	}
}

// TestPredictMatchesProgram compares Predict with the output of a training
// program run on the same batch.
func TestPredictMatchesProgram(t *testing.T) {
	m := newSeedModel(t, &models.Options{DType: graph.Float64, Seed: 4})
	x := uniformTensor(7, 6, 10, 1)
	p := must(m.Program(models.ProgramSpec{Batch: 6, Loss: mse, Grads: true}))
	e := p.NewExecutor()
	must(0, e.SetInput(0, x))
	must(0, e.SetInput(1, uniformTensor(8, 6, 10, 1)))
	must(0, e.Run())
	want := graph.Float64s(must(e.Output(0)))
	if got := graph.Float64s(must(m.Predict(x))); !slices.Equal(got, want) {
		t.Errorf("Predict differs from the program's output by %g", predMaxDiff(got, want))
	}
	// A weight change made in place is seen by both.
	k := data64(m.Params()[0].Value())
	k[0] += 1
	must(0, e.Run())
	want = graph.Float64s(must(e.Output(0)))
	if got := graph.Float64s(must(m.Predict(x))); !slices.Equal(got, want) {
		t.Error("Predict does not see an in-place weight change")
	}
}

// TestPredictConcurrent calls Predict on one model from many goroutines
// at once, with different inputs and batch sizes; each result must equal
// the serial answer. Run it with -race.
func TestPredictConcurrent(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			m := must(models.NewSequential([]int{10, 1}, []layers.Layer{
				must(layers.NewGRU(4, &layers.GRUOptions{ReturnSequences: true})), must(layers.NewLSTM(3, nil)), must(layers.NewDense(2, nil)),
			}, &models.Options{DType: dt, Seed: 5}))
			const jobs = 12
			xs := make([]*graph.Tensor, jobs)
			batches := make([]int, jobs)
			serial := make([][]float64, jobs)
			for i := range xs {
				xs[i] = uniformTensor(uint64(200+i), []int{1, 7, 33, 40}[i%4], 10, 1)
				batches[i] = []int{32, 8, 32}[i%3]
			}
			// A fresh twin computes the serial answers, so the model under
			// test compiles its programs while being used concurrently.
			twin := must(models.NewSequential([]int{10, 1}, []layers.Layer{
				must(layers.NewGRU(4, &layers.GRUOptions{ReturnSequences: true})), must(layers.NewLSTM(3, nil)), must(layers.NewDense(2, nil)),
			}, &models.Options{DType: dt, Seed: 5}))
			for i := range xs {
				serial[i] = graph.Float64s(must(twin.PredictBatch(xs[i], batches[i])))
			}
			var wg sync.WaitGroup
			errs := make(chan error, jobs*4)
			for g := range jobs * 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					i := (g * 7) % jobs
					y, err := m.PredictBatch(xs[i], batches[i])
					if err != nil {
						errs <- err
						return
					}
					if got := graph.Float64s(y); !slices.Equal(got, serial[i]) {
						errs <- fmt.Errorf("goroutine %d, input %d: prediction differs from the serial one by %g", g, i, predMaxDiff(got, serial[i]))
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
