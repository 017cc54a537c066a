package main

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gornn/gornn/trainers"
)

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		epochs: 500, batch: 8, units: 20, window: 10, points: 50, noise: 0.1, seed: 1, lr: 0.01,
		optimizer: "sgd", cells: []string{"simple_rnn", "lstm"}, out: "sinedemo-out", valSplit: 0.2,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults\n got %+v\nwant %+v", cfg, want)
	}
}

func TestParseFlagsCSV(t *testing.T) {
	cfg, err := parseFlags([]string{"-csv", "a.csv", "-column", "v", "-missing", "Drop",
		"-val-split", "0.3", "-forecast", "one-step", "-optimizer", "RMSprop", "-cells", " gru , lstm "}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.csvPath != "a.csv" || cfg.column != "v" || cfg.missing != MissingDrop || cfg.valSplit != 0.3 ||
		cfg.forecast != forecastOneStep || cfg.optimizer != "rmsprop" || !reflect.DeepEqual(cfg.cells, []string{"gru", "lstm"}) {
		t.Errorf("parsed %+v", cfg)
	}
}

func TestGroupThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 461: "461", 1781: "1,781", 1000000: "1,000,000", -12345: "-12,345"} {
		if got := groupThousands(n); got != want {
			t.Errorf("groupThousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRMSE(t *testing.T) {
	if got := rmse([]float64{1, 2, 3}, []float64{1, 2, 3}); got != 0 {
		t.Errorf("equal slices: %v", got)
	}
	if got := rmse([]float64{0, 0}, []float64{3, 4}); math.Abs(got-math.Sqrt(12.5)) > 1e-15 {
		t.Errorf("rmse = %v, want √12.5", got)
	}
	if got := rmse([]float64{1}, nil); !math.IsNaN(got) {
		t.Errorf("different lengths: %v, want NaN", got)
	}
}

// TestForecasts checks the two forecast modes against single predictions:
// the first recursive step and every one-step prediction are predictNext on
// true values, and a recursive forecast feeds its own predictions back.
func TestForecasts(t *testing.T) {
	const window = 4
	m, err := buildModel("gru", 3, window, 7)
	if err != nil {
		t.Fatal(err)
	}
	series := []float64{0.1, -0.2, 0.3, 0.5, -0.1, 0.0, 0.4, 0.2}
	rec, err := forecastRecursively(m, series[:window], window, 3)
	if err != nil {
		t.Fatal(err)
	}
	one, err := forecastOneStepAhead(m, series, window, window)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != 3 || len(one) != len(series)-window {
		t.Fatalf("lengths %d and %d, want 3 and %d", len(rec), len(one), len(series)-window)
	}
	for i := range one {
		want, err := predictNext(m, series[i:i+window])
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(one[i]-want) > 1e-6 {
			t.Errorf("one-step %d: %v, want %v", i, one[i], want)
		}
	}
	fed := append(append([]float64(nil), series[1:window]...), rec[0])
	want, err := predictNext(m, fed)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rec[0]-one[0]) > 1e-6 || math.Abs(rec[1]-want) > 1e-6 {
		t.Errorf("recursive %v: first must equal one-step %v, second the prediction from %v (%v)", rec, one[0], fed, want)
	}
	if _, err := forecastRecursively(m, series[:2], window, 1); err == nil {
		t.Error("a seed shorter than the window: no error")
	}
}

func TestLineProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressFactory(config{epochs: 25}, &buf)("lstm")
	s := &trainers.FitState{Epochs: 25}
	for e := range 25 {
		if err := p.OnEpochEnd(s, e, trainers.Logs{"loss": 1 / float64(e+1)}); err != nil {
			t.Fatal(err)
		}
	}
	p.close()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// Every 2nd epoch (25/10 rounds down to 2), and the last.
	if len(lines) != 13 || lines[0] != "lstm: epoch 2/25 - loss: 0.5000" || lines[12] != "lstm: epoch 25/25 - loss: 0.0400" {
		t.Errorf("progress lines:\n%s", buf.String())
	}
}

func TestQuietProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressFactory(config{epochs: 5, quiet: true}, &buf)("lstm")
	_ = p.OnEpochEnd(&trainers.FitState{Epochs: 5}, 4, trainers.Logs{"loss": 1})
	p.close()
	if buf.Len() != 0 {
		t.Errorf("-quiet printed %q", buf.String())
	}
}

func TestBarProgress(t *testing.T) {
	for _, epochs := range []int{3, 5} { // all done, and stopped early
		var buf bytes.Buffer
		p := &barProgress{w: &buf, name: "simple_rnn"}
		s := &trainers.FitState{Epochs: 5}
		if err := p.OnTrainBegin(s); err != nil {
			t.Fatal(err)
		}
		for e := range epochs {
			_ = p.OnEpochEnd(s, e, trainers.Logs{"loss": 0.25})
		}
		p.close()
		p.close() // a second close does nothing
		out := buf.String()
		if !strings.Contains(out, "simple_rnn") || !strings.HasSuffix(out, "\n") {
			t.Errorf("%d of 5 epochs: bar output %q", epochs, out)
		}
	}
}
