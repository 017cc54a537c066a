package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// benchCase is one shared series as the benchmark defines it (make.R):
// the file, its target and covariates, the season and the horizon.
type benchCase struct {
	label, file, target string
	past                []string
	season, h           int
}

var benchCases = []benchCase{
	{"wineind", "wineind", "value", nil, 12, 24},
	{"woolyrnq", "woolyrnq", "value", nil, 4, 8},
	{"gas", "gas", "value", nil, 12, 24},
	{"ldeaths", "ldeaths", "value", nil, 12, 24},
	{"johnsonjohnson", "johnsonjohnson", "value", nil, 4, 8},
	{"wwwusage", "wwwusage", "value", nil, 1, 10},
	{"bjsales", "bjsales", "sales", nil, 1, 10},
	{"bjsales + lead", "bjsales", "sales", []string{"lead"}, 1, 10},
	{"taylor", "taylor", "value", nil, 336, 336},
}

// rRMSE reads baselines.csv: series → method → RMSE.
func rRMSE(dir string) (map[string]map[string]float64, error) {
	f, err := os.Open(filepath.Join(dir, "baselines.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("baselines.csv: %w", err)
	}
	out := map[string]map[string]float64{}
	for i, r := range recs {
		if i == 0 {
			continue
		}
		if len(r) != 7 {
			return nil, fmt.Errorf("baselines.csv: line %d has %d fields, want 7", i+1, len(r))
		}
		v, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			return nil, fmt.Errorf("baselines.csv: line %d: %w", i+1, err)
		}
		if out[r[0]] == nil {
			out[r[0]] = map[string]float64{}
		}
		out[r[0]][r[2]] = v
	}
	return out, nil
}

// runBench scores the network on every shared series and prints the
// Markdown table of docs/forecasting.md.
func runBench(ctx context.Context, c config, w io.Writer, progress io.Writer) error {
	ref, err := rRMSE(c.bench)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "| series | h | network (selected) | network RMSE | snaive | ets | arima | theta | best of R | ratio to best | beats snaive | time |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	var logSum float64
	var count, beats int
	for _, bc := range benchCases {
		if bc.file == "taylor" && !c.taylor {
			continue
		}
		r := ref[bc.file]
		if r == nil {
			return fmt.Errorf("baselines.csv has no rows for %s", bc.file)
		}
		fc := config{csv: filepath.Join(c.bench, bc.file+".csv"), target: bc.target, delimiter: ",",
			season: bc.season, horizon: bc.h, holdout: bc.h, seed: c.seed, maxEpochs: c.maxEpochs, ensemble: c.ensemble, strategies: c.strategies, kinds: c.kinds,
			bases: c.bases, logMode: c.logMode, randomInit: c.randomInit, selectOne: c.selectOne, folds: c.folds}
		if len(bc.past) > 0 {
			fc.strategies = "direct" // the recursive strategy takes no past covariates
		}
		for i, p := range bc.past {
			if i > 0 {
				fc.covariates += ","
			}
			fc.covariates += p
		}
		start := time.Now()
		res, err := forecastFile(ctx, fc, progress)
		if err != nil {
			return fmt.Errorf("%s: %w", bc.label, err)
		}
		elapsed := time.Since(start)
		net := *res.Methods[0].RMSE
		best := math.Inf(1)
		cols := ""
		for _, m := range []string{"ets", "arima", "theta"} {
			if v, ok := r[m]; ok {
				best = min(best, v)
				cols += fmt.Sprintf(" %s |", fmtNum(v))
			} else {
				cols += " - |"
			}
		}
		if v, ok := r["stlf"]; ok { // taylor: stlf in place of the three
			best = min(best, v)
			cols = fmt.Sprintf(" stlf %s | - | - |", fmtNum(v))
		}
		sn := r["snaive"]
		beat := "no"
		if net < sn {
			beat = "yes"
			beats++
		}
		ratio := net / best
		if len(bc.past) == 0 {
			logSum += math.Log(ratio)
			count++
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s |%s %s | %.3f | %s | %.1f s |\n",
			bc.label, bc.h, res.Selected, fmtNum(net), fmtNum(sn), cols, fmtNum(best), ratio, beat, elapsed.Seconds())
	}
	fmt.Fprintf(w, "\nGeometric-mean RMSE ratio to the per-series best of R (%d series, bjsales + lead not counted): %.3f\n", count, math.Exp(logSum/float64(count)))
	fmt.Fprintf(w, "Rows where the network beats seasonal naive: %d\n", beats)
	return nil
}

func fmtNum(v float64) string {
	switch {
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}
