package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// runResult is what one in-process run of the command produced.
type runResult struct {
	code           int
	stdout, stderr string
}

// runCmd runs the command in-process with args.
func runCmd(t *testing.T, ctx context.Context, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return runResult{code, stdout.String(), stderr.String()}
}

// mustRun runs the command and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) runResult {
	t.Helper()
	r := runCmd(t, context.Background(), args...)
	if r.code != 0 {
		t.Fatalf("run %q: exit %d, stderr:\n%s", args, r.code, r.stderr)
	}
	return r
}

// csvColumn returns the named column of rows (header first) as numbers.
func csvColumn(t *testing.T, rows [][]string, name string) []float64 {
	t.Helper()
	col := -1
	for i, h := range rows[0] {
		if h == name {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no column %q in header %q", name, rows[0])
	}
	v := make([]float64, len(rows)-1)
	for i, r := range rows[1:] {
		f, err := strconv.ParseFloat(r[col], 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			t.Fatalf("column %q row %d: %q is not a finite number", name, i+1, r[col])
		}
		v[i] = f
	}
	return v
}

// jsonOut decodes the -json report strictly, so renamed fields fail.
func jsonOut(t *testing.T, s string) jsonReport {
	t.Helper()
	if n := strings.Count(strings.TrimSpace(s), "\n"); n != 0 {
		t.Errorf("-json printed %d lines, want one JSON object on one line:\n%s", n+1, s)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var r jsonReport
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decoding -json output: %v\n%s", err, s)
	}
	return r
}

func TestRunSine(t *testing.T) {
	const epochs = 20
	dir := filepath.Join(t.TempDir(), "out")
	r := mustRun(t, "-epochs", strconv.Itoa(epochs), "-out", dir)

	for _, want := range []string{
		"x: (40, 10, 1)  t: (40, 10, 1)",
		`Model: "simple_rnn"`, "simple_rnn (SimpleRNN)", "Total params: 461\n",
		`Model: "lstm"`, "lstm (LSTM)", "Total params: 1,781\n",
		"simple_rnn: trained 20 epochs in ", "lstm: trained 20 epochs in ",
		"zero (baseline)", filepath.Join(dir, "forecast.csv"),
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// stderr is not a terminal: one progress line every 2 epochs, per model.
	if n := strings.Count(r.stderr, "lstm: epoch "); n != epochs/2 {
		t.Errorf("stderr has %d lstm progress lines, want %d:\n%s", n, epochs/2, r.stderr)
	}

	checkPNG(t, filepath.Join(dir, "losses.png"))
	checkPNG(t, filepath.Join(dir, "forecast.png"))

	hist := readCSV(t, filepath.Join(dir, "history.csv"))
	if len(hist) != epochs+1 {
		t.Fatalf("history.csv has %d rows, want header + %d", len(hist), epochs)
	}
	for _, name := range []string{"simple_rnn", "lstm"} {
		loss := csvColumn(t, hist, name)
		if !(loss[epochs-1] < loss[0]) {
			t.Errorf("%s: loss went from %v to %v, want it to fall", name, loss[0], loss[epochs-1])
		}
	}

	fc := readCSV(t, filepath.Join(dir, "forecast.csv"))
	if len(fc) != 40+1 {
		t.Fatalf("forecast.csv has %d rows, want header + 40", len(fc))
	}
	if got, want := strings.Join(fc[0], ","), "x,sin,data,simple_rnn,lstm"; got != want {
		t.Errorf("forecast.csv header %q, want %q", got, want)
	}
	xs, sin := csvColumn(t, fc, "x"), csvColumn(t, fc, "sin")
	for i := range xs {
		if math.Abs(math.Sin(xs[i])-sin[i]) > 1e-12 {
			t.Fatalf("row %d: sin column %v is not sin(%v)", i+1, sin[i], xs[i])
		}
	}
	csvColumn(t, fc, "lstm") // finite numbers
}

func TestRunJSON(t *testing.T) {
	dir := t.TempDir()
	r := mustRun(t, "-json", "-quiet", "-epochs", "3", "-cells", "lstm, gru,simple_rnn", "-optimizer", "adam", "-out", dir)
	if r.stderr != "" {
		t.Errorf("-quiet: stderr not empty:\n%s", r.stderr)
	}
	rep := jsonOut(t, r.stdout)
	wantParams := map[string]int{"lstm": 1781, "gru": 1401, "simple_rnn": 461}
	if len(rep.Models) != 3 {
		t.Fatalf("%d models, want 3", len(rep.Models))
	}
	for i, name := range []string{"lstm", "gru", "simple_rnn"} {
		m := rep.Models[i]
		if m.Name != name || m.Params != wantParams[name] || m.Epochs != 3 {
			t.Errorf("model %d = %+v, want name %s, params %d, epochs 3", i, m, name, wantParams[name])
		}
		if !(m.TrainSeconds > 0) || !(m.FinalLoss > 0) || !(m.ForecastRMSE > 0) {
			t.Errorf("model %s: train_seconds, final_loss and forecast_rmse must be positive: %+v", name, m)
		}
	}
	if rep.Baseline.Name != "zero" || !(rep.Baseline.ForecastRMSE > 0) {
		t.Errorf("baseline %+v, want zero with a positive RMSE", rep.Baseline)
	}
	if len(rep.Files) != 4 {
		t.Errorf("files %q, want 4", rep.Files)
	}
	for _, f := range rep.Files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("listed file: %v", err)
		}
	}

	// The JSON field names are an interface: check them literally.
	for _, key := range []string{`"models":[{"name":"lstm","params":1781,"epochs":3,"train_seconds":`,
		`"final_loss":`, `"forecast_rmse":`, `"files":["`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("-json output lacks %s:\n%s", key, r.stdout)
		}
	}
}

// TestRunFullExperiment trains the default experiment (500 epochs) once and
// checks what the demo claims: the LSTM's forecast beats a constant zero.
func TestRunFullExperiment(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 500 epochs")
	}
	r := mustRun(t, "-json", "-quiet", "-out", t.TempDir())
	rep := jsonOut(t, r.stdout)
	// The RMSE of predicting 0 for sin(x) at the 40 forecast points,
	// computed here rather than taken from the report.
	var ss float64
	for i := 10; i < 50; i++ {
		s := math.Sin(-2*math.Pi + float64(i)*4*math.Pi/49)
		ss += s * s
	}
	zero := math.Sqrt(ss / 40)
	if math.Abs(rep.Baseline.ForecastRMSE-zero) > 1e-9 {
		t.Errorf("baseline RMSE %v, want %v", rep.Baseline.ForecastRMSE, zero)
	}
	for _, m := range rep.Models {
		if m.Epochs != 500 {
			t.Errorf("%s ran %d epochs, want 500", m.Name, m.Epochs)
		}
		if m.Name == "lstm" && !(m.ForecastRMSE < zero) {
			t.Errorf("lstm forecast RMSE %v does not beat the constant-zero forecast's %v", m.ForecastRMSE, zero)
		}
	}
	t.Logf("%+v", rep.Models)
}

func TestRunCSV(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		n, held int     // values after missing handling, held-out tail
		lo, hi  float64 // plausible range of the forecasts, original units
		stdout  string
	}{
		{
			name: "sunspots",
			args: []string{"-csv", "testdata/sunspots.csv", "-column", "SUNACTIVITY"},
			n:    309, held: 62, lo: -100, hi: 400,
			stdout: "309 values, none missing",
		},
		{
			name: "co2 interpolate",
			args: []string{"-csv", "testdata/co2.csv", "-column", "co2", "-missing", "interpolate", "-forecast", "one-step"},
			n:    2284, held: 457, lo: 250, hi: 450,
			stdout: "59 missing filled by linear interpolation",
		},
		{
			name: "co2 drop",
			args: []string{"-csv", "testdata/co2.csv", "-column", "co2", "-missing", "drop", "-val-split", "0.1"},
			n:    2225, held: 223, lo: 250, hi: 450,
			stdout: "2225 values after dropping 59 missing",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"-epochs", "2", "-cells", "simple_rnn,lstm", "-out", dir}, tc.args...)
			r := mustRun(t, args...)
			if !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, r.stdout)
			}
			train := tc.n - tc.held
			if want := "x: " + formatShape(train-10, 10, 1); !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
			}
			if !strings.Contains(r.stdout, "persistence (baseline)") {
				t.Errorf("stdout lacks the persistence baseline:\n%s", r.stdout)
			}
			checkPNG(t, filepath.Join(dir, "forecast.png"))
			checkPNG(t, filepath.Join(dir, "losses.png"))
			if h := readCSV(t, filepath.Join(dir, "history.csv")); len(h) != 3 {
				t.Errorf("history.csv has %d rows, want header + 2", len(h))
			}
			fc := readCSV(t, filepath.Join(dir, "forecast.csv"))
			if len(fc) != tc.held+1 {
				t.Fatalf("forecast.csv has %d rows, want header + %d", len(fc), tc.held)
			}
			index := csvColumn(t, fc, "index")
			if index[0] != float64(train) || index[len(index)-1] != float64(tc.n-1) {
				t.Errorf("index runs %v..%v, want %d..%d", index[0], index[len(index)-1], train, tc.n-1)
			}
			for _, name := range []string{"simple_rnn", "lstm", "persistence"} {
				for i, v := range csvColumn(t, fc, name) {
					if v < tc.lo || v > tc.hi {
						t.Fatalf("%s row %d: forecast %v outside [%v, %v]: not in original units?", name, i+1, v, tc.lo, tc.hi)
					}
				}
			}
		})
	}
}

// TestRunCSVPersistence checks the baseline against values computed here.
func TestRunCSVPersistence(t *testing.T) {
	values, _, err := loadColumn("testdata/sunspots.csv", "SUNACTIVITY", MissingError)
	if err != nil {
		t.Fatal(err)
	}
	train, val := values[:247], values[247:]
	var recursive, oneStep float64
	for i, v := range val {
		recursive += (v - train[246]) * (v - train[246])
		prev := values[246+i]
		oneStep += (v - prev) * (v - prev)
	}
	for mode, want := range map[string]float64{
		"recursive": math.Sqrt(recursive / 62),
		"one-step":  math.Sqrt(oneStep / 62),
	} {
		r := mustRun(t, "-json", "-quiet", "-epochs", "1", "-cells", "simple_rnn", "-out", t.TempDir(),
			"-csv", "testdata/sunspots.csv", "-column", "SUNACTIVITY", "-forecast", mode)
		rep := jsonOut(t, r.stdout)
		if rep.Baseline.Name != "persistence" || math.Abs(rep.Baseline.ForecastRMSE-want) > 1e-9 {
			t.Errorf("%s: baseline %+v, want persistence with RMSE %v", mode, rep.Baseline, want)
		}
	}
}

func TestRunErrors(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, contents string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(contents), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.csv", "t,v\n1,0.5\n2,x7\n3,1\n")
	short := write("short.csv", "v\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n")
	shortTrain := write("shorttrain.csv", "v\n"+strings.Repeat("1\n2\n", 6))
	constant := write("constant.csv", "v\n"+strings.Repeat("3\n", 30))
	notDir := write("file", "")

	tests := []struct {
		name string
		args []string
		want string // in the message
	}{
		{"unreadable file", []string{"-csv", filepath.Join(tmp, "none.csv"), "-column", "v"}, "no such file"},
		{"unknown column", []string{"-csv", "testdata/sunspots.csv", "-column", "spots"}, `no column "spots"`},
		{"non-numeric", []string{"-csv", bad, "-column", "v"}, `line 3: column "v": invalid number "x7"`},
		{"missing values", []string{"-csv", "testdata/co2.csv", "-column", "co2"}, "59 of 2284 values missing (first on line 8)"},
		{"short series", []string{"-csv", short, "-column", "v"}, "10 values, shorter than window + 1 = 11"},
		{"short training part", []string{"-csv", shortTrain, "-column", "v"}, "training part (10 of 12 values, -val-split 0.2) is shorter than window + 1 = 11"},
		{"short sine", []string{"-points", "10"}, "series shorter than window + 1 = 11"},
		{"constant series", []string{"-csv", constant, "-column", "v"}, "standard deviation is 0"},
		{"epochs zero", []string{"-epochs", "0"}, "-epochs 0: must be at least 1"},
		{"epochs not a number", []string{"-epochs", "ten"}, `invalid value "ten" for flag -epochs`},
		{"unknown flag", []string{"-epoch", "10"}, "flag provided but not defined: -epoch"},
		{"batch", []string{"-batch", "-1"}, "-batch -1"},
		{"units", []string{"-units", "0"}, "-units 0"},
		{"window", []string{"-window", "0"}, "-window 0"},
		{"noise", []string{"-noise", "-0.5"}, "-noise -0.5"},
		{"lr", []string{"-lr", "0"}, "-lr 0"},
		{"lr NaN", []string{"-lr", "NaN"}, "-lr NaN"},
		{"optimizer", []string{"-optimizer", "adagrad"}, `-optimizer "adagrad": want sgd, adam or rmsprop`},
		{"cells unknown", []string{"-cells", "simple_rnn,transformer"}, `unknown layer "transformer"`},
		{"cells empty", []string{"-cells", ", "}, "no layer given"},
		{"cells twice", []string{"-cells", "lstm,lstm"}, "lstm given twice"},
		{"missing policy", []string{"-csv", "testdata/co2.csv", "-column", "co2", "-missing", "mean"}, `unknown missing-value policy "mean"`},
		{"val-split", []string{"-csv", "testdata/co2.csv", "-column", "co2", "-val-split", "1"}, "-val-split 1"},
		{"forecast", []string{"-csv", "testdata/co2.csv", "-column", "co2", "-forecast", "direct"}, `-forecast "direct"`},
		{"column without csv", []string{"-column", "co2"}, "-column needs -csv"},
		{"csv without column", []string{"-csv", "testdata/co2.csv"}, "-csv needs -column"},
		{"points with csv", []string{"-csv", "testdata/co2.csv", "-column", "co2", "-points", "60"}, "-points applies to the sine series"},
		{"argument", []string{"-epochs", "5", "extra"}, `unexpected argument "extra"`},
		{"out is a file", []string{"-out", notDir}, "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"-epochs", "1", "-out", out, "-quiet"}, tc.args...)
			r := runCmd(t, context.Background(), args...)
			checkFailure(t, r, tc.want)
			if _, err := os.Stat(out); err == nil {
				t.Errorf("failed run created %s", out)
			}
		})
	}
}

// checkFailure checks that a run failed with exit status 2 and one line
// "sinedemo: …" on stderr containing want.
func checkFailure(t *testing.T, r runResult, want string) {
	t.Helper()
	if r.code != exitError {
		t.Errorf("exit status %d, want %d", r.code, exitError)
	}
	if !strings.HasPrefix(r.stderr, "sinedemo: ") || strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr is not one line starting with \"sinedemo: \":\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
	if strings.Contains(r.stderr, "goroutine") {
		t.Errorf("stderr holds a stack trace:\n%s", r.stderr)
	}
}

// TestRunFailedWriteLeavesNothing makes the third output's name a directory
// and checks that no output file and no temporary file is left.
func TestRunFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "forecast.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, context.Background(), "-epochs", "2", "-quiet", "-out", dir)
	checkFailure(t, r, "forecast.png")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "forecast.png" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("output directory holds %q, want only the directory forecast.png", names)
	}
}

// TestRunFailedWriteKeepsOldOutputs gives the run an output directory that
// an earlier run filled, except that its last output's name is taken by a
// directory, and checks that the failed run changes nothing there and
// leaves no temporary files.
func TestRunFailedWriteKeepsOldOutputs(t *testing.T) {
	dir := t.TempDir()
	old := map[string]string{"losses.png": "old losses", "history.csv": "old history", "forecast.png": "old forecast plot"}
	writeDir(t, dir, old)
	if err := os.Mkdir(filepath.Join(dir, "forecast.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := readDir(t, dir)
	r := runCmd(t, context.Background(), "-epochs", "2", "-quiet", "-out", dir)
	checkFailure(t, r, "forecast.csv: is a directory")
	if got := readDir(t, dir); !maps.Equal(got, before) {
		t.Errorf("output directory holds %q, want it unchanged: %q", got, before)
	}
}

// TestRunAllMissing checks that a column with no value at all is reported
// as such, under every -missing policy, without suggesting -missing, which
// cannot help; a column with some values missing still suggests it.
func TestRunAllMissing(t *testing.T) {
	tmp := t.TempDir()
	files := map[string]string{
		"cells.csv":     "t,v\n1,\n2,NA\n3,nan\n",
		"oneColumn.csv": "v\nNA\n\nNaN\n\n",
	}
	for name, data := range files {
		writeDir(t, tmp, map[string]string{name: data})
		for _, policy := range []string{"error", "drop", "interpolate"} {
			r := runCmd(t, context.Background(), "-epochs", "1", "-quiet", "-out", filepath.Join(tmp, "out"),
				"-csv", filepath.Join(tmp, name), "-column", "v", "-missing", policy)
			checkFailure(t, r, `column "v": all 3 values are missing`)
			for _, hint := range []string{"-missing", "drop or interpolate"} {
				if strings.Contains(r.stderr, hint) {
					t.Errorf("%s, -missing %s: message suggests %q, which cannot help: %s", name, policy, hint, r.stderr)
				}
			}
		}
	}
	writeDir(t, tmp, map[string]string{"some.csv": "v\n1\n\n3\n"})
	r := runCmd(t, context.Background(), "-epochs", "1", "-quiet", "-out", filepath.Join(tmp, "out"),
		"-csv", filepath.Join(tmp, "some.csv"), "-column", "v")
	checkFailure(t, r, "1 of 3 values missing (first on line 3); use missing-value policy drop or interpolate (flag -missing)")
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "out")
	r := runCmd(t, ctx, "-epochs", "5", "-out", out)
	checkFailure(t, r, "context canceled")
	if _, err := os.Stat(out); err == nil {
		t.Errorf("cancelled run created %s", out)
	}
}

func TestRunHelp(t *testing.T) {
	r := runCmd(t, context.Background(), "-h")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("-h: exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "Usage:"); n != 1 {
		t.Errorf("-h printed the usage %d times, want once:\n%s", n, r.stdout)
	}
	for _, flag := range []string{"-epochs", "-batch", "-units", "-window", "-points", "-noise", "-seed", "-lr",
		"-optimizer", "-cells", "-out", "-quiet", "-json", "-csv", "-column", "-missing", "-val-split", "-forecast"} {
		if !strings.Contains(r.stdout, "  "+flag+" ") && !strings.Contains(r.stdout, "  "+flag+"\n") {
			t.Errorf("usage lacks %s:\n%s", flag, r.stdout)
		}
	}
}
