package runtime

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// recurrentGraph is a plain recurrence over steps time steps, zₜ = xₜ·W +
// hₜ₋₁·U (+ b on odd steps), hₜ = tanh(zₜ), loss = Σ h_T⊙h_T, with its gradients by
// gorgonia.Grad: the forward pass adds two products per step, and the
// gradients of W and U are chains of additions of one product per step.
func recurrentGraph(t *testing.T, r, in, u, steps int) (Graph, []*gorgonia.Node) {
	t.Helper()
	eg := gorgonia.NewGraph()
	mat := func(name string, a, b int) *gorgonia.Node {
		return gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(a, b), gorgonia.WithName(name))
	}
	w, uw, h0 := mat("w", in, u), mat("u", u, u), mat("h0", r, u)
	bias := gorgonia.NewVector(eg, tensor.Float32, gorgonia.WithShape(u), gorgonia.WithName("b"))
	leaves := []*gorgonia.Node{w, uw, h0, bias}
	must := gorgonia.Must
	h := h0
	for s := range steps {
		x := mat("x"+string(rune('a'+s)), r, in)
		leaves = append(leaves, x)
		z := must(gorgonia.Add(must(gorgonia.Mul(x, w)), must(gorgonia.Mul(h, uw))))
		if s%2 == 1 {
			// Every other step adds the bias row, as a layer does.
			z = must(gorgonia.BroadcastAdd(z, bias, nil, []byte{0}))
		}
		h = must(gorgonia.Tanh(z))
	}
	loss := must(gorgonia.Sum(must(gorgonia.HadamardProd(h, h))))
	grads, err := gorgonia.Grad(loss, w, uw, h0, bias)
	if err != nil {
		t.Fatal(err)
	}
	return Graph{G: eg, Roots: append([]*gorgonia.Node{h, loss}, grads...), Inputs: leaves}, leaves
}

// specialValues, when set, makes runFresh put a special value in every
// fifth element: zeros of both signs, infinities, NaNs with payloads (an
// addition shows its operands' order only in a NaN's payload) and a
// subnormal.
var specialValues bool

var specials = []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
	math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc12345), 1e-40}

// runFresh gives p's leaves float32 tensors of their shapes and runs a
// machine three times, with new normal numbers (times scale) from rng in
// every leaf before each run: an element a run failed to write would keep
// the last run's.
func runFresh(t *testing.T, p *Program, leaves []*gorgonia.Node, rng *rand.Rand, scale float64) *Machine {
	t.Helper()
	m := p.NewMachine()
	var data [][]float32
	for _, n := range leaves {
		s, _ := p.Slot(n)
		v := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n.Shape()...))
		data = append(data, v.Data().([]float32))
		m.Set(s, v)
	}
	for range 3 {
		for _, d := range data {
			for j := range d {
				d[j] = float32(rng.NormFloat64() * scale)
				if specialValues && rng.IntN(5) == 0 {
					d[j] = specials[rng.IntN(len(specials))]
				}
			}
		}
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// runRecurrent compiles the recurrence, runs it three times on fixed
// random inputs (new ones each run) and returns the roots' values of the last run.
func runRecurrent(t *testing.T, r, in, u, steps int) ([][]float64, *Program, *Machine) {
	t.Helper()
	gr, leaves := recurrentGraph(t, r, in, u, steps)
	p, err := Compile(gr)
	if err != nil {
		t.Fatal(err)
	}
	m := runFresh(t, p, leaves, rand.New(rand.NewPCG(3, 4)), 0.3)
	return rootValues(t, p, m, gr.Roots), p, m
}

// TestGemmAddMatchesUnfused: the products read only by an addition
// (forward x·W + h·U, and the per-step terms of the weight gradients) are
// grouped with it and not computed on their own, and every root is bit
// for bit what the unfused program computes: at sizes smaller than a
// tile, of several tiles and a tail, with operands transposed (the
// gradients' Aᵀ·B and A·Bᵀ), and a product large enough to be split
// across cores; the sums of a chain computed in place; groups of one
// tile in one pass (runPlain) and of several in runRows's loop; with one input
// feature (x·W an outer product) and 8 units or more, the steps with a
// bias row add the outer product as they write the sum that tanh reads.
func TestGemmAddMatchesUnfused(t *testing.T) {
	if !simd.Enabled {
		t.Log("no AVX2: products are not grouped; checking the results only")
	}
	t.Setenv("GORNN_FUSION", "on")
	for _, c := range [][4]int{{3, 2, 5, 3}, {97, 7, 45, 4}, {256, 64, 96, 3}, {8, 1, 20, 4}, {37, 1, 9, 5}, {5, 1, 7, 4}} {
		fused, p, m := runRecurrent(t, c[0], c[1], c[2], c[3])
		// The steps with a bias row (every other one).
		if want := c[3] / 2; simd.Enabled && c[1] == 1 && c[2] >= 8 && p.OuterSums() != want {
			t.Errorf("%v: %d sums add their outer product in their pass, want %d", c, p.OuterSums(), want)
		} else if (c[1] != 1 || c[2] < 8) && p.OuterSums() != 0 {
			t.Errorf("%v: %d sums add an outer product in their pass, want none", c, p.OuterSums())
		}
		// Products of one tile's rows run in one pass (runPlain), larger
		// ones through the loop: both paths are checked against unfused
		// (at the two small sizes some groups are of one tile, at the
		// largest none).
		switch plain := p.PlainSums(); {
		case !simd.Enabled:
		case (c == [4]int{3, 2, 5, 3} || c == [4]int{8, 1, 20, 4}) && plain == 0:
			t.Errorf("%v: no group in one pass", c)
		case c == [4]int{256, 64, 96, 3} && plain != 0:
			t.Errorf("%v: %d groups in one pass, want none", c, plain)
		}
		folded, lent, sums := 0, 0, 0
		for i := 0; i < p.Len(); i++ {
			if m.How(i) == "folded" && p.Kernel(i) == "gemm" {
				folded++
			}
			if m.How(i) == "folded" && p.Kernel(i) == "add" {
				sums++ // a sum the bias addition after it takes in
			}
			if m.Lent(i) {
				lent++
			}
		}
		if want := c[3] / 2; simd.Enabled && sums < want {
			t.Errorf("%v: %d sums folded into their bias additions, want %d", c, sums, want)
		}
		// The chains of the weight gradients add in place: every sum
		// but the first of each lends its memory.
		if want := 2 * (c[3] - 2); simd.Enabled && lent < want {
			t.Errorf("%v: %d sums computed in place, want at least %d", c, lent, want)
		}
		// Per step but the first: the forward sum, and a term of each of
		// the gradients of W and U; the first step's forward sum too.
		if want := 3*(c[3]-1) + 1; simd.Enabled && folded < want {
			t.Errorf("%v: %d products folded into their sums, want at least %d", c, folded, want)
		}
		t.Setenv("GORNN_FUSION", "off")
		unfused, q, _ := runRecurrent(t, c[0], c[1], c[2], c[3])
		t.Setenv("GORNN_FUSION", "on")
		if q.Groups() != 0 {
			t.Fatalf("GORNN_FUSION=off: %d groups", q.Groups())
		}
		for k := range unfused {
			if !slices.EqualFunc(fused[k], unfused[k], func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
				t.Errorf("%v: root %d differs fused and unfused", c, k)
			}
		}
		// With special values among the inputs (NaN payloads show the
		// additions' operand order), still bit for bit.
		specialValues = true
		fused, _, _ = runRecurrent(t, c[0], c[1], c[2], c[3])
		t.Setenv("GORNN_FUSION", "off")
		unfused, _, _ = runRecurrent(t, c[0], c[1], c[2], c[3])
		t.Setenv("GORNN_FUSION", "on")
		specialValues = false
		for k := range unfused {
			if !slices.EqualFunc(fused[k], unfused[k], func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
				t.Errorf("%v, special values: root %d differs fused and unfused", c, k)
			}
		}
	}
}

// TestGemmAddWritesSlices: at prediction a joined layer's gate input z =
// x·W + h·U + b is read only by slices of its columns; the group writes
// the slices from its tiles and not z, bit for bit as the ops do (new
// inputs every run, a tile and a tail of rows, overlapping slices); given
// a view, the group's ops run one by one, as unfused.
func TestGemmAddWritesSlices(t *testing.T) {
	t.Setenv("GORNN_FUSION", "on")
	run := func(r int, view bool) ([][]float64, *Program, *Machine) {
		eg := gorgonia.NewGraph()
		mat := func(name string, a, b int) *gorgonia.Node {
			return gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(a, b), gorgonia.WithName(name))
		}
		const in, u = 3, 7
		x, w, h, uw := mat("x", r, in), mat("w", in, 3*u), mat("h", r, u), mat("u", u, 3*u)
		bias := gorgonia.NewVector(eg, tensor.Float32, gorgonia.WithShape(3*u), gorgonia.WithName("b"))
		must := gorgonia.Must
		z := must(gorgonia.BroadcastAdd(must(gorgonia.Add(must(gorgonia.Mul(x, w)), must(gorgonia.Mul(h, uw)))), bias, nil, []byte{0}))
		g0 := must(gorgonia.Slice(z, nil, gorgonia.S(0, u)))
		g1 := must(gorgonia.Slice(z, nil, gorgonia.S(u, 2*u)))
		g2 := must(gorgonia.Slice(z, nil, gorgonia.S(2*u-2, 3*u-2)))
		out := must(gorgonia.HadamardProd(must(gorgonia.Tanh(g0)), must(gorgonia.Add(must(gorgonia.Sigmoid(g1)), g2))))
		leaves := []*gorgonia.Node{x, w, h, uw, bias}
		p, err := Compile(Graph{G: eg, Roots: []*gorgonia.Node{out}, Inputs: leaves})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		m := runFresh(t, p, leaves, rng, 1)
		if view {
			// h becomes a view: the group declines, and its ops (the
			// whole-axis slice an alias again) run one by one.
			big := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(r+1, u))
			for j, d := 0, big.Data().([]float32); j < len(d); j++ {
				d[j] = float32(rng.NormFloat64())
			}
			v, err := big.Slice(gorgonia.S(1, r+1))
			if err != nil {
				t.Fatal(err)
			}
			hs, _ := p.Slot(h)
			m.Set(hs, v)
			if err := m.Run(); err != nil {
				t.Fatal(err)
			}
		}
		return rootValues(t, p, m, []*gorgonia.Node{out}), p, m
	}
	for _, r := range []int{5, 700} {
		fused, p, m := run(r, false)
		written := 0
		for i := 0; i < p.Len(); i++ {
			if p.Kernel(i) == "slice" && p.Group(i) >= 0 && m.How(i) != "folded" {
				written++
			}
		}
		if simd.Enabled && written != 3 {
			t.Errorf("rows %d: %d slices written by a product-and-sum group, want 3", r, written)
		}
		declined, _, dm := run(r, true)
		for i := 0; i < p.Len(); i++ {
			if h := dm.How(i); p.Kernel(i) == "slice" && (h == "group" || h == "fused") {
				t.Errorf("rows %d: after a view, slice %v still runs as %q", r, p.Op(i), h)
			}
		}
		t.Setenv("GORNN_FUSION", "off")
		unfused, _, _ := run(r, false)
		unfusedView, _, _ := run(r, true)
		t.Setenv("GORNN_FUSION", "on")
		same := func(a, b []float64) bool {
			return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
		}
		if !same(fused[0], unfused[0]) {
			t.Errorf("rows %d: fused and unfused differ", r)
		}
		if !same(declined[0], unfusedView[0]) {
			t.Errorf("rows %d: after a view, the ops one by one and unfused differ", r)
		}
	}
}

// TestGemmBiasGroup: a product whose only reader adds a bias row, with
// nothing else added (a GRU's x·W + b and h·U + b_h, a dense layer's
// output at each step), is grouped with that addition: the product is
// not computed on its own, and where the sum is read only by column
// slices (and, in training, by the slices' gradients, which read only its
// shape) the group writes the slices from its tiles, where only an
// activation reads it the group writes the activation's value. Every root, the
// gradients included, is bit for bit the unfused program's, at a tile, a
// tile and a tail of rows, and one output column.
func TestGemmBiasGroup(t *testing.T) {
	t.Setenv("GORNN_FUSION", "on")
	run := func(r, in, n int, cols, act bool) ([][]float64, *Program, *Machine) {
		eg := gorgonia.NewGraph()
		x := gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(r, in), gorgonia.WithName("x"))
		w := gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(in, n), gorgonia.WithName("w"))
		bias := gorgonia.NewVector(eg, tensor.Float32, gorgonia.WithShape(n), gorgonia.WithName("b"))
		must := gorgonia.Must
		z := must(gorgonia.BroadcastAdd(must(gorgonia.Mul(x, w)), bias, nil, []byte{0}))
		out := z
		if act {
			// An activation alone reads the sum: the group applies it.
			out = must(gorgonia.Tanh(z))
		}
		if cols {
			u := n / 3
			g0 := must(gorgonia.Slice(z, nil, gorgonia.S(0, u)))
			g1 := must(gorgonia.Slice(z, nil, gorgonia.S(u, 2*u)))
			g2 := must(gorgonia.Slice(z, nil, gorgonia.S(2*u, 3*u)))
			out = must(gorgonia.HadamardProd(must(gorgonia.Tanh(g0)), must(gorgonia.Add(must(gorgonia.Sigmoid(g1)), g2))))
		}
		loss := must(gorgonia.Sum(must(gorgonia.HadamardProd(out, out))))
		grads, err := gorgonia.Grad(loss, x, w, bias)
		if err != nil {
			t.Fatal(err)
		}
		leaves := []*gorgonia.Node{x, w, bias}
		roots := append([]*gorgonia.Node{out, loss}, grads...)
		p, err := Compile(Graph{G: eg, Roots: roots, Inputs: leaves})
		if err != nil {
			t.Fatal(err)
		}
		m := runFresh(t, p, leaves, rand.New(rand.NewPCG(9, 10)), 0.5)
		return rootValues(t, p, m, roots), p, m
	}
	same := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	}
	for _, c := range []struct {
		r, in, n  int
		cols, act bool
	}{{8, 1, 60, true, false}, {8, 20, 60, true, false}, {700, 5, 30, true, false}, {8, 20, 1, false, false}, {300, 20, 1, false, false},
		{8, 20, 20, false, true}, {700, 5, 30, false, true}} {
		fused, p, m := run(c.r, c.in, c.n, c.cols, c.act)
		folded, groups, written, acts := 0, 0, 0, 0
		for i := 0; i < p.Len(); i++ {
			switch {
			case p.Kernel(i) == "tanh" && p.Group(i) >= 0 && m.How(i) == "group":
				acts++ // the activation, the group's value
			case p.Kernel(i) == "gemm" && m.How(i) == "folded" && p.Group(i) >= 0:
				folded++
			case p.Kernel(i) == "add-row" && p.Group(i) >= 0 && (m.How(i) == "group" || m.How(i) == "folded"):
				groups++ // run by the group, as its value or its slices'
			case p.Kernel(i) == "slice" && p.Group(i) >= 0 && m.How(i) != "folded":
				written++
			}
		}
		wantWritten := 0
		if c.cols {
			wantWritten = 3
		}
		wantActs := 0
		if c.act {
			wantActs = 1
		}
		if simd.Enabled && (folded < 1 || groups != 1 || written != wantWritten || acts != wantActs) {
			t.Errorf("%+v: %d products folded, %d bias additions in a group, %d slices and %d activations written by it; want at least 1, 1, %d, %d", c, folded, groups, written, acts, wantWritten, wantActs)
		}
		t.Setenv("GORNN_FUSION", "off")
		unfused, _, _ := run(c.r, c.in, c.n, c.cols, c.act)
		t.Setenv("GORNN_FUSION", "on")
		for k := range unfused {
			if !same(fused[k], unfused[k]) {
				t.Errorf("%+v: root %d differs fused and unfused", c, k)
			}
		}
	}
}

// TestPassGradKernel: the kernel of a whole-axis slice's gradient, which
// runs where the machine cannot keep the incoming gradient itself (a
// view, a lazy value), copies its second operand and declines other
// sizes.
func TestPassGradKernel(t *testing.T) {
	k := passGrad[float32]{n: 6}
	x := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]float32, 6)))
	g := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, -2, 3, -4, 5, 0.5}))
	out := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]float32, 6)))
	if !k.run(nil, out, []gorgonia.Value{x, g}) || !slices.Equal(out.Data().([]float32), g.Data().([]float32)) {
		t.Fatalf("pass-grad: %v, want %v", out.Data(), g.Data())
	}
	short := tensor.New(tensor.WithShape(5), tensor.WithBacking(make([]float32, 5)))
	if k.run(nil, out, []gorgonia.Value{x, short}) {
		t.Fatal("pass-grad ran on a gradient of another size")
	}
}
