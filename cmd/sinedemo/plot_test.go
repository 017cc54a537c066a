package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkPNG decodes the PNG at path and checks its size is sensible.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	if cfg.Width <= 300 || cfg.Height <= 300 || cfg.Width <= cfg.Height {
		t.Errorf("image is %d×%d px, want a landscape image over 300 px each way", cfg.Width, cfg.Height)
	}
}

func TestPlotLosses(t *testing.T) {
	decay := func(n int, scale float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = scale * math.Exp(-0.1*float64(i))
		}
		return v
	}
	tests := []struct {
		name   string
		curves []namedCurve
	}{
		{"one curve log scale", []namedCurve{{"rnn", decay(100, 1)}}},
		{"several lengths", []namedCurve{{"rnn", decay(50, 1)}, {"lstm", decay(30, 0.5)}, {"gru", decay(80, 2)}}},
		{"narrow range linear", []namedCurve{{"a", []float64{0.5, 0.4, 0.45}}}},
		{"zero loss linear", []namedCurve{{"a", []float64{1, 0.5, 0}}}},
		{"single point", []namedCurve{{"a", []float64{0.3}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "loss.png")
			if err := plotLosses(path, tc.curves, "training loss"); err != nil {
				t.Fatalf("plotLosses: %v", err)
			}
			checkPNG(t, path)
		})
	}
}

func TestPlotForecast(t *testing.T) {
	x, clean, noisy, err := sineSeries(100, 0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		series []namedCurve
	}{
		{"data only", []namedCurve{{"data", noisy}}},
		{"full forecasts", []namedCurve{{"data", noisy}, {"sin", clean}, {"rnn", clean}}},
		{"tail forecast", []namedCurve{{"data", noisy}, {"lstm", clean[80:]}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "forecast.png")
			if err := plotForecast(path, x, tc.series, "forecast"); err != nil {
				t.Fatalf("plotForecast: %v", err)
			}
			checkPNG(t, path)
		})
	}
}

func TestPlotErrors(t *testing.T) {
	x := []float64{0, 1, 2}
	good := []float64{1, 2, 3}
	tests := []struct {
		name    string
		plot    func(path string) error
		wantErr string
	}{
		{"losses no curves", func(p string) error { return plotLosses(p, nil, "") }, "no curves"},
		{"losses empty curve", func(p string) error {
			return plotLosses(p, []namedCurve{{"ok", good}, {"empty", nil}}, "")
		}, `"empty"`},
		{"losses NaN", func(p string) error {
			return plotLosses(p, []namedCurve{{"ok", good}, {"diverged", []float64{1, math.NaN()}}}, "")
		}, `"diverged"`},
		{"losses Inf", func(p string) error {
			return plotLosses(p, []namedCurve{{"big", []float64{math.Inf(1)}}}, "")
		}, `"big"`},
		{"forecast no x", func(p string) error {
			return plotForecast(p, nil, []namedCurve{{"d", good}}, "")
		}, "no x values"},
		{"forecast NaN x", func(p string) error {
			return plotForecast(p, []float64{0, math.NaN(), 2}, []namedCurve{{"d", good}}, "")
		}, "index 1"},
		{"forecast no series", func(p string) error { return plotForecast(p, x, nil, "") }, "no curves"},
		{"forecast NaN", func(p string) error {
			return plotForecast(p, x, []namedCurve{{"d", good}, {"gru", []float64{0, math.NaN(), 0}}}, "")
		}, `"gru"`},
		{"forecast too long", func(p string) error {
			return plotForecast(p, x, []namedCurve{{"long", []float64{1, 2, 3, 4}}}, "")
		}, `"long"`},
		{"unwritable path", func(p string) error {
			return plotLosses(filepath.Join(p, "no", "dir.png"), []namedCurve{{"a", good}}, "")
		}, "save plot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.png")
			err := tc.plot(path)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("failed plot left files behind: %v", entries)
			}
		})
	}
}
