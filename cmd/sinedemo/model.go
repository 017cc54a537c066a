package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
	"github.com/gornn/gornn/trainers/forecast"
)

// buildModel returns the experiment's model for the named cell:
// Input(window, 1) → cell(units, return sequences) → Dense(1, linear).
func buildModel(cell string, units, window int, seed uint64) (*models.Model, error) {
	var (
		rnn layers.Layer
		err error
	)
	switch cell {
	case "simple_rnn":
		rnn, err = layers.NewSimpleRNN(units, &layers.SimpleRNNOptions{ReturnSequences: true})
	case "lstm":
		rnn, err = layers.NewLSTM(units, &layers.LSTMOptions{ReturnSequences: true})
	case "gru":
		rnn, err = layers.NewGRU(units, &layers.GRUOptions{ReturnSequences: true})
	default:
		err = fmt.Errorf("unknown layer %q", cell)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cell, err)
	}
	dense, err := layers.NewDense(1, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cell, err)
	}
	in := models.Input(window, 1)
	m, err := models.New(in, models.Apply(dense, models.Apply(rnn, in)), &models.Options{Name: cell, Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cell, err)
	}
	return m, nil
}

// newOptimizer returns the optimizer cfg names with cfg's learning rate.
func newOptimizer(cfg config) (trainers.Optimizer, error) {
	return trainers.NewOptimizer(cfg.optimizer, &trainers.OptimizerOptions{LearningRate: cfg.lr})
}

// trained is a model after training.
type trained struct {
	name    string
	model   *models.Model
	loss    []float64 // training loss per epoch
	elapsed time.Duration
}

// train fits m to the windows x and t ([n][window] each, one feature) with
// MSE and cfg's optimizer, epochs and batch size, reporting progress to
// prog, and times it.
func train(ctx context.Context, cfg config, name string, m *models.Model, x, t [][]float64, prog progressFactory) (trained, error) {
	xt, err := windowTensor(m.DType(), x)
	if err != nil {
		return trained{}, err
	}
	tt, err := windowTensor(m.DType(), t)
	if err != nil {
		return trained{}, err
	}
	opt, err := newOptimizer(cfg)
	if err != nil {
		return trained{}, err
	}
	cb := prog(name)
	start := time.Now()
	hist, err := trainers.Fit(ctx, m, xt, tt, trainers.FitOptions{
		Loss:      trainers.MSE(),
		Optimizer: opt,
		Epochs:    cfg.epochs,
		BatchSize: cfg.batch,
		Seed:      cfg.seed,
		Callbacks: []trainers.Callback{cb},
	})
	elapsed := time.Since(start)
	cb.close()
	if err != nil {
		return trained{}, fmt.Errorf("training %s: %w", name, err)
	}
	loss := hist.Loss()
	if len(loss) == 0 {
		return trained{}, fmt.Errorf("training %s: no epoch completed", name)
	}
	return trained{name: name, model: m, loss: loss, elapsed: elapsed}, nil
}

// windowTensor packs equal-length windows into a tensor [n, window, 1] of
// dtype dt.
func windowTensor(dt graph.DType, w [][]float64) (*graph.Tensor, error) {
	if len(w) == 0 {
		return nil, fmt.Errorf("no windows")
	}
	n, steps := len(w), len(w[0])
	flat := make([]float64, 0, n*steps)
	for _, row := range w {
		flat = append(flat, row...)
	}
	return graph.FromFloat64s(dt, flat, n, steps, 1)
}

// predictNext runs m on one window and returns its prediction for the step
// after the window: the last time step of the output sequence.
func predictNext(m *models.Model, window []float64) (float64, error) {
	x, err := graph.FromFloat64s(m.DType(), window, 1, len(window), 1)
	if err != nil {
		return 0, err
	}
	y, err := m.PredictBatch(x, 1)
	if err != nil {
		return 0, err
	}
	out := graph.Float64s(y)
	if len(out) == 0 {
		return 0, fmt.Errorf("empty prediction")
	}
	v := out[len(out)-1]
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("prediction is %v", v)
	}
	return v, nil
}

// forecastRecursively continues seed by steps values, each predicted by m
// from the last window values so far (the previous predictions included),
// and returns the steps predictions.
func forecastRecursively(m *models.Model, seed []float64, window, steps int) ([]float64, error) {
	if len(seed) < window {
		return nil, fmt.Errorf("forecast: %d starting values, need a window of %d", len(seed), window)
	}
	buf := append([]float64(nil), seed[len(seed)-window:]...)
	pred := make([]float64, steps)
	for i := range pred {
		v, err := predictNext(m, buf[len(buf)-window:])
		if err != nil {
			return nil, fmt.Errorf("forecast step %d: %w", i+1, err)
		}
		pred[i] = v
		buf = append(buf, v)
	}
	return pred, nil
}

// forecastOneStepAhead predicts series[i] for every i in [start, len(series))
// from the true values series[i-window:i], all in one batch, and returns the
// predictions.
func forecastOneStepAhead(m *models.Model, series []float64, window, start int) ([]float64, error) {
	if start < window || start >= len(series) {
		return nil, fmt.Errorf("forecast: start %d outside [%d, %d)", start, window, len(series))
	}
	w := make([][]float64, len(series)-start)
	for i := range w {
		w[i] = series[start+i-window : start+i]
	}
	x, err := windowTensor(m.DType(), w)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	y, err := m.Predict(x)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	out := graph.Float64s(y) // [n, window, 1]: keep each sequence's last step
	pred := make([]float64, len(w))
	for i := range pred {
		v := out[(i+1)*window-1]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("forecast step %d: prediction is %v", i+1, v)
		}
		pred[i] = v
	}
	return pred, nil
}

// rmse returns the root mean squared difference of two equally long
// slices (forecast.RMSE), or NaN when they differ in length, are empty or
// hold a non-finite value.
func rmse(pred, want []float64) float64 {
	v, err := forecast.RMSE(want, pred)
	if err != nil {
		return math.NaN()
	}
	return v
}
