package trainers_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// dropoutModel is a float32 LSTM with dropout and recurrent dropout,
// input [5, 1]: a training program with noise inputs.
func dropoutModel(t testing.TB) *models.Model {
	t.Helper()
	ls := []layers.Layer{
		must(layers.NewLSTM(4, &layers.LSTMOptions{ReturnSequences: true, Dropout: 0.2, RecurrentDropout: 0.2})),
		must(layers.NewGRU(3, nil)),
		must(layers.NewDense(1, nil)),
	}
	return must(models.NewSequential([]int{5, 1}, ls, &models.Options{DType: graph.Float32, Seed: 3}))
}

func dropoutData(n int) (x, y *graph.Tensor) {
	r := rand.New(rand.NewPCG(5, 5))
	xv, yv := make([]float64, n*5), make([]float64, n)
	for i := range n {
		for s := range 5 {
			xv[i*5+s] = r.Float64()*2 - 1
		}
		yv[i] = xv[i*5+4]
	}
	return must(graph.FromFloat64s(graph.Float32, xv, n, 5, 1)), must(graph.FromFloat64s(graph.Float32, yv, n, 1))
}

// TestCompileChangesNothing: Compile before Fit leaves the weights and the
// optimizer as they were, and the Fit after it trains bit for bit as a Fit
// without it (the same epoch losses and weights), with dropout masks and
// Adam's slots in play.
func TestCompileChangesNothing(t *testing.T) {
	const n, batch = 22, 8 // batches of 8, 8 and 6
	x, y := dropoutData(n)
	run := func(compile bool) ([]float64, []float64) {
		m := dropoutModel(t)
		tr := must(trainers.NewTrainer(m, trainers.MSE(), must(trainers.NewAdam(nil))))
		if compile {
			before, state := flatWeights(m), tr.Optimizer().State()
			if err := tr.Compile(trainers.BatchSizes(n, batch)...); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(before, flatWeights(m)) {
				t.Error("Compile changed the weights")
			}
			if it := tr.Optimizer().Iterations(); it != 0 {
				t.Errorf("Compile moved the optimizer to step %d", it)
			}
			after := tr.Optimizer().State()
			if len(after.Slots) != len(state.Slots) {
				t.Errorf("Compile changed the optimizer's slots: %d, were %d", len(after.Slots), len(state.Slots))
			}
		}
		h := must(tr.Fit(context.Background(), x, y, trainers.FitOptions{Epochs: 3, BatchSize: batch, Seed: 2}))
		return h.Loss(), flatWeights(m)
	}
	l0, w0 := run(false)
	l1, w1 := run(true)
	if !slices.Equal(l0, l1) {
		t.Errorf("epoch losses after Compile %v, without %v", l1, l0)
	}
	if !slices.Equal(w0, w1) {
		t.Error("the weights trained after Compile differ from those without")
	}
}

// TestCompileBuildsPrograms: after Compile, the first step of a compiled
// size allocates next to nothing (no compiling, no first run), where the
// first step without it compiles; sizes already compiled are skipped.
func TestCompileBuildsPrograms(t *testing.T) {
	x, y := seedData(t, 8)
	mallocs := func(f func()) uint64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		f()
		runtime.ReadMemStats(&ms)
		return ms.Mallocs - before
	}
	firstStep := func(compile bool) (uint64, *trainers.Trainer) {
		tr := must(trainers.NewTrainer(seedLSTM(t), trainers.MSE(), nil))
		if compile {
			if err := tr.Compile(8, 8); err != nil {
				t.Fatal(err)
			}
		}
		return mallocs(func() {
			if _, err := tr.Step(x, y); err != nil {
				t.Fatal(err)
			}
		}), tr
	}
	cold, _ := firstStep(false)
	warm, tr := firstStep(true)
	t.Logf("first step: %d allocations without Compile, %d after it", cold, warm)
	if cold < 1000 {
		t.Errorf("the first step without Compile allocated only %d times: the test measures nothing", cold)
	}
	if warm > 20 {
		t.Errorf("the first step after Compile allocated %d times, want at most 20", warm)
	}
	again := mallocs(func() {
		if err := tr.Compile(8); err != nil {
			t.Fatal(err)
		}
	})
	if again > 20 {
		t.Errorf("compiling a compiled size again allocated %d times", again)
	}
}

func TestCompileErrors(t *testing.T) {
	tr := must(trainers.NewTrainer(denseModel(t, graph.Float64, 1), trainers.MSE(), nil))
	for _, c := range []struct {
		name  string
		sizes []int
	}{
		{"zero", []int{8, 0}},
		{"negative", []int{-1}},
		{"more than the cache", []int{1, 2, 3, 4, 5, 6, 7, 8, 9}},
	} {
		if err := tr.Compile(c.sizes...); !errors.Is(err, graph.ErrArgument) {
			t.Errorf("%s: %v, want ErrArgument", c.name, err)
		}
	}
	if err := tr.Compile(1, 2, 3, 4, 5, 6, 7, 8, 8, 1); err != nil {
		t.Errorf("eight distinct sizes, repeated: %v", err)
	}
	if err := tr.Compile(); err != nil {
		t.Errorf("no sizes: %v", err)
	}
	if err := (&trainers.Trainer{}).Compile(8); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("zero Trainer: %v", err)
	}
	var nilTrainer *trainers.Trainer
	if err := nilTrainer.Compile(8); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("nil Trainer: %v", err)
	}
}

func TestBatchSizes(t *testing.T) {
	for _, c := range []struct {
		n, batch int
		want     []int
	}{
		{40, 8, []int{8}},
		{40, 6, []int{6, 4}},
		{1024, 64, []int{64}},
		{5, 32, []int{5}},
		{5, 5, []int{5}},
		{1, 1, []int{1}},
		{0, 8, nil},
		{8, 0, nil},
		{-3, 2, nil},
	} {
		if got := trainers.BatchSizes(c.n, c.batch); !slices.Equal(got, c.want) {
			t.Errorf("BatchSizes(%d, %d) = %v, want %v", c.n, c.batch, got, c.want)
		}
	}
	// They are the sizes Fit meets: with them compiled, a Fit compiles
	// nothing (it allocates little); with the full size alone it compiles
	// the short last batch's program.
	x, y := seedData(t, 22)
	fitMallocs := func(sizes ...int) uint64 {
		tr := must(trainers.NewTrainer(seedLSTM(t), trainers.MSE(), nil))
		if err := tr.Compile(sizes...); err != nil {
			t.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		must(tr.Fit(context.Background(), x, y, trainers.FitOptions{BatchSize: 8}))
		runtime.ReadMemStats(&ms)
		return ms.Mallocs - before
	}
	all, full := fitMallocs(trainers.BatchSizes(22, 8)...), fitMallocs(8)
	t.Logf("a Fit of 22 samples in batches of 8 allocates %d times after Compile(BatchSizes(22, 8)...), %d after Compile(8)", all, full)
	if all > 200 || full < 1000 {
		t.Errorf("a Fit allocated %d times with BatchSizes compiled, %d with 8 alone: want at most 200 and at least 1000", all, full)
	}
}
