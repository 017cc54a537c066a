package main

import (
	"bytes"
	"errors"
	"image/png"
	"io"
	"math"
	"os"
	"strings"
	"testing"
)

// checkPNG decodes the PNG at path and checks its size is sensible.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkPNGData(t, path, data)
}

// checkPNGData decodes data, a PNG from the named source, and checks its
// size is sensible.
func checkPNGData(t *testing.T, name string, data []byte) {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding %s: %v", name, err)
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
			var buf bytes.Buffer
			if err := plotLosses(&buf, tc.curves, "training loss"); err != nil {
				t.Fatalf("plotLosses: %v", err)
			}
			checkPNGData(t, "loss plot", buf.Bytes())
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
			var buf bytes.Buffer
			if err := plotForecast(&buf, x, tc.series, "forecast"); err != nil {
				t.Fatalf("plotForecast: %v", err)
			}
			checkPNGData(t, "forecast plot", buf.Bytes())
		})
	}
}

func TestPlotErrors(t *testing.T) {
	x := []float64{0, 1, 2}
	good := []float64{1, 2, 3}
	tests := []struct {
		name    string
		plot    func(w io.Writer) error
		wantErr string
	}{
		{"losses no curves", func(w io.Writer) error { return plotLosses(w, nil, "") }, "no curves"},
		{"losses empty curve", func(w io.Writer) error {
			return plotLosses(w, []namedCurve{{"ok", good}, {"empty", nil}}, "")
		}, `"empty"`},
		{"losses NaN", func(w io.Writer) error {
			return plotLosses(w, []namedCurve{{"ok", good}, {"diverged", []float64{1, math.NaN()}}}, "")
		}, `"diverged"`},
		{"losses Inf", func(w io.Writer) error {
			return plotLosses(w, []namedCurve{{"big", []float64{math.Inf(1)}}}, "")
		}, `"big"`},
		{"forecast no x", func(w io.Writer) error {
			return plotForecast(w, nil, []namedCurve{{"d", good}}, "")
		}, "no x values"},
		{"forecast NaN x", func(w io.Writer) error {
			return plotForecast(w, []float64{0, math.NaN(), 2}, []namedCurve{{"d", good}}, "")
		}, "index 1"},
		{"forecast no series", func(w io.Writer) error { return plotForecast(w, x, nil, "") }, "no curves"},
		{"forecast NaN", func(w io.Writer) error {
			return plotForecast(w, x, []namedCurve{{"d", good}, {"gru", []float64{0, math.NaN(), 0}}}, "")
		}, `"gru"`},
		{"forecast too long", func(w io.Writer) error {
			return plotForecast(w, x, []namedCurve{{"long", []float64{1, 2, 3, 4}}}, "")
		}, `"long"`},
		{"failing writer", func(io.Writer) error {
			return plotLosses(failingWriter{}, []namedCurve{{"a", good}}, "")
		}, "write plot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := tc.plot(&buf)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
			if buf.Len() != 0 {
				t.Errorf("failed plot wrote %d bytes", buf.Len())
			}
		})
	}
}

// failingWriter is an io.Writer whose every write fails.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
