package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gornn/gornn/models"
)

// result is what a run computed: one entry per model, the baseline
// forecast, and the files still to write.
type result struct {
	models   []modelResult
	baseline baselineResult
	// rmseNote says what the forecast RMSE was measured against.
	rmseNote string
	outputs  []output
}

// modelResult summarizes one trained model.
type modelResult struct {
	name      string
	params    int
	epochs    int
	elapsed   time.Duration
	finalLoss float64
	rmse      float64 // of the forecast
}

// baselineResult is a forecast without a model: constant zero for the sine,
// persistence for a CSV series.
type baselineResult struct {
	name string
	rmse float64
}

// trainAll builds one model per cell in cfg.cells, prints their summaries to
// out, and trains each on the windows x and t, printing its training time.
func trainAll(ctx context.Context, cfg config, x, t [][]float64, out io.Writer, prog progressFactory) ([]trained, error) {
	ms := make([]*models.Model, len(cfg.cells))
	for i, cell := range cfg.cells {
		m, err := buildModel(cell, cfg.units, cfg.window, cfg.seed)
		if err != nil {
			return nil, err
		}
		ms[i] = m
		fmt.Fprintf(out, "\n%s", m.Summary())
	}
	fmt.Fprintf(out, "\nTraining: MSE, %s (learning rate %g), %d epochs, batch %d, shuffled (seed %d)\n",
		cfg.optimizer, cfg.lr, cfg.epochs, cfg.batch, cfg.seed)
	res := make([]trained, len(ms))
	for i, m := range ms {
		tr, err := train(ctx, cfg, cfg.cells[i], m, x, t, prog)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "%s: trained %d epochs in %s, final loss %.4f\n",
			tr.name, len(tr.loss), formatDuration(tr.elapsed), tr.loss[len(tr.loss)-1])
		res[i] = tr
	}
	return res, nil
}

// lossCurves returns every model's training loss, for plots and CSV files.
func lossCurves(ts []trained) []namedCurve {
	c := make([]namedCurve, len(ts))
	for i, t := range ts {
		c[i] = namedCurve{Name: t.name, Values: t.loss}
	}
	return c
}

// summarize returns a modelResult for t whose forecast scored rmse.
func summarize(t trained, rmse float64) modelResult {
	return modelResult{
		name:      t.name,
		params:    t.model.CountParams(),
		epochs:    len(t.loss),
		elapsed:   t.elapsed,
		finalLoss: t.loss[len(t.loss)-1],
		rmse:      rmse,
	}
}

// formatShape formats a shape as Python prints a tuple: "(40, 10, 1)".
func formatShape(dims ...int) string {
	s := "("
	for i, d := range dims {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(d)
	}
	return s + ")"
}

// formatDuration rounds d for reports: "2.31s", "850ms".
func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	default:
		return d.String()
	}
}
