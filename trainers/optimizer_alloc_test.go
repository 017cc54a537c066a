package trainers_test

import (
	"context"
	"math"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// seedLSTM is the benchmarks' seed model: input [10, 1], LSTM(20) returning
// sequences, Dense(1), float32 (1,781 weights).
func seedLSTM(t testing.TB) *models.Model {
	t.Helper()
	l := must(layers.NewLSTM(20, &layers.LSTMOptions{ReturnSequences: true}))
	d := must(layers.NewDense(1, nil))
	return must(models.NewSequential([]int{10, 1}, []layers.Layer{l, d}, &models.Options{DType: graph.Float32, Seed: 1234}))
}

// seedData returns n windows of 10 steps of a sine and the windows one step
// later, shaped for seedLSTM.
func seedData(t testing.TB, n int) (x, y *graph.Tensor) {
	t.Helper()
	xs, ys := make([]float64, 10*n), make([]float64, 10*n)
	for i := range n {
		for j := range 10 {
			xs[10*i+j] = math.Sin(0.3 * float64(i+j))
			ys[10*i+j] = math.Sin(0.3 * float64(i+j+1))
		}
	}
	return must(graph.FromFloat64s(graph.Float32, xs, n, 10, 1)), must(graph.FromFloat64s(graph.Float32, ys, n, 10, 1))
}

// allocOptimizers are the optimizers whose steps must not allocate, with
// the options that take other paths through the update (momentum,
// Nesterov, each clipping mode).
var allocOptimizers = []struct {
	name string
	opt  func() (trainers.Optimizer, error)
}{
	{"sgd", func() (trainers.Optimizer, error) { return trainers.NewSGD(nil) }},
	{"sgd_nesterov", func() (trainers.Optimizer, error) {
		return trainers.NewSGD(&trainers.SGDOptions{Momentum: 0.9, Nesterov: true})
	}},
	{"adam", func() (trainers.Optimizer, error) { return trainers.NewAdam(nil) }},
	{"adam_clipnorm", func() (trainers.Optimizer, error) { return trainers.NewAdam(&trainers.AdamOptions{ClipNorm: 0.01}) }},
	{"rmsprop", func() (trainers.Optimizer, error) { return trainers.NewRMSprop(nil) }},
	{"rmsprop_global_clipnorm", func() (trainers.Optimizer, error) {
		return trainers.NewRMSprop(&trainers.RMSpropOptions{GlobalClipNorm: 0.01})
	}},
	{"sgd_clipvalue", func() (trainers.Optimizer, error) {
		return trainers.NewSGD(&trainers.SGDOptions{Momentum: 0.5, ClipValue: 1e-3})
	}},
}

// TestFitStepAllocs measures the allocations of a training step through
// Trainer.Fit on the seed LSTM, for SGD, Adam and RMSprop: the same Fit
// (same epochs, batch 8, no metrics, no callbacks, silent) on 40 and on 80
// samples differs by 5 steps per epoch and by nothing else that allocates
// per step, so the difference in allocations divided by the extra steps is
// what one step allocates. Apart from what graph.Executor.GradsInto
// allocates (measured alone; see GradsIntoAllocs), it must be 0: the
// optimizers and trainers' loop allocate nothing per step. What Fit
// allocates per epoch (the epoch order, the epoch's logs and History
// entries) and per call is logged, not asserted.
func TestFitStepAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the seed LSTM per optimizer")
	}
	const epochs, batch = 2, 8
	x40, y40 := seedData(t, 40)
	x80, y80 := seedData(t, 80)
	for _, c := range allocOptimizers {
		t.Run(c.name, func(t *testing.T) {
			tr := must(trainers.NewTrainer(seedLSTM(t), trainers.MSE(), must(c.opt())))
			fit := func(x, y *graph.Tensor, epochs int) func() {
				return func() {
					if _, err := tr.Fit(context.Background(), x, y, trainers.FitOptions{Epochs: epochs, BatchSize: batch, Seed: 7}); err != nil {
						t.Fatal(err)
					}
				}
			}
			fit(x40, y40, 1)() // compiles the program for batches of 8
			small := testing.AllocsPerRun(5, fit(x40, y40, epochs))
			large := testing.AllocsPerRun(5, fit(x80, y80, epochs))
			twice := testing.AllocsPerRun(5, fit(x40, y40, 2*epochs))
			graphShare := trainers.GradsIntoAllocs(t, tr, batch)
			extraSteps := float64(epochs * (80 - 40) / batch)
			perStep := (large - small) / extraSteps
			perEpoch := (twice - small) / epochs
			t.Logf("%s: Fit of %d epochs of 40 samples: %.0f allocations; per step %.3g (graph.Executor.GradsInto %.3g of them), per epoch %.3g",
				c.name, epochs, small, perStep, graphShare, perEpoch)
			if perStep != graphShare {
				t.Errorf("%s: a training step through Fit allocates %.3g times, GradsInto %.3g of them (want 0 besides GradsInto's)",
					c.name, perStep, graphShare)
			}
			if tr.Optimizer().Iterations() == 0 {
				t.Error("no step ran")
			}
		})
	}
}

// TestOptimizerStepAllocs checks Optimizer.Step alone, on the seed LSTM's
// parameters and fixed gradients: after the first step (which creates the
// slots) a step allocates nothing.
func TestOptimizerStepAllocs(t *testing.T) {
	m := seedLSTM(t)
	params := m.Params()
	grads := fixedGrads(params)
	for _, c := range allocOptimizers {
		opt := must(c.opt())
		step := func() {
			if err := opt.Step(params, grads); err != nil {
				t.Fatal(err)
			}
		}
		step()
		if n := testing.AllocsPerRun(20, step); n != 0 {
			t.Errorf("%s: Step allocates %v times", c.name, n)
		}
	}
}

// fixedGrads returns a small, deterministic gradient for each parameter.
func fixedGrads(params []*graph.Param) []*graph.Tensor {
	grads := make([]*graph.Tensor, len(params))
	for i, p := range params {
		g := make([]float64, p.Len())
		for j := range g {
			g[j] = 1e-3 * math.Sin(float64(7*i+j))
		}
		grads[i] = must(graph.FromFloat64s(p.DType(), g, p.Shape()...))
	}
	return grads
}

// BenchmarkOptimizerStep times Optimizer.Step alone on the seed LSTM's
// parameters (float32, 1,781 weights) with fixed gradients.
func BenchmarkOptimizerStep(b *testing.B) {
	for _, c := range allocOptimizers {
		b.Run(c.name, func(b *testing.B) {
			m := seedLSTM(b)
			params := m.Params()
			grads := fixedGrads(params)
			opt := must(c.opt())
			if err := opt.Step(params, grads); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := opt.Step(params, grads); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTrainerStep times a whole training step (Trainer.Step: forward,
// loss, gradients, update) on the seed LSTM, batch 8, by optimizer.
func BenchmarkTrainerStep(b *testing.B) {
	x, y := seedData(b, 8)
	for _, c := range allocOptimizers {
		b.Run(c.name, func(b *testing.B) {
			tr := must(trainers.NewTrainer(seedLSTM(b), trainers.MSE(), must(c.opt())))
			if _, err := tr.Step(x, y); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := tr.Step(x, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
