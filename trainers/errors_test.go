package trainers_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/trainers"
)

// noPanic runs f and turns a panic into a test failure.
func noPanic(t *testing.T, what string, f func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: panic: %v", what, r)
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

// TestFitBadInput checks that every bad input to Fit is an error for
// errors.Is, before anything trains, and never a panic.
func TestFitBadInput(t *testing.T) {
	x, y := denseData(t, graph.Float64, 10)
	seq, _ := rnnData(t, graph.Float64, 10)
	y2 := must(graph.FromFloat64s(graph.Float64, make([]float64, 20), 10, 2))
	short := rows(t, y, 0, 9)
	nanX := must(graph.FromFloat64s(graph.Float64, graph.Float64s(x), 10, 3))
	data64(nanX)[3*3+1] = math.NaN()
	infY := must(graph.FromFloat64s(graph.Float64, graph.Float64s(y), 10, 1))
	data64(infY)[5] = math.Inf(1)
	other := must(trainers.NewAdam(nil))
	emptyX := graph.NewTensor(graph.Float64, 0, 3)
	emptyY := graph.NewTensor(graph.Float64, 0, 1)
	flat := graph.NewTensor(graph.Float64, 0)

	cases := []struct {
		name   string
		x, y   *graph.Tensor
		opts   trainers.FitOptions
		target error
		text   string // in the message, when set
	}{
		{"sample_counts", x, short, trainers.FitOptions{}, graph.ErrShape, "10 samples"},
		{"x_shape", seq, y, trainers.FitOptions{}, graph.ErrShape, ""},
		{"y_shape", x, y2, trainers.FitOptions{}, graph.ErrShape, ""},
		{"x_nil", nil, y, trainers.FitOptions{}, graph.ErrArgument, ""},
		{"y_nil", x, nil, trainers.FitOptions{}, graph.ErrArgument, ""},
		{"empty", emptyX, emptyY, trainers.FitOptions{}, graph.ErrArgument, ""},
		{"empty_flat", flat, flat, trainers.FitOptions{}, nil, ""},
		{"val_empty", x, y, trainers.FitOptions{ValidationX: emptyX, ValidationY: emptyY}, graph.ErrArgument, "validation"},
		{"batch_negative", x, y, trainers.FitOptions{BatchSize: -1}, graph.ErrArgument, ""},
		{"epochs_negative", x, y, trainers.FitOptions{Epochs: -2}, graph.ErrArgument, ""},
		{"initial_epoch", x, y, trainers.FitOptions{Epochs: 2, InitialEpoch: 3}, graph.ErrArgument, ""},
		{"split_negative", x, y, trainers.FitOptions{ValidationSplit: -0.1}, graph.ErrArgument, ""},
		{"split_one", x, y, trainers.FitOptions{ValidationSplit: 1}, graph.ErrArgument, ""},
		{"split_big", x, y, trainers.FitOptions{ValidationSplit: 1.5}, graph.ErrArgument, ""},
		{"split_nan", x, y, trainers.FitOptions{ValidationSplit: math.NaN()}, graph.ErrArgument, ""},
		{"split_empty_train", x, y, trainers.FitOptions{ValidationSplit: 0.95}, graph.ErrArgument, ""},
		{"split_empty_val", x, y, trainers.FitOptions{ValidationSplit: 1e-17}, graph.ErrArgument, ""},
		{"split_and_data", x, y, trainers.FitOptions{ValidationSplit: 0.2, ValidationX: x, ValidationY: y}, graph.ErrArgument, ""},
		{"val_x_only", x, y, trainers.FitOptions{ValidationX: x}, graph.ErrArgument, ""},
		{"val_shape", x, y, trainers.FitOptions{ValidationX: seq, ValidationY: y}, graph.ErrShape, "validation"},
		{"val_nan", x, y, trainers.FitOptions{ValidationX: nanX, ValidationY: y}, graph.ErrNotFinite, "sample 3"},
		{"nan_x", nanX, y, trainers.FitOptions{}, graph.ErrNotFinite, "x sample 3"},
		{"inf_y", x, infY, trainers.FitOptions{}, graph.ErrNotFinite, "y sample 5"},
		{"verbose", x, y, trainers.FitOptions{Verbose: 3}, graph.ErrArgument, ""},
		{"metric", x, y, trainers.FitOptions{Metrics: []trainers.Metric{7}}, graph.ErrArgument, ""},
		{"other_optimizer", x, y, trainers.FitOptions{Optimizer: other}, graph.ErrArgument, ""},
		{"other_loss", x, y, trainers.FitOptions{Loss: trainers.MAE()}, graph.ErrArgument, "mae"},
		{"other_huber_delta", x, y, trainers.FitOptions{Loss: must(trainers.Huber(2))}, graph.ErrArgument, "huber(delta=2)"},
		{"nil_callback", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{trainers.NopCallback{}, nil}}, graph.ErrArgument, "callback 1"},
		{"reduce_lr_factor_one", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Factor: 1}}}, graph.ErrConfig, "factor"},
		{"reduce_lr_factor_big", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Factor: 1.5}}}, graph.ErrConfig, "factor"},
		{"reduce_lr_factor_negative", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Factor: -0.5}}}, graph.ErrConfig, "factor"},
		{"reduce_lr_factor_nan", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Factor: math.NaN()}}}, graph.ErrConfig, "factor"},
		{"reduce_lr_patience", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Patience: -1}}}, graph.ErrConfig, "patience"},
		{"reduce_lr_cooldown", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Cooldown: -1}}}, graph.ErrConfig, "cooldown"},
		{"reduce_lr_min_delta", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{MinDelta: -0.1}}}, graph.ErrConfig, "min delta"},
		{"reduce_lr_min_delta_nan", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{MinDelta: math.NaN()}}}, graph.ErrConfig, "min delta"},
		{"reduce_lr_min_lr", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{MinLR: -1e-3}}}, graph.ErrConfig, "min learning rate"},
		{"reduce_lr_min_lr_inf", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{MinLR: math.Inf(1)}}}, graph.ErrConfig, "min learning rate"},
		{"early_stopping_patience", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.EarlyStopping{Patience: -1}}}, graph.ErrConfig, "patience"},
		{"early_stopping_min_delta", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.EarlyStopping{MinDelta: -0.1}}}, graph.ErrConfig, "min delta"},
		{"early_stopping_min_delta_nan", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.EarlyStopping{MinDelta: math.NaN()}}}, graph.ErrConfig, "min delta"},
		{"checkpoint_no_path", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ModelCheckpoint{}}}, graph.ErrConfig, "path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := denseModel(t, graph.Float64, 1)
			before := flatWeights(m)
			// Trainer.Fit, so that the options can disagree with the trainer.
			tr := must(trainers.NewTrainer(m, trainers.MSE(), nil))
			var h *trainers.History
			err := noPanic(t, c.name, func() (err error) {
				h, err = tr.Fit(context.Background(), c.x, c.y, c.opts)
				return err
			})
			if err == nil {
				t.Fatal("no error")
			}
			if c.target != nil && !errors.Is(err, c.target) {
				t.Errorf("error %q does not wrap %q", err, c.target)
			}
			if c.text != "" && !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not say %q", err, c.text)
			}
			if h != nil && len(h.Epochs) != 0 {
				t.Errorf("history %v", h.Epochs)
			}
			if fmt.Sprint(flatWeights(m)) != fmt.Sprint(before) {
				t.Error("weights changed")
			}
		})
	}
}

// TestEvaluateBadInput checks Evaluate's and TrainBatch's argument errors.
func TestEvaluateBadInput(t *testing.T) {
	x, y := denseData(t, graph.Float64, 6)
	tr := must(trainers.NewTrainer(denseModel(t, graph.Float64, 1), trainers.MSE(), nil))
	short := rows(t, y, 0, 5)
	for name, f := range map[string]func() error{
		"evaluate_batch":  func() error { _, err := tr.Evaluate(x, y, -1); return err },
		"evaluate_count":  func() error { _, err := tr.Evaluate(x, short, 0); return err },
		"evaluate_nil":    func() error { _, err := tr.Evaluate(nil, y, 0); return err },
		"train_count":     func() error { _, err := tr.TrainBatch(x, short); return err },
		"train_nil_y":     func() error { _, err := tr.TrainBatch(x, nil); return err },
		"samples_range":   func() error { _, err := trainers.Samples(x, []int{0, 6}); return err },
		"samples_empty":   func() error { _, err := trainers.Samples(x, nil); return err },
		"samples_nil":     func() error { _, err := trainers.Samples(nil, []int{0}); return err },
		"nil_model":       func() error { _, err := trainers.NewTrainer(nil, trainers.MSE(), nil); return err },
		"evaluate_metric": func() error { _, err := tr.Evaluate(x, y, 0, trainers.Metric(9)); return err },
		// A Trainer not made by NewTrainer.
		"zero_fit": func() error {
			_, err := (&trainers.Trainer{}).Fit(context.Background(), x, y, trainers.FitOptions{})
			return err
		},
		"zero_train":    func() error { _, err := (&trainers.Trainer{}).TrainBatch(x, y); return err },
		"zero_evaluate": func() error { _, err := (&trainers.Trainer{}).Evaluate(x, y, 0); return err },
		"nil_fit": func() error {
			_, err := (*trainers.Trainer)(nil).Fit(context.Background(), x, y, trainers.FitOptions{})
			return err
		},
		"zero_checkpoint": func() error { return trainers.SaveCheckpoint(filepath.Join(t.TempDir(), "c"), &trainers.Trainer{}, 0) },
		"nil_checkpoint":  func() error { return trainers.SaveCheckpoint(filepath.Join(t.TempDir(), "c"), nil, 0) },
	} {
		if err := noPanic(t, name, f); !errors.Is(err, graph.ErrArgument) && !errors.Is(err, graph.ErrShape) {
			t.Errorf("%s: %v, want ErrArgument or ErrShape", name, err)
		}
	}
	// A nil History, as Fit returns with an argument error, holds nothing.
	var h *trainers.History
	noPanic(t, "nil History", func() error {
		if h.Loss() != nil || h.Get("loss") != nil || h.Keys() != nil {
			t.Error("a nil History holds values")
		}
		return nil
	})
}

// TestOptimizerBadOptions checks that hyperparameters out of range and
// conflicting settings are errors at construction, wrapping ErrConfig
// (and so ErrArgument); settings an optimizer does not have do not
// compile (TestOptimizerMisuseDoesNotCompile in graph/internal/compiletest).
func TestOptimizerBadOptions(t *testing.T) {
	decay := trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 1, DecayRate: 0.9}
	sgd := func(o trainers.SGDOptions) func() error {
		return func() error { _, err := trainers.NewSGD(&o); return err }
	}
	adam := func(o trainers.AdamOptions) func() error {
		return func() error { _, err := trainers.NewAdam(&o); return err }
	}
	rmsprop := func(o trainers.RMSpropOptions) func() error {
		return func() error { _, err := trainers.NewRMSprop(&o); return err }
	}
	named := func(name string, o *trainers.OptimizerOptions) func() error {
		return func() error { _, err := trainers.NewOptimizer(name, o); return err }
	}
	cases := []struct {
		name string
		make func() error
	}{
		{"lr_negative", adam(trainers.AdamOptions{LearningRate: -0.1})},
		{"lr_nan", rmsprop(trainers.RMSpropOptions{LearningRate: math.NaN()})},
		{"lr_inf", sgd(trainers.SGDOptions{LearningRate: math.Inf(1)})},
		{"lr_negative_by_name", named("sgd", &trainers.OptimizerOptions{LearningRate: -1})},
		{"momentum_one", sgd(trainers.SGDOptions{Momentum: 1})},
		{"momentum_negative", sgd(trainers.SGDOptions{Momentum: -0.1})},
		{"nesterov_no_momentum", sgd(trainers.SGDOptions{Nesterov: true})},
		{"beta1_one", adam(trainers.AdamOptions{Beta1: 1})},
		{"beta1_negative", adam(trainers.AdamOptions{Beta1: -0.5})},
		{"beta2_nan", adam(trainers.AdamOptions{Beta2: math.NaN()})},
		{"epsilon_negative", adam(trainers.AdamOptions{Epsilon: -1e-7})},
		{"epsilon_inf", rmsprop(trainers.RMSpropOptions{Epsilon: math.Inf(1)})},
		{"rho_one", rmsprop(trainers.RMSpropOptions{Rho: 1})},
		{"two_clips", sgd(trainers.SGDOptions{ClipValue: 1, ClipNorm: 1})},
		{"two_clips_global", adam(trainers.AdamOptions{ClipNorm: 1, GlobalClipNorm: 1})},
		{"two_clips_by_name", named("rmsprop", &trainers.OptimizerOptions{ClipValue: 1, GlobalClipNorm: 1})},
		{"clip_negative", sgd(trainers.SGDOptions{GlobalClipNorm: -1})},
		{"clip_nan", rmsprop(trainers.RMSpropOptions{ClipValue: math.NaN()})},
		{"lr_and_schedule", sgd(trainers.SGDOptions{LearningRate: 0.1, Schedule: decay})},
		{"lr_and_schedule_by_name", named("adam", &trainers.OptimizerOptions{LearningRate: 0.1, Schedule: decay})},
		{"typed_nil_schedule", sgd(trainers.SGDOptions{Schedule: (*trainers.ExponentialDecay)(nil)})},
		{"decay_steps_zero", sgd(trainers.SGDOptions{Schedule: trainers.ExponentialDecay{Initial: 0.1, DecayRate: 0.9}})},
		{"decay_initial_zero", adam(trainers.AdamOptions{Schedule: trainers.ExponentialDecay{DecaySteps: 1, DecayRate: 0.9}})},
		{"decay_rate_negative", adam(trainers.AdamOptions{Schedule: trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 1, DecayRate: -1}})},
		{"unknown", named("adagrad", nil)},
		{"case", named("Adam", nil)},
	}
	for _, c := range cases {
		err := noPanic(t, c.name, c.make)
		if !errors.Is(err, graph.ErrConfig) || !errors.Is(err, graph.ErrArgument) {
			t.Errorf("%s: error %v, want ErrConfig (an ErrArgument)", c.name, err)
		}
	}
	// Zero values are Keras' defaults, and nil is the zero value.
	for _, c := range []struct {
		opt trainers.Optimizer
		lr  float64
	}{
		{must(trainers.NewSGD(&trainers.SGDOptions{})), 0.01},
		{must(trainers.NewAdam(nil)), 0.001},
		{must(trainers.NewRMSprop(&trainers.RMSpropOptions{ClipNorm: 1})), 0.001},
		{must(trainers.NewOptimizer("sgd", nil)), 0.01},
		{must(trainers.NewOptimizer("adam", &trainers.OptimizerOptions{GlobalClipNorm: 2})), 0.001},
	} {
		if got := c.opt.LearningRate(); got != c.lr {
			t.Errorf("%s: default learning rate %v, want %v", c.opt.Name(), got, c.lr)
		}
	}
	opt := must(trainers.NewSGD(nil))
	for _, lr := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if err := opt.SetLearningRate(lr); err == nil {
			t.Errorf("SetLearningRate(%v) accepted", lr)
		}
	}
	if opt.LearningRate() != 0.01 {
		t.Errorf("a rejected rate changed the rate to %v", opt.LearningRate())
	}
}
