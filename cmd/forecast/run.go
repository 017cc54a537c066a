package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gornn/gornn/trainers/forecast"
)

// config is the parsed command line.
type config struct {
	csv, target, date, delimiter, covariates, bench string
	futureCovariates, save, load, strategies        string
	quantiles, out, kinds                           string
	seasonSet                                       bool
	season, horizon, holdout, maxEpochs, ensemble   int
	bases, logMode                                  string
	folds                                           int
	randomInit, selectOne                           bool
	seed                                            uint64
	json, quiet, taylor                             bool
	budget                                          float64
	id                                              string
	global                                          bool
	workers                                         int
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("forecast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.csv, "csv", "", "CSV `file` with a header row")
	fs.StringVar(&c.target, "target", "", "name of the `column` to forecast")
	fs.StringVar(&c.date, "date", "", "name of the date `column` (checked to exist; labels the forecasts)")
	fs.StringVar(&c.delimiter, "delimiter", ",", "field delimiter (one character; \"\\t\" for tabs)")
	fs.StringVar(&c.covariates, "covariates", "", "comma-separated past covariate `columns`")
	fs.StringVar(&c.futureCovariates, "future-covariates", "", "comma-separated known-future covariate `columns` (without -holdout, rows after the target's last value give their future values)")
	fs.StringVar(&c.strategies, "strategies", "direct", "candidate strategies, comma-separated: direct, recursive")
	fs.StringVar(&c.bases, "bases", "", "candidate bases, comma-separated: numbers of seasons averaged into the seasonal profile the networks correct (default: the package's, 1,3)")
	fs.StringVar(&c.logMode, "log", "auto", "scale the target by its logarithm: auto (when every training value is positive), never, always")
	fs.BoolVar(&c.randomInit, "random-init", false, "start the networks' output layers from random weights instead of zero")
	fs.BoolVar(&c.selectOne, "select-one", false, "forecast with the one candidate of lowest validation score instead of the mean of the best of each (kind, base) group")
	fs.StringVar(&c.kinds, "kinds", "", "candidate network kinds, comma-separated: lstm, linear, mlp (default: the package's)")
	fs.StringVar(&c.quantiles, "quantiles", "", "comma-separated quantile `levels` of prediction intervals, e.g. 0.1,0.9 (each strictly between 0 and 1, increasing)")
	fs.StringVar(&c.out, "out", "", "write forecast.png (history, forecasts, interval band, baselines; dates from -date on the x axis) and forecasts.csv into `dir`")
	fs.StringVar(&c.save, "save", "", "save the fitted network to `file`")
	fs.StringVar(&c.load, "load", "", "forecast with the network saved in `file` (no training; its season, its horizon or fewer steps)")
	fs.IntVar(&c.season, "season", 1, "seasonal period (1: none)")
	fs.IntVar(&c.horizon, "horizon", 0, "steps to forecast (default: the holdout)")
	fs.IntVar(&c.holdout, "holdout", 0, "hold out and score the last `H` values")
	fs.IntVar(&c.maxEpochs, "max-epochs", 0, "most epochs per network (0: the package default, 300)")
	fs.IntVar(&c.folds, "folds", 0, "most validation folds (0: the package default, 3)")
	fs.Float64Var(&c.budget, "budget", 0, "work bound: when one epoch of every candidate costs more weight-sample products, fewer folds and seeds (0: the package default, 5e8; negative: none)")
	fs.IntVar(&c.ensemble, "ensemble", 0, "networks averaged in the final forecast (0: the package default, 5)")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the networks' weights and shuffling")
	fs.BoolVar(&c.json, "json", false, "print one JSON object instead of a table")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress on stderr")
	fs.StringVar(&c.id, "id", "", "long format: the series-id `column` of a file with one observation per row (-date: the time column, -target: the value column); every series is forecast")
	fs.BoolVar(&c.global, "global", false, "with -id, one global network over all the series instead of one local network per series")
	fs.IntVar(&c.workers, "workers", 0, "with -id, the local networks trained at a time (0: one per core)")
	fs.StringVar(&c.bench, "bench", "", "score the series in `dir` (its cases.csv, or the shared series) beside R's baselines.csv and print a Markdown table")
	fs.BoolVar(&c.taylor, "taylor", false, "with -bench on the shared series (no cases.csv), include taylor (4,032 half-hours, horizon 336: slow)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { c.seasonSet = c.seasonSet || f.Name == "season" })
	if _, err := parseKinds(c.kinds); err != nil {
		return c, err
	}
	if _, err := parseBases(c.bases); err != nil {
		return c, err
	}
	if _, err := parseLog(c.logMode); err != nil {
		return c, err
	}
	if c.bench != "" {
		_, err := parseStrategies(c.strategies)
		return c, err
	}
	switch {
	case c.csv == "":
		return c, errors.New("-csv FILE is required")
	case c.target == "":
		return c, errors.New("-target COLUMN is required")
	case c.season < 1:
		return c, fmt.Errorf("-season %d: want at least 1", c.season)
	case c.holdout < 0 || c.horizon < 0:
		return c, errors.New("-holdout and -horizon must not be negative")
	case c.load != "" && c.save != "":
		return c, errors.New("give -save or -load, not both")
	case c.holdout == 0 && c.horizon == 0 && c.load == "":
		return c, errors.New("give -horizon H (forecast past the data) or -holdout H (score the last H values)")
	case c.holdout > 0 && c.horizon > 0 && c.horizon != c.holdout:
		return c, fmt.Errorf("-horizon %d and -holdout %d differ: the held-out values are forecast in one go", c.horizon, c.holdout)
	case c.maxEpochs < 0 || c.ensemble < 0 || c.folds < 0:
		return c, errors.New("-max-epochs, -ensemble and -folds must not be negative")
	}
	if c.horizon == 0 {
		c.horizon = c.holdout
	}
	if c.id != "" {
		if err := checkLong(c); err != nil {
			return c, err
		}
	} else if c.global || c.workers != 0 {
		return c, errors.New("-global and -workers need -id (long format)")
	}
	if _, err := delimiterRune(c.delimiter); err != nil {
		return c, err
	}
	if _, err := forecast.ParseQuantiles(c.quantiles); err != nil {
		return c, fmt.Errorf("-quantiles %q: %w", c.quantiles, err)
	}
	if _, err := parseStrategies(c.strategies); err != nil {
		return c, err
	}
	return c, nil
}

func parseKinds(list string) ([]forecast.Kind, error) {
	var out []forecast.Kind
	for _, name := range names(list) {
		k, err := forecast.ParseKind(name)
		if err != nil {
			return nil, fmt.Errorf("-kinds: %w", err)
		}
		out = append(out, k)
	}
	return out, nil
}

func parseBases(list string) ([]int, error) {
	var out []int
	for _, name := range names(list) {
		b, err := strconv.Atoi(name)
		if err != nil || b < 1 {
			return nil, fmt.Errorf("-bases: %q is not a whole number of seasons (at least 1)", name)
		}
		out = append(out, b)
	}
	return out, nil
}

func parseLog(s string) (forecast.LogMode, error) {
	switch s {
	case "auto", "":
		return forecast.LogAuto, nil
	case "never":
		return forecast.LogNever, nil
	case "always":
		return forecast.LogAlways, nil
	}
	return 0, fmt.Errorf("-log %q: want auto, never or always", s)
}

func parseStrategies(list string) ([]forecast.Strategy, error) {
	var out []forecast.Strategy
	for _, name := range names(list) {
		g, err := forecast.ParseStrategy(name)
		if err != nil {
			return nil, fmt.Errorf("-strategies: %w", err)
		}
		out = append(out, g)
	}
	return out, nil
}

func delimiterRune(s string) (rune, error) {
	if s == `\t` {
		return '\t', nil
	}
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || n != len(s) || r == '"' || r == '\n' || r == '\r' {
		return 0, fmt.Errorf("-delimiter %q: want one character other than a quote or newline", s)
	}
	return r, nil
}

// method is one line of the result.
type method struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	RMSE     *float64  `json:"rmse"`
	MAE      *float64  `json:"mae"`
	SMAPE    *float64  `json:"smape"`
	MASE     *float64  `json:"mase"`
	Forecast []float64 `json:"forecast"`
	// Quantiles are the network's forecasts of each level ("0.1": [...]);
	// with a holdout, Pinball is each level's pinball loss and Coverage
	// the empirical coverage of each central interval.
	Quantiles map[string][]float64 `json:"quantiles,omitempty"`
	Pinball   map[string]float64   `json:"pinball,omitempty"`
	Coverage  []interval           `json:"coverage,omitempty"`
}

// interval is the coverage of the interval between two quantile levels
// on the held-out tail, beside its nominal value upper − lower.
type interval struct {
	Lower    float64 `json:"lower"`
	Upper    float64 `json:"upper"`
	Nominal  float64 `json:"nominal"`
	Coverage float64 `json:"coverage"`
}

type candidate struct {
	Name string `json:"name"`
	// ValMASE is null for a candidate that was skipped (too few values
	// for its window).
	ValMASE *float64 `json:"validation_mase"`
	Epochs  int      `json:"epochs"`
}

// result is what -json prints.
type result struct {
	Target     string      `json:"target"`
	Horizon    int         `json:"horizon"`
	Season     int         `json:"season"`
	Selected   string      `json:"selected"`
	Methods    []method    `json:"methods"`
	Candidates []candidate `json:"candidates"`
	Dates      []string    `json:"dates,omitempty"`
	// Actual are the held-out values (with -holdout).
	Actual []float64 `json:"actual,omitempty"`
	// Levels are the quantile levels, in order (the keys of the network's
	// quantiles).
	Levels []float64 `json:"quantile_levels,omitempty"`

	dated bool      // -date was given
	plot  *plotData // with -out
}

// intervalScores returns each level's pinball loss on test and the
// coverage of the central intervals: the lowest level with the highest,
// the second with the second highest, and so on.
func intervalScores(test, levels []float64, qs [][]float64) (map[string]float64, []interval, error) {
	pin := map[string]float64{}
	for j, q := range levels {
		v, err := forecast.Pinball(test, qs[j], q)
		if err != nil {
			return nil, nil, err
		}
		pin[forecast.QuantileName(q)] = v
	}
	var cov []interval
	for i, j := 0, len(levels)-1; i < j; i, j = i+1, j-1 {
		c, err := forecast.Coverage(test, qs[i], qs[j])
		if err != nil {
			return nil, nil, err
		}
		cov = append(cov, interval{Lower: levels[i], Upper: levels[j], Nominal: levels[j] - levels[i], Coverage: c})
	}
	return pin, cov, nil
}

// run is the command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		complain(stderr, err)
		return 2
	}
	progress := stderr
	if c.quiet {
		progress = io.Discard
	}
	if c.bench != "" {
		if err := runBench(ctx, c, stdout, progress); err != nil {
			complain(stderr, err)
			return 1
		}
		return 0
	}
	if c.id != "" {
		res, err := forecastLong(ctx, c, progress)
		if err != nil {
			complain(stderr, err)
			return 1
		}
		if c.json {
			if err := json.NewEncoder(stdout).Encode(res); err != nil {
				complain(stderr, err)
				return 1
			}
			return 0
		}
		printLong(stdout, res, c.holdout > 0)
		return 0
	}
	res, err := forecastFile(ctx, c, progress)
	if err == nil && c.out != "" && res.plot != nil {
		if err = writeOut(c.out, res, *res.plot); err == nil {
			fmt.Fprintf(progress, "wrote %s and %s in %s\n", plotFile, csvFile, c.out)
		}
	}
	if err != nil {
		complain(stderr, err)
		return 1
	}
	if c.json {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(res); err != nil {
			complain(stderr, err)
			return 1
		}
		return 0
	}
	printTable(stdout, res, c.holdout > 0)
	return 0
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// complain writes err to w as the command's one line: "forecast: " and
// the message without package forecast's own "forecast: " (its errors
// begin with it, also where the command labels them with a series or
// case: "series \"b\": forecast: bad data" reads "series \"b\": bad data").
func complain(w io.Writer, err error) {
	msg := strings.ReplaceAll(oneLine(err), ": forecast: ", ": ")
	fmt.Fprintf(w, "forecast: %s\n", strings.TrimPrefix(msg, "forecast: "))
}

// names splits a comma-separated list of column names.
func names(list string) []string {
	if strings.TrimSpace(list) == "" {
		return nil
	}
	out := strings.Split(list, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// numbers parses cells of column name (rows from 1, for the message).
func numbers(name string, cells []string) ([]float64, error) {
	out := make([]float64, len(cells))
	for i, c := range cells {
		v, err := strconv.ParseFloat(c, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: column %q, data row %d: %q is not a finite number", forecast.ErrData, name, i+1, c)
		}
		out[i] = v
	}
	return out, nil
}

// loadSeries reads the target, covariates and date labels of c. With
// future covariates and no holdout, trailing rows whose target cell is
// empty hold the covariates' future values.
func loadSeries(c config) (forecast.Series, []string, error) {
	f, err := os.Open(c.csv)
	if err != nil {
		return forecast.Series{}, nil, err
	}
	defer f.Close()
	d, _ := delimiterRune(c.delimiter)
	tab, err := forecast.ReadCSV(f, d)
	if err != nil {
		return forecast.Series{}, nil, fmt.Errorf("%s: %w", c.csv, err)
	}
	var s forecast.Series
	cells, err := tab.Strings(c.target)
	if err != nil {
		return s, nil, fmt.Errorf("%s: %w", c.csv, err)
	}
	n := len(cells)
	if c.futureCovariates != "" && c.holdout == 0 {
		for n > 0 && cells[n-1] == "" {
			n--
		}
		if len(cells)-n < c.horizon {
			return s, nil, fmt.Errorf("%s: %w: -future-covariates needs %d rows after the target's last value (empty target cells) holding their future values, found %d", c.csv, forecast.ErrData, c.horizon, len(cells)-n)
		}
	}
	if s.Target, err = numbers(c.target, cells[:n]); err != nil {
		return s, nil, fmt.Errorf("%s: %w", c.csv, err)
	}
	column := func(what, name string, rows int) ([]float64, error) {
		cells, err := tab.Strings(name)
		var col []float64
		if err == nil {
			col, err = numbers(name, cells[:rows])
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", c.csv, what, err)
		}
		return col, nil
	}
	for _, name := range names(c.covariates) {
		col, err := column("covariate", name, n)
		if err != nil {
			return s, nil, err
		}
		s.Past = append(s.Past, col)
	}
	for _, name := range names(c.futureCovariates) {
		col, err := column("future covariate", name, len(cells))
		if err != nil {
			return s, nil, err
		}
		s.Future = append(s.Future, col)
	}
	var dates []string
	if c.date != "" {
		if dates, err = tab.Strings(c.date); err != nil {
			return s, nil, fmt.Errorf("%s: %w", c.csv, err)
		}
	}
	return s, dates, nil
}

// forecastFile runs the network and the baselines on c's file.
func forecastFile(ctx context.Context, c config, progress io.Writer) (*result, error) {
	var loaded *forecast.Network
	if c.load != "" {
		var err error
		if loaded, err = forecast.Load(c.load); err != nil {
			return nil, err
		}
		// A saved network forecasts its horizon; fewer steps asked for are
		// its first ones (no step of a forecast depends on the steps after
		// it, direct or recursive), except with known-future covariates,
		// which it reads a whole horizon ahead.
		if c.horizon > loaded.Horizon() {
			return nil, fmt.Errorf("%w: %s forecasts %d steps, -horizon/-holdout ask for %d", forecast.ErrArgument, c.load, loaded.Horizon(), c.horizon)
		}
		if _, fut := loaded.Covariates(); fut > 0 && c.horizon != 0 && c.horizon != loaded.Horizon() {
			return nil, fmt.Errorf("%w: %s reads its future covariates %d steps ahead: -horizon/-holdout must be %d, not %d", forecast.ErrArgument, c.load, loaded.Horizon(), loaded.Horizon(), c.horizon)
		}
		if c.seasonSet && c.season != loaded.Season() {
			return nil, fmt.Errorf("%w: %s was fitted with season %d, -season is %d", forecast.ErrArgument, c.load, loaded.Season(), c.season)
		}
		if c.horizon == 0 {
			c.horizon = loaded.Horizon()
		}
		c.season = loaded.Season()
	}
	s, dates, err := loadSeries(c)
	if err != nil {
		return nil, err
	}
	n := len(s.Target)
	var pd *plotData
	if c.out != "" {
		trainN := n - c.holdout
		if c.holdout >= n {
			trainN = 0
		}
		if trainN > 0 {
			d, err := axisFor(c, dates, n, trainN)
			if err != nil {
				return nil, err
			}
			d.history = s.Target[:trainN]
			pd = &d
		}
	}
	train := s
	var test []float64
	if c.holdout > 0 {
		if c.holdout >= n {
			return nil, fmt.Errorf("%w: -holdout %d leaves nothing of the %d values to train on", forecast.ErrData, c.holdout, n)
		}
		train = forecast.Series{Target: s.Target[:n-c.holdout], Future: s.Future}
		for _, p := range s.Past {
			train.Past = append(train.Past, p[:n-c.holdout])
		}
		test = s.Target[n-c.holdout:]
		if dates != nil {
			dates = dates[n-c.holdout:]
		}
	} else {
		dates = nil
	}
	st, err := settings(c, progress)
	if err != nil {
		return nil, err
	}
	if loaded != nil && st.Quantiles != nil && !slices.Equal(st.Quantiles, loaded.Quantiles()) {
		return nil, fmt.Errorf("%w: %s forecasts the quantiles %v, -quantiles asks for %v", forecast.ErrArgument, c.load, loaded.Quantiles(), st.Quantiles)
	}
	net := loaded
	if net == nil {
		fmt.Fprintf(progress, "%s: %d values for training, horizon %d, season %d\n", c.target, len(train.Target), c.horizon, c.season)
		if net, err = forecast.Fit(ctx, train, st); err != nil {
			return nil, err
		}
	}
	if c.save != "" {
		if err := net.Save(c.save); err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "saved %s to %s\n", net.Name(), c.save)
	}
	nf, err := net.Forecast(train)
	if err != nil {
		return nil, err
	}
	nf = nf[:c.horizon]
	res := &result{Target: c.target, Horizon: c.horizon, Season: c.season, Selected: net.Name(), Dates: dates, Actual: test, dated: c.date != "", plot: pd}
	for _, cand := range net.Candidates {
		cd := candidate{Name: cand.Name(), Epochs: cand.Epochs}
		if !math.IsInf(cand.ValMASE, 0) && !math.IsNaN(cand.ValMASE) {
			v := cand.ValMASE
			cd.ValMASE = &v
		}
		res.Candidates = append(res.Candidates, cd)
	}
	var qs [][]float64
	lv := net.Quantiles()
	if lv != nil {
		if qs, err = net.ForecastQuantiles(train); err != nil {
			return nil, err
		}
		for j := range qs {
			qs[j] = qs[j][:c.horizon]
		}
		res.Levels = lv
	}
	if res.Methods, err = methods(net.Name(), nf, lv, qs, train.Target, test, c.horizon, c.season); err != nil {
		return nil, err
	}
	return res, nil
}

// methods returns the network's method (its forecast nf and, with levels,
// its quantiles qs) followed by the baselines' forecasts from train, all
// of them scored on test when test is not nil (the interval scores too).
func methods(name string, nf, levels []float64, qs [][]float64, train, test []float64, h, season int) ([]method, error) {
	nm := method{Name: name, Kind: "network", Forecast: nf}
	if levels != nil {
		nm.Quantiles = map[string][]float64{}
		for j, q := range levels {
			nm.Quantiles[forecast.QuantileName(q)] = qs[j]
		}
		if test != nil {
			var err error
			if nm.Pinball, nm.Coverage, err = intervalScores(test, levels, qs); err != nil {
				return nil, err
			}
		}
	}
	bs, err := baselineMethods(train, h, season)
	if err != nil {
		return nil, err
	}
	ms := append([]method{nm}, bs...)
	if test != nil {
		if err := scoreMethods(ms, test, train, season); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// settings returns the package settings c's flags ask for (the flags were
// checked by parseFlags).
func settings(c config, progress io.Writer) (forecast.Settings, error) {
	strategies, err := parseStrategies(c.strategies)
	if err != nil {
		return forecast.Settings{}, err
	}
	kinds, _ := parseKinds(c.kinds)
	bases, _ := parseBases(c.bases)
	logMode, _ := parseLog(c.logMode)
	levels, _ := forecast.ParseQuantiles(c.quantiles)
	return forecast.Settings{
		Strategies: strategies, Kinds: kinds, Quantiles: levels,
		Bases: bases, Log: logMode, Folds: c.folds, RandomInit: c.randomInit, SelectOne: c.selectOne,
		Horizon: c.horizon, Season: c.season, Seed: c.seed, MaxEpochs: c.maxEpochs,
		Ensemble: c.ensemble, Budget: c.budget, Progress: progress,
	}, nil
}

// shortName is a method's name in the text tables: a network's name (the
// first line gives it whole) is shortened to "network" when it would not
// fit the column.
func shortName(m method) string {
	if m.Kind == "network" && len(m.Name) > 20 {
		return "network"
	}
	return m.Name
}

func printTable(w io.Writer, r *result, scored bool) {
	fmt.Fprintf(w, "target %s, horizon %d, season %d; selected by validation: %s\n", r.Target, r.Horizon, r.Season, r.Selected)
	if scored {
		fmt.Fprintf(w, "%-20s %-8s %12s %12s %8s %8s\n", "method", "kind", "rmse", "mae", "smape", "mase")
		for _, m := range r.Methods {
			fmt.Fprintf(w, "%-20s %-8s %12.4f %12.4f %8.3f %8.4f\n", shortName(m), m.Kind, *m.RMSE, *m.MAE, *m.SMAPE, *m.MASE)
		}
		nm := r.Methods[0]
		for _, q := range r.Levels {
			fmt.Fprintf(w, "quantile %-6s pinball %.4f\n", forecast.QuantileName(q), nm.Pinball[forecast.QuantileName(q)])
		}
		for _, c := range nm.Coverage {
			fmt.Fprintf(w, "interval %s-%s: coverage %.1f%% of the %d held-out values (nominal %.0f%%)\n",
				forecast.QuantileName(c.Lower), forecast.QuantileName(c.Upper), 100*c.Coverage, r.Horizon, 100*c.Nominal)
		}
	}
	if scored && len(r.Levels) == 0 {
		return
	}
	fmt.Fprintf(w, "%-6s", "step")
	if scored {
		fmt.Fprintf(w, " %14s", "actual")
	}
	for _, m := range r.Methods {
		fmt.Fprintf(w, " %14s", shortName(m))
	}
	for _, q := range r.Levels {
		fmt.Fprintf(w, " %14s", "q"+forecast.QuantileName(q))
	}
	fmt.Fprintln(w)
	for k := 0; k < r.Horizon; k++ {
		fmt.Fprintf(w, "%-6d", k+1)
		if scored {
			fmt.Fprintf(w, " %14.4f", r.Actual[k])
		}
		for _, m := range r.Methods {
			fmt.Fprintf(w, " %14.4f", m.Forecast[k])
		}
		for _, q := range r.Levels {
			fmt.Fprintf(w, " %14.4f", r.Methods[0].Quantiles[forecast.QuantileName(q)][k])
		}
		fmt.Fprintln(w)
	}
}
