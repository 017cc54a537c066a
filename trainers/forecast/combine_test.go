package forecast

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
)

// TestCombination fits the default candidate pool (three kinds, two
// bases) and checks that the forecast is the mean of the best candidate
// of every (kind, base) group, that SelectOne keeps one, and that
// Save/Load keeps the combination bit for bit.
func TestCombination(t *testing.T) {
	y := smallSeries()
	s := Series{Target: y[:56]}
	st := Settings{Season: 4, Horizon: 4, Windows: []int{4, 8}, Units: []int{4}, MaxEpochs: 8, Patience: 3, Seed: 1, Ensemble: 2}
	net, err := Fit(context.Background(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	// lstm, linear, mlp × bases 1, 3 × windows 4, 8 (one unit count).
	if len(net.Candidates) != 12 || len(net.Members()) != 6 || len(net.Models()) != 12 || !strings.HasPrefix(net.Name(), "mean(") {
		t.Fatalf("%d candidates, members %v, %d models, name %s", len(net.Candidates), net.Members(), len(net.Models()), net.Name())
	}
	for _, m := range net.Members() {
		for _, c := range net.Candidates {
			if c.Kind == m.Kind && c.Base == m.Base && c.ValMASE < m.ValMASE {
				t.Errorf("member %s (%.4f) is not its group's best: %s (%.4f)", m.Name(), m.ValMASE, c.Name(), c.ValMASE)
			}
		}
	}
	got, err := net.Forecast(s)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, 4)
	for _, mb := range net.members {
		f, err := net.prepFor(mb.Candidate).forecastAt(mb.models, s, mb.Window, 56, 57, 4)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			want[k] += f[k] / 6
		}
	}
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-9*math.Abs(want[k]) {
			t.Errorf("step %d: forecast %v, mean of the members %v", k+1, got[k], want[k])
		}
	}
	p := filepath.Join(t.TempDir(), "combo.safetensors")
	if err := net.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := back.Forecast(s); err != nil || !slices.Equal(g, got) || back.Name() != net.Name() {
		t.Errorf("loaded %s: %v (%v), want %v", back.Name(), g, err, got)
	}
	one := st
	one.SelectOne = true
	single, err := Fit(context.Background(), s, one)
	if err != nil || len(single.Members()) != 1 || single.Members()[0] != single.Candidate || single.Name() != single.Candidate.Name() {
		t.Errorf("SelectOne: %v, %v", single.Members(), err)
	}
	for _, bad := range []Settings{
		{Horizon: 2, Bases: []int{0}},
		{Horizon: 2, Kinds: []Kind{9}},
		{Horizon: 2, Log: 7},
	} {
		// Settings errors are gornn's configuration errors too.
		if _, err := Fit(context.Background(), s, bad); !errors.Is(err, ErrArgument) || !errors.Is(err, graph.ErrConfig) {
			t.Errorf("%+v: %v, want ErrArgument and graph.ErrConfig", bad, err)
		}
	}
	for _, name := range []string{"lstm", "linear", "mlp"} {
		if k, err := ParseKind(name); err != nil || k.String() != name {
			t.Errorf("ParseKind(%q) = %v, %v", name, k, err)
		}
	}
	if _, err := ParseKind("gru"); !errors.Is(err, ErrArgument) {
		t.Errorf("ParseKind(gru): %v", err)
	}
}

func TestLogScaler(t *testing.T) {
	x := []float64{1, math.E, math.E * math.E}
	s, err := FitLogScaler(Standard, x)
	if err != nil || !s.Log || math.Abs(s.Center-1) > 1e-12 {
		t.Fatalf("%+v, %v", s, err)
	}
	back := s.Inverse(s.Transform(x))
	for i := range x {
		if math.Abs(back[i]-x[i]) > 1e-12*x[i] {
			t.Errorf("round trip %v, want %v", back, x)
		}
	}
	for _, bad := range [][]float64{{1, 0}, {-1, 2}, {1, math.Inf(1)}} {
		if _, err := FitLogScaler(Standard, bad); !errors.Is(err, ErrData) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	y := smallSeries()
	y[3] = -1
	auto := fast
	if net, err := Fit(context.Background(), Series{Target: y}, auto); err != nil || net.target.Log {
		t.Errorf("LogAuto with a negative value: log %v, %v", net != nil && net.target.Log, err)
	}
	always := fast
	always.Log = LogAlways
	if _, err := Fit(context.Background(), Series{Target: y}, always); !errors.Is(err, ErrData) {
		t.Errorf("LogAlways with a negative value: %v", err)
	}
	never := fast
	never.Log = LogNever
	if net, err := Fit(context.Background(), Series{Target: smallSeries()}, never); err != nil || net.target.Log {
		t.Errorf("LogNever: %v", err)
	}
}

func TestBaseRow(t *testing.T) {
	z := []float64{1, 2, 3, 4, 5, 6, 9, 8, 7}
	p := &prepared{season: 3, baseSeasons: 1}
	if got := p.baseRow(z, 9, 4); !slices.Equal(got, []float64{9, 8, 7, 9}) {
		t.Errorf("one season (seasonal naive): %v", got)
	}
	// Two seasons: level 8 (mean of 9, 8, 7) plus the mean of the
	// profiles (1, 0, −1) and (−1, 0, 1): zero.
	p.baseSeasons = 2
	if got := p.baseRow(z, 9, 3); !slices.Equal(got, []float64{8, 8, 8}) {
		t.Errorf("two seasons: %v", got)
	}
	// Only three seasons of history: K is capped at 3.
	p.baseSeasons = 5
	want := []float64{8 + (-1+1-1)/3.0, 8, 8 + (1-1+1)/3.0}
	if got := p.baseRow(z, 9, 3); !slices.Equal(got, want) {
		t.Errorf("capped: %v, want %v", got, want)
	}
	p = &prepared{season: 1, baseSeasons: 3}
	if got := p.baseRow(z, 9, 2); !slices.Equal(got, []float64{7, 7}) {
		t.Errorf("no season (naive): %v", got)
	}
}

func TestOutputStartsAtZero(t *testing.T) {
	for _, k := range []Kind{LSTM, Linear, MLP} {
		m, err := newModel(Settings{Seed: 1}, k, 4, 2, 3, 5)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := graph.FromFloat64s(graph.Float32, []float64{1, 2, 3, 4, 5, 6, 7, 8}, 1, 4, 2)
		xm, err := inputFor(m, x)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Predict(xm)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range graph.Float64s(out) {
			if v != 0 {
				t.Errorf("%v: untrained output %v, want 0 (the base)", k, graph.Float64s(out))
				break
			}
		}
		r, _ := newModel(Settings{Seed: 1, RandomInit: true}, k, 4, 2, 3, 5)
		ro, _ := r.Predict(xm)
		if slices.Max(graph.Float64s(ro)) == 0 && slices.Min(graph.Float64s(ro)) == 0 {
			t.Errorf("%v: RandomInit output is zero", k)
		}
	}
}

// TestErrorSentinels: ErrArgument is a graph.ErrConfig (and so a
// graph.ErrArgument) with its own message; ErrData is neither.
func TestErrorSentinels(t *testing.T) {
	if !errors.Is(ErrArgument, graph.ErrConfig) || !errors.Is(ErrArgument, graph.ErrArgument) || ErrArgument.Error() != "bad argument" {
		t.Errorf("ErrArgument %q: graph.ErrConfig %v, graph.ErrArgument %v", ErrArgument, errors.Is(ErrArgument, graph.ErrConfig), errors.Is(ErrArgument, graph.ErrArgument))
	}
	if errors.Is(ErrData, graph.ErrConfig) || errors.Is(ErrData, ErrArgument) {
		t.Error("ErrData is taken for a configuration error")
	}
}
