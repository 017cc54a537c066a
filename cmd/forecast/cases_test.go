package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gornn/gornn/trainers/forecast"
)

// TestBenchCasesMatchR checks each benchmark folder's cases against R's
// baselines.csv: the same horizon, and, computed from the case's file,
// target and season, the naive and seasonal-naive RMSE that R printed,
// which a wrong season, target, file or horizon would not reproduce.
func TestBenchCasesMatchR(t *testing.T) {
	for _, dir := range []string{"../../trainers/forecast/testdata", "../../trainers/forecast/testdata/unseen"} {
		cases, err := benchCases(dir, dir == "../../trainers/forecast/testdata")
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		ref, err := rRMSE(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkCases(cases, ref); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		printed := printedRMSE(t, dir)
		for _, bc := range cases {
			f, err := os.Open(filepath.Join(dir, bc.series+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			tab, err := forecast.ReadCSV(f, ',')
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", bc.label, err)
			}
			for _, col := range append([]string{bc.target}, bc.past...) {
				if _, err := tab.Column(col); err != nil {
					t.Fatalf("%s: %v", bc.label, err)
				}
			}
			y, _ := tab.Column(bc.target)
			train, test := y[:len(y)-bc.h], y[len(y)-bc.h:]
			for name, m := range map[string]forecast.Method{"naive": forecast.Naive, "snaive": forecast.SeasonalNaive(bc.season)} {
				fc, err := m(train, bc.h)
				if err != nil {
					t.Fatalf("%s %s: %v", bc.label, name, err)
				}
				got, err := forecast.RMSE(test, fc)
				if err != nil {
					t.Fatal(err)
				}
				want := printed[bc.series+"/"+name]
				w, err := strconv.ParseFloat(want, 64)
				dec := len(want) - strings.IndexByte(want, '.') - 1
				if err != nil || !strings.Contains(want, ".") || math.Abs(got-w) > 0.5*math.Pow(10, -float64(dec))*(1+1e-9) {
					t.Errorf("%s: %s RMSE %.6f, R printed %q", bc.label, name, got, want)
				}
			}
		}
	}
}

// printedRMSE reads the RMSE column of dir's baselines.csv as printed.
func printedRMSE(t *testing.T, dir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "baselines.csv"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		f := strings.Split(line, ",")
		out[f[0]+"/"+f[2]] = f[3]
	}
	return out
}

func TestBenchCasesList(t *testing.T) {
	dir := t.TempDir()
	labels := func(cs []benchCase) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.label)
		}
		return out
	}
	// No cases.csv: the shared series, taylor only with -taylor.
	without, err := benchCases(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	with, err := benchCases(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(labels(without), "taylor") || len(with) != len(without)+1 || labels(with)[len(with)-1] != "taylor" {
		t.Errorf("without -taylor %v, with %v", labels(without), labels(with))
	}
	text := "label,series,target,past,season,h\n" +
		"a,s,y,,12,24\n" +
		" a + x , s , y , x ; z ,12,24\n"
	if err := os.WriteFile(filepath.Join(dir, casesFile), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := benchCases(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []benchCase{{label: "a", series: "s", target: "y", season: 12, h: 24},
		{label: "a + x", series: "s", target: "y", past: []string{"x", "z"}, season: 12, h: 24}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("cases %+v, want %+v", got, want)
	}
	if _, err := benchCases(dir, true); err == nil || !strings.Contains(err.Error(), "-taylor") {
		t.Errorf("-taylor with a cases.csv: %v", err)
	}
}

// TestBenchBadCases runs -bench on folders with wrong cases.csv or
// baselines.csv: each gets exit status 1 and one line naming the fault,
// before any network is trained.
func TestBenchBadCases(t *testing.T) {
	const header = "label,series,target,past,season,h\n"
	const base = "series,h,method,rmse,mae,smape,mase\n" +
		"s,4,naive,2,1,1,1\ns,4,snaive,1,1,1,1\ns,4,ets,1,1,1,1\n"
	cases := []struct {
		name, cases, baselines, msg string
	}{
		{"empty", "", base, "empty file"},
		{"header only", header, base, "no cases"},
		{"wrong header", "label,file,target,past,season,h\ns,s,value,,4,4\n", base, `want "label,series,target,past,season,h"`},
		{"ragged", header + "s,s,value,4,4\n", base, "wrong number of fields"},
		{"bad quote", header + "s,\"s,value,,4,4\n", base, "cases.csv"},
		{"empty label", header + ",s,value,,4,4\n", base, "line 2: empty label"},
		{"path", header + "s,../s,value,,4,4\n", base, `series "../s"`},
		{"empty target", header + "s,s,,,4,4\n", base, "empty target"},
		{"empty covariate", header + "s,s,value,x;;w,4,4\n", base, "empty covariate"},
		{"target as covariate", header + "s,s,value,value,4,4\n", base, "not its own covariate"},
		{"covariate twice", header + "s,s,value,x;x,4,4\n", base, `"x" given twice`},
		{"season 0", header + "s,s,value,,0,4\n", base, `season "0"`},
		{"season text", header + "s,s,value,,four,4\n", base, `season "four"`},
		{"h negative", header + "s,s,value,,4,-4\n", base, `h "-4"`},
		{"label twice", header + "s,s,value,,4,4\ns,s,value,,4,4\n", base, `line 3: label "s" given twice`},
		{"unknown series", header + "s,t,value,,4,4\n", base, "no rows for t"},
		{"other split", header + "s,s,value,,4,6\n", base, "h = 6, but baselines.csv scores s with h = 4"},
		{"no snaive", header + "s,s,value,,4,4\n", "series,h,method,rmse,mae,smape,mase\ns,4,ets,1,1,1,1\n", "no snaive row"},
		{"no R model", header + "s,s,value,,4,4\n", "series,h,method,rmse,mae,smape,mase\ns,4,snaive,1,1,1,1\n", "no ets, arima, theta or stlf row"},
		{"baselines h twice", header + "s,s,value,,4,4\n", base + "s,5,theta,1,1,1,1\n", "earlier h = 4"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		for name, text := range map[string]string{casesFile: c.cases, "baselines.csv": c.baselines} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// No s.csv: a case that got past the checks would fail on it instead.
		code, out, errs := runCmd("-bench", dir, "-quiet")
		if code != 1 || !strings.Contains(errs, c.msg) || strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 1 and one line with %q", c.name, code, out, errs, c.msg)
		}
	}
}

// TestBenchTable runs -bench on a small folder and checks the table's
// rows, its geometric mean (recomputed from the printed ratios) and its
// count of rows that beat seasonal naive.
func TestBenchTable(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("date,y,x\n")
	for i := range 60 {
		y := 10 + 0.1*float64(i) + 3*math.Sin(2*math.Pi*float64(i)/4) + 0.3*math.Sin(float64(i*i))
		fmt.Fprintf(&b, "2000-%02d,%.4f,%d\n", i+1, y, i%7)
	}
	files := map[string]string{
		"s.csv":   b.String(),
		"t.csv":   b.String(),
		casesFile: "label,series,target,past,season,h\nplain,s,y,,4,4\nwith x,s,y,x,4,4\nyearly,t,y,,1,4\n",
		// Made-up R scores: an snaive the network beats (100, s) and one it cannot (0.001, t).
		"baselines.csv": "series,h,method,rmse,mae,smape,mase\n" +
			"s,4,snaive,100,1,1,1\ns,4,ets,2,1,1,1\ns,4,arima,1.5,1,1,1\n" +
			"t,4,snaive,0.001,1,1,1\nt,4,ets,2,1,1,1\nt,4,arima,1.5,1,1,1\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runCmd("-bench", dir, "-quiet", "-max-epochs", "5", "-ensemble", "1", "-kinds", "linear", "-bases", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 8 || !strings.HasPrefix(lines[0], "| series | h | network (selected) |") {
		t.Fatalf("want a header, a rule, 3 rows, a blank line and 2 summary lines:\n%s", out)
	}
	var logSum float64
	beats := 0
	for i, label := range []string{"plain", "with x", "yearly"} {
		cells := strings.Split(lines[2+i], " | ")
		if len(cells) != 12 || cells[0] != "| "+label || cells[1] != "4" || cells[5] != "2.000" || cells[6] != "1.500" || cells[7] != "-" || cells[8] != "1.500" {
			t.Fatalf("row %q", lines[2+i])
		}
		net, err1 := strconv.ParseFloat(cells[3], 64)
		ratio, err2 := strconv.ParseFloat(cells[9], 64)
		if err1 != nil || err2 != nil || math.Abs(ratio-net/1.5) > 5e-4*(1+net) {
			t.Fatalf("row %q: ratio %v for RMSE %v", lines[2+i], ratio, net)
		}
		if cells[10] == "yes" {
			beats++
		}
		sn := map[bool]float64{true: 0.001, false: 100}[label == "yearly"]
		if (cells[10] == "yes") != (net < sn) {
			t.Errorf("row %q: beats snaive %q", lines[2+i], cells[10])
		}
		if label != "with x" {
			logSum += math.Log(ratio)
		}
	}
	var n int
	var geo float64
	if _, err := fmt.Sscanf(lines[6], "Geometric-mean RMSE ratio to the per-series best of R (%d series, with x not counted): %g", &n, &geo); err != nil || n != 2 {
		t.Fatalf("%q: %v", lines[6], err)
	}
	if math.Abs(geo-math.Exp(logSum/2)) > 2e-3 {
		t.Errorf("geometric mean %v, the printed ratios give %v", geo, math.Exp(logSum/2))
	}
	if lines[7] != fmt.Sprintf("Rows where the network beats seasonal naive: %d", beats) || beats != 2 {
		t.Errorf("%q, counted %d", lines[7], beats)
	}
}
