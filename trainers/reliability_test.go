package trainers_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// wantErr fails the test unless err wraps target and its message holds
// every one of texts.
func wantErr(t *testing.T, what string, err, target error, texts ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want one wrapping %v", what, err, target)
		return
	}
	for _, s := range texts {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q lacks %q", what, err, s)
		}
	}
}

// TestFitBatchLargerThanData checks that a batch size above the number of
// samples, up to math.MaxInt, trains as one batch of all the samples (as
// Keras), bit for bit like BatchSize n, with one step per epoch, for Fit
// and for Evaluate, instead of overflowing into NaN losses and no step.
func TestFitBatchLargerThanData(t *testing.T) {
	const n, epochs = 10, 3
	x, y := denseData(t, graph.Float64, n)
	fit := func(batch int) (*trainers.History, []float64, int, map[string]float64) {
		t.Helper()
		m := denseModel(t, graph.Float64, 4)
		opt := must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.05}))
		batches := 0
		cb := trainers.CallbackFuncs{TrainBegin: func(s *trainers.FitState) error { batches = s.Batches; return nil }}
		var h *trainers.History
		err := noPanic(t, "Fit", func() (err error) {
			h, err = trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
				Optimizer: opt, Epochs: epochs, BatchSize: batch, Seed: 3, ValidationSplit: 0.3,
				Metrics: []trainers.Metric{trainers.MetricMAE}, Callbacks: []trainers.Callback{cb},
			})
			return err
		})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		if got := opt.Iterations(); got != epochs {
			t.Errorf("batch %d: %d steps, want one per epoch (%d)", batch, got, epochs)
		}
		if batches != 1 {
			t.Errorf("batch %d: FitState.Batches %d, want 1", batch, batches)
		}
		tr := must(trainers.NewTrainer(m, trainers.MSE(), must(trainers.NewSGD(nil))))
		logs := must(tr.Evaluate(x, y, batch, trainers.MetricRMSE))
		return h, flatWeights(m), batches, logs
	}
	wantH, wantW, _, wantLogs := fit(7) // 7 training samples after the split
	for _, batch := range []int{8, 1 << 40, math.MaxInt/2 + 1, math.MaxInt - 1, math.MaxInt} {
		h, w, _, logs := fit(batch)
		for _, k := range wantH.Keys() {
			got, want := h.Get(k), wantH.Get(k)
			if !slices.Equal(got, want) {
				t.Errorf("batch %d: %s %v, want %v (batch 7)", batch, k, got, want)
			}
			for _, v := range got {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("batch %d: %s %v is not finite", batch, k, got)
				}
			}
		}
		if !slices.Equal(w, wantW) {
			t.Errorf("batch %d: weights %v, want %v", batch, w, wantW)
		}
		if logs["loss"] != wantLogs["loss"] || logs["rmse"] != wantLogs["rmse"] {
			t.Errorf("batch %d: Evaluate %v, want %v", batch, logs, wantLogs)
		}
	}
}

// TestFloat64BeyondFloat32 checks that float64 data beyond float32's range
// given to a float32 model are refused naming the sample, wrapping
// graph.ErrNotFinite, instead of turning into infinities; values that
// round to float32's largest value are accepted, and a float64 model takes
// them all.
func TestFloat64BeyondFloat32(t *testing.T) {
	const n = 6
	x, y := denseData(t, graph.Float64, n)
	big := func(src *graph.Tensor, i int, v float64) *graph.Tensor {
		d := graph.Float64s(src)
		d[i] = v
		return must(graph.FromFloat64s(graph.Float64, d, src.Shape()...))
	}
	m := denseModel(t, graph.Float32, 1)
	tr := must(trainers.NewTrainer(m, trainers.MSE(), must(trainers.NewSGD(nil))))
	before := flatWeights(m)
	for _, v := range []float64{1e39, -1e39, math.MaxFloat64, math.MaxFloat32 * 1.0000001} {
		bx, by := big(x, 3*4+2, v), big(y, 2, v)
		var err error
		_, err = trainers.Fit(context.Background(), m, bx, y, trainers.FitOptions{})
		wantErr(t, "Fit x", err, graph.ErrNotFinite, "x sample 4", "float32")
		_, err = trainers.Fit(context.Background(), m, x, by, trainers.FitOptions{})
		wantErr(t, "Fit y", err, graph.ErrNotFinite, "y sample 2", "float32")
		_, err = trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{ValidationX: bx, ValidationY: y})
		wantErr(t, "Fit validation x", err, graph.ErrNotFinite, "validation", "x sample 4")
		_, err = tr.TrainBatch(x, by)
		wantErr(t, "TrainBatch", err, graph.ErrNotFinite, "y sample 2")
		_, err = tr.Step(bx, y)
		wantErr(t, "Step", err, graph.ErrNotFinite, "x sample 4")
		_, err = tr.Evaluate(bx, by, 2)
		wantErr(t, "Evaluate", err, graph.ErrNotFinite, "x sample 4")
		_, err = m.Predict(bx)
		wantErr(t, "Predict", err, graph.ErrNotFinite, "x sample 4")
	}
	if !slices.Equal(flatWeights(m), before) {
		t.Errorf("refused data changed the weights")
	}
	// Just above float32's largest value, rounding to it: accepted.
	near := big(x, 0, math.MaxFloat32*(1+1e-9))
	if err := m.CheckSamples("x", near); err != nil {
		t.Errorf("a value rounding to MaxFloat32: %v", err)
	}
	// A float64 model: 1e39 is finite.
	m64 := denseModel(t, graph.Float64, 1)
	if err := m64.CheckSamples("x", big(x, 0, 1e39)); err != nil {
		t.Errorf("float64 model: %v", err)
	}
	tr64 := must(trainers.NewTrainer(m64, trainers.MSE(), nil))
	if _, err := tr64.Evaluate(x, big(y, 0, 1e39), 0); err != nil {
		t.Errorf("float64 model, y 1e39: %v", err)
	}
}

// TestFitParts checks that x and y given as samples cut from larger
// tensors by graph.SampleRange (sharing their memory) are checked on their
// own elements: a NaN in the memory outside the part is not an error, and
// one inside names the right sample. (Gorgonia's views cannot be made
// through graph's API; graph tests them at its seam.)
func TestFitParts(t *testing.T) {
	const n = 8
	x, y1 := denseData(t, graph.Float64, n)
	// wide holds x between a sample of NaN before and after it; tall holds
	// y (two outputs) between samples of -Inf.
	wide := make([]float64, 0, 3*(n+2))
	tall := make([]float64, 0, 2*(n+2))
	two := make([]float64, 0, 2*n)
	xs, ys := graph.Float64s(x), graph.Float64s(y1)
	wide = append(wide, math.NaN(), math.NaN(), math.NaN())
	tall = append(tall, math.Inf(-1), math.Inf(-1))
	for i := range n {
		wide = append(wide, xs[3*i:3*i+3]...)
		tall = append(tall, ys[i], -ys[i])
		two = append(two, ys[i], -ys[i])
	}
	wide = append(wide, math.NaN(), math.NaN(), math.NaN())
	tall = append(tall, math.Inf(-1), math.Inf(-1))
	y := must(graph.FromFloat64s(graph.Float64, two, n, 2))
	part := func(d []float64, cols int) *graph.Tensor {
		t.Helper()
		full := must(graph.FromFloat64s(graph.Float64, slices.Clone(d), n+2, cols))
		v, err := graph.SampleRange(full, 1, n+1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v.Shape(), []int{n, cols}) {
			t.Fatalf("not a part of shape [%d %d]: %v", n, cols, v.Shape())
		}
		return v
	}
	model := func(dt graph.DType) *models.Model {
		return must(models.NewSequential([]int{3}, []layers.Layer{must(layers.NewDense(2, nil))}, &models.Options{DType: dt, Seed: 2}))
	}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		vx, vy := part(wide, 3), part(tall, 2)
		m := model(dt)
		if err := m.CheckSamples("x", vx); err != nil {
			t.Errorf("%v: CheckSamples on a part with NaN outside it: %v", dt, err)
		}
		h, err := trainers.Fit(context.Background(), m, vx, vy, trainers.FitOptions{Epochs: 2, BatchSize: 3, ValidationX: vx, ValidationY: vy})
		if err != nil {
			t.Fatalf("%v: Fit on parts: %v", dt, err)
		}
		// Same result as the same data in plain tensors.
		h2 := must(trainers.Fit(context.Background(), model(dt), x, y, trainers.FitOptions{Epochs: 2, BatchSize: 3, ValidationX: x, ValidationY: y}))
		if !slices.Equal(h.Loss(), h2.Loss()) || !slices.Equal(h.Get("val_loss"), h2.Get("val_loss")) {
			t.Errorf("%v: parts trained to %v / %v, the copies to %v / %v", dt, h.Loss(), h.Get("val_loss"), h2.Loss(), h2.Get("val_loss"))
		}
		if _, err := m.Predict(vx); err != nil {
			t.Errorf("%v: Predict on a part: %v", dt, err)
		}

		// A NaN inside the parts: sample 5 of x, sample 6 of y. The flat
		// index in the memory they share would name samples 6 and 7.
		badWide, badTall := slices.Clone(wide), slices.Clone(tall)
		badWide[(1+5)*3+1] = math.NaN()
		badTall[(1+6)*2+1] = math.Inf(1)
		bx, by := part(badWide, 3), part(badTall, 2)
		_, err = trainers.Fit(context.Background(), m, bx, vy, trainers.FitOptions{})
		wantErr(t, "x part", err, graph.ErrNotFinite, "x sample 5")
		_, err = trainers.Fit(context.Background(), m, vx, by, trainers.FitOptions{})
		wantErr(t, "y part", err, graph.ErrNotFinite, "y sample 6")
	}
}

// rateFunc is a custom learning rate schedule.
type rateFunc func(step int) float64

func (f rateFunc) Rate(step int) float64 { return f(step) }

// ptrSchedule is a custom schedule with a pointer receiver.
type ptrSchedule struct{ lr float64 }

func (s *ptrSchedule) Rate(int) float64 { return s.lr }

// TestScheduleRates checks that a custom schedule's rate that is not
// positive and finite stops Fit with an error wrapping graph.ErrArgument at
// the epoch and batch whose step would use it, before that step: the
// weights and the step count are those of the steps before.
func TestScheduleRates(t *testing.T) {
	x, y := denseData(t, graph.Float64, 10)
	for _, bad := range []float64{0, -0.1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		for _, kind := range []string{"sgd", "adam", "rmsprop"} {
			// 10 samples in batches of 4: 3 steps per epoch; step 4 (the
			// first of epoch 2) gets the bad rate.
			sched := rateFunc(func(step int) float64 {
				if step >= 3 {
					return bad
				}
				return 0.01
			})
			opt := must(trainers.NewOptimizer(kind, &trainers.OptimizerOptions{Schedule: sched}))
			m := denseModel(t, graph.Float64, 1)
			var afterEpoch1 []float64
			cb := trainers.CallbackFuncs{EpochEnd: func(s *trainers.FitState, e int, _ trainers.Logs) error {
				afterEpoch1 = flatWeights(s.Model())
				return nil
			}}
			h, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
				Optimizer: opt, Epochs: 3, BatchSize: 4, Callbacks: []trainers.Callback{cb},
			})
			what := fmt.Sprintf("%s rate %v", kind, bad)
			wantErr(t, what, err, graph.ErrArgument, "epoch 2, batch 1", "schedule", "step 3")
			if len(h.Loss()) != 1 || opt.Iterations() != 3 {
				t.Errorf("%s: %d epochs and %d steps done, want 1 and 3", what, len(h.Loss()), opt.Iterations())
			}
			if !slices.Equal(flatWeights(m), afterEpoch1) {
				t.Errorf("%s: the step with the bad rate changed the weights", what)
			}
		}
	}
	// ExponentialDecay underflowing to 0 is refused the same way.
	opt := must(trainers.NewSGD(&trainers.SGDOptions{Schedule: trainers.ExponentialDecay{Initial: 1e-300, DecaySteps: 1, DecayRate: 1e-10}}))
	_, err := trainers.Fit(context.Background(), denseModel(t, graph.Float64, 1), x, y, trainers.FitOptions{Optimizer: opt, Epochs: 2, BatchSize: 4})
	wantErr(t, "decay to 0", err, graph.ErrArgument, "gives 0")

	// Typed nil schedules are refused at construction (a nil Schedule is
	// the zero value: a constant rate).
	for name, s := range map[string]trainers.Schedule{
		"nil *ExponentialDecay": (*trainers.ExponentialDecay)(nil),
		"nil custom pointer":    (*ptrSchedule)(nil), "nil func": rateFunc(nil),
	} {
		_, err := trainers.NewAdam(&trainers.AdamOptions{Schedule: s})
		wantErr(t, name, err, graph.ErrConfig, "nil schedule")
	}
	if opt, err := trainers.NewAdam(&trainers.AdamOptions{Schedule: nil}); err != nil || opt.LearningRate() != 0.001 {
		t.Errorf("a nil schedule: %v, rate %v, want Adam's constant 0.001", err, opt.LearningRate())
	}
}

// TestPointerScheduleCheckpoint checks that a *ExponentialDecay schedule is
// the same schedule as its value: a copy taken at construction, saved by
// ModelCheckpoint and restored by LoadCheckpoint; and that schedules a
// checkpoint cannot hold are refused by Fit before training.
func TestPointerScheduleCheckpoint(t *testing.T) {
	x, y := denseData(t, graph.Float64, 10)
	decay := &trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 2, DecayRate: 0.5}
	opt := must(trainers.NewSGD(&trainers.SGDOptions{Schedule: decay}))
	decay.Initial = -1 // not the optimizer's any more
	want := must(trainers.NewSGD(&trainers.SGDOptions{Schedule: trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 2, DecayRate: 0.5}}))
	if opt.LearningRate() != want.LearningRate() {
		t.Errorf("rate %v, want %v (the schedule as given)", opt.LearningRate(), want.LearningRate())
	}
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	m := denseModel(t, graph.Float64, 1)
	_, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
		Optimizer: opt, Epochs: 2, BatchSize: 4, Callbacks: []trainers.Callback{&trainers.ModelCheckpoint{Path: path}},
	})
	if err != nil {
		t.Fatalf("Fit with a *ExponentialDecay schedule and a checkpoint: %v", err)
	}
	tr, epoch, err := trainers.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if epoch != 2 || tr.Optimizer().Iterations() != 6 || tr.Optimizer().LearningRate() != opt.LearningRate() {
		t.Errorf("checkpoint: epoch %d, %d steps, rate %v; want 2, 6, %v", epoch, tr.Optimizer().Iterations(), tr.Optimizer().LearningRate(), opt.LearningRate())
	}

	// A custom schedule cannot be saved: refused before any step.
	custom := must(trainers.NewAdam(&trainers.AdamOptions{Schedule: rateFunc(func(int) float64 { return 0.01 })}))
	h, err := trainers.Fit(context.Background(), denseModel(t, graph.Float64, 1), x, y, trainers.FitOptions{
		Optimizer: custom, Callbacks: []trainers.Callback{&trainers.ModelCheckpoint{Path: path}},
	})
	wantErr(t, "custom schedule checkpoint", err, trainers.ErrCheckpoint, "ExponentialDecay")
	if custom.Iterations() != 0 || len(h.Loss()) != 0 {
		t.Errorf("custom schedule checkpoint: %d steps, %d epochs before the error; want none", custom.Iterations(), len(h.Loss()))
	}

	// ReduceLROnPlateau cannot change a scheduled rate: refused before any step.
	_, err = trainers.Fit(context.Background(), denseModel(t, graph.Float64, 1), x, y, trainers.FitOptions{
		Optimizer: custom, Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{}},
	})
	wantErr(t, "reduce LR with a schedule", err, graph.ErrArgument, "schedule")
	if custom.Iterations() != 0 {
		t.Errorf("reduce LR with a schedule: %d steps before the error", custom.Iterations())
	}
}

// TestOptimizerBoundToModel checks that an optimizer that has stepped on
// one model's parameters refuses another model's, with an error wrapping
// graph.ErrArgument, before anything changes; the same model goes on.
func TestOptimizerBoundToModel(t *testing.T) {
	x, y := denseData(t, graph.Float64, 10)
	for _, kind := range []string{"sgd", "adam", "rmsprop"} {
		opt := must(trainers.NewOptimizer(kind, nil))
		m1, m2 := denseModel(t, graph.Float64, 1), denseModel(t, graph.Float64, 2)
		// Not bound before its first step: both trainers can be made.
		tr1 := must(trainers.NewTrainer(m1, trainers.MSE(), opt))
		tr2 := must(trainers.NewTrainer(m2, trainers.MSE(), opt))
		if _, err := tr1.Fit(context.Background(), x, y, trainers.FitOptions{Epochs: 2}); err != nil {
			t.Fatal(err)
		}
		steps, w2 := opt.Iterations(), flatWeights(m2)
		_, err := tr2.Fit(context.Background(), x, y, trainers.FitOptions{})
		wantErr(t, kind+" Fit", err, graph.ErrArgument, "another model")
		_, err = trainers.Fit(context.Background(), m2, x, y, trainers.FitOptions{Optimizer: opt})
		wantErr(t, kind+" trainers.Fit", err, graph.ErrArgument, "another model")
		_, err = tr2.TrainBatch(x, y)
		wantErr(t, kind+" TrainBatch", err, graph.ErrArgument, "another model")
		_, err = trainers.NewTrainer(m2, trainers.MSE(), opt)
		wantErr(t, kind+" NewTrainer", err, graph.ErrArgument, "another model")
		grads := make([]*graph.Tensor, 0)
		for _, p := range m2.Params() {
			grads = append(grads, graph.NewTensor(graph.Float64, p.Shape()...))
		}
		wantErr(t, kind+" Step", opt.Step(m2.Params(), grads), graph.ErrArgument, "another model")
		if opt.Iterations() != steps || !slices.Equal(flatWeights(m2), w2) {
			t.Errorf("%s: refused steps changed the step count or the other model", kind)
		}
		// The first model trains on.
		if _, err := tr1.Fit(context.Background(), x, y, trainers.FitOptions{Epochs: 3, InitialEpoch: 2}); err != nil {
			t.Errorf("%s: the bound model: %v", kind, err)
		}
	}
}

// nilCallback is a callback type of the caller's.
type nilCallback struct{ trainers.NopCallback }

// TestTypedNilArguments checks that typed nil callbacks and optimizers,
// and optimizers not made by their constructors, are errors from Fit and
// NewTrainer, not panics.
func TestTypedNilArguments(t *testing.T) {
	x, y := denseData(t, graph.Float64, 4)
	for name, cb := range map[string]trainers.Callback{
		"EarlyStopping":     (*trainers.EarlyStopping)(nil),
		"ReduceLROnPlateau": (*trainers.ReduceLROnPlateau)(nil),
		"ModelCheckpoint":   (*trainers.ModelCheckpoint)(nil),
		"CallbackFuncs":     (*trainers.CallbackFuncs)(nil),
		"NopCallback":       (*trainers.NopCallback)(nil),
		"own type":          (*nilCallback)(nil),
	} {
		m := denseModel(t, graph.Float64, 1)
		before := flatWeights(m)
		err := noPanic(t, name, func() error {
			_, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
				Callbacks: []trainers.Callback{trainers.NopCallback{}, cb},
			})
			return err
		})
		wantErr(t, name, err, graph.ErrArgument, "callback 1", "nil")
		if !slices.Equal(flatWeights(m), before) {
			t.Errorf("%s: weights changed", name)
		}
	}
	for name, opt := range map[string]trainers.Optimizer{
		"nil *SGD": (*trainers.SGD)(nil), "nil *Adam": (*trainers.Adam)(nil), "nil *RMSprop": (*trainers.RMSprop)(nil),
		"zero SGD": &trainers.SGD{}, "zero Adam": &trainers.Adam{}, "zero RMSprop": &trainers.RMSprop{},
	} {
		err := noPanic(t, name, func() error {
			_, err := trainers.NewTrainer(denseModel(t, graph.Float64, 1), trainers.MSE(), opt)
			return err
		})
		wantErr(t, name+" NewTrainer", err, graph.ErrArgument)
		err = noPanic(t, name, func() error {
			_, err := trainers.Fit(context.Background(), denseModel(t, graph.Float64, 1), x, y, trainers.FitOptions{Optimizer: opt})
			return err
		})
		wantErr(t, name+" Fit", err, graph.ErrArgument)
	}
}

// TestNilReceivers calls the methods of nil (and zero) values of the
// package's exported types: no panic, zero values or errors.
func TestNilReceivers(t *testing.T) {
	x, y := denseData(t, graph.Float64, 4)
	var tr *trainers.Trainer
	if tr.Model() != nil || tr.Optimizer() != nil || tr.Loss().Name() != "" {
		t.Errorf("nil Trainer: Model %v, Optimizer %v, Loss %v; want nil, nil, zero", tr.Model(), tr.Optimizer(), tr.Loss())
	}
	errs := map[string]func() error{
		"Trainer.TrainBatch": func() error { _, err := tr.TrainBatch(x, y); return err },
		"Trainer.Step":       func() error { _, err := tr.Step(x, y); return err },
		"Trainer.Evaluate":   func() error { _, err := tr.Evaluate(x, y, 0); return err },
		"Trainer.Fit":        func() error { _, err := tr.Fit(context.Background(), x, y, trainers.FitOptions{}); return err },
		"SaveCheckpoint":     func() error { return trainers.SaveCheckpoint(filepath.Join(t.TempDir(), "c"), tr, 1) },
		"zero Trainer.Fit": func() error {
			_, err := (&trainers.Trainer{}).Fit(context.Background(), x, y, trainers.FitOptions{})
			return err
		},
	}
	var es *trainers.EarlyStopping
	var rl *trainers.ReduceLROnPlateau
	var mc *trainers.ModelCheckpoint
	s := &trainers.FitState{}
	for name, cb := range map[string]trainers.Callback{"EarlyStopping": es, "ReduceLROnPlateau": rl, "ModelCheckpoint": mc} {
		errs[name+".OnTrainBegin"] = func() error { return cb.OnTrainBegin(s) }
		errs[name+".OnEpochBegin"] = func() error { return cb.OnEpochBegin(s, 0) }
		errs[name+".OnBatchEnd"] = func() error { return cb.OnBatchEnd(s, 0, 0, trainers.Logs{"loss": 1}) }
		errs[name+".OnEpochEnd"] = func() error { return cb.OnEpochEnd(s, 0, trainers.Logs{"loss": 1}) }
		errs[name+".OnTrainEnd"] = func() error { return cb.OnTrainEnd(s) }
	}
	// Callbacks called by hand with a FitState without a trainer (or nil).
	errs["EarlyStopping restore, no trainer"] = func() error {
		c := &trainers.EarlyStopping{RestoreBestWeights: true}
		if err := c.OnTrainBegin(nil); err != nil {
			return nil // would fail the test: OnTrainBegin needs no state
		}
		return c.OnEpochEnd(&trainers.FitState{}, 0, trainers.Logs{"loss": 1})
	}
	errs["EarlyStopping nil state"] = func() error {
		return (&trainers.EarlyStopping{}).OnEpochEnd(nil, 0, trainers.Logs{"loss": 1})
	}
	errs["ReduceLROnPlateau no trainer"] = func() error {
		c := &trainers.ReduceLROnPlateau{}
		if err := c.OnTrainBegin(nil); err != nil {
			return nil
		}
		if err := c.OnEpochEnd(nil, 0, trainers.Logs{"loss": 1}); err != nil {
			return nil // the first value improves: no optimizer needed
		}
		return c.OnEpochEnd(nil, 1, trainers.Logs{"loss": 2})
	}
	errs["ModelCheckpoint no trainer"] = func() error {
		c := &trainers.ModelCheckpoint{Path: filepath.Join(t.TempDir(), "c")}
		if err := c.OnTrainBegin(nil); err != nil {
			return nil
		}
		return c.OnEpochEnd(&trainers.FitState{}, 0, trainers.Logs{"loss": 1})
	}
	for _, opt := range []trainers.Optimizer{(*trainers.SGD)(nil), (*trainers.Adam)(nil), (*trainers.RMSprop)(nil), &trainers.SGD{}, &trainers.Adam{}, &trainers.RMSprop{}} {
		name := fmt.Sprintf("%T %v", opt, isNilOpt(opt))
		noPanic(t, name, func() error {
			if opt.Name() != "" || opt.LearningRate() != 0 || opt.Iterations() != 0 || len(opt.State().Slots) != 0 {
				t.Errorf("%s: queries give %q, %v, %d, %v; want zero values", name, opt.Name(), opt.LearningRate(), opt.Iterations(), opt.State())
			}
			return nil
		})
		errs[name+".SetLearningRate"] = func() error { return opt.SetLearningRate(0.1) }
		errs[name+".SetState"] = func() error { return opt.SetState(trainers.OptimizerState{LearningRate: 0.1}) }
		errs[name+".Step"] = func() error { return opt.Step(nil, nil) }
	}
	for name, f := range errs {
		wantErr(t, name, noPanic(t, name, f), graph.ErrArgument)
	}

	var st *trainers.FitState
	var h *trainers.History
	noPanic(t, "queries", func() error {
		if st.Model() != nil || (&trainers.FitState{}).Model() != nil {
			t.Error("FitState.Model without a trainer is not nil")
		}
		if es.BestEpoch() != -1 {
			t.Errorf("nil EarlyStopping.BestEpoch() = %d, want -1", es.BestEpoch())
		}
		if h.Loss() != nil || h.Get("loss") != nil || h.Keys() != nil {
			t.Error("nil History holds values")
		}
		return nil
	})
}

// isNilOpt tells a nil optimizer from a zero one in test names.
func isNilOpt(o trainers.Optimizer) string {
	switch v := o.(type) {
	case *trainers.SGD:
		if v == nil {
			return "nil"
		}
	case *trainers.Adam:
		if v == nil {
			return "nil"
		}
	case *trainers.RMSprop:
		if v == nil {
			return "nil"
		}
	}
	return "zero"
}

// TestEpochOrderTooMany checks that EpochOrder refuses more samples than
// MaxSamples instead of panicking in the allocation.
func TestEpochOrderTooMany(t *testing.T) {
	for _, n := range []int{trainers.MaxSamples + 1, math.MaxInt} {
		for _, shuffle := range []bool{false, true} {
			err := noPanic(t, "EpochOrder", func() error { _, err := trainers.EpochOrder(n, 1, 0, shuffle); return err })
			wantErr(t, fmt.Sprint("EpochOrder ", n), err, graph.ErrArgument, "more than")
		}
	}
}

// sliceOpt is a caller's optimizer of a type that is not comparable (==
// on two of them panics): plain SGD on float64 weights.
type sliceOpt struct {
	lr    []float64
	iters *int
}

func (o sliceOpt) Name() string { return "slice_sgd" }
func (o sliceOpt) Step(params []*graph.Param, grads []*graph.Tensor) error {
	for i, p := range params {
		w, g := graph.Float64s(p.Value()), graph.Float64s(grads[i])
		for j := range w {
			w[j] -= o.lr[0] * g[j]
		}
		if err := p.SetFloat64s(w); err != nil {
			return err
		}
	}
	*o.iters++
	return nil
}
func (o sliceOpt) LearningRate() float64                  { return o.lr[0] }
func (o sliceOpt) SetLearningRate(lr float64) error       { o.lr[0] = lr; return nil }
func (o sliceOpt) Iterations() int                        { return *o.iters }
func (o sliceOpt) State() trainers.OptimizerState         { return trainers.OptimizerState{} }
func (o sliceOpt) SetState(trainers.OptimizerState) error { return nil }

// TestUncomparableOptimizer checks that Fit takes an optimizer of a type
// that is not comparable, and that naming another one in the options is an
// error, not the panic of comparing them.
func TestUncomparableOptimizer(t *testing.T) {
	x, y := denseData(t, graph.Float64, 6)
	opt := sliceOpt{lr: []float64{0.01}, iters: new(int)}
	m := denseModel(t, graph.Float64, 1)
	err := noPanic(t, "Fit", func() error {
		_, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{Optimizer: opt, Epochs: 2, BatchSize: 3})
		return err
	})
	if err != nil || opt.Iterations() != 4 {
		t.Errorf("Fit: %v after %d steps, want no error after 4", err, opt.Iterations())
	}
	tr := must(trainers.NewTrainer(m, trainers.MSE(), opt))
	err = noPanic(t, "Trainer.Fit", func() error {
		_, err := tr.Fit(context.Background(), x, y, trainers.FitOptions{Optimizer: sliceOpt{lr: []float64{1}, iters: new(int)}})
		return err
	})
	wantErr(t, "Trainer.Fit", err, graph.ErrArgument, "another optimizer")
}
