package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rBaseline is one series' rows of baselines.csv: the horizon R scored and
// each method's RMSE.
type rBaseline struct {
	h    int
	rmse map[string]float64
}

// rRMSE reads baselines.csv: series → its horizon and method → RMSE.
func rRMSE(dir string) (map[string]rBaseline, error) {
	f, err := os.Open(filepath.Join(dir, "baselines.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("baselines.csv: %w", err)
	}
	out := map[string]rBaseline{}
	for i, r := range recs {
		if i == 0 {
			continue
		}
		if len(r) != 7 {
			return nil, fmt.Errorf("baselines.csv: line %d has %d fields, want 7", i+1, len(r))
		}
		h, err := strconv.Atoi(r[1])
		if err != nil {
			return nil, fmt.Errorf("baselines.csv: line %d: %w", i+1, err)
		}
		v, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			return nil, fmt.Errorf("baselines.csv: line %d: %w", i+1, err)
		}
		b, ok := out[r[0]]
		if !ok {
			b = rBaseline{h: h, rmse: map[string]float64{}}
		} else if b.h != h {
			return nil, fmt.Errorf("baselines.csv: line %d: %s with h = %d, earlier h = %d", i+1, r[0], h, b.h)
		}
		b.rmse[r[2]] = v
		out[r[0]] = b
	}
	return out, nil
}

// checkCases makes sure R scored every case on the same split (its
// horizon) and with seasonal naive, before any network is trained.
func checkCases(cases []benchCase, ref map[string]rBaseline) error {
	for _, bc := range cases {
		b, ok := ref[bc.series]
		switch {
		case !ok:
			return fmt.Errorf("%s: baselines.csv has no rows for %s", bc.label, bc.series)
		case b.h != bc.h:
			return fmt.Errorf("%s: h = %d, but baselines.csv scores %s with h = %d", bc.label, bc.h, bc.series, b.h)
		}
		if _, ok := b.rmse["snaive"]; !ok {
			return fmt.Errorf("%s: baselines.csv has no snaive row for %s", bc.label, bc.series)
		}
		if !slices.ContainsFunc([]string{"ets", "arima", "theta", "stlf"}, func(m string) bool { _, ok := b.rmse[m]; return ok }) {
			return fmt.Errorf("%s: baselines.csv has no ets, arima, theta or stlf row for %s", bc.label, bc.series)
		}
	}
	return nil
}

// runBench scores the network on every case of the folder c.bench (its
// cases.csv, or the shared series) and prints the Markdown table of
// docs/forecasting.md.
func runBench(ctx context.Context, c config, w io.Writer, progress io.Writer) error {
	cases, err := benchCases(c.bench, c.taylor)
	if err != nil {
		return err
	}
	ref, err := rRMSE(c.bench)
	if err != nil {
		return err
	}
	if err := checkCases(cases, ref); err != nil {
		return err
	}
	fmt.Fprintln(w, "| series | h | network (selected) | network RMSE | snaive | ets | arima | theta | best of R | ratio to best | beats snaive | time |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	var logSum float64
	var count, beats int
	var uncounted []string
	for _, bc := range cases {
		r := ref[bc.series].rmse
		fc := config{csv: filepath.Join(c.bench, bc.series+".csv"), target: bc.target, delimiter: ",",
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
		} else {
			uncounted = append(uncounted, bc.label)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s |%s %s | %.3f | %s | %.1f s |\n",
			bc.label, bc.h, res.Selected, fmtNum(net), fmtNum(sn), cols, fmtNum(best), ratio, beat, elapsed.Seconds())
	}
	fmt.Fprintf(w, "\nGeometric-mean RMSE ratio to the per-series best of R (%d series%s): %s\n", count, notCounted(uncounted), geoMean(logSum, count))
	fmt.Fprintf(w, "Rows where the network beats seasonal naive: %d\n", beats)
	return nil
}

// notCounted names the rows left out of the geometric mean (those with
// past covariates).
func notCounted(labels []string) string {
	if len(labels) == 0 {
		return ""
	}
	return ", " + strings.Join(labels, ", ") + " not counted"
}

// geoMean is exp(logSum/count) to three decimals, "-" without a series.
func geoMean(logSum float64, count int) string {
	if count == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", math.Exp(logSum/float64(count)))
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
