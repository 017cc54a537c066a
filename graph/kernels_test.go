package graph

import (
	"math"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph/internal/simd"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestKernelsMatchOps runs a graph that uses every kernel, checks each
// kernel's result against the Gorgonia op run on the same arguments, that
// repeated runs give bit for bit the same outputs and gradients, in both
// dtypes, and that every kernel actually ran.
func TestKernelsMatchOps(t *testing.T) {
	for _, dt := range []DType{Float32, Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			rng := NewRNG(3)
			w, err := NewParam("w", dt, []int{3, 4}, GlorotUniform(), rng)
			if err != nil {
				t.Fatal(err)
			}
			bias, err := NewParam("b", dt, []int{4}, Constant(0.25), rng)
			if err != nil {
				t.Fatal(err)
			}
			v, err := NewParam("v", dt, []int{1, 4}, GlorotUniform(), rng)
			if err != nil {
				t.Fatal(err)
			}
			u, err := NewParam("u", dt, []int{4, 1}, GlorotUniform(), rng)
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewBuilder(dt, 5)
			if err != nil {
				t.Fatal(err)
			}
			x := b.Input("x", 5, 3)
			y := b.Input("y", 5, 4)
			z := b.AddBias(b.MatMul(x, b.Param(w)), b.Param(bias)) // products, column sums in the gradient
			s := b.Sigmoid(z)
			h := b.Tanh(b.Sub(z, y))
			q := b.Div(b.Mul(s, h), b.AddScalar(b.Square(s), 1))
			r := b.Add(q, b.Neg(b.OneMinus(s)))
			// Column and row slices, and their gradients.
			cols := b.Tanh(b.Slice(z, 1, 1, 3))
			rows := b.Sigmoid(b.Slice(z, 0, 1, 4))
			part := b.Slice(b.Param(bias), 0, 1, 3)   // a vector's slice, and its gradient
			joined := b.Tanh(b.Concat(1, z, y, cols)) // [5, 10]
			// Products with an inner size of 1 (outer products), forward
			// (column times row) and backward (the gradient of a
			// product with one output column).
			outer := b.MatMul(b.Slice(x, 1, 0, 1), b.Param(v)) // [5, 1]·[1, 4]
			single := b.MatMul(outer, b.Param(u))              // [5, 4]·[4, 1]
			joined = b.Add(joined, b.Concat(1, outer, single, b.Slice(outer, 1, 0, 2), single, cols))
			loss := b.Add(b.Add(b.Mean(b.Square(r)), b.Mean(b.Square(cols))), b.Add(b.Mean(rows), b.Mean(joined)))
			loss = b.Add(loss, b.Mean(b.Square(part)))
			p, err := b.Compile(Spec{Outputs: []*Node{r}, Loss: loss, Grads: true, InputGrads: true})
			if err != nil {
				t.Fatal(err)
			}
			e := p.NewExecutor()
			xs := make([]float64, 15)
			ys := make([]float64, 20)
			for i := range xs {
				xs[i] = math.Sin(float64(i)) * 3
			}
			for i := range ys {
				ys[i] = math.Cos(float64(i))
			}
			xt, _ := FromFloat64s(dt, xs, 5, 3)
			yt, _ := FromFloat64s(dt, ys, 5, 4)
			run := func() [][]float64 {
				t.Helper()
				if err := e.SetInput(0, xt); err != nil {
					t.Fatal(err)
				}
				if err := e.SetInput(1, yt); err != nil {
					t.Fatal(err)
				}
				if err := e.Run(); err != nil {
					t.Fatal(err)
				}
				out, _ := e.Output(0)
				l, _ := e.Loss()
				gs, err := e.Grads([]*Param{w, bias, v, u})
				if err != nil {
					t.Fatal(err)
				}
				ig, _ := e.InputGrad(0)
				return [][]float64{Float64s(out), {l}, Float64s(gs[0]), Float64s(gs[1]), Float64s(ig), Float64s(gs[2]), Float64s(gs[3])}
			}
			first := run()
			// Each kernel against the op it replaces.
			tol := map[DType]float64{Float32: 1e-6, Float64: 1e-14}[dt]
			for i, op := range p.ops {
				if op == nil || p.kernels[i].kind == kNone || !e.owned[i] {
					continue
				}
				var args []gorgonia.Value
				for _, c := range p.children[i] {
					args = append(args, e.vals[c])
				}
				want, err := op.Do(args...)
				if err != nil {
					t.Fatal(err)
				}
				got, w := valueFloats(e.vals[i]), valueFloats(want)
				for j := range w {
					if d := math.Abs(got[j] - w[j]); d > tol*math.Max(1, math.Abs(w[j])) {
						t.Errorf("%v: element %d: kernel %v, op %v", op, j, got[j], w[j])
						break
					}
				}
			}
			for k := 0; k < 2; k++ {
				again := run()
				for i := range first {
					if !slices.Equal(first[i], again[i]) {
						t.Errorf("run %d, result %d: kernels give %v, ops gave %v", k+2, i, again[i], first[i])
					}
				}
			}
			for kind := kAdd; kind <= kReshape; kind++ {
				if e.hits[kind] == 0 {
					t.Errorf("kernel %d never ran", kind)
				}
			}
			if e.rowAdds == 0 {
				t.Error("no addition read a bias row instead of its broadcast")
			}
		})
	}
}

// valueFloats returns a value's elements: a tensor's (a view's in its own
// order) or a scalar's.
func valueFloats(v gorgonia.Value) []float64 {
	if f, ok := scalar(v); ok {
		return []float64{f}
	}
	d := v.(*tensor.Dense)
	if d.IsView() {
		d = d.Materialize().(*tensor.Dense)
	}
	return Float64s(d)
}

// TestSliceGradientsRepeatable: the gradient of a slice the kernels do not
// cover (here of a 3-D tensor, and the whole-axis slice Gorgonia adds in
// front of it) is the same on every run. Gorgonia's slice-gradient op adds
// into the value it is handed, so an executor reusing last run's value
// would accumulate gradients across runs.
func TestSliceGradientsRepeatable(t *testing.T) {
	rng := NewRNG(4)
	w, err := NewParam("w", Float64, []int{3, 4}, GlorotUniform(), rng)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(Float64, 5)
	if err != nil {
		t.Fatal(err)
	}
	x := b.Input("x", 5, 3)
	z := b.Reshape(b.MatMul(x, b.Param(w)), 5, 2, 2)
	loss := b.Mean(b.Square(b.Slice(z, 2, 1, 2)))
	p, err := b.Compile(Spec{Outputs: []*Node{z}, Loss: loss, Grads: true})
	if err != nil {
		t.Fatal(err)
	}
	e := p.NewExecutor()
	xs := make([]float64, 15)
	for i := range xs {
		xs[i] = math.Cos(float64(i))
	}
	xt, _ := FromFloat64s(Float64, xs, 5, 3)
	var first []float64
	for r := 0; r < 3; r++ {
		if err := e.SetInput(0, xt); err != nil {
			t.Fatal(err)
		}
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		gs, err := e.Grads([]*Param{w})
		if err != nil {
			t.Fatal(err)
		}
		g := Float64s(gs[0])
		if r == 0 {
			first = g
		} else if !slices.Equal(g, first) {
			t.Fatalf("run %d: gradient %v, first run %v", r+1, g, first)
		}
	}
}

// TestLazyBroadcast: a bias broadcast read only by additions is skipped
// after the first run, and an op that does read its value (here the
// addition forced onto Gorgonia's op) gets it computed first; the outputs
// and gradients stay those of the first run, with the bias changed in
// between as an optimizer would.
func TestLazyBroadcast(t *testing.T) {
	for _, dt := range []DType{Float32, Float64} {
		rng := NewRNG(5)
		w, _ := NewParam("w", dt, []int{3, 4}, GlorotUniform(), rng)
		bias, _ := NewParam("b", dt, []int{4}, Constant(0.5), rng)
		b, err := NewBuilder(dt, 6)
		if err != nil {
			t.Fatal(err)
		}
		x := b.Input("x", 6, 3)
		y := b.Tanh(b.AddBias(b.MatMul(x, b.Param(w)), b.Param(bias)))
		p, err := b.Compile(Spec{Outputs: []*Node{y}, Loss: b.Mean(b.Square(y)), Grads: true})
		if err != nil {
			t.Fatal(err)
		}
		lazy, adds := -1, -1
		for i, k := range p.kernels {
			if k.lazy {
				lazy = i
			}
			if k.rowArg > 0 {
				adds = i
			}
		}
		if lazy < 0 || adds < 0 || p.kernels[adds].rowSrc != p.children[lazy][0] {
			t.Fatalf("%v: no lazy broadcast found (lazy %d, addition %d)", dt, lazy, adds)
		}
		xs := make([]float64, 18)
		for i := range xs {
			xs[i] = math.Sin(float64(i))
		}
		xt, _ := FromFloat64s(dt, xs, 6, 3)
		run := func(e *Executor, biasValue float64) []float64 {
			t.Helper()
			if err := bias.SetFloat64s([]float64{biasValue, -biasValue, 0.25, 1}); err != nil {
				t.Fatal(err)
			}
			if err := e.SetInput(0, xt); err != nil {
				t.Fatal(err)
			}
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			out, _ := e.Output(0)
			gs, err := e.Grads([]*Param{w, bias})
			if err != nil {
				t.Fatal(err)
			}
			return append(append(Float64s(out), Float64s(gs[0])...), Float64s(gs[1])...)
		}
		// Reference: a fresh executor's first run (everything computed).
		want := map[float64][]float64{}
		for _, v := range []float64{0.5, -0.75} {
			want[v] = run(p.NewExecutor(), v)
		}
		e := p.NewExecutor()
		run(e, 0.5)
		for r, v := range []float64{-0.75, 0.5, -0.75} {
			if r == 2 {
				e.owned[adds] = false // Gorgonia's op reads the broadcast
			}
			before := e.rowAdds
			if got := run(e, v); !slices.Equal(got, want[v]) {
				t.Fatalf("%v, run %d: %v, want %v", dt, r+2, got, want[v])
			}
			if r < 2 && e.rowAdds == before {
				t.Fatalf("%v, run %d: the addition did not read the row", dt, r+2)
			}
			if r == 2 && e.stale[lazy] {
				t.Fatalf("%v: the broadcast was not computed for the op that reads it", dt)
			}
		}
	}
}

// TestOuterProductMatchesGonum: without the AVX2 product, products with
// an inner size of 1 give gonum's numbers bit for bit in all four transpose forms, zeros, signed
// zeros and infinities included (gonum skips zero elements of A except for
// A·Bᵀ).
func TestOuterProductMatchesGonum(t *testing.T) {
	saved := simd.Enabled
	defer func() { simd.Enabled = saved }()
	simd.Enabled = false // the AVX2 product does not skip zeros: 0·Inf is NaN there
	a := []float32{0, 1, float32(math.Copysign(0, -1)), -2, float32(math.Inf(1))}
	bv := []float32{float32(math.Inf(1)), 0, -3, float32(math.Copysign(0, -1))}
	m, n := len(a), len(bv)
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		ashape, bshape := []int{m, 1}, []int{1, n}
		ta, tb := blas.NoTrans, blas.NoTrans
		if tr[0] {
			ashape, ta = []int{1, m}, blas.Trans
		}
		if tr[1] {
			bshape, tb = []int{n, 1}, blas.Trans
		}
		at := tensor.New(tensor.WithShape(ashape...), tensor.WithBacking(slices.Clone(a)))
		bt := tensor.New(tensor.WithShape(bshape...), tensor.WithBacking(slices.Clone(bv)))
		out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(m, n))
		o, _ := data[float32](out)
		if !gemm(kernel{kind: kGemm, transA: tr[0], transB: tr[1]}, o, out, []gorgonia.Value{at, bt}, &scratch{}) {
			t.Fatalf("%v: kernel declined", tr)
		}
		want := make([]float32, m*n)
		gonum.Implementation{}.Sgemm(ta, tb, m, n, 1, 1, a, ashape[1], bv, bshape[1], 0, want, n)
		for i := range want {
			if math.Float32bits(o[i]) != math.Float32bits(want[i]) && !(o[i] != o[i] && want[i] != want[i]) {
				t.Errorf("transposes %v, element %d: kernel %v, gonum %v", tr, i, o[i], want[i])
			}
		}
	}
}

// TestGemmKernelTransposes checks the float32 product kernel in all four
// transpose forms, on the AVX2 path (where the processor has it) and on
// gonum's, against a float64 product, with one scratch reused across
// shapes as an executor does.
func TestGemmKernelTransposes(t *testing.T) {
	saved := simd.Enabled
	defer func() { simd.Enabled = saved }()
	for _, enabled := range []bool{true, false} {
		simd.Enabled = enabled && saved
		var sc scratch
		rng := NewRNG(9)
		for _, dims := range [][3]int{{8, 80, 20}, {8, 20, 80}, {20, 80, 8}, {3, 5, 7}, {1, 1, 9}, {33, 17, 2}, {9, 7, 1}, {5, 80, 1}, {1, 1, 1}} {
			m, n, kk := dims[0], dims[1], dims[2]
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				ashape, bshape := []int{m, kk}, []int{kk, n}
				if tr[0] {
					ashape = []int{kk, m}
				}
				if tr[1] {
					bshape = []int{n, kk}
				}
				a := make([]float32, m*kk)
				b := make([]float32, kk*n)
				for i := range a {
					a[i] = float32(rng.Float64()*2 - 1)
				}
				for i := range b {
					b[i] = float32(rng.Float64()*2 - 1)
				}
				at := tensor.New(tensor.WithShape(ashape...), tensor.WithBacking(a))
				bt := tensor.New(tensor.WithShape(bshape...), tensor.WithBacking(b))
				out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(m, n))
				o, _ := data[float32](out)
				if !gemm(kernel{kind: kGemm, transA: tr[0], transB: tr[1]}, o, out, []gorgonia.Value{at, bt}, &sc) {
					t.Fatalf("%v %v: kernel declined", dims, tr)
				}
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						want, mag := 0.0, 0.0
						for l := 0; l < kk; l++ {
							av := a[i*kk+l]
							if tr[0] {
								av = a[l*m+i]
							}
							bv := b[l*n+j]
							if tr[1] {
								bv = b[j*kk+l]
							}
							want += float64(av) * float64(bv)
							mag += math.Abs(float64(av) * float64(bv))
						}
						if d := math.Abs(float64(o[i*n+j]) - want); d > float64(kk)*6e-8*mag+1e-30 {
							t.Fatalf("simd %v, %v, transposes %v: c[%d][%d] = %v, want %v", simd.Enabled, dims, tr, i, j, o[i*n+j], want)
						}
					}
				}
			}
		}
	}
}

// TestTransposedParamPerRun: the transpose of a parameter in a gradient
// product (dY·Wᵀ, two time steps sharing W) is made once per run and
// follows the parameter when it changes between runs.
func TestTransposedParamPerRun(t *testing.T) {
	rng := NewRNG(6)
	w, _ := NewParam("w", Float32, []int{3, 12}, GlorotUniform(), rng)
	b, err := NewBuilder(Float32, 4)
	if err != nil {
		t.Fatal(err)
	}
	x := b.Input("x", 4, 3)
	h := b.Tanh(b.MatMul(x, b.Param(w)))                    // [4, 12]
	h2 := b.Tanh(b.MatMul(b.Slice(h, 1, 0, 3), b.Param(w))) // a second step through W
	p, err := b.Compile(Spec{Loss: b.Mean(b.Square(h2)), Grads: true, InputGrads: true})
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, k := range p.kernels {
		if k.paramB {
			marked++
		}
	}
	if marked < 2 {
		t.Fatalf("%d products marked as taking a transposed parameter, want 2", marked)
	}
	xs := make([]float64, 12)
	for i := range xs {
		xs[i] = math.Cos(float64(3 * i))
	}
	xt, _ := FromFloat64s(Float32, xs, 4, 3)
	run := func(e *Executor) []float64 {
		t.Helper()
		if err := e.SetInput(0, xt); err != nil {
			t.Fatal(err)
		}
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		g, err := e.InputGrad(0)
		if err != nil {
			t.Fatal(err)
		}
		return Float64s(g)
	}
	e := p.NewExecutor()
	for r := 0; r < 3; r++ {
		got := run(e)
		if want := run(p.NewExecutor()); !slices.Equal(got, want) {
			t.Fatalf("run %d: input gradient %v, a fresh executor's %v", r+1, got, want)
		}
		ws := w.Float64s()
		for i := range ws {
			ws[i] *= -1.5
		}
		if err := w.SetFloat64s(ws); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGradsInto: GradsInto reuses the tensors that fit, zeroing them
// first, replaces those that do not, and gives Grads' numbers.
func TestGradsInto(t *testing.T) {
	rng := NewRNG(8)
	w, _ := NewParam("w", Float64, []int{2, 3}, GlorotUniform(), rng)
	v, _ := NewParam("v", Float64, []int{3}, Constant(0.5), rng)
	b, err := NewBuilder(Float64, 4)
	if err != nil {
		t.Fatal(err)
	}
	x := b.Input("x", 4, 2)
	p, err := b.Compile(Spec{Loss: b.Mean(b.Square(b.AddBias(b.MatMul(x, b.Param(w)), b.Param(v)))), Grads: true})
	if err != nil {
		t.Fatal(err)
	}
	e := p.NewExecutor()
	xt, _ := FromFloat64s(Float64, []float64{1, -2, 3, 0.5, -1, 2, 0.25, 4}, 4, 2)
	if err := e.SetInput(0, xt); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	want, err := e.Grads([]*Param{w, v})
	if err != nil {
		t.Fatal(err)
	}
	stale, _ := FromFloat64s(Float64, []float64{9, 9, 9, 9, 9, 9}, 2, 3) // fits w: reused, zeroed
	wrong := NewTensor(Float32, 3)                                       // wrong dtype for v: replaced
	dst := []*Tensor{stale, wrong}
	got, err := e.GradsInto(dst, []*Param{w, v})
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != stale || got[1] == wrong {
		t.Fatal("GradsInto did not reuse the fitting tensor or kept the unfitting one")
	}
	for i := range want {
		if !slices.Equal(Float64s(got[i]), Float64s(want[i])) {
			t.Fatalf("gradient %d: %v, Grads gives %v", i, Float64s(got[i]), Float64s(want[i]))
		}
	}
	if got, err := e.GradsInto(nil, []*Param{w}); err != nil || len(got) != 1 || !slices.Equal(Float64s(got[0]), Float64s(want[0])) {
		t.Fatalf("GradsInto(nil): %v, %v", got, err)
	}
	// Tensors beyond dst's length are not dst's to reuse.
	spare := make([]*Tensor, 1, 2)
	hidden := NewTensor(Float64, 3)
	spare[:2][1] = hidden
	if got, err := e.GradsInto(spare, []*Param{w, v}); err != nil || got[1] == hidden {
		t.Fatalf("GradsInto reused a tensor past dst's length: %v", err)
	}
	// A parameter listed twice gets its gradient in its last place.
	got, err = e.GradsInto(nil, []*Param{w, w})
	if err != nil || !slices.Equal(Float64s(got[1]), Float64s(want[0])) || slices.ContainsFunc(Float64s(got[0]), func(f float64) bool { return f != 0 }) {
		t.Fatalf("a parameter listed twice: %v, %v", got, err)
	}
}
