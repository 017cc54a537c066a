package graph

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph/internal/runtime"
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
			rt, m := p.rt, e.m
			for i := 0; i < rt.Len(); i++ {
				op := rt.Op(i)
				if op == nil || !byKernel(m.How(i)) || readsFolded(rt, m, i) {
					continue
				}
				var args []gorgonia.Value
				for _, c := range rt.Args(i) {
					args = append(args, m.Raw(c))
				}
				want, err := op.Do(args...)
				if err != nil {
					t.Fatal(err)
				}
				got, w := valueFloats(m.Raw(i)), valueFloats(want)
				for j := range w {
					if d := math.Abs(got[j] - w[j]); d > tol*math.Max(1, math.Abs(w[j])) {
						t.Errorf("%v (kernel %s): element %d: kernel %v, op %v", op, rt.Kernel(i), j, got[j], w[j])
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
			// Every op given a kernel at compile time runs it, every kernel
			// ran (a lazy broadcast ran its kernel on the first run), and
			// every way of keeping a value was used.
			ran, ways := map[string]bool{}, map[string]bool{}
			for i := 0; i < rt.Len(); i++ {
				ways[m.How(i)] = true
				if rt.Kernel(i) != "" && m.How(i) == "op" {
					t.Errorf("%v was given kernel %s but runs Gorgonia's op", rt.Op(i), rt.Kernel(i))
				}
				if h := m.How(i); byKernel(h) || h == "lazy" || m.InScratch(i) {
					ran[rt.Kernel(i)] = true
				}
				// A whole-axis slice's gradient is its incoming gradient:
				// the machine keeps that tensor itself (its kernel, a copy,
				// serves where it cannot).
				if rt.Kernel(i) == "pass-grad" && m.How(i) == "alias" {
					if args := rt.Args(i); m.Raw(i) != m.Raw(args[1]) {
						t.Errorf("%v runs as an alias but is not its second operand", rt.Op(i))
					}
					ran["pass-grad"] = true
				}
			}
			for _, k := range runtime.Kernels() {
				if !ran[k] {
					t.Errorf("kernel %s never ran", k)
				}
			}
			hows := []string{"kept", "reshape", "alias", "lazy"}
			if runtime.FusionEnabled() {
				hows = append(hows, "fused", "group")
			}
			for _, h := range hows {
				if !ways[h] {
					t.Errorf("no op ran as %q", h)
				}
			}
		})
	}
}

// byKernel reports whether an op that runs as h (Machine.How) runs its
// kernel: alone, or with the other ops of its group (in one loop, each
// writing its value).
func byKernel(h string) bool { return h == "kernel" || h == "fused" || h == "group" }

// readsFolded reports whether op i reads a value its group does not
// compute (the slice gradients and additions an assembled gradient
// replaces, a product folded into its sum), which the op's Gorgonia form
// cannot be run on, or whether op i's or an operand's memory holds a
// reader's value after the run (a sum computed in place).
func readsFolded(rt *runtime.Program, m *runtime.Machine, i int) bool {
	if m.Lent(i) {
		return true // its memory holds its reader's value
	}
	for _, c := range rt.Args(i) {
		if m.How(c) == "folded" || m.Lent(c) {
			return true
		}
	}
	return false
}

// valueFloats returns a value's elements: a tensor's (a view's in its own
// order) or a scalar's.
func valueFloats(v gorgonia.Value) []float64 {
	if f, ok := runtime.Scalar(v); ok {
		return []float64{f}
	}
	return Float64s(wrap(v.(*tensor.Dense))) // wrap materializes a view
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
// after the first run (the additions read the bias row), and reading its
// value computes it; the outputs and gradients stay those of a first run,
// with the bias changed in between as an optimizer would. (An addition
// that falls back to Gorgonia's op and so reads the broadcast itself is
// tested in graph/internal/runtime.)
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
		for i := 0; i < p.rt.Len(); i++ {
			if p.rt.Lazy(i) {
				lazy = i
			}
			if p.rt.RowSource(i) >= 0 {
				adds = i
			}
		}
		if lazy < 0 || adds < 0 || p.rt.RowSource(adds) != p.rt.Args(lazy)[0] {
			t.Fatalf("%v: no lazy broadcast found (lazy %d, addition %d)", dt, lazy, adds)
		}
		xs := make([]float64, 18)
		for i := range xs {
			xs[i] = math.Sin(float64(i))
		}
		xt, _ := FromFloat64s(dt, xs, 6, 3)
		row := func(v float64) []float64 { return []float64{v, -v, 0.25, 1} }
		run := func(e *Executor, biasValue float64) []float64 {
			t.Helper()
			if err := bias.SetFloat64s(row(biasValue)); err != nil {
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
			if got := run(e, v); !slices.Equal(got, want[v]) {
				t.Fatalf("%v, run %d: %v, want %v", dt, r+2, got, want[v])
			}
			// The addition runs its kernel, or (float32, AVX2) the group
			// of the product, the row and the tanh computes it; either
			// reads the row in place.
			if h := e.m.How(adds); h != "kernel" && h != "group" && h != "folded" || !e.m.Stale(lazy) {
				t.Fatalf("%v, run %d: the addition did not read the row (it runs as %q, broadcast stale %v)", dt, r+2, e.m.How(adds), e.m.Stale(lazy))
			}
		}
		// Reading the broadcast's own value computes it, from this run's bias.
		v, err := e.m.Value(lazy)
		if err != nil {
			t.Fatal(err)
		}
		if got := valueFloats(v); !slices.Equal(got, slices.Repeat(row(-0.75), 6)) || e.m.Stale(lazy) {
			t.Fatalf("%v: the broadcast read back as %v (stale %v)", dt, got, e.m.Stale(lazy))
		}
	}
}

// TestTransposedParamPerRun: the transpose of a parameter in a gradient
// product (dY·Wᵀ, two time steps sharing W), or of a value several
// gradient products read (W joined from two parameters once per run, as
// small layers join their gate blocks), is made once per run and follows
// the parameters when they change between runs. A step's output h2 that two gradient products read
// transposed (h2ᵀ·dY) is read in place by both, small or wide: no
// transpose is made for it, and the gradients are the same.
func TestTransposedParamPerRun(t *testing.T) {
	for _, c := range []struct{ joined, sharedA, wide bool }{{false, false, false}, {true, false, false}, {false, true, false}, {false, true, true}} {
		joined := c.joined
		width := 12
		if c.wide {
			width = 1030 // h2 is [4, 1030], more elements than transpose's plain pass
		}
		rng := NewRNG(6)
		w, _ := NewParam("w", Float32, []int{3, width}, GlorotUniform(), rng)
		v, _ := NewParam("v", Float32, []int{3, 4}, GlorotUniform(), rng)
		u, _ := NewParam("u", Float32, []int{width, 5}, GlorotUniform(), rng)
		u2, _ := NewParam("u2", Float32, []int{width, 2}, GlorotUniform(), rng)
		b, err := NewBuilder(Float32, 4)
		if err != nil {
			t.Fatal(err)
		}
		x := b.Input("x", 4, 3)
		wn := b.Param(w)
		if joined {
			wn = b.Concat(1, b.Param(w), b.Param(v)) // [3, 16]
		}
		h := b.Tanh(b.MatMul(x, wn))                    // [4, 12] or [4, 16]
		h2 := b.Tanh(b.MatMul(b.Slice(h, 1, 0, 3), wn)) // a second step through W
		loss := b.Mean(b.Square(h2))
		if c.sharedA {
			// h2 read by two products: their gradients h2ᵀ·dY share h2ᵀ.
			loss = b.Add(loss, b.Add(b.Mean(b.Square(b.MatMul(h2, b.Param(u)))), b.Mean(b.MatMul(h2, b.Param(u2)))))
		}
		p, err := b.Compile(Spec{Loss: loss, Grads: true, InputGrads: true})
		if err != nil {
			t.Fatal(err)
		}
		var marked []int
		for i := 0; i < p.rt.Len(); i++ {
			if p.rt.TransposedParam(i) {
				marked = append(marked, i)
			}
		}
		transA := 0
		for _, i := range marked {
			if strings.HasPrefix(p.rt.Op(i).String(), "Aᵀ") {
				transA++
			}
		}
		if transA != 0 {
			t.Fatalf("%+v: %d products marked as taking a transposed first operand made once per run, want 0 (read in place)", c, transA)
		}
		if len(marked) < 2 {
			t.Fatalf("%+v: %d products marked as taking a transposed operand made once per run, want 2", c, len(marked))
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
				t.Fatalf("joined %v, run %d: input gradient %v, a fresh executor's %v", joined, r+1, got, want)
			}
			// Each marked product against Gorgonia's, on this run's operands
			// (a folded one through its sum, where the sum's other operand
			// is not overwritten by it).
			checked := 0
			for _, i := range marked {
				var args []gorgonia.Value
				for _, c := range p.rt.Args(i) {
					args = append(args, e.m.Raw(c))
				}
				want, err := p.rt.Op(i).Do(args...)
				if err != nil {
					t.Fatal(err)
				}
				if e.m.Lent(i) {
					continue // its memory holds the sum it is added into
				}
				got, wv := valueFloats(e.m.Raw(i)), valueFloats(want)
				if e.m.How(i) == "folded" {
					// Not computed on its own: its sum, x + product, is.
					if got, wv = foldedSum(t, p, e, i, wv); got == nil {
						continue
					}
				}
				checked++
				for j := range wv {
					if math.Abs(got[j]-wv[j]) > 1e-6*math.Max(1, math.Abs(wv[j])) {
						t.Fatalf("joined %v, run %d, %v: element %d is %v, Gorgonia's op gives %v", joined, r+1, p.rt.Op(i), j, got[j], wv[j])
					}
				}
			}
			if checked == 0 {
				t.Fatalf("joined %v, run %d: none of the %d marked products could be checked", joined, r+1, len(marked))
			}
			for _, q := range []*Param{w, v, u, u2} {
				ws := q.Float64s()
				for i := range ws {
					ws[i] *= -1.5
				}
				if err := q.SetFloat64s(ws); err != nil {
					t.Fatal(err)
				}
			}
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

// foldedSum returns the value of the addition that product i is folded
// into and that addition computed from product values want (Gorgonia's).
func foldedSum(t *testing.T, p *Program, e *Executor, i int, want []float64) (got, sum []float64) {
	t.Helper()
	for j := 0; j < p.rt.Len(); j++ {
		args := p.rt.Args(j)
		if e.m.How(j) != "group" || len(args) != 2 || args[0] != i && args[1] != i {
			continue
		}
		x := args[0]
		if x == i {
			x = args[1]
		}
		if e.m.Lent(x) || e.m.Lent(j) {
			return nil, nil // x's memory holds the sum, or the sum's its reader's
		}
		xv := e.m.Raw(x)
		if e.m.How(x) == "folded" {
			// A product folded into the same sum: Gorgonia's op on its
			// operands.
			var xargs []gorgonia.Value
			for _, c := range p.rt.Args(x) {
				xargs = append(xargs, e.m.Raw(c))
			}
			v, err := p.rt.Op(x).Do(xargs...)
			if err != nil {
				t.Fatal(err)
			}
			xv = v
		}
		xs := valueFloats(xv)
		sum = make([]float64, len(want))
		for k := range want {
			sum[k] = xs[k] + want[k]
		}
		return valueFloats(e.m.Raw(j)), sum
	}
	t.Fatalf("product %v is folded into no addition", p.rt.Op(i))
	return nil, nil
}
