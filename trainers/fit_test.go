package trainers_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/trainers"
)

// TestFitValidationSplitTail checks that ValidationSplit holds out the last
// samples, before any shuffling: the training is exactly a replay on the
// head, and val_loss is the loss of the final weights on the tail.
func TestFitValidationSplitTail(t *testing.T) {
	const n, batch, seed = 10, 4, 3
	x, y := denseData(t, graph.Float64, n)
	m := denseModel(t, graph.Float64, 1)
	opt := must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 0.1}))
	h := must(trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
		Optimizer: opt, Epochs: 2, BatchSize: batch, Seed: seed, ValidationSplit: 0.3,
		Metrics: []trainers.Metric{trainers.MetricMAE},
	}))
	// int(10 * 0.7) = 7 training samples, the last 3 for validation.
	ref := denseModel(t, graph.Float64, 1)
	refTr := must(trainers.NewTrainer(ref, trainers.MSE(), must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 0.1}))))
	losses := replay(t, refTr, rows(t, x, 0, 7), rows(t, y, 0, 7), 2, batch, seed, true)
	if !slices.Equal(flatWeights(m), flatWeights(ref)) {
		t.Errorf("weights after Fit differ from a replay on the first 7 samples:\n%v\n%v", flatWeights(m), flatWeights(ref))
	}
	if !slices.Equal(h.Loss(), losses) {
		t.Errorf("loss %v, replay on the first 7 samples gives %v", h.Loss(), losses)
	}
	tr := must(trainers.NewTrainer(m, trainers.MSE(), nil))
	tail := must(tr.Evaluate(rows(t, x, 7, n), rows(t, y, 7, n), batch, trainers.MetricMAE))
	val := h.Get("val_loss")
	if len(val) != 2 || val[1] != tail["loss"] {
		t.Errorf("val_loss %v, want last = %v (loss of the final weights on the last 3 samples)", val, tail["loss"])
	}
	if v := h.Get("val_mae"); len(v) != 2 || v[1] != tail["mae"] {
		t.Errorf("val_mae %v, want last = %v", v, tail["mae"])
	}
	head := must(tr.Evaluate(rows(t, x, 0, 3), rows(t, y, 0, 3), batch))
	if head["loss"] == tail["loss"] {
		t.Fatal("the test cannot tell head from tail")
	}
	if got, want := h.Keys(), []string{"loss", "mae", "val_loss", "val_mae"}; !slices.Equal(got, want) {
		t.Errorf("history keys %v, want %v", got, want)
	}
}

// TestFitPartialLastBatch checks that a short last batch is trained, not
// dropped: 10 samples in batches of 4 make 3 steps per epoch, and Fit
// matches a replay of EpochOrder through TrainBatch bit for bit.
func TestFitPartialLastBatch(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			const n, batch, epochs, seed = 10, 4, 3, 9
			x, y := rnnData(t, dt, n)
			m := rnnModel(t, dt, 5)
			var calls []string
			var perEpoch int
			count := trainers.CallbackFuncs{
				TrainBegin: func(s *trainers.FitState) error { perEpoch = s.Batches; return nil },
				BatchEnd: func(_ *trainers.FitState, e, b int, logs trainers.Logs) error {
					calls = append(calls, fmt.Sprintf("%d/%d", e, b))
					return nil
				},
			}
			opt := must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01}))
			h := must(trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
				Optimizer: opt, Epochs: epochs, BatchSize: batch, Seed: seed, Callbacks: []trainers.Callback{count},
			}))
			if perEpoch != 3 {
				t.Errorf("FitState.Batches = %d, want 3", perEpoch)
			}
			want := []string{"0/0", "0/1", "0/2", "1/0", "1/1", "1/2", "2/0", "2/1", "2/2"}
			if !slices.Equal(calls, want) {
				t.Errorf("batch ends %v, want %v", calls, want)
			}
			if it := opt.Iterations(); it != 9 {
				t.Errorf("optimizer took %d steps, want 9", it)
			}
			ref := rnnModel(t, dt, 5)
			refTr := must(trainers.NewTrainer(ref, trainers.MSE(), must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01}))))
			losses := replay(t, refTr, x, y, epochs, batch, seed, true)
			if !slices.Equal(flatWeights(m), flatWeights(ref)) {
				t.Errorf("weights differ from the replay")
			}
			if !slices.Equal(h.Loss(), losses) {
				t.Errorf("losses %v, replay %v", h.Loss(), losses)
			}
			if !slices.Equal(h.Epochs, []int{0, 1, 2}) {
				t.Errorf("history epochs %v", h.Epochs)
			}
		})
	}
}

// TestEpochOrder checks that orders are permutations, fixed by seed and
// epoch, and the identity without shuffling.
func TestEpochOrder(t *testing.T) {
	id := must(trainers.EpochOrder(7, 1, 0, false))
	if !slices.Equal(id, []int{0, 1, 2, 3, 4, 5, 6}) {
		t.Errorf("unshuffled order %v", id)
	}
	a := must(trainers.EpochOrder(50, 1, 0, true))
	if !slices.Equal(a, must(trainers.EpochOrder(50, 1, 0, true))) {
		t.Error("same seed and epoch give different orders")
	}
	if slices.Equal(a, must(trainers.EpochOrder(50, 1, 1, true))) {
		t.Error("epochs 0 and 1 have the same order")
	}
	if slices.Equal(a, must(trainers.EpochOrder(50, 2, 0, true))) {
		t.Error("seeds 1 and 2 give the same order")
	}
	if slices.Equal(a, must(trainers.EpochOrder(50, 1, 0, false))) {
		t.Error("shuffled order is the identity")
	}
	s := slices.Clone(a)
	slices.Sort(s)
	for i, v := range s {
		if v != i {
			t.Fatalf("order %v is not a permutation", a)
		}
	}
	if o := must(trainers.EpochOrder(0, 1, 0, true)); len(o) != 0 {
		t.Errorf("order of no samples %v", o)
	}
	// Bad arguments are errors, not panics.
	for _, c := range []struct {
		n, epoch int
		shuffle  bool
	}{{-1, 0, false}, {-1, 0, true}, {5, -1, true}} {
		err := noPanic(t, "EpochOrder", func() error { _, err := trainers.EpochOrder(c.n, 1, c.epoch, c.shuffle); return err })
		if !errors.Is(err, graph.ErrArgument) {
			t.Errorf("EpochOrder(%d, 1, %d, %v): %v, want ErrArgument", c.n, c.epoch, c.shuffle, err)
		}
	}
}

// TestFitShuffleDeterminism checks that the same seed gives bit-identical
// histories and weights on two fresh models, and another seed does not.
func TestFitShuffleDeterminism(t *testing.T) {
	run := func(seed uint64, noShuffle bool) (*trainers.History, []float64) {
		x, y := rnnData(t, graph.Float32, 13)
		m := rnnModel(t, graph.Float32, 2)
		opt := must(trainers.NewRMSprop(&trainers.RMSpropOptions{LearningRate: 0.01}))
		h := must(trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
			Optimizer: opt, Epochs: 3, BatchSize: 5, Seed: seed, NoShuffle: noShuffle, ValidationSplit: 0.2,
			Metrics: []trainers.Metric{trainers.MetricRMSE},
		}))
		return h, flatWeights(m)
	}
	h1, w1 := run(42, false)
	h2, w2 := run(42, false)
	if !slices.Equal(w1, w2) {
		t.Error("same seed: weights differ")
	}
	if !slices.Equal(h1.Keys(), h2.Keys()) || !slices.Equal(h1.Epochs, h2.Epochs) {
		t.Fatalf("same seed: histories differ: %v %v", h1.Keys(), h2.Keys())
	}
	for _, k := range h1.Keys() {
		if !slices.Equal(h1.Get(k), h2.Get(k)) {
			t.Errorf("same seed: %s %v vs %v", k, h1.Get(k), h2.Get(k))
		}
	}
	_, w3 := run(43, false)
	if slices.Equal(w1, w3) {
		t.Error("seeds 42 and 43 give the same weights")
	}
	// Without shuffling the seed does not matter.
	_, w4 := run(1, true)
	_, w5 := run(2, true)
	if !slices.Equal(w4, w5) {
		t.Error("NoShuffle: the seed changed the result")
	}
	if slices.Equal(w1, w4) {
		t.Error("shuffled and unshuffled runs give the same weights")
	}
}

// TestFitCancel cancels the context from a callback after batch 2 of
// epoch 2: Fit returns the History of epoch 1 and an error wrapping
// context.Canceled that names the batch it stopped before, and no step
// runs after the cancellation.
func TestFitCancel(t *testing.T) {
	x, y := denseData(t, graph.Float64, 20)
	m := denseModel(t, graph.Float64, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var atCancel []float64
	steps := 0
	cb := trainers.CallbackFuncs{BatchEnd: func(_ *trainers.FitState, e, b int, _ trainers.Logs) error {
		steps++
		if e == 1 && b == 1 {
			cancel()
			atCancel = flatWeights(m)
		}
		return nil
	}}
	h, err := trainers.Fit(ctx, m, x, y, trainers.FitOptions{Epochs: 5, BatchSize: 6, Callbacks: []trainers.Callback{cb}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "epoch 2, batch 3") {
		t.Errorf("error %q does not name epoch 2, batch 3", err)
	}
	if h == nil || !slices.Equal(h.Epochs, []int{0}) || len(h.Loss()) != 1 {
		t.Fatalf("history %+v, want epoch 0 only", h)
	}
	if steps != 4+2 {
		t.Errorf("%d steps, want 6", steps)
	}
	if !slices.Equal(flatWeights(m), atCancel) {
		t.Error("weights changed after the cancellation")
	}
	// Already cancelled: nothing runs.
	m2 := denseModel(t, graph.Float64, 4)
	before := flatWeights(m2)
	h, err = trainers.Fit(ctx, m2, x, y, trainers.FitOptions{Epochs: 2})
	if !errors.Is(err, context.Canceled) || len(h.Epochs) != 0 || !slices.Equal(before, flatWeights(m2)) {
		t.Errorf("cancelled context: err %v, history %v, weights changed %v", err, h.Epochs, !slices.Equal(before, flatWeights(m2)))
	}
}

// TestFitDivergence trains with a huge learning rate: Fit stops with an
// error wrapping ErrDiverged that names the epoch and batch of the first
// bad step, and the weights are those after the last finite step.
func TestFitDivergence(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			x, y := denseData(t, dt, 12)
			m := denseModel(t, dt, 6)
			opt := must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 1e6}))
			last := flatWeights(m)
			lastE, lastB := 0, -1 // epoch and batch of the last finite step
			cb := trainers.CallbackFuncs{BatchEnd: func(_ *trainers.FitState, e, b int, _ trainers.Logs) error {
				last, lastE, lastB = flatWeights(m), e, b
				return nil
			}}
			const batches = 3
			h, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
				Optimizer: opt, Epochs: 1000, BatchSize: 4, Callbacks: []trainers.Callback{cb},
			})
			if !errors.Is(err, trainers.ErrDiverged) {
				t.Fatalf("error %v, want ErrDiverged", err)
			}
			e, b := lastE, lastB+1
			if b == batches {
				e, b = e+1, 0
			}
			if want := fmt.Sprintf("epoch %d, batch %d:", e+1, b+1); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
			if e == 0 {
				t.Error("diverged in the first epoch: the test wants a History")
			}
			if len(h.Epochs) != e {
				t.Errorf("history has %d epochs, want %d", len(h.Epochs), e)
			}
			if got := flatWeights(m); !slices.Equal(got, last) {
				t.Errorf("weights %v, want those of the last finite step %v", got, last)
			}
			for _, w := range flatWeights(m) {
				if math.IsNaN(w) || math.IsInf(w, 0) {
					t.Fatalf("weights are not finite: %v", flatWeights(m))
				}
			}
		})
	}
}

// TestFitDataChangedMidRun: Fit checks its data whole before the first
// epoch; its batches' shapes and finiteness are checked again only by the
// executor as it takes them, and the rules on their values by the
// trainer: a callback that writes a NaN into x after the first epoch gets
// an error wrapping graph.ErrNotFinite, naming the input, at the first
// batch that reads it, one that writes 7 into a binary cross-entropy's
// targets an error wrapping graph.ErrArgument, and the weights are those
// of the last good step.
func TestFitDataChangedMidRun(t *testing.T) {
	x, y := denseData(t, graph.Float64, 6)
	m := denseModel(t, graph.Float64, 6)
	var last []float64
	cb := trainers.CallbackFuncs{
		BatchEnd: func(*trainers.FitState, int, int, trainers.Logs) error {
			last = flatWeights(m)
			return nil
		},
		EpochEnd: func(_ *trainers.FitState, e int, _ trainers.Logs) error {
			if e == 0 {
				d, _ := graph.Float64Data(x)
				d[4] = math.NaN() // sample 1, in the first batch
			}
			return nil
		},
	}
	_, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{BatchSize: 3, NoShuffle: true, Epochs: 3, Callbacks: []trainers.Callback{cb}})
	if !errors.Is(err, graph.ErrNotFinite) || !strings.Contains(err.Error(), "epoch 2, batch 1:") || !strings.Contains(err.Error(), "input x") {
		t.Fatalf("error %v, want ErrNotFinite in input x at epoch 2, batch 1", err)
	}
	if got := flatWeights(m); !slices.Equal(got, last) {
		t.Errorf("weights %v, want those of the last finite step %v", got, last)
	}
	// A rule on the values beyond finiteness (a binary cross-entropy's
	// targets in [0, 1]) is still checked on every batch.
	y01 := must(graph.FromFloat64s(graph.Float64, []float64{0, 1, 1, 0, 1, 0}, 6, 1))
	x, _ = denseData(t, graph.Float64, 6)
	m = denseModel(t, graph.Float64, 6)
	cb.EpochEnd = func(_ *trainers.FitState, e int, _ trainers.Logs) error {
		if e == 0 {
			d, _ := graph.Float64Data(y01)
			d[4] = 7 // sample 4, in the second batch
		}
		return nil
	}
	_, err = trainers.Fit(context.Background(), m, x, y01, trainers.FitOptions{Loss: trainers.BinaryCrossentropy(true), BatchSize: 3, NoShuffle: true, Epochs: 3, Callbacks: []trainers.Callback{cb}})
	if !errors.Is(err, graph.ErrArgument) || !strings.Contains(err.Error(), "epoch 2, batch 2:") || !strings.Contains(err.Error(), "outside [0, 1]") {
		t.Fatalf("error %v, want a binary cross-entropy target outside [0, 1] at epoch 2, batch 2", err)
	}
	if got := flatWeights(m); !slices.Equal(got, last) {
		t.Errorf("weights %v, want those of the last good step %v", got, last)
	}
}

// TestFitDivergenceHugeTargets makes the first loss overflow: the error
// names epoch 1, batch 1 and no weight changes.
func TestFitDivergenceHugeTargets(t *testing.T) {
	x, _ := denseData(t, graph.Float64, 6)
	y := must(graph.FromFloat64s(graph.Float64, []float64{1e200, -1e200, 1e200, 1, 2, 3}, 6, 1))
	m := denseModel(t, graph.Float64, 6)
	before := flatWeights(m)
	h, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{BatchSize: 3, NoShuffle: true, Epochs: 2})
	if !errors.Is(err, trainers.ErrDiverged) || !strings.Contains(err.Error(), "epoch 1, batch 1:") {
		t.Fatalf("error %v, want ErrDiverged at epoch 1, batch 1", err)
	}
	if len(h.Epochs) != 0 || !slices.Equal(before, flatWeights(m)) {
		t.Errorf("history %v; weights changed: %v", h.Epochs, !slices.Equal(before, flatWeights(m)))
	}
}

// TestTrainBatchDivergenceKeepsOptimizerState checks that a step whose
// update is not finite leaves the weights and the optimizer's state (step
// count, momentum) as they were, so training can go on at a lower rate.
func TestTrainBatchDivergenceKeepsOptimizerState(t *testing.T) {
	x, y := denseData(t, graph.Float64, 8)
	m := denseModel(t, graph.Float64, 6)
	opt := must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 0.01, Momentum: 0.9}))
	tr := must(trainers.NewTrainer(m, trainers.MSE(), opt))
	must(tr.TrainBatch(x, y))
	before, state := flatWeights(m), opt.State()
	if err := opt.SetLearningRate(1e308); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.TrainBatch(x, y); !errors.Is(err, trainers.ErrDiverged) {
		t.Fatalf("error %v, want ErrDiverged", err)
	}
	if !slices.Equal(before, flatWeights(m)) {
		t.Error("weights changed")
	}
	after := opt.State()
	if after.Iterations != state.Iterations {
		t.Errorf("iterations %d, want %d", after.Iterations, state.Iterations)
	}
	for k, v := range state.Slots {
		if !slices.Equal(after.Slots[k], v) {
			t.Errorf("slot %s changed: %v -> %v", k, v, after.Slots[k])
		}
	}
	if err := opt.SetLearningRate(0.01); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.TrainBatch(x, y); err != nil {
		t.Errorf("training does not go on after a failed step: %v", err)
	}
}

// TestFitVerbose checks the progress output: nothing at verbose 0, a line
// per epoch with the loss at 2, something at 1.
func TestFitVerbose(t *testing.T) {
	x, y := denseData(t, graph.Float64, 10)
	for _, verbose := range []int{0, 1, 2} {
		var out strings.Builder
		m := denseModel(t, graph.Float64, 1)
		must(trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
			Epochs: 3, BatchSize: 4, Verbose: verbose, Output: &out, ValidationSplit: 0.2,
		}))
		s := out.String()
		switch verbose {
		case 0:
			if s != "" {
				t.Errorf("verbose 0 wrote %q", s)
			}
		case 1:
			if !strings.Contains(s, "loss:") {
				t.Errorf("verbose 1 wrote %q", s)
			}
		case 2:
			lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
			if len(lines) != 3 {
				t.Fatalf("verbose 2 wrote %d lines, want 3:\n%s", len(lines), s)
			}
			for i, l := range lines {
				if !strings.HasPrefix(l, fmt.Sprintf("Epoch %d/3", i+1)) || !strings.Contains(l, "loss:") || !strings.Contains(l, "val_loss:") {
					t.Errorf("line %d: %q", i, l)
				}
			}
		}
	}
}

// TestStepMatchesTrainBatch: Step trains exactly as TrainBatch does (the
// same losses and weights, step after step), without the predictions,
// and reports divergence the same way.
func TestStepMatchesTrainBatch(t *testing.T) {
	x, y := rnnData(t, graph.Float32, 12)
	a, b := rnnModel(t, graph.Float32, 3), rnnModel(t, graph.Float32, 3)
	ta := must(trainers.NewTrainer(a, trainers.MSE(), must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 0.05}))))
	tb := must(trainers.NewTrainer(b, trainers.MSE(), must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 0.05}))))
	for i := 0; i < 4; i++ {
		xb, yb := rows(t, x, 4*(i%3), 4*(i%3)+4), rows(t, y, 4*(i%3), 4*(i%3)+4)
		r, err := ta.TrainBatch(xb, yb)
		if err != nil {
			t.Fatal(err)
		}
		l, err := tb.Step(xb, yb)
		if err != nil {
			t.Fatal(err)
		}
		if l != r.Loss || r.Pred == nil {
			t.Fatalf("step %d: Step loss %v, TrainBatch loss %v (prediction %v)", i, l, r.Loss, r.Pred)
		}
		if !slices.Equal(flatWeights(a), flatWeights(b)) {
			t.Fatalf("step %d: the weights differ", i)
		}
	}
	bad := must(graph.FromFloat64s(graph.Float32, slices.Repeat([]float64{1e30}, y.Len()), y.Shape()...))
	if _, err := tb.Step(x, bad); !errors.Is(err, trainers.ErrDiverged) {
		t.Fatalf("Step on a diverging batch: %v, want ErrDiverged", err)
	}
	if _, err := (&trainers.Trainer{}).Step(x, y); err == nil {
		t.Fatal("a zero Trainer's Step gave no error")
	}
}
