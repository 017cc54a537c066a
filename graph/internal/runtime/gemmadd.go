package runtime

import (
	"unsafe"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
)

// gemmAdds finds the additions of a product to another value, s = x + a·b
// (or a·b + x), where the product is read only by that addition: the
// forward pass's x·W + h·U, and the chains of additions Grad builds for a
// weight that every time step multiplies (the gradient of U is the sum
// over the steps of hₜᵀ·dzₜ). Each such pair becomes a group of two that
// computes the product a few rows at a time into a tile that stays in the
// first-level cache and adds it to x there: the product's value is not
// computed (folded), so it is neither written to memory nor read back.
//
// The numbers are those of the two ops: every element of the product is
// the same sum in the same order (the product kernel computes each
// element alike whatever rows it is given), rounded once, and then added
// to x's element by the same addition (x + p and p + x are the same
// number). Only float32 products on the AVX2 kernel are grouped (the
// gonum path may compute elements differently for other row counts).
func (p *Program) gemmAdds(roots map[int]bool) {
	if !simd.Enabled {
		return
	}
	readers := make([][]int, len(p.ops))
	for j, o := range p.ops {
		for _, c := range o.args {
			readers[c] = append(readers[c], j)
		}
	}
	free := func(i int) bool {
		o := &p.ops[i]
		return o.group == 0 && !o.lazy && !o.addsInto
	}
	for s := range p.ops {
		o := &p.ops[s]
		sum, ok := o.k.(binary[float32])
		if !ok || sum.op != add || len(o.args) != 2 || !free(s) || o.args[0] == o.args[1] {
			continue
		}
		// The operand to fold: a product read only here; of two, the
		// larger.
		pick, x, first := -1, -1, false
		var most int64
		for j, a := range o.args {
			g, ok := p.ops[a].k.(gemm[float32])
			if !ok || !free(a) || roots[a] || len(readers[a]) != 1 || len(p.ops[a].args) != 2 || g.m*g.n != sum.n {
				continue
			}
			lazyArg := false
			for _, c := range p.ops[a].args {
				lazyArg = lazyArg || p.ops[c].lazy
			}
			if lazyArg {
				continue
			}
			if w := g.macs(); w > most {
				pick, x, first, most = a, o.args[1-j], j == 0, w
			}
		}
		if pick < 0 || p.ops[x].lazy {
			continue
		}
		k := &gemmAdd{g: p.ops[pick].k.(gemm[float32]), prod: pick, x: x, sum: s, first: first,
			inPlace: p.ops[x].g != nil && !roots[x] && len(readers[x]) == 1 && !p.ops[x].addsInto}
		p.groups = append(p.groups, group{members: []int{pick, s}, k: k, folds: true})
		p.ops[pick].group = len(p.groups)
		o.group = len(p.groups)
	}
}

// gemmAdd is the kernel of a group of a product and the addition that is
// its only reader: sum = x + a·b, with a and b the product's operands.
type gemmAdd struct {
	g            gemm[float32]
	prod, x, sum int
	// first is set when the product is the addition's first operand:
	// the operands are added in the op's order (of two NaNs, the
	// processor keeps the first one's payload).
	first bool
	// inPlace is set when x is an op's value read only by the sum, not a
	// root: the sum may be written over it (settleInPlace).
	inPlace bool
}

func (k *gemmAdd) String() string { return "gemm+add" }

// macs is the product's work, for the plans (taskWork).
func (k *gemmAdd) macs() int64 { return k.g.macs() }

// tileElements bounds a tile of the product: 16 KB of float32, with the
// operand rows of x and the sum beside it in the first-level cache.
const tileElements = 4096

// run computes the sum into its value. It declines, before writing
// anything, when a value is not a dense float32 tensor of its size.
func (k *gemmAdd) run(m *Machine, _ gorgonia.Value, _ []gorgonia.Value) bool {
	g := k.g
	args := m.p.ops[k.prod].args
	for _, s := range [...]int{args[0], args[1], k.x} {
		if m.st[s].stale {
			return false
		}
	}
	out, ok := denseData[float32](m.vals[k.sum], g.m*g.n)
	if !ok {
		return false
	}
	x, xok := denseData[float32](m.vals[k.x], g.m*g.n)
	ad, aok := denseData[float32](m.vals[args[0]], g.ar*g.ac)
	bd, bok := denseData[float32](m.vals[args[1]], g.br*g.bc)
	if !xok || !aok || !bok || overlaps(out, x) && unsafe.SliceData(out) != unsafe.SliceData(x) {
		return false
	}
	mm, n, kk := g.m, g.n, g.k
	a32, lda, b32, ldb := g.untransposed(ad, bd, &m.sc)
	if simd.GemmSplits(mm, n, kk) {
		// A product this large runs on several cores: all of it at once,
		// then the addition, as the two ops did.
		t := grow(&m.sc.tile, mm*n)
		simd.Gemm(mm, n, kk, a32, lda, b32, ldb, t, n)
		k.add(out, x, t)
		return true
	}
	rows := max(1, tileElements/n)
	if rows > 4 {
		rows &^= 3
	}
	rows = min(rows, mm)
	t := grow(&m.sc.tile, rows*n)
	for r := 0; r < mm; r += rows {
		h := min(rows, mm-r)
		tt := t[:h*n]
		simd.Gemm(h, n, kk, a32[r*lda:], lda, b32, ldb, tt, n)
		k.add(out[r*n:(r+h)*n], x[r*n:(r+h)*n], tt)
	}
	return true
}

// add sets out = x + t, or t + x when the product is the first operand.
func (k *gemmAdd) add(out, x, t []float32) {
	if k.first {
		simd.VV(simd.Add, out, t, x)
		return
	}
	simd.VV(simd.Add, out, x, t)
}

// grow returns (*buf)[:n], reallocating it when it is shorter.
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// overlaps reports whether a and b share memory.
func overlaps(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b))*4 && pb < pa+uintptr(len(a))*4
}

// settleInPlace gives the sum of each product-and-sum group the memory
// of its other operand where that is an op's own value read by nothing
// else: the sum is then computed in place, and a chain of them (a weight
// gradient's terms) adds into one matrix that stays in the cache instead
// of writing a new one per term. The first run's sum is copied over the
// operand first, so the values read after it are the same. Groups are
// settled in program order, so a chain's sums all come to share its
// first operand's memory.
func (m *Machine) settleInPlace() {
	for gi := range m.p.groups {
		k, ok := m.p.groups[gi].k.(*gemmAdd)
		if !ok || !k.inPlace || m.st[k.sum].how != howGroup {
			continue
		}
		switch m.st[k.x].how {
		case howKernel, howGroup, howFused:
		default:
			continue
		}
		xd, sd := dense(m.vals[k.x]), dense(m.vals[k.sum])
		if xd == nil || sd == nil || xd.IsView() || sd.IsView() {
			continue
		}
		n := k.g.m * k.g.n
		xs, xok := Data[float32](xd)
		ss, sok := Data[float32](sd)
		if !xok || !sok || len(xs) != n || len(ss) != n || overlaps(xs, ss) {
			continue
		}
		copy(xs, ss)
		m.vals[k.sum] = m.vals[k.x]
		m.st[k.x].lent = true
	}
}
