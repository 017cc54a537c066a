package main

import (
	"context"
	"fmt"
	"io"
)

// runSine runs the sine experiment: noisy sine, windows, models trained on
// them, and each model's autoregressive forecast from the first window to
// the end of the series, scored against the noise-free sine.
func runSine(ctx context.Context, cfg config, out io.Writer, prog progressFactory) (*result, error) {
	xs, clean, noisy, err := sineSeries(cfg.points, cfg.noise, cfg.seed)
	if err != nil {
		return nil, err
	}
	x, t, err := windows(noisy, cfg.window)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Data: sin(x) + %g·N(0,1), %d points on [-2π, 2π] (seed %d), windows of %d\n",
		cfg.noise, cfg.points, cfg.seed, cfg.window)
	fmt.Fprintf(out, "x: %s  t: %s\n", formatShape(len(x), cfg.window, 1), formatShape(len(t), cfg.window, 1))

	ts, err := trainAll(ctx, cfg, x, t, out, prog)
	if err != nil {
		return nil, err
	}

	// The forecast starts from the first window of the data and feeds every
	// prediction back in until the series is as long as the data.
	steps := cfg.points - cfg.window
	truth := clean[cfg.window:]
	res := &result{
		rmseNote: fmt.Sprintf("forecast RMSE: against the noise-free sin(x) over the %d points after the first window", steps),
	}
	plotted := []namedCurve{{Name: "data", Values: noisy}, {Name: "sin(x)", Values: clean}}
	header := []string{"x", "sin", "data"}
	cols := [][]float64{xs[cfg.window:], truth, noisy[cfg.window:]}
	for _, tr := range ts {
		f, err := forecastRecursively(tr.model, noisy[:cfg.window], cfg.window, steps)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tr.name, err)
		}
		res.models = append(res.models, summarize(tr, rmse(f, truth)))
		plotted = append(plotted, namedCurve{Name: tr.name, Values: f})
		header = append(header, tr.name)
		cols = append(cols, f)
	}
	res.baseline = baselineResult{name: "zero", rmse: rmse(make([]float64, steps), truth)}

	curves := lossCurves(ts)
	title := fmt.Sprintf("sin(x) + %g·N(0,1): forecast from the first %d points", cfg.noise, cfg.window)
	res.outputs = []output{
		{"losses.png", func(w io.Writer) error { return plotLosses(w, curves, "training loss") }},
		{"history.csv", func(w io.Writer) error { return writeHistoryCSV(w, cfg.epochs, curves) }},
		{"forecast.png", func(w io.Writer) error { return plotForecast(w, xs, plotted, title) }},
		{"forecast.csv", func(w io.Writer) error { return writeSeriesCSV(w, header, cols) }},
	}
	return res, nil
}
