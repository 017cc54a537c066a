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
	"gorgonia.org/tensor"
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
	nanX.Data().([]float64)[3*3+1] = math.NaN()
	infY := must(graph.FromFloat64s(graph.Float64, graph.Float64s(y), 10, 1))
	infY.Data().([]float64)[5] = math.Inf(1)
	other := must(trainers.NewAdam())
	emptyX := tensor.New(tensor.WithShape(0, 3), tensor.WithBacking([]float64{}))
	emptyY := tensor.New(tensor.WithShape(0, 1), tensor.WithBacking([]float64{}))
	flat := tensor.New(tensor.WithBacking([]float64{}))

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
		{"reduce_lr_factor_one", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Factor: 1}}}, graph.ErrArgument, "factor"},
		{"reduce_lr_factor_big", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Factor: 1.5}}}, graph.ErrArgument, "factor"},
		{"reduce_lr_factor_negative", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Factor: -0.5}}}, graph.ErrArgument, "factor"},
		{"reduce_lr_factor_nan", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Factor: math.NaN()}}}, graph.ErrArgument, "factor"},
		{"reduce_lr_patience", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Patience: -1}}}, graph.ErrArgument, "patience"},
		{"reduce_lr_cooldown", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{Cooldown: -1}}}, graph.ErrArgument, "cooldown"},
		{"reduce_lr_min_delta", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{MinDelta: -0.1}}}, graph.ErrArgument, "min delta"},
		{"reduce_lr_min_delta_nan", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{MinDelta: math.NaN()}}}, graph.ErrArgument, "min delta"},
		{"reduce_lr_min_lr", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{MinLR: -1e-3}}}, graph.ErrArgument, "min learning rate"},
		{"reduce_lr_min_lr_inf", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ReduceLROnPlateau{MinLR: math.Inf(1)}}}, graph.ErrArgument, "min learning rate"},
		{"early_stopping_patience", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.EarlyStopping{Patience: -1}}}, graph.ErrArgument, "patience"},
		{"early_stopping_min_delta", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.EarlyStopping{MinDelta: -0.1}}}, graph.ErrArgument, "min delta"},
		{"early_stopping_min_delta_nan", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.EarlyStopping{MinDelta: math.NaN()}}}, graph.ErrArgument, "min delta"},
		{"checkpoint_no_path", x, y, trainers.FitOptions{Callbacks: []trainers.Callback{&trainers.ModelCheckpoint{}}}, graph.ErrArgument, "path"},
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

// TestOptimizerBadOptions checks that hyperparameters out of range,
// options the optimizer does not have and conflicting options are errors.
func TestOptimizerBadOptions(t *testing.T) {
	cases := []struct {
		name string
		opt  string
		opts []trainers.OptimizerOption
	}{
		{"lr_zero", "sgd", []trainers.OptimizerOption{trainers.WithLearningRate(0)}},
		{"lr_negative", "adam", []trainers.OptimizerOption{trainers.WithLearningRate(-0.1)}},
		{"lr_nan", "rmsprop", []trainers.OptimizerOption{trainers.WithLearningRate(math.NaN())}},
		{"lr_inf", "sgd", []trainers.OptimizerOption{trainers.WithLearningRate(math.Inf(1))}},
		{"momentum_one", "sgd", []trainers.OptimizerOption{trainers.WithMomentum(1)}},
		{"momentum_negative", "sgd", []trainers.OptimizerOption{trainers.WithMomentum(-0.1)}},
		{"nesterov_no_momentum", "sgd", []trainers.OptimizerOption{trainers.WithNesterov(true)}},
		{"momentum_on_adam", "adam", []trainers.OptimizerOption{trainers.WithMomentum(0.9)}},
		{"nesterov_on_rmsprop", "rmsprop", []trainers.OptimizerOption{trainers.WithNesterov(true)}},
		{"rho_on_sgd", "sgd", []trainers.OptimizerOption{trainers.WithRho(0.9)}},
		{"beta_on_rmsprop", "rmsprop", []trainers.OptimizerOption{trainers.WithBeta1(0.9)}},
		{"epsilon_on_sgd", "sgd", []trainers.OptimizerOption{trainers.WithEpsilon(1e-7)}},
		{"beta1_one", "adam", []trainers.OptimizerOption{trainers.WithBeta1(1)}},
		{"beta2_nan", "adam", []trainers.OptimizerOption{trainers.WithBeta2(math.NaN())}},
		{"epsilon_zero", "adam", []trainers.OptimizerOption{trainers.WithEpsilon(0)}},
		{"rho_one", "rmsprop", []trainers.OptimizerOption{trainers.WithRho(1)}},
		{"two_clips", "sgd", []trainers.OptimizerOption{trainers.WithClipValue(1), trainers.WithClipNorm(1)}},
		{"two_clips_global", "adam", []trainers.OptimizerOption{trainers.WithClipNorm(1), trainers.WithGlobalClipNorm(1)}},
		{"clip_zero", "sgd", []trainers.OptimizerOption{trainers.WithClipValue(0)}},
		{"clip_negative", "sgd", []trainers.OptimizerOption{trainers.WithGlobalClipNorm(-1)}},
		{"lr_and_schedule", "sgd", []trainers.OptimizerOption{trainers.WithLearningRate(0.1), trainers.WithSchedule(trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 1, DecayRate: 0.9})}},
		{"nil_schedule", "sgd", []trainers.OptimizerOption{trainers.WithSchedule(nil)}},
		{"decay_steps_zero", "sgd", []trainers.OptimizerOption{trainers.WithSchedule(trainers.ExponentialDecay{Initial: 0.1, DecayRate: 0.9})}},
		{"decay_initial_zero", "adam", []trainers.OptimizerOption{trainers.WithSchedule(trainers.ExponentialDecay{DecaySteps: 1, DecayRate: 0.9})}},
		{"decay_rate_negative", "adam", []trainers.OptimizerOption{trainers.WithSchedule(trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 1, DecayRate: -1})}},
		{"unknown", "adagrad", nil},
		{"case", "Adam", nil},
	}
	for _, c := range cases {
		err := noPanic(t, c.name, func() error { _, err := trainers.NewOptimizer(c.opt, c.opts...); return err })
		if !errors.Is(err, graph.ErrArgument) {
			t.Errorf("%s: error %v, want ErrArgument", c.name, err)
		}
	}
	// The typed constructors check the same.
	if _, err := trainers.NewAdam(trainers.WithMomentum(0.9)); err == nil {
		t.Error("NewAdam accepted a momentum")
	}
	if _, err := trainers.NewSGD(trainers.WithLearningRate(0)); err == nil {
		t.Error("NewSGD accepted learning rate 0")
	}
	if _, err := trainers.NewRMSprop(trainers.WithLearningRate(-1)); err == nil {
		t.Error("NewRMSprop accepted learning rate -1")
	}
	opt := must(trainers.NewSGD())
	for _, lr := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if err := opt.SetLearningRate(lr); err == nil {
			t.Errorf("SetLearningRate(%v) accepted", lr)
		}
	}
	if opt.LearningRate() != 0.01 {
		t.Errorf("a rejected rate changed the rate to %v", opt.LearningRate())
	}
}
