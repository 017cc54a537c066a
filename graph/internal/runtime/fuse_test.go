package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	goruntime "runtime"
	"slices"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// cellGraph is an LSTM cell's state update from its gate inputs, and the
// gradient of a loss of its output by gorgonia.Grad: c' = σ(f)⊙c +
// σ(i)⊙tanh(g), h = σ(o)⊙tanh(c'), loss = Σ(h⊙h)/n, over [r, u] of
// dtype dt. A product q = c'·w reads c' between the ops of the chain, so
// c' is a group's value read outside it.
func cellGraph(t *testing.T, dt tensor.Dtype, r, u int) (Graph, []*gorgonia.Node) {
	t.Helper()
	eg := gorgonia.NewGraph()
	in := func(name string, shape ...int) *gorgonia.Node {
		return gorgonia.NewTensor(eg, dt, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name))
	}
	f, i, g, o, c := in("f", r, u), in("i", r, u), in("g", r, u), in("o", r, u), in("c", r, u)
	w := in("w", u, 3)
	must := gorgonia.Must
	c2 := must(gorgonia.Add(must(gorgonia.HadamardProd(must(gorgonia.Sigmoid(f)), c)),
		must(gorgonia.HadamardProd(must(gorgonia.Sigmoid(i)), must(gorgonia.Tanh(g))))))
	q := must(gorgonia.Mul(c2, w))
	h := must(gorgonia.HadamardProd(must(gorgonia.Sigmoid(o)), must(gorgonia.Tanh(c2))))
	loss := must(gorgonia.Add(must(gorgonia.Mean(must(gorgonia.Square(h)))), must(gorgonia.Mean(q))))
	leaves := []*gorgonia.Node{f, i, g, o, c, w}
	grads, err := gorgonia.Grad(loss, leaves...)
	if err != nil {
		t.Fatal(err)
	}
	return Graph{G: eg, Roots: append([]*gorgonia.Node{h, loss}, grads...), Inputs: leaves}, leaves
}

// runCell compiles the cell, runs it three times on fixed inputs and
// returns every root's value of the last run, with the program and its
// machine.
func runCell(t *testing.T, dt tensor.Dtype, r, u int) ([][]float64, *Program, *Machine) {
	t.Helper()
	gr, leaves := cellGraph(t, dt, r, u)
	p, err := Compile(gr)
	if err != nil {
		t.Fatal(err)
	}
	m := p.NewMachine()
	for k, n := range leaves {
		s, _ := p.Slot(n)
		size := n.Shape().TotalSize()
		v := tensor.New(tensor.Of(dt), tensor.WithShape(n.Shape()...))
		for j := 0; j < size; j++ {
			x := 2.5 * math.Sin(float64(7*j+k))
			if dt == tensor.Float32 {
				v.Set(j, float32(x))
			} else {
				v.Set(j, x)
			}
		}
		m.Set(s, v)
	}
	for run := 0; run < 3; run++ {
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
	}
	return rootValues(t, p, m, gr.Roots), p, m
}

// rootValues returns the values of roots after m's last run.
func rootValues(t *testing.T, p *Program, m *Machine, roots []*gorgonia.Node) [][]float64 {
	t.Helper()
	var out [][]float64
	for _, n := range roots {
		s, _ := p.Slot(n)
		v, err := m.Value(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, floats(v))
	}
	return out
}

func floats(v gorgonia.Value) []float64 {
	if s, ok := Scalar(v); ok {
		return []float64{s}
	}
	d := v.(*tensor.Dense)
	if d.IsView() {
		d = d.Materialize().(*tensor.Dense)
	}
	var out []float64
	switch x := d.Data().(type) {
	case []float32:
		for _, e := range x {
			out = append(out, float64(e))
		}
	case []float64:
		out = append(out, x...)
	}
	return out
}

// TestFusedChainsMatchUnfused: the cell's forward and gradient chains are
// grouped (in float32 and float64, over fewer elements than a block and
// over several blocks and a tail), the groups run as one loop after the
// first run, the members only members read are computed in scratch, and
// every root is bit for bit what the unfused program
// (GORNN_FUSION=off) computes.
func TestFusedChainsMatchUnfused(t *testing.T) {
	t.Setenv("GORNN_FUSION", "on") // whatever the environment says
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		// 12 elements; 8,633 = 2 blocks and a tail; 40,000: split across
		// cores (simd.Splits) where there are several.
		for _, size := range [][2]int{{3, 4}, {97, 89}, {200, 200}} {
			fused, p, m := runCell(t, dt, size[0], size[1])
			groups, members, scratch := 0, 0, 0
			for i := 0; i < p.Len(); i++ {
				if m.InScratch(i) {
					scratch++
				}
				if g := p.Group(i); g >= 0 {
					members++
					groups = max(groups, g+1)
					if h := m.How(i); h != "fused" && h != "group" && h != "folded" {
						t.Errorf("%v %v: op %v of group %d runs as %q", dt, size, p.Op(i), g, h)
					}
				}
			}
			// σ(f)⊙c and σ(i)⊙tanh(g) are read only by their sum, and the
			// gradient chains have such values too: kept in scratch.
			if scratch < 2 {
				t.Errorf("%v %v: %d members computed in scratch, want at least 2", dt, size, scratch)
			}
			if groups < 2 || members < 2*groups || groups != p.Groups() {
				t.Fatalf("%v %v: %d groups of %d ops (Groups %d), want several chains", dt, size, groups, members, p.Groups())
			}
			t.Setenv("GORNN_FUSION", "off")
			unfused, q, _ := runCell(t, dt, size[0], size[1])
			t.Setenv("GORNN_FUSION", "on")
			if q.Groups() != 0 {
				t.Fatalf("GORNN_FUSION=off: %d groups", q.Groups())
			}
			for k := range unfused {
				if !slices.EqualFunc(fused[k], unfused[k], func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
					t.Errorf("%v %v: root %d fused %v, unfused %v", dt, size, k, fused[k], unfused[k])
				}
			}
		}
	}
}

// TestFusedGroupFallsBack: a group whose values a member's kernel would
// decline (an input replaced by a view) runs its ops one by one from then
// on, with the same results as a fresh machine's.
func TestFusedGroupFallsBack(t *testing.T) {
	t.Setenv("GORNN_FUSION", "on")
	eg := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(eg, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x"))
	y := gorgonia.Must(gorgonia.Tanh(gorgonia.Must(gorgonia.Neg(gorgonia.Must(gorgonia.Sigmoid(x))))))
	p, err := Compile(Graph{G: eg, Roots: []*gorgonia.Node{y}, Inputs: []*gorgonia.Node{x}})
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := p.Slot(x)
	ys, _ := p.Slot(y)
	if p.Groups() != 1 || p.Group(ys) != 0 {
		t.Fatalf("%d groups, tanh in group %d", p.Groups(), p.Group(ys))
	}
	want := func(v []float64) []float64 {
		var out []float64
		for _, e := range v {
			out = append(out, math.Tanh(-sigmoid64(e)))
		}
		return out
	}
	m := p.NewMachine()
	m.Set(xs, tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6})))
	for r := 0; r < 2; r++ {
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
	}
	if m.How(ys) != "group" {
		t.Fatalf("tanh runs as %q", m.How(ys))
	}
	if got := floats(m.Raw(ys)); !slices.Equal(got, want([]float64{1, 2, 3, 4, 5, 6})) {
		t.Fatalf("fused: %v", got)
	}
	big := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}))
	view, err := big.Slice(gorgonia.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	m.Set(xs, view)
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < p.Len(); i++ {
		if h := m.How(i); h == "fused" || h == "group" {
			t.Errorf("op %v still runs as %q", p.Op(i), h)
		}
	}
	v, _ := m.Value(ys)
	if got := floats(v); !slices.EqualFunc(got, want([]float64{4, 5, 6, 7, 8, 9}), func(a, b float64) bool { return math.Abs(a-b) <= 1e-15 }) {
		t.Fatalf("after the view: %v", got)
	}
	// The runs after it run every op of the group, one by one.
	view, err = big.Slice(gorgonia.S(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	m.Set(xs, view)
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	v, _ = m.Value(ys)
	if got := floats(v); !slices.EqualFunc(got, want([]float64{1, 2, 3, 4, 5, 6}), func(a, b float64) bool { return math.Abs(a-b) <= 1e-15 }) {
		t.Fatalf("on the next run: %v", got)
	}
}

// TestFusedGroupRereadsOperands: a group keeps its operands from one run
// to the next; an input replaced by another tensor, an input written in
// place and a scalar input set to another value are all read on the next
// run, which still runs the group.
func TestFusedGroupRereadsOperands(t *testing.T) {
	t.Setenv("GORNN_FUSION", "on")
	eg := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(eg, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x"))
	sc := gorgonia.NewScalar(eg, tensor.Float64, gorgonia.WithName("s"))
	y := gorgonia.Must(gorgonia.Tanh(gorgonia.Must(gorgonia.Neg(gorgonia.Must(gorgonia.Mul(x, sc))))))
	p, err := Compile(Graph{G: eg, Roots: []*gorgonia.Node{y}, Inputs: []*gorgonia.Node{x, sc}})
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := p.Slot(x)
	ss, _ := p.Slot(sc)
	ys, _ := p.Slot(y)
	if p.Groups() != 1 || p.Group(ys) != 0 {
		t.Fatalf("%d groups, tanh in group %d", p.Groups(), p.Group(ys))
	}
	m := p.NewMachine()
	check := func(what string, xv []float64, s float64) {
		t.Helper()
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		if m.How(ys) != "group" {
			t.Fatalf("%s: tanh runs as %q", what, m.How(ys))
		}
		var want []float64
		for _, e := range xv {
			want = append(want, math.Tanh(-(e * s)))
		}
		if got := floats(m.Raw(ys)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	xv := []float64{1, 2, 3, 4, 5, 6}
	s := gorgonia.F64(0.5)
	m.Set(xs, tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(xv)))
	m.Set(ss, &s)
	check("first run", xv, 0.5)
	check("second run", xv, 0.5)
	other := []float64{-1, 0.25, 7, 8, -9, 10}
	m.Set(xs, tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(other)))
	check("another tensor", other, 0.5)
	other[2] = -3
	check("written in place", other, 0.5)
	s = 2
	check("scalar changed", other, 2)
	s2 := gorgonia.F64(-1.5)
	m.Set(ss, &s2)
	check("another scalar", other, -1.5)
}

// TestSmallGroupRereadsOperands: a float32 group of one block runs from
// the operands it found once (its small program: vector, vector-scalar
// and scalar-vector ops), and still reads a scalar input set to another
// value, an input written in place and an input replaced by another
// tensor on the next run; every element is the ops' own float32 value.
func TestSmallGroupRereadsOperands(t *testing.T) {
	t.Setenv("GORNN_FUSION", "on")
	eg := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(4, 5), gorgonia.WithName("x"))
	sc := gorgonia.NewScalar(eg, tensor.Float32, gorgonia.WithName("s"))
	must := gorgonia.Must
	y := must(gorgonia.Add(must(gorgonia.HadamardProd(must(gorgonia.Sub(sc, x)), x)), sc))
	p, err := Compile(Graph{G: eg, Roots: []*gorgonia.Node{y}, Inputs: []*gorgonia.Node{x, sc}})
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := p.Slot(x)
	ss, _ := p.Slot(sc)
	ys, _ := p.Slot(y)
	if p.Groups() != 1 || p.Group(ys) != 0 {
		t.Fatalf("%d groups, the sum in group %d", p.Groups(), p.Group(ys))
	}
	m := p.NewMachine()
	check := func(what string, xv []float32, s float32) {
		t.Helper()
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		if m.How(ys) != "group" {
			t.Fatalf("%s: the sum runs as %q", what, m.How(ys))
		}
		var want []float64
		for _, e := range xv {
			want = append(want, float64(float32(float32(float32(s-e)*e)+s)))
		}
		if got := floats(m.Raw(ys)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	xv := make([]float32, 20)
	for i := range xv {
		xv[i] = float32(i)*0.37 - 3
	}
	s := gorgonia.F32(0.5)
	m.Set(xs, tensor.New(tensor.WithShape(4, 5), tensor.WithBacking(xv)))
	m.Set(ss, &s)
	check("first run", xv, 0.5)
	check("second run", xv, 0.5)
	s = -2.25
	check("scalar changed", xv, -2.25)
	xv[7] = 11
	check("written in place", xv, -2.25)
	other := slices.Clone(xv)
	other[0] = 5
	m.Set(xs, tensor.New(tensor.WithShape(4, 5), tensor.WithBacking(other)))
	check("another tensor", other, -2.25)
	s2 := gorgonia.F32(3)
	m.Set(ss, &s2)
	check("another scalar", other, 3)
}

// TestAssembledSliceGradients: the gradient of a matrix read only through
// disjoint slices, which Grad gives as slice gradients added up, is one
// group that writes the result directly; the slice gradients and
// additions are not computed (folded), and the result is bit for bit the
// unfused program's, a −0 in a slice's gradient included (the additions of
// the tree turn it to +0) at several places, with ±Inf, a subnormal and a
// NaN beside them, and with the group's output memory overwritten between
// runs (the part outside the slices must be +0 again). The cases: narrow
// column slices over three of four ranges (a part of the matrix is zero),
// column slices of 9 (the assembly's path, its last block overlapping)
// covering the matrix, wide column slices with a gap, and row slices of 6
// and of 10 elements (the latter the vector assembly's).
func TestAssembledSliceGradients(t *testing.T) {
	for _, tc := range []struct {
		rows, cols int
		along      int // 0: row slices, 1: column slices
		ranges     [][2]int
	}{
		{3, 8, 1, [][2]int{{0, 2}, {2, 4}, {6, 8}}},
		{3, 27, 1, [][2]int{{0, 9}, {9, 18}, {18, 27}}},
		{5, 40, 1, [][2]int{{0, 12}, {28, 40}}},
		{8, 3, 0, [][2]int{{0, 2}, {2, 4}, {6, 8}}},
		{8, 5, 0, [][2]int{{0, 2}, {4, 6}, {6, 8}}},
	} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			testAssembledSliceGradients(t, dt, tc.rows, tc.cols, tc.along, tc.ranges)
		}
	}
}

func testAssembledSliceGradients(t *testing.T, dt tensor.Dtype, rows, cols, along int, ranges [][2]int) {
	t.Helper()
	w := ranges[0][1] - ranges[0][0]
	cr, cc := rows, w // the shape of a slice
	if along == 0 {
		cr, cc = w, cols
	}
	name := fmt.Sprintf("%v [%d, %d] along %d %v", dt, rows, cols, along, ranges)
	build := func() (Graph, *gorgonia.Node, *gorgonia.Node, *gorgonia.Node) {
		eg := gorgonia.NewGraph()
		z := gorgonia.NewMatrix(eg, dt, gorgonia.WithShape(rows, cols), gorgonia.WithName("z"))
		c := gorgonia.NewMatrix(eg, dt, gorgonia.WithShape(cr, cc), gorgonia.WithName("c"))
		must := gorgonia.Must
		var loss *gorgonia.Node
		for _, r := range ranges {
			var s *gorgonia.Node
			if along == 0 {
				s = must(gorgonia.Slice(z, gorgonia.S(r[0], r[1])))
			} else {
				s = must(gorgonia.Slice(z, nil, gorgonia.S(r[0], r[1])))
			}
			term := must(gorgonia.Sum(must(gorgonia.HadamardProd(s, c))))
			if loss == nil {
				loss = term
			} else {
				loss = must(gorgonia.Add(loss, term))
			}
		}
		grads, err := gorgonia.Grad(loss, z)
		if err != nil {
			t.Fatal(err)
		}
		return Graph{G: eg, Roots: []*gorgonia.Node{loss, grads[0]}, Inputs: []*gorgonia.Node{z, c}}, z, c, grads[0]
	}
	run := func() ([]float64, *Program, *Machine) {
		gr, z, c, grad := build()
		p, err := Compile(gr)
		if err != nil {
			t.Fatal(err)
		}
		m := p.NewMachine()
		zs, _ := p.Slot(z)
		cs, _ := p.Slot(c)
		zv := tensor.New(tensor.Of(dt), tensor.WithShape(rows, cols))
		cv := tensor.New(tensor.Of(dt), tensor.WithShape(cr, cc))
		for j := 0; j < cr*cc; j++ {
			if dt == tensor.Float32 {
				cv.Set(j, float32(cval(j, cr*cc)))
			} else {
				cv.Set(j, cval(j, cr*cc))
			}
		}
		m.Set(zs, zv)
		m.Set(cs, cv)
		gs, _ := p.Slot(grad)
		for r := 0; r < 3; r++ {
			if err := m.Run(); err != nil {
				t.Fatal(err)
			}
			// Overwrite the gradient's memory: the next run must write
			// all of it again.
			v, err := m.Value(gs)
			if err != nil {
				t.Fatal(err)
			}
			if r < 2 {
				switch x := v.(*tensor.Dense).Data().(type) {
				case []float32:
					for i := range x {
						x[i] = float32(math.Copysign(7, -1))
					}
				case []float64:
					for i := range x {
						x[i] = -7
					}
				}
			}
		}
		v, err := m.Value(gs)
		if err != nil {
			t.Fatal(err)
		}
		return floats(v), p, m
	}
	t.Setenv("GORNN_FUSION", "on")
	fused, p, m := run()
	folded, assembled := 0, 0
	for i := 0; i < p.Len(); i++ {
		switch m.How(i) {
		case "folded":
			folded++
			if _, err := m.Value(i); err == nil {
				t.Errorf("%s: the folded value of %v read without an error", name, p.Op(i))
			}
		case "group":
			if p.GroupKernel(p.Group(i)) == "assembled" {
				assembled++
			}
		}
	}
	if folded < 2*len(ranges)-1 || assembled != 1 {
		t.Fatalf("%s: %d folded ops, %d groups run, want the slice gradients and additions folded into one", name, folded, assembled)
	}
	t.Setenv("GORNN_FUSION", "off")
	unfused, _, _ := run()
	t.Setenv("GORNN_FUSION", "on")
	if !slices.EqualFunc(fused, unfused, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
		t.Fatalf("%s: fused %v, unfused %v", name, fused, unfused)
	}
	// Each slice's gradient is c: the result holds c + 0 in every range
	// (+0 where c is −0) and +0 outside the slices.
	for i, v := range fused {
		r, col := i/cols, i%cols
		want, in := 0.0, false
		for _, rg := range ranges {
			switch {
			case along == 0 && r >= rg[0] && r < rg[1]:
				want, in = cval((r-rg[0])*cc+col, cr*cc), true
			case along == 1 && col >= rg[0] && col < rg[1]:
				want, in = cval(r*cc+col-rg[0], cr*cc), true
			}
		}
		if dt == tensor.Float32 {
			want = float64(float32(want))
		}
		want += 0
		if math.IsNaN(want) && math.IsNaN(v) {
			continue
		}
		if math.Float64bits(v) != math.Float64bits(want) {
			t.Fatalf("%s: element %d (in a slice: %v) is %v, want %v", name, i, in, v, want)
		}
	}
}

// cval is element j of n of the multiplier c in
// TestAssembledSliceGradients, and so of each slice's gradient: −0 at
// several places (the last among them), ±Inf, a subnormal and a NaN among
// ordinary values.
func cval(j, n int) float64 {
	switch {
	case j%5 == 1 || j == n-1:
		return math.Copysign(0, -1)
	case j%7 == 3:
		return math.Inf(1 - 2*(j%2))
	case j%11 == 4:
		return math.SmallestNonzeroFloat32
	case j%13 == 6:
		return math.NaN()
	}
	return math.Cos(float64(j))
}

// TestSumTails: a sum of an elementwise group's last value (a loss term's
// Σ (x − y)², a bias gradient's column sums of tanh(x) ⊙ c) is the group's
// tail: computed by the group from the value it has just computed (here
// in scratch, since only the sum reads it); column sums that only a
// group's additions read (a bias gradient's terms, Σ₀x + Σ₀y + Σ₀c +
// Σ₀(x ⊙ c)) are its heads, computed by it from their operands outside
// it (the last one a tail of x ⊙ c's group). All bit for bit what the
// ops compute one by one, in both dtypes, with new inputs on every run.
func TestSumTails(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		build := func() (Graph, []*gorgonia.Node) {
			eg := gorgonia.NewGraph()
			mat := func(name string) *gorgonia.Node {
				return gorgonia.NewMatrix(eg, dt, gorgonia.WithShape(5, 12), gorgonia.WithName(name))
			}
			x, y, c := mat("x"), mat("y"), mat("c")
			must := gorgonia.Must
			all := must(gorgonia.Sum(must(gorgonia.Square(must(gorgonia.Sub(x, y))))))
			cols := must(gorgonia.Sum(must(gorgonia.HadamardProd(must(gorgonia.Tanh(x)), c)), 0))
			col := func(v *gorgonia.Node) *gorgonia.Node { return must(gorgonia.Sum(v, 0)) }
			bias := must(gorgonia.Add(must(gorgonia.Add(must(gorgonia.Add(col(x), col(y))), col(c))), col(must(gorgonia.HadamardProd(x, c)))))
			return Graph{G: eg, Roots: []*gorgonia.Node{all, cols, bias}, Inputs: []*gorgonia.Node{x, y, c}}, []*gorgonia.Node{x, y, c}
		}
		run := func() ([][]float64, *Program) {
			gr, leaves := build()
			p, err := Compile(gr)
			if err != nil {
				t.Fatal(err)
			}
			// New inputs of the graph's dtype before each of three runs.
			m := p.NewMachine()
			var vs []*tensor.Dense
			for _, n := range leaves {
				s, _ := p.Slot(n)
				v := tensor.New(tensor.Of(dt), tensor.WithShape(n.Shape()...))
				vs = append(vs, v)
				m.Set(s, v)
			}
			rng := rand.New(rand.NewPCG(5, 6))
			for r := range 3 {
				for _, v := range vs {
					for j := range v.Shape().TotalSize() {
						if x := rng.NormFloat64(); dt == tensor.Float32 {
							v.Set(j, float32(x))
						} else {
							v.Set(j, x)
						}
					}
				}
				var ms goruntime.MemStats
				goruntime.ReadMemStats(&ms)
				before := ms.Mallocs
				if err := m.Run(); err != nil {
					t.Fatal(err)
				}
				goruntime.ReadMemStats(&ms)
				if _, _, _, planned := m.Plan(); r > 0 && !planned && ms.Mallocs != before {
					// Settled by the first run, every later run (the
					// groups' first, the heads' operands included)
					// allocates nothing (on one goroutine: a plan's
					// first run on several makes its lanes).
					t.Errorf("%v: run %d allocated %d times", dt, r+1, ms.Mallocs-before)
				}
			}
			for i := 0; i < p.Len(); i++ {
				if p.Kernel(i) == "sum-all" || p.Kernel(i) == "col-sum" {
					if how := m.How(i); how == "kernel" && p.SumTails() > 0 {
						t.Errorf("%v: %v runs as %q, want in its group", dt, p.Op(i), how)
					}
				}
			}
			return rootValues(t, p, m, gr.Roots), p
		}
		t.Setenv("GORNN_FUSION", "on")
		fused, p := run()
		if p.SumTails() != 3 || p.SumHeads() != 3 {
			t.Errorf("%v: %d groups with a sum as their tail, %d column sums as heads, want 3 and 3", dt, p.SumTails(), p.SumHeads())
		}
		t.Setenv("GORNN_FUSION", "off")
		unfused, q := run()
		t.Setenv("GORNN_FUSION", "on")
		if q.SumTails() != 0 || q.SumHeads() != 0 {
			t.Fatalf("GORNN_FUSION=off: %d tails, %d heads", q.SumTails(), q.SumHeads())
		}
		for k := range unfused {
			if len(fused[k]) == 0 || !slices.EqualFunc(fused[k], unfused[k], func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
				t.Errorf("%v: root %d fused %v, unfused %v", dt, k, fused[k], unfused[k])
			}
		}
	}
}
