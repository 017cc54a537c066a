package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestRunFlagLimits checks that flag values beyond the documented maxima,
// alone or together, are one clear error line before anything trains
// (nothing is written, -out is not created), as the other flag errors.
func TestRunFlagLimits(t *testing.T) {
	maxInt := strconv.Itoa(math.MaxInt)
	long := filepath.Join(t.TempDir(), "long.csv")
	var b strings.Builder
	b.WriteString("v\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "%g\n", math.Sin(float64(i)))
	}
	if err := os.WriteFile(long, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"units", []string{"-units", "100000"}, "-units 100000: must be at least 1 and at most 1024"},
		{"units max int", []string{"-units", maxInt}, "-units " + maxInt + ": must be at least 1 and at most 1024"},
		{"epochs", []string{"-epochs", "1000000000"}, "-epochs 1000000000: must be at least 1 and at most 100000"},
		{"batch", []string{"-batch", maxInt}, "-batch " + maxInt + ": must be at least 1 and at most 65536"},
		{"window", []string{"-window", "100000"}, "-window 100000: must be at least 1 and at most 1000"},
		{"window max int", []string{"-window", maxInt}, "-window " + maxInt},
		{"points", []string{"-points", "10000000"}, "-points 10000000: must be at most 100000"},
		{"points max int", []string{"-points", maxInt}, "must be at most 100000"},
		{"window values", []string{"-window", "1000", "-points", "100000"}, "99000 training windows of -window 1000: more than 10000000 values"},
		{"training memory", []string{"-units", "1024", "-window", "1000", "-points", "2000"}, "lower -units, -window or -batch"},
		{"training memory batch", []string{"-units", "512", "-window", "200", "-batch", "4096", "-points", "5000"}, "GiB, more than 4 GiB"},
		{"csv training memory", []string{"-csv", "testdata/co2.csv", "-column", "co2", "-missing", "drop", "-units", "1024", "-window", "1000"},
			"training would take about"},
		{"csv window values", []string{"-csv", long, "-column", "v", "-window", "1000"},
			"15000 training windows of -window 1000: more than 10000000 values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"-out", out, "-quiet"}, tc.args...)
			r := runCmd(t, context.Background(), args...)
			checkFailure(t, r, tc.want)
			if strings.Contains(r.stdout, "trained") {
				t.Errorf("trained before failing:\n%s", r.stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("failed run created %s", out)
			}
		})
	}
}

// TestFlagMaxima checks that the maxima themselves are accepted, and that
// the usage names them.
func TestFlagMaxima(t *testing.T) {
	cfg, err := parseFlags([]string{"-epochs", fmt.Sprint(maxEpochs), "-batch", fmt.Sprint(maxBatch), "-units", fmt.Sprint(maxUnits)}, &strings.Builder{})
	if err != nil {
		t.Errorf("-epochs, -batch, -units at their maxima: %v", err)
	}
	if cfg.units != maxUnits || cfg.batch != maxBatch || cfg.epochs != maxEpochs {
		t.Errorf("parsed %+v", cfg)
	}
	if _, err := parseFlags([]string{"-window", fmt.Sprint(maxWindow), "-points", fmt.Sprint(maxWindow + 100)}, &strings.Builder{}); err != nil {
		t.Errorf("-window at its maximum: %v", err)
	}
	if _, err := parseFlags([]string{"-points", fmt.Sprint(maxPoints)}, &strings.Builder{}); err != nil {
		t.Errorf("-points at its maximum: %v", err)
	}
	r := runCmd(t, context.Background(), "-h")
	for _, want := range []string{"(at most 100000)", "(at most 65536)", "(at most 1024)", "at most 1000)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("usage lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestRunUnwritableOut checks that an -out that cannot be created or
// written to is one error line before any training (nothing on stdout).
func TestRunUnwritableOut(t *testing.T) {
	var dirs []string
	// A read-only directory (not read-only for root, which is skipped).
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o755) })
	if f, err := os.CreateTemp(ro, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Log("permissions are not enforced (root?): no read-only directory case")
	} else {
		dirs = append(dirs, ro, filepath.Join(ro, "sub", "out"))
	}
	// procfs refuses new files and directories, whoever asks.
	if runtime.GOOS == "linux" {
		if fi, err := os.Stat("/proc/self"); err == nil && fi.IsDir() {
			dirs = append(dirs, "/proc", "/proc/sinedemo-out")
		}
	}
	if len(dirs) == 0 {
		t.Skip("no unwritable directory to test with")
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			r := runCmd(t, context.Background(), "-epochs", "1", "-quiet", "-out", dir)
			checkFailure(t, r, "output directory "+dir+": cannot")
			if r.stdout != "" {
				t.Errorf("stdout not empty, so it did not fail first:\n%s", r.stdout)
			}
		})
	}
}

// TestOutDirProbeLeavesNothing checks that the probe of the output
// directory leaves no file, and that directories it created for a run that
// fails later are removed again.
func TestOutDirProbeLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "-epochs", "1", "-quiet", "-cells", "simple_rnn", "-out", dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "forecast.csv forecast.png history.csv losses.png" {
		t.Errorf("output directory holds %q, want the four outputs only", names)
	}

	top := filepath.Join(t.TempDir(), "a")
	short := filepath.Join(t.TempDir(), "short.csv")
	if err := os.WriteFile(short, []byte("v\n1\n2\n3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, context.Background(), "-quiet", "-out", filepath.Join(top, "b", "c"), "-csv", short, "-column", "v")
	checkFailure(t, r, "shorter than window + 1")
	if _, err := os.Stat(top); err == nil {
		t.Errorf("failed run left %s behind", top)
	}
}
