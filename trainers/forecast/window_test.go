package forecast

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
)

func TestScalers(t *testing.T) {
	train := []float64{1, 2, 3, 4, 10}
	cases := []struct {
		kind          ScalerKind
		center, scale float64
	}{
		{Standard, 4, math.Sqrt((9 + 4 + 1 + 0 + 36) / 5.0)},
		{MinMax, 1, 9},
		{Robust, 3, 2}, // R: quantile(c(1,2,3,4,10)) → 2, 3, 4
		{NoScaling, 0, 1},
	}
	for _, c := range cases {
		s, err := FitScaler(c.kind, train)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(s.Center-c.center) > 1e-12 || math.Abs(s.Scale-c.scale) > 1e-12 {
			t.Errorf("%v: center %v scale %v, want %v %v", c.kind, s.Center, s.Scale, c.center, c.scale)
		}
		x := []float64{-3, 0.5, 7, 100}
		back := s.Inverse(s.Transform(x))
		for i := range x {
			if math.Abs(back[i]-x[i]) > 1e-12 {
				t.Errorf("%v: Inverse(Transform(%v)) = %v", c.kind, x, back)
			}
		}
		if k, err := ParseScaler(c.kind.String()); err != nil || k != c.kind {
			t.Errorf("ParseScaler(%q) = %v, %v", c.kind.String(), k, err)
		}
	}
	if s, err := FitScaler(Standard, []float64{5, 5, 5}); err != nil || s.Scale != 1 || s.Center != 5 {
		t.Errorf("constant series: %+v, %v; want centre 5, scale 1", s, err)
	}
	for _, bad := range [][]float64{nil, {1, math.NaN()}} {
		if _, err := FitScaler(Standard, bad); !errors.Is(err, ErrData) {
			t.Errorf("FitScaler(%v): %v, want ErrData", bad, err)
		}
	}
	if _, err := ParseScaler("zscore"); !errors.Is(err, ErrArgument) {
		t.Errorf("ParseScaler(zscore): %v", err)
	}
}

func TestWindowsLayout(t *testing.T) {
	s := Series{
		Target: []float64{0, 1, 2, 3, 4, 5},
		Past:   [][]float64{{10, 11, 12, 13, 14, 15}},
		Future: [][]float64{{20, 21, 22, 23, 24, 25, 26, 27}},
	}
	w, err := MakeWindows(s, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if w.N != 3 || w.Features != 3 || !slices.Equal(w.Origins, []int{2, 3, 4}) {
		t.Fatalf("N %d features %d origins %v", w.N, w.Features, w.Origins)
	}
	// origin 2: steps t=0,1 → (target, past, future at t+2)
	if want := []float64{0, 10, 22, 1, 11, 23}; !slices.Equal(w.Inputs[:6], want) {
		t.Errorf("first sample inputs %v, want %v", w.Inputs[:6], want)
	}
	if want := []float64{2, 3, 3, 4, 4, 5}; !slices.Equal(w.Targets, want) {
		t.Errorf("targets %v, want %v", w.Targets, want)
	}
	in, err := InputAt(s, 2, 2, 6) // past the end: future covariates reach 8
	if err != nil || !slices.Equal(in, []float64{4, 14, 26, 5, 15, 27}) {
		t.Errorf("InputAt(6) = %v, %v", in, err)
	}
	if _, err := InputAt(s, 2, 3, 6); !errors.Is(err, ErrData) {
		t.Errorf("future covariates too short: %v", err)
	}
	x, y, err := w.Tensors(graph.Float32)
	if err != nil || !slices.Equal(x.Shape(), []int{3, 2, 3}) || !slices.Equal(y.Shape(), []int{3, 2}) {
		t.Fatalf("tensors %v %v, %v", x.Shape(), y.Shape(), err)
	}
	if d, ok := graph.Float32Data(y); !ok || d[5] != 5 {
		t.Errorf("targets tensor %v", d)
	}
}

func TestWindowsErrors(t *testing.T) {
	ok := []float64{1, 2, 3, 4, 5}
	cases := []struct {
		name   string
		s      Series
		w, h   int
		target error
	}{
		{"empty", Series{}, 1, 1, ErrData},
		{"short", Series{Target: ok}, 3, 3, ErrData},
		{"nan", Series{Target: []float64{1, math.NaN(), 3}}, 1, 1, ErrData},
		{"window 0", Series{Target: ok}, 0, 1, ErrArgument},
		{"horizon 0", Series{Target: ok}, 1, 0, ErrArgument},
		{"past length", Series{Target: ok, Past: [][]float64{{1, 2}}}, 1, 1, ErrData},
		{"future short", Series{Target: ok, Future: [][]float64{{1, 2}}}, 1, 1, ErrData},
		{"past inf", Series{Target: ok, Past: [][]float64{{1, 2, 3, 4, math.Inf(1)}}}, 1, 1, ErrData},
	}
	for _, c := range cases {
		if _, err := MakeWindows(c.s, c.w, c.h); !errors.Is(err, c.target) {
			t.Errorf("%s: %v, want %v", c.name, err, c.target)
		}
	}
}
