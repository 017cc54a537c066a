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
	"gorgonia.org/tensor"
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
	m, err := models.NewSequential([]int{4, 1}, []layers.Layer{r, d}, models.WithDType(dt), models.WithSeed(1))
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

// TestCheckSamplesView checks CheckSamples (and Predict) on views that
// cut the time axis of a larger tensor: values outside the view, NaN here,
// are not looked at, and a NaN inside is reported with its sample number
// in the view.
func TestCheckSamplesView(t *testing.T) {
	const n, steps = 5, 6
	data := make([]float64, n*steps)
	for i := range data {
		data[i] = math.Sin(float64(i))
		if i%steps == 0 || i%steps == steps-1 {
			data[i] = math.NaN() // first and last step of every sample
		}
	}
	view := func(d []float64) *graph.Tensor {
		t.Helper()
		full, err := graph.FromFloat64s(graph.Float64, d, n, steps, 1)
		if err != nil {
			t.Fatal(err)
		}
		v, err := full.Slice(nil, tensor.S(1, steps-1))
		if err != nil {
			t.Fatal(err)
		}
		vd := v.(*graph.Tensor)
		if !vd.IsView() || !slices.Equal(vd.Shape(), []int{n, 4, 1}) {
			t.Fatalf("want a view of shape [%d 4 1], got %v (view %v)", n, vd.Shape(), vd.IsView())
		}
		return vd
	}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		m := seqModel(t, dt)
		v := view(slices.Clone(data))
		if err := m.CheckSamples("x", v); err != nil {
			t.Errorf("%v: view with NaN only outside it: %v", dt, err)
		}
		p, err := m.Predict(v)
		if err != nil {
			t.Fatalf("%v: Predict on the view: %v", dt, err)
		}
		if i := graph.FirstNonFinite(p); i >= 0 {
			t.Errorf("%v: prediction %d is not finite", dt, i)
		}

		bad := slices.Clone(data)
		bad[3*steps+2] = math.Inf(1) // sample 3, step 1 of the view
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
