package graph_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
)

func TestNewBuilderRejectsBadArguments(t *testing.T) {
	for _, c := range []struct {
		dt    graph.DType
		batch int
	}{{graph.DType(2), 1}, {graph.DType(-1), 4}, {graph.Float32, 0}, {graph.Float64, -3}} {
		b, err := graph.NewBuilder(c.dt, c.batch)
		if !errors.Is(err, graph.ErrArgument) || b != nil {
			t.Errorf("NewBuilder(%v, %d) = %v, %v; want nil, ErrArgument", c.dt, c.batch, b, err)
		}
	}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		b, err := graph.NewBuilder(dt, 7)
		if err != nil || b.Batch() != 7 || b.DType() != dt {
			t.Errorf("NewBuilder(%v, 7): %v", dt, err)
		}
	}
}

func TestParseDType(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		if got, err := graph.ParseDType(dt.String()); err != nil || got != dt {
			t.Errorf("ParseDType(%q) = %v, %v", dt.String(), got, err)
		}
	}
	for _, s := range []string{"", "float16", "Float32", "int"} {
		if _, err := graph.ParseDType(s); !errors.Is(err, graph.ErrArgument) {
			t.Errorf("ParseDType(%q): %v, want ErrArgument", s, err)
		}
	}
	if graph.DType(5).Valid() || graph.DType(5).String() != "DType(5)" {
		t.Error("DType(5) is valid or misnamed")
	}
}

// TestBuilderErrors checks each operation's validation, and that the
// first error sticks: later operations return nil and keep it.
func TestBuilderErrors(t *testing.T) {
	type tc struct {
		name  string
		build func(b *graph.Builder) *graph.Node
		want  error
	}
	other := must(graph.NewBuilder(graph.Float32, 2))
	foreign := other.Input("x", 2, 3)
	cases := []tc{
		{"input without shape", func(b *graph.Builder) *graph.Node { return b.Input("x") }, graph.ErrShape},
		{"input of another batch", func(b *graph.Builder) *graph.Node { return b.Input("x", 3, 4) }, graph.ErrShape},
		{"input with a zero dim", func(b *graph.Builder) *graph.Node { return b.Input("x", 2, 0) }, graph.ErrShape},
		{"input with a negative dim", func(b *graph.Builder) *graph.Node { return b.Input("x", 2, 4, -1) }, graph.ErrShape},
		{"sequence input of rank 2", func(b *graph.Builder) *graph.Node { return b.SequenceInput("x", 2, 4) }, graph.ErrShape},
		{"sequence input with zero time", func(b *graph.Builder) *graph.Node { return b.SequenceInput("x", 2, 0, 1) }, graph.ErrShape},
		{"add of other shapes", func(b *graph.Builder) *graph.Node { return b.Add(b.Input("x", 2, 3), b.Input("y", 2, 4)) }, graph.ErrShape},
		{"mul of other shapes", func(b *graph.Builder) *graph.Node { return b.Mul(b.Input("x", 2, 3), b.Input("y", 2, 3, 1)) }, graph.ErrShape},
		{"matmul inner mismatch", func(b *graph.Builder) *graph.Node { return b.MatMul(b.Input("x", 2, 3), b.Input("w", 2, 4)) }, graph.ErrShape},
		{"matmul by a vector", func(b *graph.Builder) *graph.Node { return b.MatMul(b.Input("x", 2, 3), b.Full(1, 3)) }, graph.ErrShape},
		{"bias of the wrong length", func(b *graph.Builder) *graph.Node { return b.AddBias(b.Input("x", 2, 3), b.Full(1, 4)) }, graph.ErrShape},
		{"bias matrix", func(b *graph.Builder) *graph.Node { return b.AddBias(b.Input("x", 2, 3), b.Full(1, 1, 3)) }, graph.ErrShape},
		{"reshape to another size", func(b *graph.Builder) *graph.Node { return b.Reshape(b.Input("x", 2, 3), 2, 4) }, graph.ErrShape},
		{"reshape to a zero dim", func(b *graph.Builder) *graph.Node { return b.Reshape(b.Input("x", 2, 3), 6, 0) }, graph.ErrShape},
		{"slice past the end", func(b *graph.Builder) *graph.Node { return b.Slice(b.Input("x", 2, 3), 1, 1, 4) }, graph.ErrShape},
		{"empty slice", func(b *graph.Builder) *graph.Node { return b.Slice(b.Input("x", 2, 3), 1, 2, 2) }, graph.ErrShape},
		{"slice of a missing axis", func(b *graph.Builder) *graph.Node { return b.Slice(b.Input("x", 2, 3), 2, 0, 1) }, graph.ErrShape},
		{"index past the end", func(b *graph.Builder) *graph.Node { return b.Index(b.Input("x", 2, 300), 1, 300) }, graph.ErrShape},
		{"negative index", func(b *graph.Builder) *graph.Node { return b.Index(b.Input("x", 2, 3), 1, -1) }, graph.ErrShape},
		{"concat along a missing axis", func(b *graph.Builder) *graph.Node { return b.Concat(2, b.Input("x", 2, 3), b.Input("y", 2, 3)) }, graph.ErrShape},
		{"concat of nothing", func(b *graph.Builder) *graph.Node { return b.Concat(1) }, graph.ErrArgument},
		{"steps of a matrix", func(b *graph.Builder) *graph.Node { return b.Stack(b.Steps(b.Input("x", 2, 3))) }, graph.ErrShape},
		{"stack of nothing", func(b *graph.Builder) *graph.Node { return b.Stack(nil) }, graph.ErrArgument},
		{"stack of mixed shapes", func(b *graph.Builder) *graph.Node {
			return b.Stack([]*graph.Node{b.Input("x", 2, 3), b.Input("y", 2, 4)})
		}, graph.ErrShape},
		{"stack of sequences", func(b *graph.Builder) *graph.Node {
			return b.Stack([]*graph.Node{b.Input("x", 2, 3, 1)})
		}, graph.ErrShape},
		{"constant with a zero dim", func(b *graph.Builder) *graph.Node { return b.Full(1, 2, 0) }, graph.ErrShape},
		{"constant without shape", func(b *graph.Builder) *graph.Node { return b.Zeros() }, graph.ErrShape},
		{"sum along a missing axis", func(b *graph.Builder) *graph.Node { return b.SumAxis(b.Input("x", 2, 3), 2) }, graph.ErrShape},
		{"nil operand", func(b *graph.Builder) *graph.Node { return b.Tanh(nil) }, graph.ErrGraph},
		{"nil second operand", func(b *graph.Builder) *graph.Node { return b.Sub(b.Input("x", 2, 3), nil) }, graph.ErrGraph},
		{"node of another builder", func(b *graph.Builder) *graph.Node { return b.Add(b.Input("x", 2, 3), foreign) }, graph.ErrGraph},
		{"nil parameter", func(b *graph.Builder) *graph.Node { return b.Param(nil) }, graph.ErrArgument},
		{"float32 parameter in a float64 graph", func(b *graph.Builder) *graph.Node {
			return b.Param(must(graph.NewParam("w", graph.Float32, []int{3, 3}, nil, graph.NewRNG(1))))
		}, graph.ErrDType},
		{"block past the end", func(b *graph.Builder) *graph.Node {
			return b.ParamBlock(must(graph.NewParam("w", graph.Float64, []int{4, 3, 3}, nil, graph.NewRNG(1))), 4)
		}, graph.ErrShape},
		{"block of a vector", func(b *graph.Builder) *graph.Node {
			return b.ParamBlock(must(graph.NewParam("w", graph.Float64, []int{4}, nil, graph.NewRNG(1))), 0)
		}, graph.ErrShape},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := must(graph.NewBuilder(graph.Float64, 2))
			n := c.build(b)
			first := b.Err()
			if n != nil || !errors.Is(first, c.want) {
				t.Fatalf("node %v, error %v; want nil and %v", n, first, c.want)
			}
			// Sticky: a valid operation now does nothing and the first
			// error is kept; Compile reports it.
			if y := b.Input("later", 2, 3); y != nil {
				t.Error("an operation after an error returned a node")
			}
			b.Fail(errors.New("second error"))
			if b.Err() != first {
				t.Errorf("error changed from %v to %v", first, b.Err())
			}
			if _, err := b.Compile(graph.Spec{Outputs: []*graph.Node{n}}); err != first {
				t.Errorf("Compile: %v, want the builder's error %v", err, first)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	newB := func() (*graph.Builder, *graph.Node) {
		b := must(graph.NewBuilder(graph.Float64, 2))
		return b, b.Input("x", 2, 3)
	}
	b, x := newB()
	if _, err := b.Compile(graph.Spec{}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("nothing to compute: %v, want ErrArgument", err)
	}
	b, x = newB()
	if _, err := b.Compile(graph.Spec{Outputs: []*graph.Node{x}, Grads: true}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("gradients without a loss: %v, want ErrArgument", err)
	}
	b, x = newB()
	if _, err := b.Compile(graph.Spec{Outputs: []*graph.Node{x}, InputGrads: true}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("input gradients without a loss: %v, want ErrArgument", err)
	}
	b, x = newB()
	if _, err := b.Compile(graph.Spec{Loss: b.Square(x)}); !errors.Is(err, graph.ErrShape) {
		t.Errorf("loss of shape [2 3]: %v, want ErrShape", err)
	}
	b, x = newB()
	if _, err := b.Compile(graph.Spec{Outputs: []*graph.Node{nil}}); !errors.Is(err, graph.ErrGraph) {
		t.Errorf("nil output: %v, want ErrGraph", err)
	}
	b, x = newB()
	p, err := b.Compile(graph.Spec{Outputs: []*graph.Node{b.Tanh(x)}})
	if err != nil {
		t.Fatal(err)
	}
	if p.InputShape(1) != nil || p.InputShape(-1) != nil {
		t.Errorf("InputShape of a missing input: %v, %v; want nil", p.InputShape(1), p.InputShape(-1))
	}
	if p.Batch() != 2 || p.DType() != graph.Float64 || p.NumInputs() != 1 || !slices.Equal(p.InputShape(0), []int{2, 3}) {
		t.Errorf("program: batch %d dtype %v inputs %d shape %v", p.Batch(), p.DType(), p.NumInputs(), p.InputShape(0))
	}
	if _, err := b.Compile(graph.Spec{Outputs: []*graph.Node{x}}); !errors.Is(err, graph.ErrGraph) {
		t.Errorf("second Compile: %v, want ErrGraph", err)
	}
}

// newProgram compiles y = tanh(x·w), loss = mean(y²) for x [2, 3], with
// parameter and input gradients as asked.
func newProgram(t *testing.T, grads, inputGrads bool) (*graph.Program, *graph.Param) {
	t.Helper()
	w := must(graph.NewParam("w", graph.Float64, []int{3, 2}, graph.GlorotUniform(), graph.NewRNG(1)))
	b := must(graph.NewBuilder(graph.Float64, 2))
	x := b.Input("x", 2, 3)
	y := b.Tanh(b.MatMul(x, b.Param(w)))
	p, err := b.Compile(graph.Spec{Outputs: []*graph.Node{y}, Loss: b.Mean(b.Square(y)), Grads: grads, InputGrads: inputGrads})
	if err != nil {
		t.Fatal(err)
	}
	return p, w
}

func TestExecutorErrors(t *testing.T) {
	p, w := newProgram(t, false, false)
	e := p.NewExecutor()
	if e.Program() != p {
		t.Error("Program() is not the program")
	}
	if _, err := e.Output(0); !errors.Is(err, graph.ErrGraph) {
		t.Errorf("Output before Run: %v, want ErrGraph", err)
	}
	if _, err := e.Loss(); !errors.Is(err, graph.ErrGraph) {
		t.Errorf("Loss before Run: %v, want ErrGraph", err)
	}
	good := seededTensor(1, 2, 3)
	nan := seededTensor(1, 2, 3)
	data64(nan)[4] = math.NaN()
	inf := seededTensor(1, 2, 3)
	data64(inf)[0] = math.Inf(-1)
	// An integer tensor cannot be made through gornn's API; the executor's
	// refusal of one is tested at the seam (tensor_seam_test.go).
	for _, c := range []struct {
		name string
		i    int
		x    *graph.Tensor
		want error
	}{
		{"index -1", -1, good, graph.ErrArgument},
		{"index 1", 1, good, graph.ErrArgument},
		{"nil tensor", 0, nil, graph.ErrArgument},
		{"transposed", 0, seededTensor(1, 3, 2), graph.ErrShape},
		{"flat", 0, seededTensor(1, 6), graph.ErrShape},
		{"another batch", 0, seededTensor(1, 3, 3), graph.ErrShape},
		{"NaN", 0, nan, graph.ErrNotFinite},
		{"-Inf", 0, inf, graph.ErrNotFinite},
	} {
		if err := e.SetInput(c.i, c.x); !errors.Is(err, c.want) {
			t.Errorf("SetInput %s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := e.SetInput(0, good); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	want := graph.Float64s(must(e.Output(0)))
	// A rejected input leaves the last good one in place.
	if err := e.SetInput(0, nan); err == nil {
		t.Fatal("NaN accepted")
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	if got := graph.Float64s(must(e.Output(0))); !slices.Equal(got, want) {
		t.Errorf("output changed after a rejected input: %v, want %v", got, want)
	}
	for _, i := range []int{-1, 1} {
		if _, err := e.Output(i); !errors.Is(err, graph.ErrArgument) {
			t.Errorf("Output(%d): %v, want ErrArgument", i, err)
		}
	}
	if _, err := e.Grads([]*graph.Param{w}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("Grads of a program without gradients: %v, want ErrArgument", err)
	}
	if _, err := e.InputGrad(0); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("InputGrad of a program without input gradients: %v, want ErrArgument", err)
	}
	if _, err := e.InputGrad(3); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("InputGrad(3): %v, want ErrArgument", err)
	}

	// A program without a loss.
	b := must(graph.NewBuilder(graph.Float64, 1))
	x := b.Input("x", 1, 2)
	q := must(b.Compile(graph.Spec{Outputs: []*graph.Node{b.Neg(x)}}))
	f := q.NewExecutor()
	if err := f.SetInput(0, seededTensor(2, 1, 2)); err != nil {
		t.Fatal(err)
	}
	if err := f.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Loss(); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("Loss of a program without one: %v, want ErrArgument", err)
	}
}

// TestSetInputConverts feeds float32 data to a float64 program (a
// non-contiguous view of Gorgonia's at the seam: tensor_seam_test.go).
func TestSetInputConverts(t *testing.T) {
	p, _ := newProgram(t, false, false)
	e := p.NewExecutor()
	ref := seededTensor(3, 2, 3)
	if err := e.SetInput(0, ref); err != nil {
		t.Fatal(err)
	}
	must(0, e.Run())
	want := graph.Float64s(must(e.Output(0)))

	f32 := must(graph.FromFloat64s(graph.Float32, graph.Float64s(ref), 2, 3))
	if err := e.SetInput(0, f32); err != nil {
		t.Fatal(err)
	}
	must(0, e.Run())
	got := graph.Float64s(must(e.Output(0)))
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-6 {
			t.Fatalf("float32 input: output %v, want %v", got, want)
		}
	}
}

func TestParamErrors(t *testing.T) {
	rng := graph.NewRNG(1)
	if _, err := graph.NewParam("", graph.Float32, []int{2}, nil, rng); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("unnamed parameter: %v, want ErrArgument", err)
	}
	if _, err := graph.NewParam("w", graph.DType(3), []int{2}, nil, rng); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("invalid dtype: %v, want ErrArgument", err)
	}
	for _, s := range [][]int{nil, {}, {0}, {2, -1}} {
		if _, err := graph.NewParam("w", graph.Float32, s, nil, rng); !errors.Is(err, graph.ErrShape) {
			t.Errorf("shape %v: %v, want ErrShape", s, err)
		}
	}
	if _, err := graph.NewParam("w", graph.Float32, []int{2, 3}, graph.GlorotUniformFans(0, 3), rng); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("Glorot with fan 0: %v, want ErrArgument", err)
	}
	if _, err := graph.NewParam("w", graph.Float32, []int{2, 3}, graph.Orthogonal(2, 2), rng); !errors.Is(err, graph.ErrShape) {
		t.Errorf("orthogonal 2x2 for [2 3]: %v, want ErrShape", err)
	}

	p := must(graph.NewParam("layer/w", graph.Float64, []int{2, 3}, graph.Constant(0.5), rng))
	if p.Name() != "layer/w" || p.Len() != 6 || p.DType() != graph.Float64 || !slices.Equal(p.Shape(), []int{2, 3}) {
		t.Errorf("param %s len %d dtype %v shape %v", p.Name(), p.Len(), p.DType(), p.Shape())
	}
	orig := p.Float64s()
	for _, c := range []struct {
		data []float64
		want error
	}{
		{[]float64{1, 2, 3}, graph.ErrShape},
		{make([]float64, 7), graph.ErrShape},
		{[]float64{1, 2, 3, 4, 5, math.NaN()}, graph.ErrNotFinite},
		{[]float64{math.Inf(1), 2, 3, 4, 5, 6}, graph.ErrNotFinite},
	} {
		if err := p.SetFloat64s(c.data); !errors.Is(err, c.want) {
			t.Errorf("SetFloat64s(%v): %v, want %v", c.data, err, c.want)
		}
		if !slices.Equal(p.Float64s(), orig) {
			t.Fatalf("SetFloat64s(%v) changed the parameter to %v", c.data, p.Float64s())
		}
	}
	if err := p.SetFloat64s([]float64{1, 2, 3, 4, 5, 6}); err != nil || !slices.Equal(p.Float64s(), []float64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("SetFloat64s: %v, values %v", err, p.Float64s())
	}
}

func TestCheckFinite(t *testing.T) {
	x := seededTensor(1, 3, 4)
	if err := graph.CheckFinite(x); err != nil || graph.FirstNonFinite(x) != -1 {
		t.Errorf("finite tensor: %v, %d", err, graph.FirstNonFinite(x))
	}
	data64(x)[7] = math.NaN()
	if err := graph.CheckFinite(x); !errors.Is(err, graph.ErrNotFinite) || graph.FirstNonFinite(x) != 7 {
		t.Errorf("NaN at 7: %v, %d", err, graph.FirstNonFinite(x))
	}
	y := must(graph.FromFloat64s(graph.Float32, []float64{0, 1, math.Inf(1)}, 3))
	if graph.FirstNonFinite(y) != 2 {
		t.Errorf("float32 +Inf at 2: %d", graph.FirstNonFinite(y))
	}
	if _, err := graph.FromFloat64s(graph.Float64, []float64{1, 2}, 3); !errors.Is(err, graph.ErrShape) {
		t.Errorf("2 values for shape [3]: %v, want ErrShape", err)
	}
}

// TestFirstNonFiniteChunks: FirstNonFinite sums chunks of values before it
// searches one; the first NaN or infinity is found wherever it lies
// (either side of a chunk's edge, with a second one after it, among
// values as large as float32's and float64's largest), in both dtypes.
func TestFirstNonFiniteChunks(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		for _, n := range []int{1, 255, 256, 257, 1000} {
			base := make([]float64, n)
			for i := range base {
				base[i] = math.MaxFloat32 * math.Sin(float64(i)+0.5)
			}
			clean := must(graph.FromFloat64s(dt, base, n))
			if i := graph.FirstNonFinite(clean); i != -1 {
				t.Fatalf("%v n=%d: finite values, FirstNonFinite %d", dt, n, i)
			}
			for _, at := range []int{0, 254, 255, 256, 257, n - 1} {
				if at < 0 || at >= n {
					continue
				}
				for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
					d := slices.Clone(base)
					d[at] = bad
					if at+3 < n {
						d[at+3] = math.NaN()
					}
					x := must(graph.FromFloat64s(dt, d, n))
					if i := graph.FirstNonFinite(x); i != at {
						t.Errorf("%v n=%d: %v at %d, FirstNonFinite %d", dt, n, bad, at, i)
					}
				}
			}
		}
	}
}

// A value finite in float64 but not in float32 must not reach a float32
// parameter, and a tensor needs a positive shape.
func TestParamAndTensorBounds(t *testing.T) {
	p, err := graph.NewParam("p", graph.Float32, []int{2}, graph.Zeros(), graph.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetFloat64s([]float64{1, 1e39}); !errors.Is(err, graph.ErrNotFinite) {
		t.Errorf("SetFloat64s(1e39) on float32: %v, want ErrNotFinite", err)
	}
	if got := p.Float64s(); !slices.Equal(got, []float64{0, 0}) {
		t.Errorf("a rejected SetFloat64s changed the parameter to %v", got)
	}
	for _, shape := range [][]int{{0, 3}, {}, {2, -1}} {
		if _, err := graph.FromFloat64s(graph.Float32, nil, shape...); !errors.Is(err, graph.ErrShape) {
			t.Errorf("FromFloat64s(shape %v): %v, want ErrShape", shape, err)
		}
	}
}

func TestDTypeFinite(t *testing.T) {
	cases := []struct {
		v        float64
		f32, f64 bool
	}{
		{0, true, true},
		{-3.5, true, true},
		{math.MaxFloat32, true, true},
		{1e39, false, true},
		{-1e39, false, true},
		{math.MaxFloat64, false, true},
		{math.Inf(1), false, false},
		{math.Inf(-1), false, false},
		{math.NaN(), false, false},
	}
	for _, c := range cases {
		if got := graph.Float32.Finite(c.v); got != c.f32 {
			t.Errorf("Float32.Finite(%v) = %v, want %v", c.v, got, c.f32)
		}
		if got := graph.Float64.Finite(c.v); got != c.f64 {
			t.Errorf("Float64.Finite(%v) = %v, want %v", c.v, got, c.f64)
		}
	}
}

func TestSampleRangeAndIndex(t *testing.T) {
	x, err := graph.FromFloat64s(graph.Float32, []float64{0, 1, 2, 3, 4, 5}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := graph.SampleRange(x, 1, 3)
	if err != nil || !slices.Equal(graph.Float64s(r), []float64{2, 3, 4, 5}) || !slices.Equal([]int(r.Shape()), []int{2, 2}) {
		t.Errorf("SampleRange(1, 3) = %v %v, %v", graph.Float64s(r), r.Shape(), err)
	}
	if r, err := graph.SampleRange(x, 2, 2); err != nil || r.Shape()[0] != 0 {
		t.Errorf("empty SampleRange: %v, %v", r, err)
	}
	s, err := graph.SampleIndex(x, []int{2, 0, 2})
	if err != nil || !slices.Equal(graph.Float64s(s), []float64{4, 5, 0, 1, 4, 5}) {
		t.Errorf("SampleIndex(2, 0, 2) = %v, %v", graph.Float64s(s), err)
	}
	// Views and integer tensors (Gorgonia's, never a graph.Tensor made
	// through the API) are tested at the seam: tensor_seam_test.go.
	bad := []struct {
		what string
		err  error
	}{
		{"lo < 0", second(graph.SampleRange(x, -1, 2))},
		{"hi > n", second(graph.SampleRange(x, 0, 4))},
		{"hi < lo", second(graph.SampleRange(x, 2, 1))},
		{"nil", second(graph.SampleRange(nil, 0, 1))},
		{"index -1", second(graph.SampleIndex(x, []int{0, -1}))},
		{"index n", second(graph.SampleIndex(x, []int{3}))},
		{"index of nil", second(graph.SampleIndex(nil, []int{0}))},
	}
	for _, b := range bad {
		if b.err == nil {
			t.Errorf("%s: no error", b.what)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestSampleIndexInto: a destination that fits is filled and returned;
// one that does not (shape, dtype, the source itself) gives a new tensor;
// bad indices are refused.
func TestSampleIndexInto(t *testing.T) {
	x, _ := graph.FromFloat64s(graph.Float32, []float64{0, 1, 2, 3, 4, 5, 6, 7}, 4, 2)
	dst := graph.NewTensor(graph.Float32, 2, 2)
	got, err := graph.SampleIndexInto(dst, x, []int{3, 1})
	if err != nil || got != dst || !slices.Equal(graph.Float64s(got), []float64{6, 7, 2, 3}) {
		t.Fatalf("into a fitting tensor: %v, %v", got, err)
	}
	for name, d := range map[string]*graph.Tensor{
		"rows":   graph.NewTensor(graph.Float32, 3, 2),
		"width":  graph.NewTensor(graph.Float32, 2, 3),
		"dtype":  graph.NewTensor(graph.Float64, 2, 2),
		"source": x,
		"nil":    nil,
	} {
		got, err := graph.SampleIndexInto(d, x, []int{0, 2})
		if err != nil || got == d || got == x || !slices.Equal(graph.Float64s(got), []float64{0, 1, 4, 5}) {
			t.Errorf("%s: %v, %v", name, got, err)
		}
	}
	if _, err := graph.SampleIndexInto(dst, x, []int{0, 4}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("index out of range: %v", err)
	}
	if !slices.Equal(graph.Float64s(x), []float64{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Error("the source changed")
	}
}

// TestHugeConstantAndReshape checks that a constant larger than a tensor
// may be, and a reshape whose dimensions overflow, are errors.
func TestHugeConstantAndReshape(t *testing.T) {
	b, err := graph.NewBuilder(graph.Float32, 2)
	if err != nil {
		t.Fatal(err)
	}
	if b.Full(1, 1<<20, 1<<20) != nil || !errors.Is(b.Err(), graph.ErrShape) {
		t.Errorf("Full of 2^40 values: error %v, want ErrShape", b.Err())
	}
	b, _ = graph.NewBuilder(graph.Float32, 2)
	x := b.Input("x", 2, 4)
	// (2^61+1)·8 = 2^64+8 wraps to 8, x's size.
	if b.Reshape(x, 1<<61+1, 8) != nil || !errors.Is(b.Err(), graph.ErrShape) {
		t.Errorf("overflowing reshape: error %v, want ErrShape", b.Err())
	}
}

// TestErrConfig: the configuration sentinel is an ErrArgument too, keeps
// its own message, and is not one of the other sentinels.
func TestErrConfig(t *testing.T) {
	err := fmt.Errorf("lstm: %w: units must be positive", graph.ErrConfig)
	if !errors.Is(err, graph.ErrConfig) || !errors.Is(err, graph.ErrArgument) {
		t.Errorf("%v: errors.Is ErrConfig %v, ErrArgument %v", err, errors.Is(err, graph.ErrConfig), errors.Is(err, graph.ErrArgument))
	}
	if errors.Is(graph.ErrArgument, graph.ErrConfig) || errors.Is(err, graph.ErrShape) {
		t.Error("ErrArgument (or an ErrConfig error) is taken for another sentinel")
	}
	if got := graph.ErrConfig.Error(); got != "invalid configuration" {
		t.Errorf("ErrConfig says %q", got)
	}
}
