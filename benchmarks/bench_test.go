package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// stepSizes are the training-step sizes benchmarked for every kind: the
// seed size first, then larger units, batches and sequences.
var stepSizes = []Size{
	SeedSize,
	{Units: 64, Batch: 64, Steps: 50},
	{Units: 128, Batch: 64, Steps: 50},
	{Units: 256, Batch: 8, Steps: 10},
	{Units: 128, Batch: 256, Steps: 10},
	{Units: 128, Batch: 8, Steps: 100},
}

// BenchmarkTrainStep times one training step (forward, loss, gradients,
// SGD update) on a fixed batch, by layer kind and size. Building and
// compiling the graph and a first step happen before the timer starts.
func BenchmarkTrainStep(b *testing.B) {
	for _, k := range Kinds {
		for _, s := range stepSizes {
			b.Run(fmt.Sprintf("%v/%v", k, s), func(b *testing.B) {
				c, err := NewStepCase(k, s)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := c.Step(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkTrainEpoch times one shuffled epoch of W1..W3 (40 noisy-sine
// windows, batch 8: five steps plus batch assembly), a Trainer.Fit of one
// epoch as the workloads run it.
func BenchmarkTrainEpoch(b *testing.B) {
	x, y, err := NoisySineWindows(Seed, 50, 10, 0.1)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range Kinds {
		b.Run(fmt.Sprintf("%v/%v", k, SeedSize), func(b *testing.B) {
			m, err := NewRegressor(k, SeedSize.Units, SeedSize.Steps, true, Seed)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := NewSGDTrainer(m)
			if err != nil {
				b.Fatal(err)
			}
			if err := tr.Compile(trainers.BatchSizes(x.Shape()[0], SeedSize.Batch)...); err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(Seed, 1))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := fit(tr, x, y, SeedSize.Batch, 1, rng, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPredict times Predict with the W1 model (untrained: speed does
// not depend on the weights) by batch: one window, Keras' default batch,
// and W6's 10,000 windows in one call.
func BenchmarkPredict(b *testing.B) {
	for _, n := range []int{1, 32, 10_000} {
		b.Run(fmt.Sprintf("LSTM/U20_B%d_T10", n), func(b *testing.B) {
			m, err := NewRegressor(LSTM, 20, 10, true, Seed)
			if err != nil {
				b.Fatal(err)
			}
			x := RandomTensor(rand.New(rand.NewPCG(Seed, 6)), n, 10, 1)
			if _, err := m.PredictBatch(x, n); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.PredictBatch(x, n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkForecast times one W5 forecast: 39 autoregressive Predict
// calls on [1, 10, 1].
func BenchmarkForecast(b *testing.B) {
	m, first := forecastSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Forecast(m, first, 39); err != nil {
			b.Fatal(err)
		}
	}
}

func forecastSetup(tb testing.TB) (*models.Model, *graph.Tensor) {
	tb.Helper()
	x, _, err := NoisySineWindows(Seed, 50, 10, 0.1)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := NewRegressor(LSTM, 20, 10, true, Seed)
	if err != nil {
		tb.Fatal(err)
	}
	first, err := trainers.Samples(x, []int{0})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := m.Predict(first); err != nil {
		tb.Fatal(err)
	}
	return m, first
}
