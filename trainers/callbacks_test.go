package trainers_test

import (
	"context"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/trainers"
)

// TestEarlyStoppingRestoreBestWeights trains full-batch gradient descent
// (one step per epoch) that converges for 4 epochs, then raises the
// learning rate past stability so the loss grows. EarlyStopping with
// patience 2 must stop 2 epochs after the best one and put back the
// weights the model had at the end of the best epoch.
func TestEarlyStoppingRestoreBestWeights(t *testing.T) {
	const n = 16
	x, y := denseData(t, graph.Float64, n)
	m := denseModel(t, graph.Float64, 3)
	opt := must(trainers.NewSGD(trainers.WithLearningRate(0.3)))
	var atEnd [][]float64 // weights at the end of each epoch
	record := trainers.CallbackFuncs{
		EpochBegin: func(s *trainers.FitState, e int) error {
			if e == 4 {
				return s.Trainer.Optimizer().SetLearningRate(8)
			}
			return nil
		},
		EpochEnd: func(_ *trainers.FitState, _ int, _ trainers.Logs) error {
			atEnd = append(atEnd, flatWeights(m))
			return nil
		},
	}
	es := &trainers.EarlyStopping{Patience: 2, RestoreBestWeights: true}
	h := must(trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
		Optimizer: opt, Epochs: 50, BatchSize: n, NoShuffle: true, Callbacks: []trainers.Callback{record, es},
	}))
	loss := h.Loss()
	best := 0
	for i, l := range loss {
		if l < loss[best] {
			best = i
		}
	}
	// The loss of epoch e is that of the weights before its step, so the
	// first epoch at the higher rate still has the lowest loss.
	if best != 4 || es.BestEpoch() != best {
		t.Fatalf("losses %v: best epoch %d, EarlyStopping says %d; the test wants 4", loss, best, es.BestEpoch())
	}
	if len(loss) != best+1+2 || es.StoppedEpoch != best+2 {
		t.Errorf("ran %d epochs, stopped after epoch %d; want %d and %d (patience 2)", len(loss), es.StoppedEpoch, best+3, best+2)
	}
	if !slices.Equal(flatWeights(m), atEnd[best]) {
		t.Errorf("weights %v, want those at the end of epoch %d %v", flatWeights(m), best, atEnd[best])
	}
	if slices.Equal(atEnd[best], atEnd[len(atEnd)-1]) {
		t.Fatal("the test cannot tell best from last weights")
	}
}

// TestEarlyStoppingPatience drives the callback with given losses and
// checks after which epoch it stops, as Keras does.
func TestEarlyStoppingPatience(t *testing.T) {
	tr := must(trainers.NewTrainer(denseModel(t, graph.Float64, 1), trainers.MSE(), nil))
	cases := []struct {
		name     string
		es       trainers.EarlyStopping
		losses   []float64
		val      bool // a constant val_loss of 5 in the logs
		stopped  int  // -1: never
		bestSeen int
	}{
		{"patience0", trainers.EarlyStopping{}, []float64{3, 2, 2.5, 1}, false, 2, 1},
		{"patience2", trainers.EarlyStopping{Patience: 2}, []float64{3, 2, 2.5, 1.5, 1.6, 1.7, 1}, false, 5, 3},
		{"patience2_recovers", trainers.EarlyStopping{Patience: 2}, []float64{3, 2, 2.5, 1.5, 1.6, 1.4, 1.5}, false, -1, 5},
		{"min_delta", trainers.EarlyStopping{Patience: 1, MinDelta: 0.5}, []float64{3, 2.4, 2.0, 1.95}, false, 2, 1},
		{"monitor_val", trainers.EarlyStopping{Patience: 1, Monitor: "val_loss"}, []float64{3, 2, 1, 0.5}, true, 1, 0},
		{"default_prefers_val", trainers.EarlyStopping{Patience: 1}, []float64{3, 2, 1, 0.5}, true, 1, 0},
		{"monitor_loss", trainers.EarlyStopping{Patience: 1, Monitor: "loss"}, []float64{3, 2, 1, 0.5}, true, -1, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es := c.es
			s := &trainers.FitState{Trainer: tr}
			if err := es.OnTrainBegin(s); err != nil {
				t.Fatal(err)
			}
			stopped := -1
			for e, l := range c.losses {
				logs := trainers.Logs{"loss": l}
				if c.val {
					logs["val_loss"] = 5
				}
				if err := es.OnEpochEnd(s, e, logs); err != nil {
					t.Fatal(err)
				}
				if s.StopTraining {
					stopped = e
					break
				}
			}
			if stopped != c.stopped || es.StoppedEpoch != c.stopped || es.BestEpoch() != c.bestSeen {
				t.Errorf("stopped after %d (StoppedEpoch %d), best %d; want %d, best %d", stopped, es.StoppedEpoch, es.BestEpoch(), c.stopped, c.bestSeen)
			}
		})
	}
}

// TestReduceLROnPlateau drives the callback with given losses and checks
// the learning rate after each epoch against Keras' rule: reduce after
// Patience epochs without improvement, then wait Cooldown epochs, never
// below MinLR.
func TestReduceLROnPlateau(t *testing.T) {
	tr := must(trainers.NewTrainer(denseModel(t, graph.Float64, 1), trainers.MSE(), must(trainers.NewSGD(trainers.WithLearningRate(0.8)))))
	cb := &trainers.ReduceLROnPlateau{Factor: 0.5, Patience: 2, Cooldown: 1, MinLR: 0.15}
	s := &trainers.FitState{Trainer: tr}
	if err := cb.OnTrainBegin(s); err != nil {
		t.Fatal(err)
	}
	losses := []float64{1, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4, 0.6, 0.6, 0.6, 0.6, 0.6}
	want := []float64{0.8, 0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.2, 0.2, 0.15, 0.15, 0.15, 0.15}
	for e, l := range losses {
		if err := cb.OnEpochEnd(s, e, trainers.Logs{"loss": l}); err != nil {
			t.Fatal(err)
		}
		if lr := tr.Optimizer().LearningRate(); !closeTo(lr, want[e], 1e-15) {
			t.Errorf("epoch %d: learning rate %v, want %v", e, lr, want[e])
		}
	}

	// In Fit, with a learning rate too small to change the loss by
	// MinDelta, the default factor 0.1 applies after every epoch but the
	// first.
	x, y := denseData(t, graph.Float64, 8)
	opt := must(trainers.NewSGD(trainers.WithLearningRate(1e-6)))
	must(trainers.Fit(context.Background(), denseModel(t, graph.Float64, 1), x, y, trainers.FitOptions{
		Optimizer: opt, Epochs: 3, Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Patience: 1, MinDelta: 1}},
	}))
	// Epoch 0 sets the best; epochs 1 and 2 do not improve by 1: one
	// reduction after each (patience 1, no cooldown).
	if lr := opt.LearningRate(); !closeTo(lr, 1e-8, 1e-12) {
		t.Errorf("learning rate after Fit %v, want 1e-8", lr)
	}
}
