package graph

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"gorgonia.org/tensor"
)

// This file tests the seam between gornn's Tensor and the array behind it:
// Gorgonia's views and integer tensors cannot be made through the API, so
// they are wrapped here directly.

// TestEmptyTensor: the methods and functions of a nil *Tensor and of a
// zero Tensor do not panic and report nothing.
func TestEmptyTensor(t *testing.T) {
	for name, x := range map[string]*Tensor{"nil": nil, "zero": {}} {
		if x.Shape() != nil || x.Len() != 0 || x.Dims() != 0 || x.Dim(0) != 0 || x.DType() != -1 || x.Clone() != nil {
			t.Errorf("%s: Shape %v Len %d Dims %d Dim(0) %d DType %v Clone %v", name, x.Shape(), x.Len(), x.Dims(), x.Dim(0), x.DType(), x.Clone())
		}
		if s := x.String(); s != "<nil>" {
			t.Errorf("%s: String %q, want <nil>", name, s)
		}
		if _, ok := Float32Data(x); ok {
			t.Errorf("%s: Float32Data ok", name)
		}
		if _, ok := Float64Data(x); ok {
			t.Errorf("%s: Float64Data ok", name)
		}
		if Float64s(x) != nil || len(AppendFloat64s([]float64{1}, x)) != 1 || FirstNonFinite(x) != -1 {
			t.Errorf("%s: Float64s %v, AppendFloat64s or FirstNonFinite found values", name, Float64s(x))
		}
		if v := Float64sView(x); v.f32 != nil || v.f64 != nil {
			t.Errorf("%s: Float64sView reads %v", name, v)
		}
		for what, err := range map[string]error{
			"DTypeOf":     second(DTypeOf(x)),
			"CheckFinite": CheckFinite(x),
			"SampleRange": second(SampleRange(x, 0, 0)),
			"SampleIndex": second(SampleIndex(x, nil)),
		} {
			if !errors.Is(err, ErrArgument) {
				t.Errorf("%s: %s: %v, want ErrArgument", name, what, err)
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestTensorMethods checks Shape, Dims, Dim, Len, DType and Clone of a
// tensor, and that Shape and Clone copy.
func TestTensorMethods(t *testing.T) {
	for _, dt := range []DType{Float32, Float64} {
		x, err := FromFloat64s(dt, []float64{1, 2, 3, 4, 5, 6}, 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(x.Shape(), []int{2, 3}) || x.Dims() != 2 || x.Dim(0) != 2 || x.Dim(1) != 3 || x.Dim(2) != 0 || x.Dim(-1) != 0 || x.Len() != 6 || x.DType() != dt {
			t.Errorf("%v: Shape %v Dims %d Dim %d %d %d %d Len %d DType %v", dt, x.Shape(), x.Dims(), x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(-1), x.Len(), x.DType())
		}
		x.Shape()[0] = 7
		if x.Dim(0) != 2 {
			t.Errorf("%v: writing Shape's result changed the tensor's shape to %v", dt, x.Shape())
		}
		c := x.Clone()
		if c == x || c.d == x.d || !slices.Equal(Float64s(c), Float64s(x)) || !slices.Equal(c.Shape(), x.Shape()) || c.DType() != dt {
			t.Fatalf("%v: Clone %v of %v", dt, c, x)
		}
		copyInto(c.d, must2(FromFloat64s(Float64, make([]float64, 6), 6)).d)
		if !slices.Equal(Float64s(x), []float64{1, 2, 3, 4, 5, 6}) {
			t.Errorf("%v: writing the clone changed the original to %v", dt, Float64s(x))
		}
		if s := NewTensor(dt); s.Dims() != 0 || s.Shape() == nil || len(s.Shape()) != 0 || s.Len() != 1 {
			t.Errorf("%v: scalar Dims %d Shape %v Len %d", dt, s.Dims(), s.Shape(), s.Len())
		}
	}
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestTensorFormat: a Tensor prints as the array behind it does (the same
// rows and columns), and hides Gorgonia's internals (%i).
func TestTensorFormat(t *testing.T) {
	x := must2(FromFloat64s(Float64, []float64{1, 2.5, -3, 4}, 2, 2))
	for _, f := range []string{"%v", "%.2f", "%+v", "%-v", "%#v", "%s", "%6.3g"} {
		if got, want := fmt.Sprintf(f, x), fmt.Sprintf(f, x.d); got != want {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
	}
	if got, want := x.String(), fmt.Sprint(x.d); got != want {
		t.Errorf("String %q, want %q", got, want)
	}
	if got := fmt.Sprintf("%i", x); got != "%!i(*graph.Tensor)" {
		t.Errorf("%%i: %q", got)
	}
}

// TestWrapView: a view of Gorgonia's (a column of a wider tensor, NaN
// beside it) becomes a Tensor of its own elements, in order, so every
// function reads the view's elements and not the memory around it.
func TestWrapView(t *testing.T) {
	wide := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking([]float64{math.NaN(), 0, 1, math.NaN(), 2, 3, math.NaN(), 4, 5}))
	v, err := wide.Slice(nil, tensor.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	view := v.(*tensor.Dense)
	if !view.IsView() {
		t.Fatal("Slice did not make a view")
	}
	x := wrap(view)
	if x.d.IsView() || !slices.Equal(x.Shape(), []int{3, 2}) {
		t.Fatalf("wrap kept a view (%v) or its shape is %v", x.d.IsView(), x.Shape())
	}
	if got := Float64s(x); !slices.Equal(got, []float64{0, 1, 2, 3, 4, 5}) {
		t.Errorf("Float64s = %v", got)
	}
	if err := CheckFinite(x); err != nil {
		t.Errorf("CheckFinite: %v (the NaN is outside the view)", err)
	}
	if r, err := SampleRange(x, 1, 3); err != nil || !slices.Equal(Float64s(r), []float64{2, 3, 4, 5}) {
		t.Errorf("SampleRange(1, 3) = %v, %v", Float64s(r), err)
	}
	if r, err := SampleIndex(x, []int{2, 0}); err != nil || !slices.Equal(Float64s(r), []float64{4, 5, 0, 1}) {
		t.Errorf("SampleIndex(2, 0) = %v, %v", Float64s(r), err)
	}
	// A Tensor holding a view anyway (built by hand, not by wrap) is read
	// through its own indexing too.
	raw := &Tensor{d: view}
	if r, err := SampleIndex(raw, []int{1}); err != nil || !slices.Equal(Float64s(r), []float64{2, 3}) {
		t.Errorf("SampleIndex of a raw view = %v, %v", Float64s(r), err)
	}

	// An executor fed the view computes what it computes from a copy.
	b, err := NewBuilder(Float64, 3)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Compile(Spec{Outputs: []*Node{b.Tanh(b.Input("x", 3, 2))}})
	if err != nil {
		t.Fatal(err)
	}
	e, f := p.NewExecutor(), p.NewExecutor()
	if err := e.SetInput(0, raw); err != nil {
		t.Fatal(err)
	}
	if err := f.SetInput(0, must2(FromFloat64s(Float64, []float64{0, 1, 2, 3, 4, 5}, 3, 2))); err != nil {
		t.Fatal(err)
	}
	if e.Run() != nil || f.Run() != nil {
		t.Fatal("run failed")
	}
	if a, b := Float64s(must2(e.Output(0))), Float64s(must2(f.Output(0))); !slices.Equal(a, b) {
		t.Errorf("view input: output %v, want %v", a, b)
	}
}

// TestIntegerTensor: a Tensor over an integer array (never made by the
// API) is refused with ErrDType, not read.
func TestIntegerTensor(t *testing.T) {
	ints := wrap(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]int{1, 2, 3, 4, 5, 6})))
	if _, err := DTypeOf(ints); !errors.Is(err, ErrDType) {
		t.Errorf("DTypeOf: %v, want ErrDType", err)
	}
	if ints.DType() != -1 {
		t.Errorf("DType %v, want -1", ints.DType())
	}
	if _, err := SampleRange(ints, 0, 1); !errors.Is(err, ErrDType) {
		t.Errorf("SampleRange: %v, want ErrDType", err)
	}
	b, err := NewBuilder(Float64, 2)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Compile(Spec{Outputs: []*Node{b.Tanh(b.Input("x", 2, 3))}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.NewExecutor().SetInput(0, ints); !errors.Is(err, ErrDType) {
		t.Errorf("SetInput: %v, want ErrDType", err)
	}
}
