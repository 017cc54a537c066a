package models

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// stressInput returns n samples of shape [10, 1] drawn from seed.
func stressInput(t testing.TB, dt graph.DType, seed uint64, n int) *graph.Tensor {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 3))
	d := make([]float64, n*10)
	for i := range d {
		d[i] = 2*r.Float64() - 1
	}
	x, err := graph.FromFloat64s(dt, d, n, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// stressModel is the seed experiment's LSTM(20) -> Dense(1) model, or a
// GRU one with other (unfused) sizes.
func stressModel(t testing.TB, kind string, seed uint64) *Model {
	t.Helper()
	var rec layers.Layer
	var err error
	switch kind {
	case "lstm":
		rec, err = layers.NewLSTM(20, nil)
	case "gru":
		rec, err = layers.NewGRU(40, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	dense, err := layers.NewDense(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewSequential([]int{10, 1}, []layers.Layer{rec, dense}, &Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// stressCall is one prediction a goroutine makes and its serial answer.
type stressCall struct {
	x     *graph.Tensor
	batch int
	want  []float64
}

// stressCalls predicts inputs of 1, 3, 8 and 40 samples with Predict and
// with batches of 3, serially, for the answers the concurrent calls must
// give bit for bit.
func stressCalls(t testing.TB, m *Model, seed uint64) []stressCall {
	t.Helper()
	var calls []stressCall
	for i, n := range []int{1, 3, 8, 40} {
		x := stressInput(t, m.DType(), seed+uint64(i), n)
		for _, batch := range []int{DefaultPredictBatch, 3} {
			y, err := m.PredictBatch(x, batch)
			if err != nil {
				t.Fatal(err)
			}
			calls = append(calls, stressCall{x, batch, graph.Float64s(y)})
		}
	}
	return calls
}

// hammer calls m from goroutines goroutines, rounds calls each, cycling
// through calls, and returns every wrong answer or error.
func hammer(m *Model, calls []stressCall, goroutines, rounds int) []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for k := range rounds {
				c := calls[(g+k)%len(calls)]
				y, err := m.PredictBatch(c.x, c.batch)
				if err == nil && !slices.Equal(graph.Float64s(y), c.want) {
					err = fmt.Errorf("goroutine %d, call %d (%d samples, batch %d): answer differs from the serial one", g, k, c.x.Dim(0), c.batch)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// busyGC makes the collector run every few allocations for the rest of
// the test: a prediction reading memory the collector freed gives wrong
// answers or "found pointer to free object" within seconds this way.
func busyGC(t *testing.T) {
	old := debug.SetGCPercent(2)
	t.Cleanup(func() { debug.SetGCPercent(old) })
}

func stressRounds() (goroutines, rounds int) {
	if raceEnabled || testing.Short() {
		return 32, 8
	}
	return 48, 40
}

// TestPredictConcurrentBusyGC is the hostile trial of concurrent Predict:
// many goroutines on one model, inputs of several sizes, Predict and
// PredictBatch, a collector forced to run all the time, and every answer
// compared bit for bit with the serial one. Before the fix (copyRows read
// each batch's output through Dense.Data) it died with "found pointer to
// free object" or gave other callers' answers.
func TestPredictConcurrentBusyGC(t *testing.T) {
	for _, kind := range []string{"lstm", "gru"} {
		t.Run(kind, func(t *testing.T) {
			m := stressModel(t, kind, 3)
			calls := stressCalls(t, m, 100)
			busyGC(t)
			g, r := stressRounds()
			for _, err := range hammer(m, calls, g, r) {
				t.Error(err)
			}
		})
	}
}

// TestPredictTwoModelsConcurrent predicts with two models at once, each
// from many goroutines.
func TestPredictTwoModelsConcurrent(t *testing.T) {
	a, b := stressModel(t, "lstm", 1), stressModel(t, "lstm", 2)
	ca, cb := stressCalls(t, a, 10), stressCalls(t, b, 20)
	if slices.Equal(ca[0].want, cb[0].want) {
		t.Fatal("the two models answer alike: the test could not tell their answers apart")
	}
	busyGC(t)
	g, r := stressRounds()
	var wg sync.WaitGroup
	var ea, eb []error
	wg.Go(func() { ea = hammer(a, ca, g/2, r) })
	wg.Go(func() { eb = hammer(b, cb, g/2, r) })
	wg.Wait()
	for _, err := range append(ea, eb...) {
		t.Error(err)
	}
}

// TestPredictCacheBounded checks that the forward programs kept are at
// most PredictCacheSize, the least recently used dropped first, and that
// a dropped size still predicts the same numbers.
func TestPredictCacheBounded(t *testing.T) {
	m := stressModel(t, "lstm", 4)
	x := stressInput(t, m.DType(), 9, 1)
	first, err := m.PredictBatch(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3*PredictCacheSize; n++ {
		xn := stressInput(t, m.DType(), 9, n)
		if _, err := m.PredictBatch(xn, n); err != nil {
			t.Fatal(err)
		}
	}
	sizes := m.predict.Keys()
	if len(sizes) != PredictCacheSize {
		t.Fatalf("cache holds %d programs, want %d", len(sizes), PredictCacheSize)
	}
	for i, s := range sizes {
		if want := 3*PredictCacheSize - i; s != want {
			t.Fatalf("cached sizes %v, want the %d most recent, newest first", sizes, PredictCacheSize)
		}
	}
	// Using a cached size moves it to the front.
	old := sizes[len(sizes)-1]
	if _, err := m.PredictBatch(stressInput(t, m.DType(), 9, old), old); err != nil {
		t.Fatal(err)
	}
	if got := m.predict.Keys(); got[0] != old || len(got) != PredictCacheSize {
		t.Fatalf("after using size %d the cache is %v", old, got)
	}
	again, err := m.PredictBatch(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(graph.Float64s(first), graph.Float64s(again)) {
		t.Fatal("a recompiled program predicts other numbers")
	}
}

// TestZeroAndNilModel checks that a nil *Model and a zero Model give
// errors from Predict and Program instead of panicking.
func TestZeroAndNilModel(t *testing.T) {
	x := stressInput(t, graph.Float32, 1, 2)
	for name, m := range map[string]*Model{"nil": nil, "zero": {}} {
		if _, err := m.Predict(x); !errors.Is(err, ErrModel) {
			t.Errorf("%s model: Predict error %v, want ErrModel", name, err)
		}
		if _, err := m.PredictBatch(x, 4); !errors.Is(err, ErrModel) {
			t.Errorf("%s model: PredictBatch error %v, want ErrModel", name, err)
		}
		if _, err := m.Program(ProgramSpec{Batch: 4, Loss: nil, Grads: true}); !errors.Is(err, ErrModel) {
			t.Errorf("%s model: Program error %v, want ErrModel", name, err)
		}
	}
}

// TestHugeInputRefused checks that a builder input larger than a tensor
// may be is an error, not an executor holding a nil buffer.
func TestHugeInputRefused(t *testing.T) {
	b, err := graph.NewBuilder(graph.Float32, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	b.Input("x", 1<<20, 1<<11)
	if err := b.Err(); !errors.Is(err, graph.ErrShape) {
		t.Fatalf("error %v, want ErrShape", err)
	}
}

// TestZeroAndNilModelMethods calls every exported method and function
// taking a model on a nil and a zero Model: errors or zero values, never a
// panic.
func TestZeroAndNilModelMethods(t *testing.T) {
	path := t.TempDir() + "/m.safetensors"
	for name, m := range map[string]*Model{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			_ = m.Name()
			_ = m.DType()
			_ = m.Seed()
			_ = m.InputShape()
			_ = m.Layers()
			if m.OutputShape() != nil || m.Params() != nil || m.CountParams() != 0 || len(m.Weights()) != 0 || m.Summary() != "" {
				t.Error("a nil or zero model reports shapes, weights or a summary")
			}
			for what, err := range map[string]error{
				"SetWeights":   m.SetWeights(nil),
				"CheckSamples": m.CheckSamples("x", stressInput(t, graph.Float32, 1, 1)),
				"Save":         Save(m, path),
				"ExportTorch":  ExportTorch(m, path, nil),
				"ImportTorch":  ImportTorch(path, m, nil),
			} {
				if !errors.Is(err, ErrModel) {
					t.Errorf("%s: error %v, want ErrModel", what, err)
				}
			}
			if _, err := m.KerasLayout(nil); !errors.Is(err, ErrModel) {
				t.Errorf("KerasLayout: error %v, want ErrModel", err)
			}
			b, err := graph.NewBuilder(graph.Float32, 2)
			if err != nil {
				t.Fatal(err)
			}
			if m.Forward(b, m.NewInput(b)) != nil || !errors.Is(b.Err(), ErrModel) {
				t.Errorf("Forward on a %s model: builder error %v, want ErrModel", name, b.Err())
			}
		})
	}
}

// TestBuildAndCompileConcurrently builds, compiles (with gradients: Grad
// switches Gorgonia's stabilization setting off and back) and predicts
// with models on many goroutines at once; under -race this checks that
// gornn's node building never races with that switch. Every goroutine's
// prediction must equal the serial one of the same model.
func TestBuildAndCompileConcurrently(t *testing.T) {
	x := stressInput(t, graph.Float32, 5, 4)
	loss := func(b *graph.Builder, p, y *graph.Node) *graph.Node { return b.Mean(b.Square(b.Sub(p, y))) }
	build := func(kind string) (*Model, error) {
		var rec layers.Layer
		var err error
		if kind == "lstm" {
			rec, err = layers.NewLSTM(20, nil)
		} else {
			rec, err = layers.NewGRU(40, nil)
		}
		if err != nil {
			return nil, err
		}
		dense, err := layers.NewDense(1, nil)
		if err != nil {
			return nil, err
		}
		return NewSequential([]int{10, 1}, []layers.Layer{rec, dense}, &Options{Seed: 11})
	}
	want := map[string][]float64{}
	for _, kind := range []string{"lstm", "gru"} {
		m, err := build(kind)
		if err != nil {
			t.Fatal(err)
		}
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		want[kind] = graph.Float64s(y)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			kind := []string{"lstm", "gru"}[g%2]
			m, err := build(kind)
			if err == nil {
				_, err = m.Program(ProgramSpec{Batch: 3 + g%3, Loss: loss, Grads: true})
			}
			var y *graph.Tensor
			if err == nil {
				y, err = m.Predict(x)
			}
			if err == nil && !slices.Equal(graph.Float64s(y), want[kind]) {
				err = fmt.Errorf("goroutine %d: %s prediction differs from the serial one", g, kind)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestIdleExecutorsSurviveGC checks that a forward program keeps its idle
// executors across garbage collections (a sync.Pool dropped them, and the
// next prediction paid for new ones), reuses them, and keeps no more than
// one per thread however many callers gave one back.
func TestIdleExecutorsSurviveGC(t *testing.T) {
	m := stressModel(t, "lstm", 5)
	x := stressInput(t, graph.Float32, 6, 8)
	if _, err := m.PredictBatch(x, 8); err != nil {
		t.Fatal(err)
	}
	p, err := m.forward(8)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	n := len(p.idle)
	var kept *graph.Executor
	if n > 0 {
		kept = p.idle[n-1]
	}
	p.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d idle executors after one prediction, want 1", n)
	}
	runtime.GC()
	runtime.GC()
	if e := p.get(); e != kept {
		t.Fatal("after two collections the forward program made a new executor instead of its idle one")
	} else {
		p.put(e)
	}
	var es []*graph.Executor
	for range graph.Threads() + 3 {
		es = append(es, p.get())
	}
	for _, e := range es {
		p.put(e)
	}
	p.mu.Lock()
	n = len(p.idle)
	p.mu.Unlock()
	if n != graph.Threads() {
		t.Fatalf("%d idle executors after %d were given back, want graph.Threads() = %d", n, len(es), graph.Threads())
	}
}
