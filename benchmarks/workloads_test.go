package benchmarks

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestTrainingWorkloadsLossFalls runs W1..W4 in a tiny form and checks
// that the epoch loss falls and the result is reported.
func TestTrainingWorkloadsLossFalls(t *testing.T) {
	cases := []struct {
		id   string
		opts Options
	}{
		{"W1", Options{Epochs: 8}},
		{"W2", Options{Epochs: 8}},
		{"W3", Options{Epochs: 8}},
		// One full batch of 64 per epoch: plain gradient descent, so the
		// loss falls every epoch.
		{"W4", Options{Epochs: 4, Windows: 64, Steps: 8, Units: 16}},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			w, err := Lookup(c.id)
			if err != nil {
				t.Fatal(err)
			}
			var losses []float64
			o := c.opts
			o.OnEpoch = func(e int, loss float64) {
				if e != len(losses)+1 {
					t.Errorf("epoch %d reported after %d", e, len(losses))
				}
				losses = append(losses, loss)
			}
			r, err := w.Run(o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Workload != c.id || !(r.Seconds > 0) {
				t.Errorf("result %+v", r)
			}
			if len(losses) != c.opts.Epochs {
				t.Fatalf("%d epochs reported, want %d", len(losses), c.opts.Epochs)
			}
			if r.FinalLoss != losses[len(losses)-1] {
				t.Errorf("final loss %v, last epoch %v", r.FinalLoss, losses[len(losses)-1])
			}
			if !(losses[len(losses)-1] < losses[0]) {
				t.Errorf("loss did not fall: %v", losses)
			}
		})
	}
}

// TestTrainingIsDeterministic checks that a workload repeats exactly: the
// seeds are fixed, so runs compare like for like.
func TestTrainingIsDeterministic(t *testing.T) {
	a, err := W2(Options{Epochs: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := W2(Options{Epochs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if a.FinalLoss != b.FinalLoss {
		t.Errorf("final loss %v then %v", a.FinalLoss, b.FinalLoss)
	}
}

func TestPredictionWorkloads(t *testing.T) {
	for _, c := range []struct {
		id   string
		opts Options
	}{
		{"W5", Options{Epochs: 1, Repeats: 2}},
		{"W6", Options{Epochs: 1, Windows: 100}},
		{"W6", Options{Epochs: 1, Windows: 100, PredictBatch: 32}},
	} {
		w, err := Lookup(c.id)
		if err != nil {
			t.Fatal(err)
		}
		r, err := w.Run(c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		if r.Workload != c.id || !(r.Seconds > 0) || !math.IsNaN(r.FinalLoss) {
			t.Errorf("%s: result %+v", c.id, r)
		}
	}
}

func TestForecast(t *testing.T) {
	m, first := forecastSetup(t)
	before := slices.Clone(first.Data().([]float32))
	got, err := Forecast(m, first, 39)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 39 {
		t.Fatalf("%d values, want 39", len(got))
	}
	for i, v := range got {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("value %d is %v", i, v)
		}
	}
	if !slices.Equal(before, first.Data().([]float32)) {
		t.Error("Forecast changed its window")
	}
	// The first forecast value is the model's prediction for the window.
	p, err := m.Predict(first)
	if err != nil {
		t.Fatal(err)
	}
	pd := p.Data().([]float32)
	if got[0] != pd[len(pd)-1] {
		t.Errorf("first value %v, prediction %v", got[0], pd[len(pd)-1])
	}
}

// TestCompileKeepsWeights checks that compiling the training programs
// before the clock starts leaves the weights as they were.
func TestCompileKeepsWeights(t *testing.T) {
	x, y, err := NoisySineWindows(Seed, 50, 10, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewRegressor(GRU, 8, 10, true, Seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewSGDTrainer(m)
	if err != nil {
		t.Fatal(err)
	}
	var before [][]float64
	for _, p := range m.Params() {
		before = append(before, p.Float64s())
	}
	// 40 windows in batches of 16: programs for 16 and the last 8.
	if err := Compile(tr, x, y, 16); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		if !slices.Equal(before[i], p.Float64s()) {
			t.Errorf("%s changed", p.Name())
		}
	}
	if it := tr.Optimizer().Iterations(); it != 0 {
		t.Errorf("optimizer at iteration %d", it)
	}
}

func TestNoisySineWindows(t *testing.T) {
	x, y, err := NoisySineWindows(Seed, 50, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal([]int(x.Shape()), []int{40, 10, 1}) || !slices.Equal([]int(y.Shape()), []int{40, 10, 1}) {
		t.Fatalf("shapes %v %v", x.Shape(), y.Shape())
	}
	xd, yd := x.Data().([]float32), y.Data().([]float32)
	// Without noise the first point is sin(-2π) = 0 and y is x shifted.
	if math.Abs(float64(xd[0])) > 1e-6 {
		t.Errorf("x[0] = %v", xd[0])
	}
	if xd[1] != yd[0] || xd[19] != yd[9] {
		t.Error("y is not x one step later")
	}
	if _, _, err := NoisySineWindows(Seed, 10, 10, 0); err == nil {
		t.Error("windows as long as the series accepted")
	}
}

func TestLookup(t *testing.T) {
	if _, err := Lookup("W7"); !errors.Is(err, ErrUnknown) {
		t.Errorf("W7: %v", err)
	}
	var ids []string
	for _, w := range Workloads() {
		ids = append(ids, w.ID)
	}
	if !slices.Equal(ids, []string{"W1", "W2", "W3", "W4", "W5", "W6"}) {
		t.Errorf("workloads %v", ids)
	}
}

func TestStepCase(t *testing.T) {
	for _, k := range Kinds {
		c, err := NewStepCase(k, Size{Units: 4, Batch: 2, Steps: 3})
		if err != nil {
			t.Fatal(err)
		}
		l0, err := c.Step()
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(l0) {
			t.Errorf("%v: loss NaN", k)
		}
		if med, least, err := c.TimeStep(3, 0); err != nil || least > med {
			t.Fatalf("%v: median %v, min %v, %v", k, med, least, err)
		}
	}
	if _, err := NewStepCase(LSTM, Size{}); err == nil {
		t.Error("empty size accepted")
	}
}

// TestTrainingLoopAllocations guards the allocation-free training loop
// behind W1's flat memory (docs/benchmarks.md): once compiled, an epoch of
// a long Fit on the seed LSTM allocates about 1.5 KB (this test, with a
// short last batch: 40 windows in batches of 6, 7 steps); a step of
// TrainBatch allocated 14 KB before. It is a bound, not a timing.
func TestTrainingLoopAllocations(t *testing.T) {
	x, y, err := NoisySineWindows(Seed, 50, 10, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewRegressor(LSTM, 20, 10, true, Seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewSGDTrainer(m)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 6 // 6 batches of 6 and one of 4
	if err := Compile(tr, x, y, batch); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alloc := func(epochs int) uint64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		if _, err := Fit(tr, x, y, batch, epochs, rng, nil); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		return ms.TotalAlloc - before
	}
	// One Fit's own setup (its permutation, the batch buffers) is paid
	// once; an epoch is what a longer Fit adds.
	one, many := alloc(1), alloc(21)
	// Signed: a longer run can allocate a little less than a short one
	// (the runtime's own allocations vary), which must not wrap around.
	if per := (float64(many) - float64(one)) / 20; per > 8<<10 {
		t.Errorf("a training epoch allocates %.0f bytes, want at most 8 KB", per)
	} else {
		t.Logf("%.0f bytes per epoch", per)
	}
}
