package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeLong writes three seasonal series of 40 values in long format
// (id;t;y), in different units, their rows interleaved and not in time
// order within the file.
func writeLong(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("id;t;y\n")
	for i := 39; i >= 0; i-- {
		for k, id := range []string{"a", "b", "c"} {
			scale := math.Pow(10, float64(k))
			y := scale * (10 + 0.1*float64(i) + 3*math.Sin(2*math.Pi*float64(i)/4) + 0.3*math.Sin(float64(i*i+k)))
			fmt.Fprintf(&b, "%s;%d;%.4f\n", id, i, y)
		}
	}
	p := filepath.Join(t.TempDir(), "long.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLongLocalJSON(t *testing.T) {
	p := writeLong(t)
	base := append([]string{"-csv", p, "-id", "id", "-date", "t", "-target", "y", "-season", "4", "-holdout", "4", "-json", "-quiet"}, fastFlags...)
	var outs [2]string
	for i, workers := range []string{"1", "3"} {
		code, out, errs := runCmd(append(base, "-workers", workers)...)
		if code != 0 {
			t.Fatalf("-workers %s: exit %d: %s", workers, code, errs)
		}
		outs[i] = out
	}
	if outs[0] != outs[1] {
		t.Fatalf("-workers 1 and 3 differ:\n%s\n%s", outs[0], outs[1])
	}
	var res longResult
	if err := json.Unmarshal([]byte(outs[0]), &res); err != nil {
		t.Fatalf("%v: %s", err, outs[0])
	}
	if res.Global || res.Horizon != 4 || len(res.Series) != 3 || len(res.Total) != 5 {
		t.Fatalf("result %+v", res)
	}
	for i, s := range res.Series {
		if s.ID != []string{"a", "b", "c"}[i] || len(s.Actual) != 4 || s.Times[0] != "36" || s.Methods[0].Kind != "network" || s.Selected == "" {
			t.Fatalf("series %d: %+v", i, s)
		}
		for _, m := range s.Methods {
			if len(m.Forecast) != 4 || m.MASE == nil || !(*m.MASE >= 0) {
				t.Fatalf("series %s, method %+v", s.ID, m)
			}
		}
		// The third series is 100 times the first in scale: a local
		// network forecasts it in its own units.
		if i == 2 && !(s.Methods[0].Forecast[0] > 500) {
			t.Errorf("series c forecast %v, its values are about 1000", s.Methods[0].Forecast)
		}
	}
	nw, sn := res.Total[0], res.Total[2]
	if nw.Name != "network" || sn.Name != "snaive" || sn.Wins != -1 || nw.Wins < 0 || nw.Wins > 3 {
		t.Fatalf("totals %+v", res.Total)
	}
	var mean float64
	for _, s := range res.Series {
		mean += *s.Methods[0].MASE / 3
	}
	if math.Abs(mean-nw.MASE) > 1e-12 {
		t.Errorf("total MASE %v, mean of the series' %v", nw.MASE, mean)
	}
}

func TestLongGlobalTable(t *testing.T) {
	p := writeLong(t)
	code, out, errs := runCmd(append([]string{"-csv", p, "-id", "id", "-date", "t", "-target", "y", "-season", "4", "-holdout", "4", "-global"}, fastFlags...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"3 series, one global network", "total (mean)", "a: global ", "c: global ", "beats snaive"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "one global network over 3 series") {
		t.Errorf("progress %q", errs)
	}
	// The recursive strategy for the global model.
	code, out, errs = runCmd(append([]string{"-csv", p, "-id", "id", "-date", "t", "-target", "y", "-season", "4", "-holdout", "4", "-global", "-strategies", "recursive", "-quiet"}, fastFlags...)...)
	if code != 0 || !strings.Contains(out, ",recursive)") {
		t.Fatalf("-strategies recursive: exit %d: %s\n%s", code, errs, out)
	}
}

func TestLongHorizon(t *testing.T) {
	p := writeLong(t)
	code, out, errs := runCmd(append([]string{"-csv", p, "-id", "id", "-date", "t", "-target", "y", "-season", "4", "-horizon", "3", "-quiet"}, fastFlags...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// A header line, a column line, 3 series × 3 steps, 3 selected lines.
	if len(lines) != 2+9+3 || !strings.HasPrefix(lines[2], "a ") || !strings.HasPrefix(lines[10], "c ") {
		t.Fatalf("output:\n%s", out)
	}
}

func TestLongBadInput(t *testing.T) {
	p := writeLong(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-id", "id", "-target", "y", "-holdout", "4"}, "needs -date"},
		{[]string{"-id", "id", "-date", "t", "-target", "y", "-holdout", "4", "-covariates", "x"}, "no covariates"},
		{[]string{"-id", "id", "-date", "t", "-target", "y", "-holdout", "4", "-workers", "-1"}, "-workers -1"},
		{[]string{"-id", "id", "-date", "t", "-target", "y", "-holdout", "4", "-save", "x"}, "no -save"},
		{[]string{"-target", "y", "-holdout", "4", "-global"}, "need -id"},
		{[]string{"-id", "series", "-date", "t", "-target", "y", "-holdout", "4"}, "series"},
		{[]string{"-id", "id", "-date", "t", "-target", "y", "-holdout", "40"}, "leaves nothing"},
	} {
		code, _, errs := runCmd(append([]string{"-csv", p, "-delimiter", ";", "-quiet"}, c.args...)...)
		if code == 0 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 && code == 1 {
			t.Errorf("%v: exit %d, stderr %q (want %q in one line)", c.args, code, errs, c.want)
		}
	}
	// A series too short for the others' settings is named by its id, and
	// the line says "forecast: " once.
	var b strings.Builder
	b.WriteString("id;t;y\n")
	for i := range 40 {
		fmt.Fprintf(&b, "a;%d;%d\n", i, 10+i%4)
		if i < 5 {
			fmt.Fprintf(&b, "b;%d;%d\n", i, 10+i%4)
		}
	}
	short := filepath.Join(t.TempDir(), "short.csv")
	if err := os.WriteFile(short, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCmd(append([]string{"-csv", short, "-id", "id", "-date", "t", "-target", "y", "-holdout", "2", "-quiet"}, fastFlags...)...)
	if code != 1 || !strings.HasPrefix(errs, `forecast: series "b": bad data: `) || strings.Count(errs, "forecast: ") != 1 {
		t.Errorf("a short series: exit %d, stderr %q", code, errs)
	}
}

func TestLongQuantiles(t *testing.T) {
	p := writeLong(t)
	for _, global := range []bool{false, true} {
		args := append([]string{"-csv", p, "-id", "id", "-date", "t", "-target", "y", "-season", "4", "-holdout", "4", "-quantiles", "0.1,0.9", "-json", "-quiet"}, fastFlags...)
		if global {
			args = append(args, "-global")
		}
		code, out, errs := runCmd(args...)
		if code != 0 {
			t.Fatalf("global %v: exit %d: %s", global, code, errs)
		}
		var res longResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if len(res.Levels) != 2 || len(res.Series) != 3 {
			t.Fatalf("global %v: %+v", global, res)
		}
		for _, s := range res.Series {
			nm := s.Methods[0]
			lo, hi := nm.Quantiles["0.1"], nm.Quantiles["0.9"]
			if len(lo) != 4 || len(hi) != 4 || len(nm.Coverage) != 1 || len(nm.Pinball) != 2 {
				t.Fatalf("global %v, series %s: %+v", global, s.ID, nm)
			}
			for k := range lo {
				if !(lo[k] <= nm.Forecast[k] && nm.Forecast[k] <= hi[k]) {
					t.Errorf("global %v, series %s, step %d: %v %v %v", global, s.ID, k+1, lo[k], nm.Forecast[k], hi[k])
				}
			}
		}
	}
}
