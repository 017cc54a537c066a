package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gornn/gornn/trainers/forecast"
)

// runCSV forecasts the held-out tail of a column of a CSV file: missing
// values handled by cfg.missing, the last cfg.valSplit held out, values
// standardized with the training part's statistics, models trained on
// windows of the training part, and the tail forecast as cfg.forecast says.
// Forecasts and their RMSE are in the column's original units, beside the
// persistence baseline on the same basis.
func runCSV(ctx context.Context, cfg config, out io.Writer, prog progressFactory) (*result, error) {
	values, nMissing, err := loadColumn(cfg.csvPath, cfg.column, cfg.missing)
	var someMissing *missingValuesError
	if errors.As(err, &someMissing) {
		return nil, fmt.Errorf("%w (flag -missing)", err) // only here does -missing help
	}
	if err != nil {
		return nil, err
	}
	name := filepath.Base(cfg.csvPath)
	fmt.Fprintf(out, "Data: %s, column %q: %d values", name, cfg.column, len(values))
	switch {
	case nMissing == 0:
		fmt.Fprintf(out, ", none missing\n")
	case cfg.missing == MissingDrop:
		fmt.Fprintf(out, " after dropping %d missing (-missing drop)\n", nMissing)
	default:
		fmt.Fprintf(out, ", %d missing filled by linear interpolation (-missing interpolate)\n", nMissing)
	}
	if len(values) < cfg.window+1 {
		return nil, fmt.Errorf("%s: column %q has %d values, shorter than window + 1 = %d",
			cfg.csvPath, cfg.column, len(values), cfg.window+1)
	}
	train, val, err := splitTail(values, cfg.valSplit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.csvPath, err)
	}
	if len(train) < cfg.window+1 {
		return nil, fmt.Errorf("%s: column %q: training part (%d of %d values, -val-split %g) is shorter than window + 1 = %d",
			cfg.csvPath, cfg.column, len(train), len(values), cfg.valSplit, cfg.window+1)
	}
	if err := checkTrainingSize(cfg, len(train)-cfg.window); err != nil {
		return nil, fmt.Errorf("%s: column %q: %w", cfg.csvPath, cfg.column, err)
	}
	std, err := fitStandardizer(train)
	if err != nil {
		return nil, fmt.Errorf("%s: column %q: %w", cfg.csvPath, cfg.column, err)
	}
	trainStd := std.Transform(train)
	x, t, err := windows(trainStd, cfg.window)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Training part: the first %d values; held out: the last %d (-val-split %g)\n",
		len(train), len(val), cfg.valSplit)
	fmt.Fprintf(out, "Standardized with the training part's mean %.4g and standard deviation %.4g\n", std.Center, std.Scale)
	fmt.Fprintf(out, "x: %s  t: %s\n", formatShape(len(x), cfg.window, 1), formatShape(len(t), cfg.window, 1))

	ts, err := trainAll(ctx, cfg, x, t, out, prog)
	if err != nil {
		return nil, err
	}

	n, start := len(values), len(train)
	// Persistence on the same basis: forecast's naive method from the
	// training part, or the previous value for one-step forecasts.
	persistence, err := forecast.Naive(train, len(val))
	if err != nil {
		return nil, err
	}
	if cfg.forecast == forecastOneStep {
		persistence = append([]float64(nil), values[start-1:n-1]...)
	}
	res := &result{
		baseline: baselineResult{name: "persistence", rmse: rmse(persistence, val)},
		rmseNote: fmt.Sprintf("forecast RMSE: %s forecast of the %d held-out values, in the column's units", cfg.forecast, len(val)),
	}
	index := make([]float64, n)
	for i := range index {
		index[i] = float64(i)
	}
	plotted := []namedCurve{{Name: cfg.column, Values: values}, {Name: "persistence", Values: persistence}}
	header := []string{"index", cfg.column, "persistence"}
	cols := [][]float64{index[start:], val, persistence}
	allStd := std.Transform(values)
	for _, tr := range ts {
		var f []float64
		switch cfg.forecast {
		case forecastOneStep:
			f, err = forecastOneStepAhead(tr.model, allStd, cfg.window, start)
		default:
			f, err = forecastRecursively(tr.model, trainStd, cfg.window, len(val))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tr.name, err)
		}
		f = std.Inverse(f)
		res.models = append(res.models, summarize(tr, rmse(f, val)))
		plotted = append(plotted, namedCurve{Name: tr.name, Values: f})
		header = append(header, tr.name)
		cols = append(cols, f)
	}

	curves := lossCurves(ts)
	title := fmt.Sprintf("%s: %s forecast of the last %d values", name, cfg.forecast, len(val))
	res.outputs = []output{
		{"losses.png", func(w io.Writer) error { return plotLosses(w, curves, "training loss (standardized "+cfg.column+")") }},
		{"history.csv", func(w io.Writer) error { return writeHistoryCSV(w, cfg.epochs, curves) }},
		{"forecast.png", func(w io.Writer) error { return plotForecastAxes(w, "row", cfg.column, index, plotted, title) }},
		{"forecast.csv", func(w io.Writer) error { return writeSeriesCSV(w, header, cols) }},
	}
	return res, nil
}
