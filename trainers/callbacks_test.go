package trainers_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
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
	opt := must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 0.3}))
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
		// As Keras, the first value is the best so far whatever it is: no
		// stop at the first epoch, even with patience 0.
		{"first_inf", trainers.EarlyStopping{}, []float64{math.Inf(1), 5, 6}, false, 2, 1},
		{"first_nan", trainers.EarlyStopping{Patience: 1}, []float64{math.NaN(), 5, 6}, false, 1, 0},
		{"patience3", trainers.EarlyStopping{Patience: 3}, []float64{1, 2, 2, 0.5, 2, 2, 2, 0.1}, false, 6, 3},
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
	tr := must(trainers.NewTrainer(denseModel(t, graph.Float64, 1), trainers.MSE(), must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 0.8}))))
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
	opt := must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 1e-6}))
	must(trainers.Fit(context.Background(), denseModel(t, graph.Float64, 1), x, y, trainers.FitOptions{
		Optimizer: opt, Epochs: 3, Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Patience: 1, MinDelta: 1}},
	}))
	// Epoch 0 sets the best; epochs 1 and 2 do not improve by 1: one
	// reduction after each (patience 1, no cooldown).
	if lr := opt.LearningRate(); !closeTo(lr, 1e-8, 1e-12) {
		t.Errorf("learning rate after Fit %v, want 1e-8", lr)
	}
}

// TestReduceLROnPlateauDefaults checks the zero value: factor 0.1
// (Keras' default), patience 0 (a reduction after every epoch without
// improvement), min_delta 0 (any decrease improves), no cooldown, no
// lower bound.
func TestReduceLROnPlateauDefaults(t *testing.T) {
	tr := must(trainers.NewTrainer(denseModel(t, graph.Float64, 1), trainers.MSE(), must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 1}))))
	var cb trainers.ReduceLROnPlateau
	s := &trainers.FitState{Trainer: tr}
	if err := cb.OnTrainBegin(s); err != nil {
		t.Fatal(err)
	}
	losses := []float64{1, 0.9999, 0.9999, 2, 0.5, 0.5}
	want := []float64{1, 1, 0.1, 0.01, 0.01, 0.001}
	for e, l := range losses {
		if err := cb.OnEpochEnd(s, e, trainers.Logs{"loss": l}); err != nil {
			t.Fatal(err)
		}
		if lr := tr.Optimizer().LearningRate(); !closeTo(lr, want[e], 1e-15) {
			t.Errorf("epoch %d: learning rate %v, want %v", e, lr, want[e])
		}
	}
	if trainers.DefaultReduceLRFactor != 0.1 {
		t.Errorf("default factor %v", trainers.DefaultReduceLRFactor)
	}
}

// TestReduceLROnPlateauCooldownOnlyAfterReduction checks Keras' rule that
// the cooldown starts only when the rate was actually reduced: at MinLR
// nothing changes, so a rate raised afterwards is reduced at the next
// epoch without improvement.
func TestReduceLROnPlateauCooldownOnlyAfterReduction(t *testing.T) {
	tr := must(trainers.NewTrainer(denseModel(t, graph.Float64, 1), trainers.MSE(), must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 0.1}))))
	cb := &trainers.ReduceLROnPlateau{Factor: 0.5, Patience: 1, Cooldown: 2, MinLR: 0.1}
	s := &trainers.FitState{Trainer: tr}
	if err := cb.OnTrainBegin(s); err != nil {
		t.Fatal(err)
	}
	for e, l := range []float64{1, 1} { // the second is at MinLR already: no reduction, no cooldown
		if err := cb.OnEpochEnd(s, e, trainers.Logs{"loss": l}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Optimizer().SetLearningRate(0.8); err != nil {
		t.Fatal(err)
	}
	if err := cb.OnEpochEnd(s, 2, trainers.Logs{"loss": 1}); err != nil {
		t.Fatal(err)
	}
	if lr := tr.Optimizer().LearningRate(); lr != 0.4 {
		t.Errorf("learning rate %v, want 0.4", lr)
	}
}

// TestModelCheckpointSaveBestOnly drives the callback with chosen values
// and weights: the file is written when the monitored value improves, not
// rewritten when it does not, and loads back with the best weights and
// epoch; a new Fit call (OnTrainBegin) starts from no best.
func TestModelCheckpointSaveBestOnly(t *testing.T) {
	m := denseModel(t, graph.Float64, 1)
	tr := must(trainers.NewTrainer(m, trainers.MSE(), must(trainers.NewAdam(nil))))
	dir := t.TempDir()
	best := filepath.Join(dir, "best.safetensors")
	cb := &trainers.ModelCheckpoint{Path: best, SaveBestOnly: true, Monitor: "val_loss"}
	perEpoch := &trainers.ModelCheckpoint{Path: filepath.Join(dir, "e{epoch}.safetensors"), SaveBestOnly: true}
	s := &trainers.FitState{Trainer: tr}
	for _, c := range []*trainers.ModelCheckpoint{cb, perEpoch} {
		if err := c.OnTrainBegin(s); err != nil {
			t.Fatal(err)
		}
	}
	setWeights := func(v float64) []float64 {
		ws := m.Weights()
		for i := range ws {
			for j := range ws[i].Weights {
				for k := range ws[i].Weights[j].Data {
					ws[i].Weights[j].Data[k] = v + float64(k)
				}
			}
		}
		if err := m.SetWeights(ws); err != nil {
			t.Fatal(err)
		}
		return flatWeights(m)
	}
	check := func(wantWeights []float64, wantEpoch int) {
		t.Helper()
		got, epoch, err := trainers.LoadCheckpoint(best)
		if err != nil {
			t.Fatal(err)
		}
		if epoch != wantEpoch || !slices.Equal(flatWeights(got.Model()), wantWeights) {
			t.Errorf("file holds epoch %d, weights %v; want %d, %v", epoch, flatWeights(got.Model()), wantEpoch, wantWeights)
		}
	}
	vals := []float64{3, 2, 2.5, 2, 1.5}
	saved := []bool{true, true, false, false, true}
	var bestWeights []float64
	bestEpoch := 0
	for e, v := range vals {
		w := setWeights(float64(e + 1))
		for _, c := range []*trainers.ModelCheckpoint{cb, perEpoch} {
			// loss is the opposite of val_loss, so perEpoch (which
			// monitors val_loss by default) follows val_loss too.
			if err := c.OnEpochEnd(s, e, trainers.Logs{"loss": -v, "val_loss": v}); err != nil {
				t.Fatal(err)
			}
		}
		if saved[e] {
			bestWeights, bestEpoch = w, e+1
		}
		check(bestWeights, bestEpoch)
		_, err := os.Stat(filepath.Join(dir, "e"+string(rune('1'+e))+".safetensors"))
		if (err == nil) != saved[e] {
			t.Errorf("epoch %d: e%d file exists %v, want %v", e, e+1, err == nil, saved[e])
		}
	}
	// A new Fit call forgets the best: a worse value is saved.
	if err := cb.OnTrainBegin(s); err != nil {
		t.Fatal(err)
	}
	w := setWeights(10)
	if err := cb.OnEpochEnd(s, 0, trainers.Logs{"val_loss": 9}); err != nil {
		t.Fatal(err)
	}
	check(w, 1)
}
