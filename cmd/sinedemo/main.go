// Command sinedemo reproduces the classic SimpleRNN-versus-LSTM sine
// experiment end to end with gornn, and forecasts real series read from CSV
// files.
//
// The experiment (the defaults): 50 points of sin(x) + 0.1·N(0,1) on
// [-2π, 2π], cut into windows of 10 steps whose targets are the same windows
// shifted by one; two models, Input(10, 1) → SimpleRNN or LSTM (20 units,
// return sequences) → Dense(1), trained with MSE and SGD(0.01) for 500 epochs
// in shuffled batches of 8; then an autoregressive forecast from the first
// window to the end of the series, scored by its RMSE against the noise-free
// sine. It prints both model summaries, the training time of each model and a
// closing table, and writes into -out:
//
//	losses.png    training loss of every model per epoch
//	history.csv   the same values: epoch, one column per model
//	forecast.png  the data, the noise-free signal (or the persistence
//	              baseline) and every model's forecast
//	forecast.csv  the forecasts, one row per forecast step
//
// With -csv FILE -column NAME it trains on a real series instead: the column
// of a CSV file with a header row. Missing cells (empty, NA, NaN) are counted
// and then handled as -missing says: error (the default) stops, drop removes
// them, interpolate fills them linearly between their neighbours. A blank
// line inside the data is a row of empty cells, so a missing value there;
// blank lines after the last row are ignored. The last
// -val-split of the series is held out; the values are standardized with the
// mean and standard deviation of the training part only, and the models
// learn from windows of the training part. The held-out tail is then
// forecast as -forecast says: recursive (the default) starts from the last
// window of the training part and feeds each prediction back in, as in the
// sine experiment; one-step predicts each tail value from the true values
// before it. The persistence baseline (predict the last known value) is
// scored on the same basis: the last training value repeated for recursive,
// the previous true value for one-step. Forecasts are reported, plotted and
// written in the column's original units.
//
// Usage:
//
//	go run ./cmd/sinedemo [flags]
//	go run ./cmd/sinedemo -csv cmd/sinedemo/testdata/sunspots.csv -column SUNACTIVITY [flags]
//
// -json replaces the human report with one JSON object on stdout:
//
//	{"models":[{"name":"lstm","params":1781,"epochs":500,"train_seconds":…,
//	  "final_loss":…,"forecast_rmse":…},…],
//	 "baseline":{"name":"zero","forecast_rmse":…},"files":[…]}
//
// The baseline is the constant-zero forecast for the sine experiment and
// persistence for -csv. While training, a progress bar is drawn on stderr when
// stderr is a terminal; otherwise a line is printed every tenth of the
// epochs. -quiet silences both.
//
// Files are written once everything has been computed, all or nothing: each
// is first written to a temporary file beside its target, and only when all
// of them are written are they renamed into place. If any step fails, the
// temporary files are removed and the files of an earlier run are left as
// they were. Before training, the output directory is created if needed and
// a probe file written and removed there, so that an unwritable -out fails
// at once (the directories created for the probe are removed again).
// Any error is reported as one line on stderr and the exit status is 2.
//
// The flags have maxima, so that an absurd value is an error, not a run
// that exhausts memory: -epochs 100000, -batch 65536, -units 1024,
// -window 1000, -points 100000; besides, the training windows may hold at
// most 10,000,000 values (windows × -window), and a rough estimate of the
// memory training one model takes, -window × (128·units² + 1024·batch·units)
// bytes with batch at most the number of windows, must not exceed 4 GiB.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
)

// exitError is the exit status for every error, bad flags included.
const exitError = 2

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs sinedemo with the command-line arguments args (without the program
// name) and returns the exit status: 0 on success, exitError on any error,
// which is printed as one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = execute(ctx, cfg, stdout, stderr)
	}
	if err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		fmt.Fprintf(stderr, "sinedemo: %s\n", msg)
		return exitError
	}
	return 0
}

// execute runs the experiment or the forecast of a CSV series that cfg
// describes, writes its files and reports on stdout.
func execute(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	if err := checkOutDir(cfg.out); err != nil {
		return err
	}
	var (
		res *result
		err error
	)
	if cfg.csvPath == "" {
		res, err = runSine(ctx, cfg, humanOut(cfg, stdout), newProgressFactory(cfg, stderr))
	} else {
		res, err = runCSV(ctx, cfg, humanOut(cfg, stdout), newProgressFactory(cfg, stderr))
	}
	if err != nil {
		return err
	}
	files, err := writeOutputs(cfg.out, res.outputs)
	if err != nil {
		return err
	}
	if cfg.json {
		return writeJSON(stdout, res, files)
	}
	writeTable(stdout, res, files)
	return nil
}

// humanOut is where the human report goes: stdout, or nowhere with -json.
func humanOut(cfg config, stdout io.Writer) io.Writer {
	if cfg.json {
		return io.Discard
	}
	return stdout
}

// checkOutDir fails early, before any training, if dir exists but is not a
// directory, or if it cannot be created or written to: it creates dir if
// needed, writes and removes a probe file there, and removes again the
// directories it created, so that a run that fails later leaves nothing.
func checkOutDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("output directory: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("output directory %s: not a directory", dir)
	}
	created := missingDirs(dir)
	defer func() {
		for _, d := range created { // deepest first; fails, harmlessly, unless empty
			os.Remove(d)
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory %s: cannot create it: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".sinedemo-probe-*")
	if err != nil {
		return fmt.Errorf("output directory %s: cannot write there: %w", dir, err)
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("output directory %s: cannot remove files there: %w", dir, err)
	}
	return nil
}

// missingDirs returns dir and those of its parents that do not exist,
// deepest first.
func missingDirs(dir string) []string {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, os.ErrNotExist) {
			return missing
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			return missing
		}
	}
}
