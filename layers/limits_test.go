package layers_test

import (
	"errors"
	"math"
	"runtime"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// allocated returns the bytes f allocates (all goroutines; the tests here
// run alone).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestConstructorsRefuseOversizedLayers(t *testing.T) {
	largest := map[string]int{"dense": layers.MaxUnits, "simple_rnn": 16383, "lstm": 8191, "gru": 9457}
	for _, c := range constructors {
		for _, u := range []int{1 << 61, 1 << 40, 1 << 31, math.MaxInt, layers.MaxUnits + 1, largest[c.kind] + 1} {
			var l layers.Layer
			var err error
			if n := allocated(func() { l, err = c.make(u, settings{}) }); n > 1<<20 {
				t.Errorf("%s(%d): allocated %d bytes before refusing", c.kind, u, n)
			}
			if !errors.Is(err, layers.ErrConfig) {
				t.Errorf("%s(%d): %v, want ErrConfig", c.kind, u, err)
			}
			if l != nil && !isNil(l) {
				t.Errorf("%s(%d): returned a layer with the error", c.kind, u)
			}
		}
		// The largest layer whose weights fit for one input feature.
		l, err := c.make(largest[c.kind], settings{})
		if err != nil {
			t.Fatalf("%s(%d): %v", c.kind, largest[c.kind], err)
		}
		n, _, err := l.(layers.Planner).Plan([]int{1, 1})
		if err != nil || n > layers.MaxWeights {
			t.Errorf("%s(%d) for [1 1]: %d weights, %v", c.kind, largest[c.kind], n, err)
		}
	}
	// Real sizes stay well inside the limits.
	l := must(layers.NewLSTM(4096, &layers.LSTMOptions{Name: "big"}))
	if n, out, err := l.Plan([]int{100, 4096}); err != nil || n != 4*4096*(4096+4096+1) || len(out) != 1 || out[0] != 4096 {
		t.Errorf("LSTM(4096) for [100 4096]: %d weights, out %v, %v", n, out, err)
	}
}

func TestBuildRefusesOversizedInputs(t *testing.T) {
	cases := []struct {
		kind  string
		units int
		in    []int
		want  error
	}{
		{"dense", 4, []int{layers.MaxSampleElements + 1}, layers.ErrConfig},
		{"dense", 4, []int{1 << 40, 1 << 40}, layers.ErrConfig}, // the product overflows int
		{"dense", 4, []int{math.MaxInt, math.MaxInt, 2}, layers.ErrConfig},
		{"dense", 1 << 20, []int{1 << 10}, layers.ErrConfig}, // 2³⁰ weights
		{"dense", 1 << 20, []int{3, 256}, layers.ErrConfig},  // 2²⁸ + 2²⁰
		{"lstm", 4, []int{layers.MaxTimeSteps + 1, 1}, layers.ErrConfig},
		{"lstm", 4, []int{10, 1 << 40}, layers.ErrConfig},
		{"lstm", 8000, []int{10, 100000}, layers.ErrConfig}, // 3.2·10⁹ kernel weights
		{"gru", 9000, []int{10, 1000}, layers.ErrConfig},
		{"simple_rnn", 16000, []int{10, 1000}, layers.ErrConfig},
		{"simple_rnn", 4, []int{1 << 13, 1 << 12}, layers.ErrConfig}, // 2²⁵ values per sample
		{"gru", 4, []int{math.MaxInt, 1}, layers.ErrConfig},
		{"lstm", 4, []int{-1, 1 << 62}, graph.ErrShape},
	}
	for _, c := range cases {
		var mk constructor
		for _, k := range constructors {
			if k.kind == c.kind {
				mk = k
			}
		}
		l := must(mk.make(c.units, settings{name: "x"}))
		if _, _, err := l.(layers.Planner).Plan(c.in); !errors.Is(err, c.want) {
			t.Errorf("%s(%d).Plan(%v): %v, want %v", c.kind, c.units, c.in, err, c.want)
		}
		var err error
		if n := allocated(func() { _, err = l.Build(graph.Float32, c.in, graph.NewRNG(1)) }); n > 1<<20 {
			t.Errorf("%s(%d) for %v: allocated %d bytes before refusing", c.kind, c.units, c.in, n)
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s(%d).Build(%v): %v, want %v", c.kind, c.units, c.in, err, c.want)
		}
		if l.Built() || len(l.Params()) != 0 {
			t.Errorf("%s(%d) for %v: built after the error", c.kind, c.units, c.in)
		}
	}
}

// Plan gives the weights Build creates and its output shape.
func TestPlanMatchesBuild(t *testing.T) {
	for _, c := range constructors {
		for _, seq := range []bool{false, true} {
			l := must(c.make(5, settings{name: "p", returnSequences: seq && c.kind != "dense"}))
			in := []int{7, 3}
			n, out, err := l.(layers.Planner).Plan(in)
			if err != nil {
				t.Fatalf("%s: Plan: %v", c.kind, err)
			}
			got := must(l.Build(graph.Float64, in, graph.NewRNG(1)))
			count := 0
			for _, p := range l.Params() {
				count += p.Len()
			}
			if n != count || len(out) != len(got) || out[0] != got[0] || out[len(out)-1] != got[len(got)-1] {
				t.Errorf("%s: Plan %d weights, out %v; Build %d weights, out %v", c.kind, n, out, count, got)
			}
		}
	}
}

func TestBuildWithoutRNG(t *testing.T) {
	for _, c := range constructors {
		l := must(c.make(3, settings{name: "r"}))
		_, err := l.Build(graph.Float32, []int{4, 2}, nil)
		if !errors.Is(err, layers.ErrConfig) || !errors.Is(err, graph.ErrArgument) {
			t.Errorf("%s: Build with a nil RNG: %v, want ErrConfig and graph.ErrArgument", c.kind, err)
		}
		if l.Built() {
			t.Errorf("%s: built with a nil RNG", c.kind)
		}
		if _, err := l.Build(graph.Float32, []int{4, 2}, graph.NewRNG(1)); err != nil {
			t.Errorf("%s: Build after the refusal: %v", c.kind, err)
		}
	}
}

// Every exported method of a nil or zero layer returns (an error, or an
// empty value) instead of panicking.
func TestNilAndZeroLayers(t *testing.T) {
	var (
		nd *layers.Dense
		ns *layers.SimpleRNN
		nl *layers.LSTM
		ng *layers.GRU
	)
	ls := map[string]layers.Layer{
		"nil dense": nd, "nil simple_rnn": ns, "nil lstm": nl, "nil gru": ng,
		"zero dense": &layers.Dense{}, "zero simple_rnn": &layers.SimpleRNN{}, "zero lstm": &layers.LSTM{}, "zero gru": &layers.GRU{},
	}
	for name, l := range ls {
		zero := name[:4] == "zero"
		_ = l.Name()
		_ = l.Kind()
		_ = l.ClassName()
		_ = l.Config()
		if l.Built() || l.Params() != nil || l.Weights() != nil {
			t.Errorf("%s: built, params or weights", name)
		}
		if err := l.SetName("x"); (err == nil) != zero || (err != nil && !errors.Is(err, layers.ErrConfig)) {
			t.Errorf("%s: SetName: %v", name, err)
		}
		if _, err := l.Build(graph.Float32, []int{4, 2}, graph.NewRNG(1)); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: Build: %v, want ErrConfig", name, err)
		}
		if _, _, err := l.(layers.Planner).Plan([]int{4, 2}); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: Plan: %v, want ErrConfig", name, err)
		}
		if err := l.SetWeights(nil); !errors.Is(err, layers.ErrNotBuilt) {
			t.Errorf("%s: SetWeights: %v, want ErrNotBuilt", name, err)
		}
		if _, err := l.KerasLayout(nil); !errors.Is(err, layers.ErrNotBuilt) {
			t.Errorf("%s: KerasLayout: %v, want ErrNotBuilt", name, err)
		}
		b := must(graph.NewBuilder(graph.Float32, 2))
		if y := l.Forward(b, b.SequenceInput("x", 2, 4, 2)); y != nil || !errors.Is(b.Err(), layers.ErrNotBuilt) {
			t.Errorf("%s: Forward: %v, builder error %v, want ErrNotBuilt", name, y, b.Err())
		}
		if y := l.Forward(nil, nil); y != nil {
			t.Errorf("%s: Forward(nil, nil) = %v", name, y)
		}
		switch v := l.(type) {
		case *layers.Dense:
			_, _ = v.Units(), v.Activation()
		case *layers.SimpleRNN:
			_, _ = v.Units(), v.ReturnSequences()
		case *layers.LSTM:
			_, _, _ = v.Units(), v.ReturnSequences(), v.UnitForgetBias()
		case *layers.GRU:
			_, _ = v.Units(), v.ReturnSequences()
		}
	}
}

// A built layer's Forward with a nil builder or node does not panic.
func TestForwardNilArguments(t *testing.T) {
	for _, c := range constructors {
		l := must(c.make(2, settings{name: "f"}))
		must(l.Build(graph.Float32, []int{3, 2}, graph.NewRNG(1)))
		if y := l.Forward(nil, nil); y != nil {
			t.Errorf("%s: Forward(nil, nil) = %v", c.kind, y)
		}
		b := must(graph.NewBuilder(graph.Float32, 2))
		if y := l.Forward(b, nil); y != nil || b.Err() == nil {
			t.Errorf("%s: Forward(b, nil) = %v, builder error %v", c.kind, y, b.Err())
		}
	}
}

// BenchmarkBuildLSTM times building an LSTM layer, most of it the
// orthogonal recurrent kernel [U, 4U]. Run it with -benchtime=1x: one
// build of LSTM(2000) takes seconds.
func BenchmarkBuildLSTM(b *testing.B) {
	for _, u := range []struct {
		name  string
		units int
	}{{"U100", 100}, {"U1000", 1000}, {"U2000", 2000}} {
		b.Run(u.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l := must(layers.NewLSTM(u.units, &layers.LSTMOptions{Name: "lstm"}))
				if _, err := l.Build(graph.Float32, []int{10, 1}, graph.NewRNG(1)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
