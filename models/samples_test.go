package models_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// seqModel is Input(4, 1) → SimpleRNN(2) → Dense(1) in dtype dt.
func seqModel(t *testing.T, dt graph.DType) *models.Model {
	t.Helper()
	r, err := layers.NewSimpleRNN(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers.NewDense(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewSequential([]int{4, 1}, []layers.Layer{r, d}, &models.Options{DType: dt, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkSampleErr fails unless err wraps graph.ErrNotFinite and names the
// sample.
func checkSampleErr(t *testing.T, what string, err error, sample string) {
	t.Helper()
	if !errors.Is(err, graph.ErrNotFinite) || !strings.Contains(err.Error(), sample) {
		t.Errorf("%s: error %v, want one wrapping %v naming %q", what, err, graph.ErrNotFinite, sample)
	}
}

// TestCheckSamplesPart checks CheckSamples (and Predict) on samples cut
// from a larger tensor by graph.SampleRange, sharing its memory: values
// outside the part, NaN here, are not looked at, and a NaN inside is
// reported with its sample number in the part. (Gorgonia's views, which
// cut other axes, cannot be made through graph's API; graph tests them at
// its seam.)
func TestCheckSamplesPart(t *testing.T) {
	const n, steps = 5, 4
	data := make([]float64, (n+2)*steps)
	for i := range data {
		data[i] = math.Sin(float64(i))
		if i < steps || i >= (n+1)*steps {
			data[i] = math.NaN() // the samples before and after the part
		}
	}
	view := func(d []float64) *graph.Tensor {
		t.Helper()
		full, err := graph.FromFloat64s(graph.Float64, d, n+2, steps, 1)
		if err != nil {
			t.Fatal(err)
		}
		v, err := graph.SampleRange(full, 1, n+1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v.Shape(), []int{n, 4, 1}) {
			t.Fatalf("want a part of shape [%d 4 1], got %v", n, v.Shape())
		}
		return v
	}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		m := seqModel(t, dt)
		v := view(slices.Clone(data))
		if err := m.CheckSamples("x", v); err != nil {
			t.Errorf("%v: part with NaN only outside it: %v", dt, err)
		}
		p, err := m.Predict(v)
		if err != nil {
			t.Fatalf("%v: Predict on the part: %v", dt, err)
		}
		if i := graph.FirstNonFinite(p); i >= 0 {
			t.Errorf("%v: prediction %d is not finite", dt, i)
		}

		bad := slices.Clone(data)
		bad[(1+3)*steps+1] = math.Inf(1) // sample 3, step 1 of the part
		checkSampleErr(t, "CheckSamples", m.CheckSamples("x", view(bad)), "x sample 3")
		_, err = m.Predict(view(bad))
		checkSampleErr(t, "Predict", err, "x sample 3")
	}
}

// TestCheckSamplesFloat32Range checks that a float32 model refuses float64
// values that overflow float32 (naming the sample, wrapping
// graph.ErrNotFinite) and accepts those that round to its largest value;
// a float64 model accepts both.
func TestCheckSamplesFloat32Range(t *testing.T) {
	const n = 3
	at := func(i int, v float64) *graph.Tensor {
		d := make([]float64, n*4)
		d[i] = v
		x, err := graph.FromFloat64s(graph.Float64, d, n, 4, 1)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	m32, m64 := seqModel(t, graph.Float32), seqModel(t, graph.Float64)
	for _, v := range []float64{1e39, -1e39, math.MaxFloat64, -math.MaxFloat64, 2 * math.MaxFloat32} {
		x := at(2*4+3, v)
		checkSampleErr(t, "float32 CheckSamples", m32.CheckSamples("x", x), "x sample 2")
		_, err := m32.Predict(x)
		checkSampleErr(t, "float32 Predict", err, "x sample 2")
		if err := m64.CheckSamples("x", x); err != nil {
			t.Errorf("float64 model, %v: %v", v, err)
		}
	}
	for _, v := range []float64{math.MaxFloat32, -math.MaxFloat32, math.MaxFloat32 * (1 + 1e-9), 1e-50} {
		if err := m32.CheckSamples("x", at(5, v)); err != nil {
			t.Errorf("float32 model, %v (rounds to a finite float32): %v", v, err)
		}
	}
	// float32 data are already in range.
	x32, err := graph.FromFloat64s(graph.Float32, make([]float64, n*4), n, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m32.CheckSamples("x", x32); err != nil {
		t.Errorf("float32 data: %v", err)
	}
}
