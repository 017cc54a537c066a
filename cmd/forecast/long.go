package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"

	"github.com/gornn/gornn/trainers/forecast"
)

// Long format: -id names the series-id column of a file with one
// observation per row (series id, time, value); -date is then the time
// column and -target the value column (forecast.ReadLong). Every series is
// forecast: by its own local network (forecast.FitMany, -workers series
// at a time) or, with -global, by one network over all of them
// (forecast.FitGlobal, each series scaled on its own).

// longSeries is one series' result.
type longSeries struct {
	ID       string `json:"id"`
	Selected string `json:"selected"`
	// Times are the time labels of the held-out values (with -holdout).
	Times   []string  `json:"times,omitempty"`
	Actual  []float64 `json:"actual,omitempty"`
	Methods []method  `json:"methods"`
}

// total is one method's scores over all series: the mean of each series'
// score (MASE and sMAPE are comparable across series; RMSE and MAE are in
// each series' units, so their means are given for one-unit data only).
type total struct {
	Name  string  `json:"name"`
	Kind  string  `json:"kind"`
	RMSE  float64 `json:"mean_rmse"`
	MAE   float64 `json:"mean_mae"`
	SMAPE float64 `json:"mean_smape"`
	MASE  float64 `json:"mean_mase"`
	// Wins is the number of series on which the method's MASE is below
	// seasonal naive's (naive's without a season); -1 for that baseline.
	Wins int `json:"beats_snaive"`
}

// longResult is what -json prints in long format.
type longResult struct {
	Target  string       `json:"target"`
	Horizon int          `json:"horizon"`
	Season  int          `json:"season"`
	Global  bool         `json:"global"`
	Series  []longSeries `json:"series"`
	// Total is given with -holdout.
	Total []total `json:"total,omitempty"`
	// Levels are the quantile levels (-quantiles): each series' network
	// has its quantiles and, with -holdout, their pinball losses and
	// coverage.
	Levels []float64 `json:"quantile_levels,omitempty"`
}

// checkLong refuses the flags that long format does not take.
func checkLong(c config) error {
	switch {
	case c.date == "":
		return errors.New("-id (long format) needs -date, the time column")
	case c.covariates != "" || c.futureCovariates != "":
		return errors.New("-id (long format) takes no covariates")
	case c.save != "" || c.load != "" || c.out != "":
		return errors.New("-id (long format) takes no -save, -load or -out")
	case c.workers < 0:
		return fmt.Errorf("-workers %d: want at least 1 (0: one per core)", c.workers)
	}
	return nil
}

// forecastLong forecasts every series of c's long-format file.
func forecastLong(ctx context.Context, c config, progress io.Writer) (*longResult, error) {
	f, err := os.Open(c.csv)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, _ := delimiterRune(c.delimiter)
	long, err := forecast.ReadLong(f, d, c.id, c.date, c.target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.csv, err)
	}
	train := make([]forecast.Series, len(long.Series))
	for i, s := range long.Series {
		n := len(s.Target)
		if c.holdout >= n {
			return nil, fmt.Errorf("%w: series %q: -holdout %d leaves nothing of its %d values to train on", forecast.ErrData, long.IDs[i], c.holdout, n)
		}
		train[i] = forecast.Series{Target: s.Target[:n-c.holdout]}
	}
	st, err := settings(c, progress)
	if err != nil {
		return nil, err
	}
	res := &longResult{Target: c.target, Horizon: c.horizon, Season: c.season, Global: c.global, Levels: st.Quantiles}
	nets := make([]func(forecast.Series) ([]float64, error), len(train))
	quants := make([]func(forecast.Series) ([][]float64, error), len(train))
	names := make([]string, len(train))
	if c.global {
		fmt.Fprintf(progress, "%s: one global network over %d series, horizon %d, season %d\n", c.target, len(train), c.horizon, c.season)
		g, err := forecast.FitGlobal(ctx, train, st)
		if err != nil {
			return nil, err
		}
		for i := range nets {
			nets[i] = func(s forecast.Series) ([]float64, error) { return g.Forecast(i, s) }
			quants[i] = func(s forecast.Series) ([][]float64, error) { return g.ForecastQuantiles(i, s) }
			names[i] = "global " + g.Name()
		}
	} else {
		workers := c.workers
		if workers == 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		fmt.Fprintf(progress, "%s: %d local networks, %d at a time, horizon %d, season %d\n", c.target, len(train), workers, c.horizon, c.season)
		ns, err := forecast.FitMany(ctx, train, st, workers)
		if err != nil {
			if se := (*forecast.SeriesError)(nil); errors.As(err, &se) && se.Series >= 0 && se.Series < len(long.IDs) {
				return nil, fmt.Errorf("series %q: %w", long.IDs[se.Series], se.Err)
			}
			return nil, err
		}
		for i, n := range ns {
			nets[i], quants[i], names[i] = n.Forecast, n.ForecastQuantiles, n.Name()
		}
	}
	for i, s := range train {
		ls := longSeries{ID: long.IDs[i], Selected: names[i]}
		nf, err := nets[i](s)
		if err != nil {
			return nil, fmt.Errorf("series %q: %w", long.IDs[i], err)
		}
		var qs [][]float64
		if st.Quantiles != nil {
			if qs, err = quants[i](s); err != nil {
				return nil, fmt.Errorf("series %q: %w", long.IDs[i], err)
			}
		}
		if c.holdout > 0 {
			full := long.Series[i].Target
			ls.Actual = full[len(full)-c.holdout:]
			ls.Times = long.Times[i][len(full)-c.holdout:]
		}
		if ls.Methods, err = methods(names[i], nf, st.Quantiles, qs, s.Target, ls.Actual, c.horizon, c.season); err != nil {
			return nil, fmt.Errorf("series %q: %w", long.IDs[i], err)
		}
		res.Series = append(res.Series, ls)
	}
	if c.holdout > 0 {
		res.Total = totals(res.Series, c.season)
	}
	return res, nil
}

// totals averages every method's scores over the series.
func totals(series []longSeries, season int) []total {
	ref := "snaive"
	if season == 1 {
		ref = "naive"
	}
	var out []total
	for j, m := range series[0].Methods {
		t := total{Name: m.Name, Kind: m.Kind}
		if m.Kind == "network" {
			t.Name = "network"
		}
		for _, s := range series {
			sm := s.Methods[j]
			t.RMSE += *sm.RMSE / float64(len(series))
			t.MAE += *sm.MAE / float64(len(series))
			t.SMAPE += *sm.SMAPE / float64(len(series))
			t.MASE += *sm.MASE / float64(len(series))
			for _, b := range s.Methods {
				if b.Name == ref && *sm.MASE < *b.MASE {
					t.Wins++
				}
			}
		}
		if m.Name == ref {
			t.Wins = -1
		}
		out = append(out, t)
	}
	return out
}

func printLong(w io.Writer, r *longResult, scored bool) {
	kind := "local networks"
	if r.Global {
		kind = "one global network"
	}
	fmt.Fprintf(w, "target %s, horizon %d, season %d, %d series, %s\n", r.Target, r.Horizon, r.Season, len(r.Series), kind)
	if scored {
		fmt.Fprintf(w, "%-16s %-20s %-8s %12s %12s %8s %8s\n", "series", "method", "kind", "rmse", "mae", "smape", "mase")
		for _, s := range r.Series {
			for _, m := range s.Methods {
				fmt.Fprintf(w, "%-16s %-20s %-8s %12.4f %12.4f %8.3f %8.4f\n", s.ID, shortName(m), m.Kind, *m.RMSE, *m.MAE, *m.SMAPE, *m.MASE)
			}
		}
		fmt.Fprintf(w, "%-16s %-20s %-8s %12s %12s %8s %8s %s\n", "total (mean)", "method", "kind", "rmse", "mae", "smape", "mase", "beats snaive")
		for _, t := range r.Total {
			wins := fmt.Sprintf("%d of %d", t.Wins, len(r.Series))
			if t.Wins < 0 {
				wins = "-"
			}
			fmt.Fprintf(w, "%-16s %-20s %-8s %12.4f %12.4f %8.3f %8.4f %s\n", "", t.Name, t.Kind, t.RMSE, t.MAE, t.SMAPE, t.MASE, wins)
		}
		for _, s := range r.Series {
			fmt.Fprintf(w, "%s: %s\n", s.ID, s.Selected)
			for _, c := range s.Methods[0].Coverage {
				fmt.Fprintf(w, "%s: interval %s-%s: coverage %.1f%% of the %d held-out values (nominal %.0f%%)\n", s.ID,
					forecast.QuantileName(c.Lower), forecast.QuantileName(c.Upper), 100*c.Coverage, r.Horizon, 100*c.Nominal)
			}
		}
		return
	}
	fmt.Fprintf(w, "%-16s %-6s %14s", "series", "step", "network")
	for _, q := range r.Levels {
		fmt.Fprintf(w, " %14s", "q"+forecast.QuantileName(q))
	}
	fmt.Fprintln(w)
	for _, s := range r.Series {
		for k, v := range s.Methods[0].Forecast {
			fmt.Fprintf(w, "%-16s %-6d %14.4f", s.ID, k+1, v)
			for _, q := range r.Levels {
				fmt.Fprintf(w, " %14.4f", s.Methods[0].Quantiles[forecast.QuantileName(q)][k])
			}
			fmt.Fprintln(w)
		}
	}
	for _, s := range r.Series {
		fmt.Fprintf(w, "%s: %s\n", s.ID, s.Selected)
	}
}

// baselineMethods returns the baselines' forecasts (no seasonal naive
// without a season).
func baselineMethods(history []float64, h, season int) ([]method, error) {
	baselines := []struct {
		name string
		m    forecast.Method
	}{{"naive", forecast.Naive}, {"snaive", forecast.SeasonalNaive(season)}, {"drift", forecast.Drift}, {"mean", forecast.Mean}}
	var out []method
	for _, b := range baselines {
		if b.name == "snaive" && season == 1 {
			continue
		}
		f, err := b.m(history, h)
		if err != nil {
			return nil, err
		}
		out = append(out, method{Name: b.name, Kind: "baseline", Forecast: f})
	}
	return out, nil
}

// scoreMethods scores every method's forecast on test.
func scoreMethods(ms []method, test, train []float64, season int) error {
	for i := range ms {
		m := &ms[i]
		sc, err := forecast.Score(test, m.Forecast, train, season)
		if err != nil {
			return fmt.Errorf("scoring %s: %w", m.Name, err)
		}
		if math.IsNaN(sc.MASE) {
			return fmt.Errorf("scoring %s: %w: MASE is not defined", m.Name, forecast.ErrData)
		}
		m.RMSE, m.MAE, m.SMAPE, m.MASE = &sc.RMSE, &sc.MAE, &sc.SMAPE, &sc.MASE
	}
	return nil
}
