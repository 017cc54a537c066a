package benchmarks

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
	"golang.org/x/sys/cpu"
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
	before := slices.Clone(data32(first))
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
	if !slices.Equal(before, data32(first)) {
		t.Error("Forecast changed its window")
	}
	// The first forecast value is the model's prediction for the window.
	p, err := m.Predict(first)
	if err != nil {
		t.Fatal(err)
	}
	pd := data32(p)
	if got[0] != pd[len(pd)-1] {
		t.Errorf("first value %v, prediction %v", got[0], pd[len(pd)-1])
	}
}

// TestWorkloadFinalLosses checks the final losses of the training
// workloads bit for bit against the loop they ran before they went
// through trainers.Fit (oldLoop), on any processor, and on the AVX2+FMA
// path (the one docs/benchmarks.md measures; the plain-Go path rounds
// differently) against the values that loop printed: W1–W3 in full are
// the figures docs/benchmarks.md publishes. A change of the batch order,
// of the epoch loss's arithmetic or of what compiling off the clock
// leaves behind moves them.
func TestWorkloadFinalLosses(t *testing.T) {
	simd := runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 && cpu.X86.HasFMA && os.Getenv("GORNN_SIMD") != "off"
	for _, c := range []struct {
		id   string
		opts Options
		want float64 // on the AVX2+FMA path
	}{
		{"W1", Options{}, 0.038893932849168776},
		{"W2", Options{}, 0.02564394734799862},
		{"W3", Options{}, 0.029031683504581452},
		{"W4", Options{}, 1.0342475026845932},
		{"W1", Options{Epochs: 8}, 0.42136154770851136},
		{"W2", Options{Epochs: 8}, 0.053126503527164456},
		{"W3", Options{Epochs: 8}, 0.27199735343456266},
		{"W4", Options{Epochs: 4, Windows: 64, Steps: 8, Units: 16}, 1.0584712028503418},
		// 100 windows in batches of 64: a short last batch of 36.
		{"W4", Options{Epochs: 2, Windows: 100, Steps: 8, Units: 16}, 1.2239304542541505},
	} {
		full := c.opts.Epochs == 0
		w, err := Lookup(c.id)
		if err != nil {
			t.Fatal(err)
		}
		r, err := w.Run(c.opts)
		if err != nil {
			t.Fatalf("%s %+v: %v", c.id, c.opts, err)
		}
		if simd && r.FinalLoss != c.want {
			t.Errorf("%s %+v: final loss %v, want %v", c.id, c.opts, r.FinalLoss, c.want)
		}
		if full && c.id == "W4" {
			continue // 48 more steps of LSTM(128) on 64 windows of 50: the short forms replay W4
		}
		if old := oldLoop(t, c.id, c.opts); r.FinalLoss != old {
			t.Errorf("%s %+v: final loss %v, the old loop's %v", c.id, c.opts, r.FinalLoss, old)
		}
	}
}

// oldLoop trains workload id (W1–W4) with o as benchmarks.Fit did before
// the workloads went through trainers.Fit, on a fresh model, and returns
// the last epoch's loss: each epoch the identity shuffled by rng.Shuffle,
// batches gathered with graph.SampleIndexInto, one Trainer.Step each, the
// epoch's loss the sample-weighted mean of the batch losses.
func oldLoop(t *testing.T, id string, o Options) float64 {
	t.Helper()
	var (
		x, y          *graph.Tensor
		m             *models.Model
		rng           *rand.Rand
		batch, epochs int
		err           error
	)
	if id == "W4" {
		n, steps, units := orDefault(o.Windows, 1024), orDefault(o.Steps, 50), orDefault(o.Units, 128)
		rng = rand.New(rand.NewPCG(Seed, 4))
		x, y = RandomTensor(rng, n, steps, 1), RandomTensor(rng, n, 1)
		m, err = NewRegressor(LSTM, units, steps, false, Seed)
		batch, epochs = 64, orDefault(o.Epochs, 3)
	} else {
		kinds := map[string]Kind{"W1": LSTM, "W2": SimpleRNN, "W3": GRU}
		if x, y, err = NoisySineWindows(Seed, 50, 10, 0.1); err == nil {
			m, err = NewRegressor(kinds[id], 20, 10, true, Seed)
		}
		rng = rand.New(rand.NewPCG(Seed, 1))
		batch, epochs = 8, orDefault(o.Epochs, 500)
	}
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewSGDTrainer(m)
	if err != nil {
		t.Fatal(err)
	}
	n := x.Shape()[0]
	perm := make([]int, n)
	loss := math.NaN()
	for range epochs {
		for i := range perm {
			perm[i] = i
		}
		rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		total := 0.0
		for lo := 0; lo < n; lo += batch {
			idx := perm[lo:min(lo+batch, n)]
			xb, err := graph.SampleIndexInto(nil, x, idx)
			if err != nil {
				t.Fatal(err)
			}
			yb, err := graph.SampleIndexInto(nil, y, idx)
			if err != nil {
				t.Fatal(err)
			}
			l, err := tr.Step(xb, yb)
			if err != nil {
				t.Fatal(err)
			}
			total += l * float64(len(idx))
		}
		loss = total / float64(n)
	}
	return loss
}

func TestNoisySineWindows(t *testing.T) {
	x, y, err := NoisySineWindows(Seed, 50, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal([]int(x.Shape()), []int{40, 10, 1}) || !slices.Equal([]int(y.Shape()), []int{40, 10, 1}) {
		t.Fatalf("shapes %v %v", x.Shape(), y.Shape())
	}
	xd, yd := data32(x), data32(y)
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
		last, err := NewLastStateCase(k, Size{Units: 4, Batch: 2, Steps: 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := last.Model.OutputShape(); !slices.Equal(got, []int{1}) {
			t.Errorf("%v last state: output shape %v, want [1]", k, got)
		}
		if l, err := last.Step(); err != nil || math.IsNaN(l) {
			t.Errorf("%v last state: loss %v, %v", k, l, err)
		}
		c, err := NewStepCase(k, Size{Units: 4, Batch: 2, Steps: 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Model.OutputShape(); !slices.Equal(got, []int{3, 1}) {
			t.Errorf("%v sequences: output shape %v, want [3 1]", k, got)
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
// a long trainers.Fit on the seed LSTM, run as the workloads run it
// (Order: Shuffler, no metrics), allocates about 1 KB (this test, with a
// short last batch: 40 windows in batches of 6, 7 steps); a step of
// TrainBatch allocated 14 KB before the loop was made allocation-free. It
// is a bound, not a timing.
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
	if err := tr.Compile(trainers.BatchSizes(x.Shape()[0], batch)...); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alloc := func(epochs int) uint64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		if _, err := fit(tr, x, y, batch, epochs, rng, nil); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		return ms.TotalAlloc - before
	}
	// One Fit's own setup (its order, the batch buffers, the History) is
	// paid once; an epoch is what a longer Fit adds.
	one, many := alloc(1), alloc(21)
	// Signed: a longer run can allocate a little less than a short one
	// (the runtime's own allocations vary), which must not wrap around.
	if per := (float64(many) - float64(one)) / 20; per > 8<<10 {
		t.Errorf("a training epoch allocates %.0f bytes, want at most 8 KB", per)
	} else {
		t.Logf("%.0f bytes per epoch", per)
	}
	if it := tr.Optimizer().Iterations(); it != 22*7 {
		t.Errorf("%d steps ran, want %d", it, 22*7)
	}
}

// data32 returns x's values, sharing its memory; x must be a float32
// tensor (a test's own data).
func data32(x *graph.Tensor) []float32 {
	d, ok := graph.Float32Data(x)
	if !ok {
		panic(fmt.Sprintf("data32: %v tensor, want float32", x.DType()))
	}
	return d
}
