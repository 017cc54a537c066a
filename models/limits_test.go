package models_test

import (
	"errors"
	"math"
	"runtime"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestOversizedLayersAreRefusedBeforeTheModel(t *testing.T) {
	for name, mk := range map[string]func() (layers.Layer, error){
		"GRU(1<<61)":  func() (layers.Layer, error) { return layers.NewGRU(1<<61, nil) },
		"LSTM(1<<61)": func() (layers.Layer, error) { return layers.NewLSTM(1<<61, nil) },
		"LSTM(1<<40)": func() (layers.Layer, error) { return layers.NewLSTM(1<<40, nil) },
		"Dense(1<<31)": func() (layers.Layer, error) {
			return layers.NewDense(1<<31, nil)
		},
	} {
		l, err := mk()
		if !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
		// The nil layer that comes with the error is refused too.
		if _, err := models.NewSequential([]int{10, 4}, []layers.Layer{l}, nil); !errors.Is(err, models.ErrModel) {
			t.Errorf("%s: NewSequential with the nil layer: %v, want ErrModel", name, err)
		}
	}
}

func TestOversizedInputsAreRefused(t *testing.T) {
	for _, shape := range [][]int{
		{10, 1 << 40},
		{layers.MaxTimeSteps + 1, 1},
		{1 << 13, 1 << 12},
		{1 << 40, 1 << 40}, // the product overflows int
		{math.MaxInt, math.MaxInt, math.MaxInt},
		{layers.MaxSampleElements + 1},
	} {
		in := models.Input(shape...)
		if err := in.Err(); !errors.Is(err, models.ErrModel) || !errors.Is(err, layers.ErrConfig) {
			t.Errorf("Input(%v): %v, want ErrModel and layers.ErrConfig", shape, err)
		}
		d := must(layers.NewDense(1, nil))
		if _, err := models.NewSequential(shape, []layers.Layer{d}, nil); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("NewSequential(%v): %v, want layers.ErrConfig", shape, err)
		}
		if d.Built() {
			t.Errorf("NewSequential(%v) built its layer", shape)
		}
	}
	// The largest inputs are fine.
	for _, shape := range [][]int{{layers.MaxTimeSteps, 1}, {layers.MaxSampleElements}, {16, 1 << 20}} {
		if err := models.Input(shape...).Err(); err != nil {
			t.Errorf("Input(%v): %v", shape, err)
		}
	}
}

// Layers that each fit but together exceed layers.MaxWeights are refused
// before any of them is built, and a layer too large for the shape it
// receives (known from the layers before it) likewise.
func TestOversizedModelsAreRefusedBeforeBuilding(t *testing.T) {
	const u = 8192 // Dense(8192) on 8192 features: 67,117,056 weights
	cases := map[string]func() []layers.Layer{
		"four Dense(8192)": func() []layers.Layer {
			return []layers.Layer{must(layers.NewDense(u, nil)), must(layers.NewDense(u, nil)), must(layers.NewDense(u, nil)), must(layers.NewDense(u, nil))}
		},
		"Dense(1<<20) after Dense(4096)": func() []layers.Layer {
			return []layers.Layer{must(layers.NewDense(4096, nil)), must(layers.NewDense(1<<20, nil))}
		},
		"LSTM(8000) on 8000 features": func() []layers.Layer {
			return []layers.Layer{must(layers.NewLSTM(8000, &layers.LSTMOptions{ReturnSequences: true})), must(layers.NewLSTM(8000, nil))}
		},
	}
	for name, mk := range cases {
		ls := mk()
		in := []int{10, u}
		var err error
		if n := allocated(func() { _, err = models.NewSequential(in, ls, nil) }); n > 1<<20 {
			t.Errorf("%s: allocated %d bytes before refusing", name, n)
		}
		if !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: %v, want layers.ErrConfig", name, err)
		}
		for _, l := range ls {
			if l.Built() {
				t.Errorf("%s: layer %s was built", name, l.Name())
			}
		}
	}
	// Small ones fit.
	ls := []layers.Layer{must(layers.NewDense(8, nil)), must(layers.NewDense(8, nil))}
	if _, err := models.NewSequential([]int{4}, ls, nil); err != nil {
		t.Errorf("Dense(8), Dense(8): %v", err)
	}
}

func TestModelBuildsWithTheSeedWeights(t *testing.T) {
	// The limits change nothing for ordinary models: the same seed gives
	// the same weights as building the layers by hand.
	lstm := must(layers.NewLSTM(5, &layers.LSTMOptions{ReturnSequences: true}))
	dense := must(layers.NewDense(1, nil))
	m := must(models.NewSequential([]int{6, 2}, []layers.Layer{lstm, dense}, &models.Options{Seed: 3}))
	rng := graph.NewRNG(3)
	l2 := must(layers.NewLSTM(5, &layers.LSTMOptions{ReturnSequences: true, Name: "lstm"}))
	must(l2.Build(graph.Float32, []int{6, 2}, rng.Split()))
	for i, p := range l2.Params() {
		a, b := p.Float64s(), m.Params()[i].Float64s()
		for k := range a {
			if a[k] != b[k] {
				t.Fatalf("param %s differs at %d", p.Name(), k)
			}
		}
	}
}
