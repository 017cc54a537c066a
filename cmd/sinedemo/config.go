package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
)

// cellNames are the recurrent layers -cells accepts, in Keras' snake case.
var cellNames = []string{"simple_rnn", "lstm", "gru"}

// forecastMode says how the held-out tail of a CSV series is forecast.
type forecastMode int

const (
	// forecastRecursive starts from the last window of the training part
	// and feeds every prediction back in as input (the default).
	forecastRecursive forecastMode = iota
	// forecastOneStep predicts each value from the true values before it.
	forecastOneStep
)

// String returns the name -forecast accepts.
func (f forecastMode) String() string {
	if f == forecastOneStep {
		return "one-step"
	}
	return "recursive"
}

// The largest values the flags accept, so that an absurd value is one
// clear error line instead of a run that exhausts memory or never ends.
const (
	maxEpochs = 100_000
	maxBatch  = 65_536
	maxUnits  = 1_024
	maxWindow = 1_000
	maxPoints = 100_000
	// maxWindowValues bounds the training windows: their number times
	// -window (values held twice, for the inputs and the targets).
	maxWindowValues = 10_000_000
	// maxTrainingBytes bounds trainingBytes, the estimated memory of
	// training one model.
	maxTrainingBytes = 4 << 30
)

// trainingBytes is a rough, generous estimate of the memory a training
// step of one model takes: the graph is unrolled over the window, and each
// time step holds gradients of the units×units recurrent weights and
// activations of the batch (measured for LSTM, the largest cell, with
// about a third to spare).
func trainingBytes(units, window, batch int) float64 {
	u, w, b := float64(units), float64(window), float64(batch)
	return w * (128*u*u + 1024*b*u)
}

// checkTrainingSize checks the training data and model that cfg gives with
// the given number of training windows against maxWindowValues and
// maxTrainingBytes. The flags are within their maxima.
func checkTrainingSize(cfg config, windows int) error {
	if windows > maxWindowValues/cfg.window {
		return fmt.Errorf("%d training windows of -window %d: more than %d values; use a shorter series or window",
			windows, cfg.window, maxWindowValues)
	}
	batch := min(cfg.batch, windows) // Fit's batch is at most the data
	if b := trainingBytes(cfg.units, cfg.window, batch); b > maxTrainingBytes {
		return fmt.Errorf("-units %d, -window %d, -batch %d (%d windows): training would take about %.1f GiB, more than %d GiB; lower -units, -window or -batch",
			cfg.units, cfg.window, cfg.batch, windows, b/(1<<30), maxTrainingBytes>>30)
	}
	return nil
}

// config holds the validated command-line settings.
type config struct {
	epochs    int
	batch     int
	units     int
	window    int
	points    int
	noise     float64
	seed      uint64
	lr        float64
	optimizer string
	cells     []string
	out       string
	quiet     bool
	json      bool

	csvPath  string
	column   string
	missing  MissingPolicy
	valSplit float64
	forecast forecastMode
}

// parseFlags parses and checks args. With -h it prints the usage to stdout
// and returns flag.ErrHelp. Other errors are one line, without the usage.
func parseFlags(args []string, stdout io.Writer) (config, error) {
	var (
		cfg                                 config
		cells, missing, forecast, optimizer string
	)
	fs := flag.NewFlagSet("sinedemo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&cfg.epochs, "epochs", 500, fmt.Sprintf("training epochs (at most %d)", maxEpochs))
	fs.IntVar(&cfg.batch, "batch", 8, fmt.Sprintf("batch size (at most %d)", maxBatch))
	fs.IntVar(&cfg.units, "units", 20, fmt.Sprintf("units of the recurrent layer (at most %d)", maxUnits))
	fs.IntVar(&cfg.window, "window", 10, fmt.Sprintf("time steps per sample (n_rnn, at most %d)", maxWindow))
	fs.IntVar(&cfg.points, "points", 50, fmt.Sprintf("points of the sine series on [-2π, 2π] (at most %d)", maxPoints))
	fs.Float64Var(&cfg.noise, "noise", 0.1, "standard deviation of the Gaussian noise added to the sine")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the noise, the initial weights and the shuffling")
	fs.Float64Var(&cfg.lr, "lr", 0.01, "learning rate")
	fs.StringVar(&optimizer, "optimizer", "sgd", "optimizer: sgd, adam or rmsprop")
	fs.StringVar(&cells, "cells", "simple_rnn,lstm", "comma-separated recurrent layers to compare: simple_rnn, lstm, gru")
	fs.StringVar(&cfg.out, "out", "sinedemo-out", "directory for the plots and CSV files")
	fs.BoolVar(&cfg.quiet, "quiet", false, "no progress output while training")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON object on stdout instead of the report")
	fs.StringVar(&cfg.csvPath, "csv", "", "train on a column of this CSV file (with a header row) instead of the sine")
	fs.StringVar(&cfg.column, "column", "", "with -csv: the column to forecast")
	fs.StringVar(&missing, "missing", "error", "with -csv: missing values (empty cells, NA, NaN, blank lines inside the data) are an error, or drop or interpolate them")
	fs.Float64Var(&cfg.valSplit, "val-split", 0.2, "with -csv: fraction of the series held out at its end and forecast")
	fs.StringVar(&forecast, "forecast", "recursive", "with -csv: forecast the held-out tail recursive or one-step")
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: sinedemo [flags]\n       sinedemo -csv FILE -column NAME [flags]\n\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err // with -h, Parse has printed the usage
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	for _, f := range []struct {
		name   string
		v, max int
	}{{"epochs", cfg.epochs, maxEpochs}, {"batch", cfg.batch, maxBatch}, {"units", cfg.units, maxUnits}, {"window", cfg.window, maxWindow}} {
		if f.v < 1 || f.v > f.max {
			return config{}, fmt.Errorf("-%s %d: must be at least 1 and at most %d", f.name, f.v, f.max)
		}
	}
	switch {
	case !(cfg.lr > 0) || math.IsInf(cfg.lr, 0):
		return config{}, fmt.Errorf("-lr %v: must be a positive number", cfg.lr)
	case strings.TrimSpace(cfg.out) == "":
		return config{}, fmt.Errorf("-out: empty directory name")
	}
	switch cfg.optimizer = strings.ToLower(strings.TrimSpace(optimizer)); cfg.optimizer {
	case "sgd", "adam", "rmsprop":
	default:
		return config{}, fmt.Errorf("-optimizer %q: want sgd, adam or rmsprop", optimizer)
	}
	var err error
	if cfg.cells, err = parseCells(cells); err != nil {
		return config{}, err
	}

	if cfg.csvPath == "" {
		for _, name := range []string{"column", "missing", "val-split", "forecast"} {
			if set[name] {
				return config{}, fmt.Errorf("-%s needs -csv", name)
			}
		}
		switch {
		case cfg.points > maxPoints:
			return config{}, fmt.Errorf("-points %d: must be at most %d", cfg.points, maxPoints)
		case cfg.points < cfg.window+1:
			return config{}, fmt.Errorf("-points %d: series shorter than window + 1 = %d", cfg.points, cfg.window+1)
		case !(cfg.noise >= 0) || math.IsInf(cfg.noise, 0):
			return config{}, fmt.Errorf("-noise %v: must be a finite number ≥ 0", cfg.noise)
		}
		if err := checkTrainingSize(cfg, cfg.points-cfg.window); err != nil {
			return config{}, err
		}
		return cfg, nil
	}

	for _, name := range []string{"points", "noise"} {
		if set[name] {
			return config{}, fmt.Errorf("-%s applies to the sine series, not to -csv", name)
		}
	}
	if strings.TrimSpace(cfg.column) == "" {
		return config{}, fmt.Errorf("-csv needs -column NAME")
	}
	if cfg.missing, err = parseMissingPolicy(missing); err != nil {
		return config{}, fmt.Errorf("-missing: %w", err)
	}
	if !(cfg.valSplit > 0 && cfg.valSplit < 1) {
		return config{}, fmt.Errorf("-val-split %v: must be between 0 and 1 (exclusive)", cfg.valSplit)
	}
	switch strings.ToLower(strings.TrimSpace(forecast)) {
	case "recursive":
		cfg.forecast = forecastRecursive
	case "one-step":
		cfg.forecast = forecastOneStep
	default:
		return config{}, fmt.Errorf("-forecast %q: want recursive or one-step", forecast)
	}
	return cfg, nil
}

// parseCells parses the comma-separated -cells list: known names, at least
// one, none twice.
func parseCells(s string) ([]string, error) {
	var cells []string
	seen := map[string]bool{}
	for _, c := range strings.Split(s, ",") {
		c = strings.ToLower(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		known := false
		for _, k := range cellNames {
			known = known || c == k
		}
		if !known {
			return nil, fmt.Errorf("-cells: unknown layer %q (want any of %s)", c, strings.Join(cellNames, ", "))
		}
		if seen[c] {
			return nil, fmt.Errorf("-cells: %s given twice", c)
		}
		seen[c] = true
		cells = append(cells, c)
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("-cells: no layer given (want any of %s)", strings.Join(cellNames, ", "))
	}
	return cells, nil
}
