package forecast

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
)

// smallSeries is a noisy seasonal series with a trend, 60 values.
func smallSeries() []float64 {
	y := make([]float64, 60)
	for i := range y {
		y[i] = 10 + 0.1*float64(i) + 3*math.Sin(2*math.Pi*float64(i)/4) + 0.3*math.Sin(float64(i*i))
	}
	return y
}

var fast = Settings{Season: 4, Horizon: 4, Windows: []int{4, 8}, Units: []int{4}, MaxEpochs: 20, Patience: 5, Seed: 1, Kinds: []Kind{LSTM}, Bases: []int{1}, Folds: 2}

func TestFitForecastReproducible(t *testing.T) {
	y := smallSeries()
	train, test := y[:56], y[56:]
	run := func() (*Network, []float64) {
		net, err := Fit(context.Background(), Series{Target: train}, fast)
		if err != nil {
			t.Fatal(err)
		}
		f, err := net.Forecast(Series{Target: train})
		if err != nil {
			t.Fatal(err)
		}
		return net, f
	}
	net, f1 := run()
	_, f2 := run()
	if !slices.Equal(f1, f2) {
		t.Fatalf("same seed, different forecasts: %v, %v", f1, f2)
	}
	if len(f1) != 4 || len(net.Candidates) != 2 || net.ValidationSteps != 4 || net.Folds != 2 {
		t.Fatalf("forecast %v, candidates %+v, validation steps %d", f1, net.Candidates, net.ValidationSteps)
	}
	if net.Epochs < 1 || net.Epochs > fast.MaxEpochs || math.IsInf(net.ValMASE, 0) {
		t.Fatalf("selected %+v", net.Candidate)
	}
	// The network corrects seasonal naive: on this clean series it is
	// not far from the truth.
	if r, _ := RMSE(test, f1); r > 2 {
		t.Errorf("rmse %v on a near-periodic series", r)
	}
}

// TestFitWorkersSameResult checks that training the candidates and the
// final networks on several goroutines changes nothing: every network is
// seeded on its own and writes only its own slot.
func TestFitWorkersSameResult(t *testing.T) {
	train := smallSeries()[:56]
	st := fast
	st.Kinds = []Kind{Linear, MLP}
	st.Ensemble = 2
	var progress [2]strings.Builder
	var got [2][]float64
	var names [2]string
	for i, workers := range []int{1, 3} {
		st.Workers = workers
		st.Progress = &progress[i]
		net, err := Fit(context.Background(), Series{Target: train}, st)
		if err != nil {
			t.Fatal(err)
		}
		if got[i], err = net.Forecast(Series{Target: train}); err != nil {
			t.Fatal(err)
		}
		names[i] = net.Name()
	}
	if !slices.Equal(got[0], got[1]) || names[0] != names[1] {
		t.Fatalf("1 worker: %s %v; 3 workers: %s %v", names[0], got[0], names[1], got[1])
	}
	if progress[0].String() != progress[1].String() || strings.Count(progress[0].String(), "\n") < 4 {
		t.Fatalf("progress differs or is short:\n%s\n---\n%s", progress[0].String(), progress[1].String())
	}
	st.Workers = -1
	if _, err := Fit(context.Background(), Series{Target: train}, st); !errors.Is(err, ErrArgument) {
		t.Fatalf("workers -1: %v, want ErrArgument", err)
	}
}

// TestEpochZeroIsTheBase checks that early stopping can stop before the
// first epoch: with a learning rate far too large every trained epoch
// validates worse than the untrained network, whose zero output layer
// forecasts exactly its base (here seasonal naive), so Fit keeps that.
func TestEpochZeroIsTheBase(t *testing.T) {
	train := smallSeries()[:56]
	st := fast
	st.Kinds = []Kind{MLP}
	st.Windows = []int{8}
	st.LearningRate = 50
	st.Ensemble = 2
	net, err := Fit(context.Background(), Series{Target: train}, st)
	if err != nil {
		t.Fatal(err)
	}
	if net.Epochs != 0 {
		t.Fatalf("selected %+v, want 0 epochs", net.Candidate)
	}
	f, err := net.Forecast(Series{Target: train})
	if err != nil {
		t.Fatal(err)
	}
	sn, _ := SeasonalNaive(4)(train, 4)
	for k := range f {
		if math.Abs(f[k]-sn[k]) > 1e-9*math.Abs(sn[k]) {
			t.Fatalf("forecast %v, seasonal naive %v", f, sn)
		}
	}
	// Trained normally, the same candidate moves away from its base.
	st.LearningRate = 0
	if net, err = Fit(context.Background(), Series{Target: train}, st); err != nil || net.Epochs == 0 {
		t.Fatalf("learning rate 0.003: %+v, %v", net.Candidate, err)
	}
}

func TestFoldsShrinkForShortSeries(t *testing.T) {
	y := smallSeries()[:24] // 24 − 2·4 − 4 − 4 + 1 = 9 ≥ 8 samples: 2 folds; 20 leaves 5: 1 fold
	for _, c := range []struct{ n, folds int }{{24, 2}, {20, 1}} {
		st := fast
		st.Windows = []int{4}
		net, err := Fit(context.Background(), Series{Target: y[:c.n]}, st)
		if err != nil || net.Folds != c.folds {
			t.Errorf("%d values: %v folds, %v; want %d", c.n, net.Folds, err, c.folds)
		}
	}
}

func TestFitErrors(t *testing.T) {
	y := smallSeries()
	ctx := context.Background()
	cases := []struct {
		name string
		s    Series
		st   Settings
		want error
	}{
		{"horizon 0", Series{Target: y}, Settings{Season: 4}, ErrArgument},
		{"season -1", Series{Target: y}, Settings{Season: -1, Horizon: 2}, ErrArgument},
		{"window below season", Series{Target: y}, Settings{Season: 4, Horizon: 2, Windows: []int{2}}, ErrArgument},
		{"too short", Series{Target: y[:12]}, fast, ErrData},
		{"nan", Series{Target: append(slices.Clone(y[:40]), math.NaN())}, fast, ErrData},
		{"empty", Series{}, fast, ErrData},
		{"units 0", Series{Target: y}, Settings{Horizon: 2, Units: []int{0}}, ErrArgument},
	}
	for _, c := range cases {
		if _, err := Fit(ctx, c.s, c.st); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	var n *Network
	if _, err := n.Forecast(Series{Target: y}); !errors.Is(err, ErrArgument) {
		t.Errorf("nil network: %v", err)
	}
}

func TestBacktestBaseline(t *testing.T) {
	y := smallSeries()
	sc, err := Backtest(context.Background(), Series{Target: y}, 4, 4, []int{48, 52, 56}, MethodFunc(SeasonalNaive(4)))
	if err != nil || len(sc) != 3 {
		t.Fatal(sc, err)
	}
	f, _ := SeasonalNaive(4)(y[:52], 4)
	want, _ := RMSE(y[52:56], f)
	if sc[1].RMSE != want {
		t.Errorf("origin 52 rmse %v, want %v", sc[1].RMSE, want)
	}
	if _, err := Backtest(context.Background(), Series{Target: y}, 4, 4, []int{58}, MethodFunc(Naive)); !errors.Is(err, ErrData) {
		t.Errorf("origin past the end: %v", err)
	}
}

// TestSharedSeries fits the network on one shared series when
// FORECAST_SERIES names it (a manual check; cmd/forecast -bench runs all).
func TestSharedSeries(t *testing.T) {
	name := os.Getenv("FORECAST_SERIES")
	if name == "" {
		t.Skip("set FORECAST_SERIES=wineind (etc.) to run")
	}
	ref := loadBaselines(t)
	var logs []float64
	for _, s := range benchSeries {
		if s.name != name && !(name == "all" && s.name != "taylor") {
			continue
		}
		y := loadTestSeries(t, s.name, s.column)
		train, test := y[:len(y)-s.h], y[len(y)-s.h:]
		var sb strings.Builder
		st := Settings{Season: s.season, Horizon: s.h, Seed: 1, Progress: &sb}
		if v, err := strconv.ParseFloat(os.Getenv("FORECAST_LR"), 64); err == nil {
			st.LearningRate = v
		}
		if v, err := strconv.Atoi(os.Getenv("FORECAST_VENS")); err == nil {
			st.ValidationEnsemble = v
		}
		if v, err := strconv.Atoi(os.Getenv("FORECAST_BATCH")); err == nil {
			st.BatchSize = v
		}
		net, err := Fit(context.Background(), Series{Target: train}, st)
		if err != nil {
			t.Fatal(err)
		}
		f, err := net.Forecast(Series{Target: train})
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := Score(test, f, train, s.season)
		bestR := math.Inf(1)
		for _, m := range []string{"ets", "arima", "theta"} {
			if r, err := strconv.ParseFloat(ref[s.name][m].rmse, 64); err == nil {
				bestR = min(bestR, r)
			}
		}
		logs = append(logs, math.Log(sc.RMSE/bestR))
		t.Logf("%s\n%s selected %s epochs %d: rmse %.4f snaive %s best R %.4f ratio %.3f", sb.String(), s.name, net.Name(), net.Epochs, sc.RMSE, ref[s.name]["snaive"].rmse, bestR, sc.RMSE/bestR)
	}
	var g float64
	for _, l := range logs {
		g += l
	}
	t.Logf("geometric mean ratio %.3f", math.Exp(g/float64(len(logs))))
}

func TestFitCovariatesAndFloat64(t *testing.T) {
	y := smallSeries()
	past := make([]float64, len(y))
	fut := make([]float64, len(y)+4)
	for i := range fut {
		fut[i] = float64(i % 4)
		if i < len(y) {
			past[i] = y[i] * 0.5
		}
	}
	s := Series{Target: y, Past: [][]float64{past}, Future: [][]float64{fut}}
	st := fast
	st.DType = graph.Float64
	net, err := Fit(context.Background(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	if net.Models()[0].DType() != graph.Float64 || len(net.Models()) != 5 {
		t.Fatalf("%d models of %v", len(net.Models()), net.Models()[0].DType())
	}
	f, err := net.Forecast(s)
	if err != nil || len(f) != 4 {
		t.Fatalf("forecast %v, %v", f, err)
	}
	short := s
	short.Future = [][]float64{fut[:len(y)+2]}
	if _, err := net.Forecast(short); !errors.Is(err, ErrData) {
		t.Errorf("future covariate too short for the horizon: %v", err)
	}
	if _, err := net.Forecast(Series{Target: y}); !errors.Is(err, ErrData) {
		t.Errorf("covariates missing: %v", err)
	}
}

func TestRecursive(t *testing.T) {
	y := smallSeries()
	train, test := y[:56], y[56:]
	st := fast
	st.Strategies = []Strategy{Recursive}
	st.Ensemble = 2
	net, err := Fit(context.Background(), Series{Target: train}, st)
	if err != nil {
		t.Fatal(err)
	}
	if net.Strategy != Recursive || !strings.HasSuffix(net.Name(), ",recursive)") {
		t.Fatalf("selected %s", net.Name())
	}
	if out := net.Models()[0].OutputShape(); !slices.Equal(out, []int{1}) {
		t.Fatalf("recursive network outputs %v, want [1]", out)
	}
	f, err := net.Forecast(Series{Target: train})
	if err != nil || len(f) != 4 {
		t.Fatalf("forecast %v, %v", f, err)
	}
	if r, _ := RMSE(test, f); r > 2 {
		t.Errorf("rmse %v on a near-periodic series", r)
	}
	p := filepath.Join(t.TempDir(), "rec.safetensors")
	if err := net.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := back.Forecast(Series{Target: train}); err != nil || !slices.Equal(g, f) {
		t.Errorf("loaded recursive forecast %v (%v), want %v", g, err, f)
	}
	both := fast
	both.Strategies = []Strategy{Direct, Recursive}
	if net, err := Fit(context.Background(), Series{Target: train}, both); err != nil || len(net.Candidates) != 4 {
		t.Errorf("both strategies: %v candidates, %v", len(net.Candidates), err)
	}
	if _, err := Fit(context.Background(), Series{Target: train, Past: [][]float64{train}}, st); !errors.Is(err, ErrArgument) {
		t.Errorf("recursive with a past covariate: %v", err)
	}
	if _, err := Fit(context.Background(), Series{Target: train}, Settings{Horizon: 2, Strategies: []Strategy{7}}); !errors.Is(err, ErrArgument) {
		t.Errorf("unknown strategy: %v", err)
	}
}

func TestValidationMASEWeighsStepsAlike(t *testing.T) {
	y := []float64{0, 0, 0, 0, 0}
	// origins 3 and 4 of h = 2: step 1 errors 1 and 3 (mean 2), step 2
	// (origin 3 only) error 6; a pooled mean would give 10/3.
	f := []float64{1, 6, 3, 100}
	if got := validationMASE(f, y, 3, 2, 2); got != (2.0+6.0)/2/2 {
		t.Errorf("validationMASE = %v, want 2", got)
	}
}

// TestBudget checks that a series costing more than Settings.Budget is
// selected on fewer folds with fewer seeds, in proportion, and that a
// negative budget or a cheap series leaves them alone.
func TestBudget(t *testing.T) {
	train := smallSeries()[:56]
	st := fast
	st.Kinds = []Kind{Linear}
	st.Folds, st.Ensemble = 3, 4
	c := Candidate{Kind: Linear, Window: 8, Base: 1}
	// Linear over a window of 8, horizon 4: 8·4+4 weights, 45 samples.
	if got := cost(c, 1, 4, 45); got != 45*36 {
		t.Fatalf("cost %v, want %v", got, 45*36)
	}
	if got := cost(Candidate{Kind: LSTM, Window: 8, Units: 2}, 1, 4, 10); got != 10*(4*2*4+2*4+4)*8 {
		t.Fatalf("lstm cost %v", got)
	}
	var progress strings.Builder
	for _, c := range []struct {
		budget               float64
		folds, ensemble      int
		wantProgressReported bool
	}{
		{0, 3, 4, false},    // the default: far above this series' cost
		{-1, 3, 4, false},   // no budget
		{1, 1, 1, true},     // far below: at least 1 each
		{1300, 2, 2, true},  // half the cost (windows 4 and 8: 20·49 + 36·45 = 2,600)
		{1e12, 3, 4, false}, // above
	} {
		st.Budget = c.budget
		progress.Reset()
		st.Progress = &progress
		net, err := Fit(context.Background(), Series{Target: train}, st)
		if err != nil {
			t.Fatal(err)
		}
		if net.Folds != c.folds || net.Ensemble != c.ensemble || len(net.Models()) != c.ensemble*len(net.Members()) {
			t.Errorf("budget %v: %d folds, ensemble %d, %d networks; want %d, %d", c.budget, net.Folds, net.Ensemble, len(net.Models()), c.folds, c.ensemble)
		}
		if c.budget == 1 {
			// MaxEpochs 20 shrinks to Patience+1 = 6.
			for _, cd := range net.Candidates {
				if cd.Epochs > 6 {
					t.Errorf("budget 1: %s trained %d epochs, at most 6", cd.Name(), cd.Epochs)
				}
			}
			if !strings.Contains(progress.String(), "at most 6 epochs") {
				t.Errorf("budget 1: progress %q", progress.String())
			}
		}
		if got := strings.Contains(progress.String(), "over the budget"); got != c.wantProgressReported {
			t.Errorf("budget %v: progress %q", c.budget, progress.String())
		}
	}
	st.Budget = math.NaN()
	if _, err := Fit(context.Background(), Series{Target: train}, st); !errors.Is(err, ErrArgument) {
		t.Errorf("budget NaN: %v", err)
	}
}
