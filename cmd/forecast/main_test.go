package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeCSV writes a 60-row seasonal series with a covariate.
func writeCSV(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("date;y;x\n")
	for i := range 60 {
		y := 10 + 0.1*float64(i) + 3*math.Sin(2*math.Pi*float64(i)/4) + 0.3*math.Sin(float64(i*i))
		fmt.Fprintf(&b, "2000-%02d;%.4f;%d\n", i+1, y, i%7)
	}
	p := filepath.Join(t.TempDir(), "s.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

var fastFlags = []string{"-max-epochs", "5", "-ensemble", "1", "-delimiter", ";", "-kinds", "lstm,linear", "-bases", "1"}

func TestJSONHoldout(t *testing.T) {
	p := writeCSV(t)
	args := append([]string{"-csv", p, "-target", "y", "-date", "date", "-season", "4", "-holdout", "4", "-json", "-quiet", "-covariates", "x"}, fastFlags...)
	code, out, errs := runCmd(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if errs != "" {
		t.Errorf("-quiet, yet stderr %q", errs)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"target", "horizon", "season", "selected", "methods"} {
		if _, ok := res[k]; !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}
	if res["target"] != "y" || res["horizon"] != 4.0 || res["season"] != 4.0 {
		t.Errorf("header %v %v %v", res["target"], res["horizon"], res["season"])
	}
	methods := res["methods"].([]any)
	kinds := map[string]string{}
	for _, m := range methods {
		m := m.(map[string]any)
		kinds[m["name"].(string)] = m["kind"].(string)
		if f := m["forecast"].([]any); len(f) != 4 {
			t.Errorf("%v: %d forecasts", m["name"], len(f))
		}
		for _, k := range []string{"rmse", "mae", "smape", "mase"} {
			if v, ok := m[k].(float64); !ok || !(v >= 0) {
				t.Errorf("%v: %s = %v", m["name"], k, m[k])
			}
		}
	}
	if kinds[res["selected"].(string)] != "network" || kinds["snaive"] != "baseline" || len(kinds) != 5 {
		t.Errorf("methods %v, selected %v", kinds, res["selected"])
	}
}

func TestTableHorizon(t *testing.T) {
	p := writeCSV(t)
	args := append([]string{"-csv", p, "-target", "y", "-horizon", "3", "-season", "4"}, fastFlags...)
	code, out, errs := runCmd(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "validation MASE") {
		t.Errorf("no progress on stderr: %q", errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[4], "3 ") {
		t.Errorf("want a header, a column line and 3 steps:\n%s", out)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := writeCSV(t)
	ragged := write("ragged.csv", "a,b\n1,2\n3\n")
	text := write("text.csv", "a\n1\nx\n3\n")
	short := write("short.csv", "a\n1\n2\n3\n4\n5\n")
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no csv", []string{"-target", "y", "-horizon", "2"}, 2, "-csv"},
		{"no horizon", []string{"-csv", good, "-target", "y"}, 2, "-horizon"},
		{"bad season", []string{"-csv", good, "-target", "y", "-horizon", "2", "-season", "0"}, 2, "-season"},
		{"horizon vs holdout", []string{"-csv", good, "-target", "y", "-horizon", "2", "-holdout", "3"}, 2, "differ"},
		{"bad flag", []string{"-nope"}, 2, "nope"},
		{"bad kind", []string{"-csv", good, "-target", "y", "-horizon", "2", "-kinds", "gru"}, 2, "-kinds"},
		{"bad base", []string{"-csv", good, "-target", "y", "-horizon", "2", "-bases", "0"}, 2, "-bases"},
		{"bad log", []string{"-csv", good, "-target", "y", "-horizon", "2", "-log", "maybe"}, 2, "-log"},
		{"missing file", []string{"-csv", filepath.Join(dir, "none.csv"), "-target", "y", "-horizon", "2"}, 1, "none.csv"},
		{"unknown column", []string{"-csv", good, "-delimiter", ";", "-target", "z", "-horizon", "2"}, 1, `no column "z"`},
		{"ragged", []string{"-csv", ragged, "-target", "a", "-horizon", "2"}, 1, "line 3"},
		{"non-numeric", []string{"-csv", text, "-target", "a", "-horizon", "2"}, 1, `"x" is not a finite number`},
		{"too short", []string{"-csv", short, "-target", "a", "-holdout", "2"}, 1, "too few"},
		{"holdout all", []string{"-csv", short, "-target", "a", "-holdout", "5"}, 1, "leaves nothing"},
		{"unknown covariate", []string{"-csv", good, "-delimiter", ";", "-target", "y", "-horizon", "2", "-covariates", "w"}, 1, `no column "w"`},
		{"not a model", []string{"-csv", good, "-delimiter", ";", "-target", "y", "-horizon", "2", "-load", ragged}, 1, "load " + ragged + ": invalid model file"},
		{"horizon too long", []string{"-csv", short, "-target", "a", "-horizon", "99999999999"}, 1, "bad data: 5 values are too few"},
	}
	for _, c := range cases {
		code, _, errs := runCmd(append(c.args, "-quiet")...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", c.name, code, errs, c.code, c.msg)
		}
		if c.code == 1 && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%s: more than one line: %q", c.name, errs)
		}
		// One "forecast: " at the start, no prefix said twice.
		if c.code == 1 && (!strings.HasPrefix(errs, "forecast: ") || strings.Count(errs, "forecast: ") != 1) || strings.Contains(errs, "load: load") {
			t.Errorf("%s: stderr %q repeats a prefix", c.name, errs)
		}
	}
}

func TestFutureCovariates(t *testing.T) {
	p := writeCSV(t)
	// holdout: the covariate is known over the held-out tail
	saved := filepath.Join(t.TempDir(), "fut.safetensors")
	args := append([]string{"-csv", p, "-target", "y", "-season", "4", "-holdout", "4", "-json", "-quiet", "-future-covariates", "x", "-save", saved}, fastFlags...)
	if code, out, errs := runCmd(args...); code != 0 || !strings.Contains(out, `"selected"`) {
		t.Fatalf("holdout: exit %d, %s %s", code, out, errs)
	}
	// A saved network reads its future covariates a whole horizon ahead:
	// a shorter holdout is refused in one clear line.
	if code, _, errs := runCmd("-csv", p, "-delimiter", ";", "-target", "y", "-holdout", "2", "-quiet", "-future-covariates", "x", "-load", saved); code != 1 || !strings.Contains(errs, "future covariates 4 steps ahead") {
		t.Errorf("shorter holdout with future covariates: exit %d, %q", code, errs)
	}
	// past the data: rows with an empty target give the future values
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ext := string(data) + "2005-01;;3\n2005-02;;4\n"
	q := filepath.Join(t.TempDir(), "ext.csv")
	if err := os.WriteFile(q, []byte(ext), 0o644); err != nil {
		t.Fatal(err)
	}
	args = append([]string{"-csv", q, "-target", "y", "-season", "4", "-horizon", "2", "-json", "-quiet", "-future-covariates", "x"}, fastFlags...)
	code, out, errs := runCmd(args...)
	if code != 0 {
		t.Fatalf("future rows: exit %d, %s", code, errs)
	}
	var res result
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Methods[0].Forecast) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	args = append([]string{"-csv", q, "-target", "y", "-season", "4", "-horizon", "3", "-quiet", "-future-covariates", "x"}, fastFlags...)
	if code, _, errs := runCmd(args...); code != 1 || !strings.Contains(errs, "needs 3 rows") {
		t.Errorf("too few future rows: exit %d, %q", code, errs)
	}
}

func TestSaveLoadFlags(t *testing.T) {
	p := writeCSV(t)
	file := filepath.Join(t.TempDir(), "net.safetensors")
	args := append([]string{"-csv", p, "-target", "y", "-season", "4", "-holdout", "4", "-json", "-quiet", "-save", file}, fastFlags...)
	code, first, errs := runCmd(args...)
	if code != 0 {
		t.Fatalf("save: exit %d, %s", code, errs)
	}
	code, second, errs := runCmd("-csv", p, "-delimiter", ";", "-target", "y", "-holdout", "4", "-json", "-quiet", "-load", file)
	if code != 0 {
		t.Fatalf("load: exit %d, %s", code, errs)
	}
	var a, b result
	if json.Unmarshal([]byte(first), &a) != nil || json.Unmarshal([]byte(second), &b) != nil {
		t.Fatalf("%s\n%s", first, second)
	}
	if a.Selected != b.Selected || !slices.Equal(a.Methods[0].Forecast, b.Methods[0].Forecast) || *a.Methods[0].RMSE != *b.Methods[0].RMSE {
		t.Errorf("loaded network forecasts %v, saved %v", b.Methods[0].Forecast, a.Methods[0].Forecast)
	}
	if code, _, errs := runCmd("-csv", p, "-delimiter", ";", "-target", "y", "-horizon", "5", "-quiet", "-load", file); code != 1 || !strings.Contains(errs, "forecasts 4 steps") {
		t.Errorf("horizon past the saved one: exit %d, %q", code, errs)
	}
	// Fewer steps than the saved horizon are its first steps, scored on
	// as many held-out values.
	var all, few, fewHeld result
	for _, r := range []struct {
		out  *result
		args []string
	}{
		{&all, []string{"-horizon", "4"}},
		{&few, []string{"-horizon", "3"}},
		{&fewHeld, []string{"-holdout", "2"}},
	} {
		code, out, errs := runCmd(append([]string{"-csv", p, "-delimiter", ";", "-target", "y", "-json", "-quiet", "-load", file}, r.args...)...)
		if code != 0 || json.Unmarshal([]byte(out), r.out) != nil {
			t.Fatalf("%v: exit %d, %s %s", r.args, code, out, errs)
		}
	}
	if len(all.Methods[0].Forecast) != 4 || !slices.Equal(few.Methods[0].Forecast, all.Methods[0].Forecast[:3]) || few.Horizon != 3 {
		t.Errorf("-horizon 3 forecasts %v (horizon %d), -horizon 4 %v", few.Methods[0].Forecast, few.Horizon, all.Methods[0].Forecast)
	}
	for _, m := range fewHeld.Methods {
		if len(m.Forecast) != 2 || m.RMSE == nil {
			t.Errorf("-holdout 2 with a 4-step network: %s forecasts %v, RMSE %v", m.Name, m.Forecast, m.RMSE)
		}
	}
	if code, _, errs := runCmd("-csv", p, "-delimiter", ";", "-target", "y", "-season", "12", "-quiet", "-load", file); code != 1 || !strings.Contains(errs, "season 4") {
		t.Errorf("season mismatch: exit %d, %q", code, errs)
	}
}

func TestQuantilesFlag(t *testing.T) {
	p := writeCSV(t)
	args := append([]string{"-csv", p, "-target", "y", "-season", "4", "-holdout", "4", "-json", "-quiet", "-quantiles", "0.1,0.9"}, fastFlags...)
	code, out, errs := runCmd(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	nm := raw["methods"].([]any)[0].(map[string]any)
	qs, ok := nm["quantiles"].(map[string]any)
	if !ok || len(qs) != 2 {
		t.Fatalf("network quantiles %v in %s", nm["quantiles"], out)
	}
	lo, hi := qs["0.1"].([]any), qs["0.9"].([]any)
	if len(lo) != 4 || len(hi) != 4 {
		t.Fatalf("quantiles %v", qs)
	}
	for k := range lo {
		if lo[k].(float64) > hi[k].(float64) {
			t.Errorf("step %d: 0.1 quantile %v above the 0.9 quantile %v", k+1, lo[k], hi[k])
		}
	}
	var res result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	m := res.Methods[0]
	if len(m.Coverage) != 1 || m.Coverage[0].Lower != 0.1 || m.Coverage[0].Upper != 0.9 || math.Abs(m.Coverage[0].Nominal-0.8) > 1e-12 {
		t.Errorf("coverage %+v", m.Coverage)
	}
	c := m.Coverage[0].Coverage
	if c < 0 || c > 1 || c*4 != math.Round(c*4) {
		t.Errorf("coverage %v of 4 values", c)
	}
	if len(m.Pinball) != 2 || !(m.Pinball["0.1"] >= 0) || !(m.Pinball["0.9"] >= 0) {
		t.Errorf("pinball %v", m.Pinball)
	}
	if len(res.Actual) != 4 || !slices.Equal(res.Levels, []float64{0.1, 0.9}) {
		t.Errorf("actual %v, levels %v", res.Actual, res.Levels)
	}
	// Text: the interval line and the quantile columns.
	code, out, errs = runCmd(append([]string{"-csv", p, "-target", "y", "-season", "4", "-holdout", "4", "-quiet", "-quantiles", "0.1,0.9"}, fastFlags...)...)
	if code != 0 || !strings.Contains(out, "interval 0.1-0.9: coverage") || !strings.Contains(out, "q0.9") {
		t.Errorf("exit %d, %s%s", code, out, errs)
	}
	for _, bad := range []string{"0,0.5", "0.5,1", "NaN", "0.9,0.1", "0.5,0.5", "x"} {
		code, _, errs := runCmd("-csv", p, "-target", "y", "-holdout", "4", "-quantiles", bad)
		if code != 2 || !strings.Contains(errs, "-quantiles") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("-quantiles %s: exit %d, %q", bad, code, errs)
		}
	}
}

func TestBudgetFlag(t *testing.T) {
	p := writeCSV(t)
	code, _, errs := runCmd(append([]string{"-csv", p, "-target", "y", "-season", "4", "-holdout", "4", "-budget", "1", "-ensemble", "2"}, fastFlags[2:]...)...)
	if code != 0 || !strings.Contains(errs, "over the budget 1: 1 folds, ensembles of 1, at most 26 epochs") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}
