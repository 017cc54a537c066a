package trainers_test

import (
	"context"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/trainers"
)

// TestPredictWhileAnotherModelTrains predicts with model B from many
// goroutines while model A trains, with the collector forced busy: B's
// answers stay bit for bit its serial ones, and A trains exactly as it does
// alone.
func TestPredictWhileAnotherModelTrains(t *testing.T) {
	x, y := rnnData(t, graph.Float32, 40)
	opts := trainers.FitOptions{Epochs: 60, BatchSize: 8, Seed: 2}

	alone := rnnModel(t, graph.Float32, 1)
	hAlone := must(trainers.Fit(context.Background(), alone, x, y, opts))

	a, b := rnnModel(t, graph.Float32, 1), rnnModel(t, graph.Float32, 7)
	want := graph.Float64s(must(b.PredictBatch(x, 3)))

	old := debug.SetGCPercent(2)
	defer debug.SetGCPercent(old)
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wrong, calls := 0, 0
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				p, err := b.PredictBatch(x, 3)
				mu.Lock()
				calls++
				if err != nil || !slices.Equal(graph.Float64s(p), want) {
					wrong++
				}
				mu.Unlock()
			}
		})
	}
	// Every epoch of A waits for a prediction of B to finish after it
	// began, so predictions interleave with training however busy the
	// machine is.
	opts.Callbacks = []trainers.Callback{interleave{func() int { mu.Lock(); defer mu.Unlock(); return calls }}}
	h, err := trainers.Fit(context.Background(), a, x, y, opts)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if wrong > 0 {
		t.Errorf("%d of %d predictions of B differ from its serial answer while A trained", wrong, calls)
	}
	if calls == 0 {
		t.Error("no prediction ran while A trained")
	}
	if !slices.Equal(h.Loss(), hAlone.Loss()) || !slices.Equal(flatWeights(a), flatWeights(alone)) {
		t.Error("A trained differently while B predicted")
	}
}

// interleave is a callback whose OnEpochBegin waits until count has moved
// past its value at that moment.
type interleave struct{ count func() int }

func (c interleave) OnTrainBegin(*trainers.FitState) error { return nil }
func (c interleave) OnEpochBegin(*trainers.FitState, int) error {
	for start := c.count(); c.count() < start+1; {
		runtime.Gosched()
	}
	return nil
}
func (c interleave) OnBatchEnd(*trainers.FitState, int, int, trainers.Logs) error { return nil }
func (c interleave) OnEpochEnd(*trainers.FitState, int, trainers.Logs) error      { return nil }
func (c interleave) OnTrainEnd(*trainers.FitState) error                          { return nil }
