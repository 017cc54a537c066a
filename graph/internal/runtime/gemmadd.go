package runtime

import (
	"slices"
	"unsafe"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gemmAdds finds the additions of a product to another value, s = x + a·b
// (or a·b + x), where the product is read only by that addition: the
// forward pass's x·W + h·U, and the chains of additions Grad builds for a
// weight that every time step multiplies (the gradient of U is the sum
// over the steps of hₜᵀ·dzₜ). Each such addition becomes a group that
// computes the product a few rows at a time into a tile that stays in the
// first-level cache and adds it to x there: the product's value is not
// computed (folded), so it is neither written to memory nor read back.
// Where x is itself a product read only by s (the forward x·W), it is
// computed in a tile of its own too; where s is read only by the addition
// of a bias row (a lazy broadcast, addRow), the group takes that addition
// in as well and s is not written either: a recurrent layer's gate input
// x·W + h·U + b is one pass.
//
// The numbers are those of the ops: every element of a product is the
// same sum in the same order (the product kernel computes each element
// alike whatever rows it is given), rounded once, and then added to x's
// element by the same addition in the op's operand order, and the bias by
// addRow's. Only float32 products on the assembly kernels (AVX2 or
// AVX-512, the same bits) are grouped (the gonum path may compute
// elements differently for other row counts).
func (p *Program) gemmAdds(roots map[int]bool) {
	if !simd.Enabled {
		return
	}
	// The readers of each value, but for the ops that read only its
	// shape (a broadcast's SizeOf, kept from the first run on; a slice's
	// gradient, which places the incoming gradient into zeros of its
	// first operand's shape).
	readers := make([][]int, len(p.ops))
	for j, o := range p.ops {
		if o.role == roleSizeOf {
			continue
		}
		for ai, c := range o.args {
			if ai == 0 && readsShapeOnly(o.k) {
				continue
			}
			readers[c] = append(readers[c], j)
		}
	}
	free := func(i int) bool {
		o := &p.ops[i]
		return o.group == 0 && !o.lazy && !o.addsInto
	}
	// product returns slot a's product kernel when a can be folded into
	// its only reader s, an addition over n elements.
	product := func(a, s, n int) (gemm[float32], bool) {
		g, ok := p.ops[a].k.(gemm[float32])
		if !ok || !free(a) || roots[a] || len(readers[a]) != 1 || readers[a][0] != s || len(p.ops[a].args) != 2 || g.m*g.n != n {
			return g, false
		}
		for _, c := range p.ops[a].args {
			if p.ops[c].lazy {
				return g, false
			}
		}
		return g, true
	}
	// newGroup makes the group of k over members (the sum, its products and
	// its bias addition), with the column slices that read its value.
	newGroup := func(k *gemmAdd, members []int) {
		for j := range k.terms {
			if t := &k.terms[j]; t.prod {
				k.m, k.n = t.g.m, t.g.n
			}
		}
		// The value read only by a float32 elementwise function (a
		// SimpleRNN's tanh, a dense layer's activation): the group
		// applies it to its tiles and writes its value, not the sum.
		if r := readers[k.root]; len(r) == 1 && !roots[k.root] && free(r[0]) {
			if u, ok := p.ops[r[0]].k.(unary[float32]); ok && len(p.ops[r[0]].args) == 1 && u.n == k.m*k.n {
				k.act, k.root = u.f, r[0]
				members = append(members, r[0])
			}
		}
		// The value read only by column slices (a joined layer's gates;
		// in training also by the slices' gradients, which read only its
		// shape): the group writes the slices from its tiles and not the
		// value.
		if k.act == nil {
			if cols, aliases := columnSlices(p, k.root, readers, roots, free); cols != nil {
				k.cols = cols
				k.lend = -1
				for _, c := range cols {
					members = append(members, c.slot)
				}
				members = append(members, aliases...)
			}
		}
		k.both = k.terms[0].prod && k.terms[1].prod
		for j, t := range k.terms {
			k.copies = k.copies || t.prod && t.g.copiesB()
			if t.prod {
				k.ks[j] = t.g.k
				k.large = k.large || simd.GemmMaySplit(t.g.m, t.g.n, t.g.k)
			}
		}
		k.outer = -1
		// Rows (the value's, or each slice's) of 8 columns or more: the
		// assembly's additions (a narrower row is Go's, as
		// AddRowsStrided's is, and stays so).
		wide := k.n >= 8
		if k.cols != nil {
			wide = !slices.ContainsFunc(k.cols, func(c colSlice) bool { return c.end-c.start < 8 })
		}
		if k.both && wide {
			for j, t := range k.terms {
				if t.g.k == 1 && !t.g.copiesB() {
					k.outer = j
					break
				}
			}
		}
		k.rows = min(k.m, max(1, tileElements/k.n))
		if k.rows > 4 {
			k.rows &^= 3
		}
		k.plain = k.cols == nil && !k.large && k.rows >= k.m && simd.SmallVector(k.m*k.n)
		members = insertSorted(members)
		// Every member but the group's values (the slices, or the root)
		// is folded: not computed on its own.
		inner := make([]bool, len(members))
		for j, mb := range members {
			inner[j] = mb != k.root
			if k.cols != nil {
				inner[j] = !slices.ContainsFunc(k.cols, func(c colSlice) bool { return c.slot == mb })
			}
		}
		p.groups = append(p.groups, group{members: members, k: k, inner: inner})
		for _, m := range members {
			p.ops[m].group = len(p.groups)
		}
	}
	for s := range p.ops {
		o := &p.ops[s]
		sum, ok := o.k.(binary[float32])
		if !ok || sum.op != add || len(o.args) != 2 || !free(s) || o.args[0] == o.args[1] {
			continue
		}
		k := &gemmAdd{sum: s, root: s, lend: -1, src: -1, gi: len(p.groups)}
		var prods []int
		for j, a := range o.args {
			k.terms[j].slot = a
			if g, ok := product(a, s, sum.n); ok {
				k.terms[j].g, k.terms[j].prod = g, true
				prods = append(prods, j)
			}
		}
		switch {
		case len(prods) == 0:
			continue
		case len(prods) == 2 && k.terms[0].g.sharesScratch() && k.terms[1].g.sharesScratch():
			// Both would transpose an operand into the same scratch:
			// only the larger is folded.
			small := 0
			if k.terms[0].g.macs() > k.terms[1].g.macs() {
				small = 1
			}
			k.terms[small].prod = false
		}
		for _, t := range k.terms {
			if !t.prod && p.ops[t.slot].lazy {
				ok = false
			}
		}
		if !ok {
			continue
		}
		members := []int{s}
		for _, t := range k.terms {
			if t.prod {
				members = append(members, t.slot)
			} else if x := t.slot; p.ops[x].g != nil && !roots[x] && len(readers[x]) == 1 && !p.ops[x].addsInto {
				// x is an op's value that only s reads: the group's
				// value may be written over it (settleInPlace).
				k.lend = x
			}
		}
		if r := readers[s]; len(r) == 1 && !roots[s] && free(r[0]) {
			if b, ok := p.ops[r[0]].k.(addRow[float32]); ok && len(p.ops[r[0]].args) == 2 && p.ops[r[0]].args[2-b.arg] == s {
				k.root, k.src = r[0], b.src
				members = append(members, r[0])
			}
		}
		newGroup(k, members)
	}
	// A product read only by the addition of a bias row, with nothing
	// else added (a GRU's x·W + b and h·U + b_h, whose sum the reset gate
	// splits; a dense layer's x·W + b at every step): the same group with
	// the product its one term, the row added to its tiles as addRow adds
	// it to the product's value.
	for r := range p.ops {
		o := &p.ops[r]
		b, ok := o.k.(addRow[float32])
		if !ok || !free(r) || len(o.args) != 2 {
			continue
		}
		a := o.args[2-b.arg]
		g, ok := product(a, r, b.n)
		if !ok {
			continue
		}
		k := &gemmAdd{sum: r, root: r, lend: -1, src: b.src, gi: len(p.groups), single: true}
		k.terms[0] = term{prod: true, g: g, slot: a}
		k.terms[1].slot = -1
		newGroup(k, []int{r, a})
	}
}

// readsShapeOnly reports whether k, a slice's gradient, reads only the
// shape of its first operand, in its kernel and in Gorgonia's op alike
// (sliceIncrOp.Do makes zeros of that shape and adds into them).
func readsShapeOnly(k kernel) bool {
	switch k.(type) {
	case passGrad[float32], passGrad[float64], sliceGrad[float32], sliceGrad[float64]:
		return true
	}
	return false
}

// sharesScratch reports whether the product transposes an operand into
// the machine's shared scratch (sc.b) rather than a parameter's own.
func (k gemm[T]) sharesScratch() bool {
	return k.copiesB() && !k.paramB
}

// gemmAdd is the kernel of a group of an addition, s = t₀ + t₁, the
// products among its operands that only it reads, and the addition of a
// bias row to s where that is s's only reader.
type gemmAdd struct {
	terms [2]term
	sum   int
	// root is the group's value: the bias addition's, or s.
	root int
	// src is the bias row's slot (addRow's source), or -1.
	src int
	// lend is x's slot when the group's value may be written over x's
	// memory: x an op's value that only s reads, not a root; or -1.
	lend int
	// m, n are the result's shape; rows the rows of a tile.
	m, n, rows int
	gi         int // the group's number in the program
	// cols, when set, are the column slices that are the root's only
	// readers: the group writes them, and not the root.
	cols []colSlice
	// single marks a group of one product and the bias row added to it
	// (sum is the bias addition; terms[1] is unused).
	single bool
	// act, when set, is the elementwise function (a unary kernel's) that
	// alone reads the sum: root is its op, and the group writes its value.
	act func(o, a []float32)
	// both marks two products; copies a product that copies its second
	// operand (gemm.copiesB) on every run.
	both, copies bool
	// ks are the products' inner sizes (0 for a term that is not one);
	// large marks a product that may be split across cores at some
	// thread count (simd.GemmMaySplit).
	ks    [2]int
	large bool
	// plain marks a group that writes its value (no column slices), of
	// products small enough for one tile and never split (a weight
	// gradient's term added to the sum before it, a gradient's two
	// products dz·Uᵀ + dy·Vᵀ, a SimpleRNN's
	// tanh(x·W + h·U + b), a dense layer's x·W + b at a step), its value
	// 8 elements or more that the vector kernels take whole
	// (simd.SmallVector): runRows computes it in one pass without its
	// loop (runPlain).
	plain bool
	// outer is the term that is a product of inner size 1 (an outer
	// product: one input feature's weights) in a group of two products,
	// or -1: with a bias row, each slice (or the sum, or the sum that act
	// then reads) is written from the other product's tile by
	// AddOuterRowsStrided, the outer product computed as it is added, not
	// in a tile of its own.
	outer int
}

// colSlice is a copy of columns start..end of the group's value into
// slot's value.
type colSlice struct{ slot, start, end int }

// columnSlices returns the slices of columns of slot v [m, n] that are
// all v's readers, when there is at least one and v is not a root, with
// the whole-axis slices between (Gorgonia's Slice(z, nil, S(a, b)) is
// z[:] then its columns a..b: an alias of z, slot set in colSlice.alias;
// its readers too must all be column slices).
func columnSlices(p *Program, v int, readers [][]int, roots map[int]bool, free func(int) bool) (out []colSlice, aliases []int) {
	if roots[v] || len(readers[v]) == 0 {
		return nil, nil
	}
	var walk func(v int) bool
	walk = func(v int) bool {
		for _, r := range readers[v] {
			o := &p.ops[r]
			if o.role == roleSliceAll && o.k == nil && free(r) && !roots[r] && len(o.args) == 1 && len(readers[r]) > 0 && !slices.Contains(aliases, r) {
				aliases = append(aliases, r)
				if !walk(r) {
					return false
				}
				continue
			}
			k, ok := o.k.(slice[float32])
			if !ok || !free(r) || len(o.args) != 1 || k.along != 1 || k.end <= k.start || slices.ContainsFunc(out, func(c colSlice) bool { return c.slot == r }) {
				return false
			}
			out = append(out, colSlice{slot: r, start: k.start, end: k.end})
		}
		return true
	}
	if !walk(v) || len(out) == 0 {
		return nil, nil
	}
	return out, aliases
}

// term is an operand of the addition: a product computed in the group's
// tiles, or a value.
type term struct {
	prod bool
	g    gemm[float32]
	slot int
}

func (k *gemmAdd) String() string { return "gemm+add" }

// macs is the products' work, for the plans (taskWork).
func (k *gemmAdd) macs() int64 {
	var w int64
	for _, t := range k.terms {
		if t.prod {
			w += t.g.macs()
		}
	}
	return w
}

// tileElements bounds a tile of a product: 16 KB of float32, with the
// rows of the other operand and of the result beside it in the
// first-level cache.
const tileElements = 4096

// run computes the group's value. It declines, before writing anything,
// when a value is not a dense float32 tensor of its size.
func (k *gemmAdd) run(m *Machine, _ gorgonia.Value, _ []gorgonia.Value) bool {
	return k.runRows(m, 0, k.m)
}

// runRows computes rows r0..r1 of the group's value (run: all of them; a
// plan's part: a range at multiples of k.rows, partBounds). It declines,
// before writing anything, as run does.
func (k *gemmAdd) runRows(m *Machine, r0, r1 int) bool {
	c := &m.gemmAdds[k.gi]
	if !c.current(m) && !k.resolve(m, c) {
		return false
	}
	if k.plain && r0 == 0 && r1 == k.m {
		k.runPlain(m, c)
		return true
	}
	// Nothing declines from here on: the transposes may be made.
	b, ldb := &c.b, &c.ldb
	var tb [2][]float32
	var tldb [2]int
	if k.copies {
		tb, tldb = c.b, c.ldb
		for j := range k.terms {
			if t := &k.terms[j]; t.prod && t.g.copiesB() {
				tb[j], tldb[j] = t.g.untransposedB(tb[j], &m.sc)
			}
		}
		b, ldb = &tb, &tldb
	}
	mm, n := k.m, k.n
	// A product large enough to be split across cores is computed whole,
	// on all of them; otherwise a few rows at a time.
	rows := k.rows
	if k.splits() {
		rows = mm
	}
	t0 := growT(&m.sc.tile, rows*n)
	var t1 []float32
	if k.both {
		t1 = growT(&m.sc.tile2, rows*n)
	}
	var t3 []float32 // the sum's rows, when the slices or act's value are written
	if k.cols != nil || k.act != nil {
		t3 = growT(&m.sc.tile3, rows*n)
	}
	outer := k.outerTerm(c)
	for r := r0; r < r1; r += rows {
		h := min(rows, r1-r)
		lo, hi := r*n, (r+h)*n
		// The terms' rows r..r+h: the products' in tiles, x's in place.
		v0, v1 := t0[:h*n], t1
		if t := &k.terms[0]; t.prod {
			if outer != 0 {
				tileProduct(h, n, t.g.k, c.a[0][r*c.rs[0]:], c.rs[0], c.cs[0], b[0], ldb[0], v0)
			}
		} else {
			v0 = c.x[0][lo:hi]
		}
		switch t := &k.terms[1]; {
		case k.single:
		case !t.prod:
			v1 = c.x[1][lo:hi]
		default:
			tile := t0
			if k.both {
				tile = t1
			}
			v1 = tile[:h*n]
			if outer != 1 {
				tileProduct(h, n, t.g.k, c.a[1][r*c.rs[1]:], c.rs[1], c.cs[1], b[1], ldb[1], v1)
			}
		}
		if outer >= 0 {
			// big + the outer product + the bias row, into each slice
			// (or the sum).
			big := v1
			if outer == 1 {
				big = v0
			}
			a, rs := c.a[outer][r*c.rs[outer]:], c.rs[outer]
			if k.cols == nil {
				// The sum itself (a SimpleRNN's gate input), or the sum
				// act then reads.
				dst := t3
				if dst == nil {
					dst = c.out[lo:hi]
				}
				dst = dst[:h*n]
				simd.AddOuterRowsStrided(dst, n, big, n, a, rs, b[outer][:n], c.row, h, outer == 0)
				if k.act != nil {
					k.act(c.out[lo:hi], dst)
				}
				continue
			}
			for j, cs := range k.cols {
				w := cs.end - cs.start
				simd.AddOuterRowsStrided(c.cols[j][r*w:(r+h)*w], w, big[cs.start:], n, a, rs, b[outer][cs.start:cs.end], c.row[cs.start:cs.end], h, outer == 0)
			}
			continue
		}
		dst := t3
		if t3 == nil {
			dst = c.out[lo:hi]
		}
		dst = dst[:h*n]
		if k.cols != nil && c.row != nil {
			// The bias row added straight into the slices, column block
			// by column block: addRow's additions, and no copy.
			s := v0
			if !k.single {
				s = t0[:h*n]
				simd.VV(simd.Add, s, v0, v1)
			}
			for j, cs := range k.cols {
				w := cs.end - cs.start
				simd.AddRowsStrided(c.cols[j][r*w:(r+h)*w], w, s[cs.start:], n, c.row[cs.start:cs.end], h)
			}
			continue
		}
		switch {
		case k.single:
			simd.AddRows(dst, v0, c.row)
		case c.row == nil:
			simd.VV(simd.Add, dst, v0, v1)
		default:
			// s is not kept: it is summed in the first tile, and the row
			// added to it as addRow does (s + row).
			s := t0[:h*n]
			simd.VV(simd.Add, s, v0, v1)
			simd.AddRows(dst, s, c.row)
		}
		for j, cs := range k.cols {
			w := cs.end - cs.start
			simd.CopyRows(c.cols[j][r*w:(r+h)*w], w, dst[cs.start:], n, h, w)
		}
		if k.act != nil {
			k.act(c.out[lo:hi], dst)
		}
	}
	return true
}

// outerTerm returns the term whose outer product is added in the pass
// that writes the value or slices (gemmAdd.outer), or -1: with a bias row,
// on the assembly's kernels, whose bits it matches
// (simd.AddOuterRowsStrided).
func (k *gemmAdd) outerTerm(c *gemmAddOperands) int {
	if k.outer >= 0 && c.row != nil && simd.Enabled {
		return k.outer
	}
	return -1
}

// runPlain computes a plain group (gemmAdd.plain) whole: what runRows's
// loop computes for it in its one pass of rows 0..m, the same calls in
// the same order, without the loop's bookkeeping.
func (k *gemmAdd) runPlain(m *Machine, c *gemmAddOperands) {
	mn, n := k.m*k.n, k.n
	outer := k.outerTerm(c)
	t0 := growT(&m.sc.tile, mn)
	var v [2][]float32
	for j := range k.terms {
		t := &k.terms[j]
		switch {
		case !t.prod:
			if !k.single {
				v[j] = c.x[j][:mn]
			}
		case j == outer:
		default:
			tile := t0
			if j == 1 && k.both {
				tile = growT(&m.sc.tile2, mn)
			}
			b, ldb := c.b[j], c.ldb[j]
			if t.g.copiesB() {
				// Its transpose (made once per run for a parameter).
				b, ldb = t.g.untransposedB(b, &m.sc)
			}
			tileProduct(k.m, n, t.g.k, c.a[j], c.rs[j], c.cs[j], b, ldb, tile)
			v[j] = tile
		}
	}
	dst := c.out[:mn]
	if k.act != nil {
		dst = growT(&m.sc.tile3, mn)
	}
	switch {
	case outer >= 0:
		// big + the outer product + the bias row (runRows's outer pass).
		simd.AddOuterRowsStrided(dst, n, v[1-outer], n, c.a[outer], c.rs[outer], c.b[outer][:n], c.row, k.m, outer == 0)
	case k.single:
		simd.AddRows(dst, v[0], c.row)
	case c.row == nil:
		simd.VVAt(simd.Add, &dst[0], &v[0][0], &v[1][0], mn)
	default:
		s := t0
		simd.VV(simd.Add, s, v[0], v[1])
		simd.AddRows(dst, s, c.row)
	}
	if k.act != nil {
		k.act(c.out[:mn], dst)
	}
}

// tileProduct computes the rows of a group's product into tile (row stride
// n): the operands were checked when the group found them, so a product
// the kernel computes in one call goes to it directly.
func tileProduct(h, n, k int, a []float32, rs, cs int, b []float32, ldb int, tile []float32) {
	if simd.GemmSmall(h, n, k) {
		simd.GemmAt(h, n, k, &a[0], rs, cs, &b[0], ldb, &tile[0], n)
		return
	}
	simd.GemmStrided(h, n, k, a, rs, cs, b, ldb, tile, n)
}

// splits reports whether a product of the group is large enough to be
// split across cores at the current thread count.
func (k *gemmAdd) splits() bool {
	return k.large && (simd.GemmSplits(k.m, k.n, k.ks[0]) || simd.GemmSplits(k.m, k.n, k.ks[1]))
}

// gemmAddOperands is what a machine keeps of a product-and-sum group's
// operands from one run to the next: their elements, and every tensor
// read or written as it was when found, so that a later run checks only
// that each slot still holds the same tensor over the same memory (as
// fusedOperands does for the elementwise groups).
type gemmAddOperands struct {
	seenTensors
	out, row []float32
	cols     [][]float32
	x, a, b  [2][]float32
	// rs, cs are a's strides, ldb b's row stride: b untransposed, except
	// where the product copies it (gemm.copiesB), which run does.
	rs, cs, ldb [2]int
}

// seenTensors is a group's record of the tensors it read or wrote as it
// found them: valid once found, and current while every slot still holds
// the same tensor over the same memory.
type seenTensors struct {
	valid bool
	gen   uint64 // the machine's gen when last found current
	seen  []outsideDense
}

// current reports whether c holds the operands for this run.
func (c *seenTensors) current(m *Machine) bool {
	if !c.valid {
		return false
	}
	g := m.gen.Load()
	if c.gen == g {
		return true // no slot's tensor changed since
	}
	for _, o := range c.seen {
		d, ok := m.vals[o.slot].(*tensor.Dense)
		if !ok || d != o.d || unsafe.SliceData(d.Raw) != (*byte)(o.p) || len(d.Raw) != o.bytes {
			return false
		}
	}
	c.gen = g
	return true
}

// reset empties c before its operands are found again.
func (c *seenTensors) reset() { c.valid, c.seen = false, c.seen[:0] }

// see notes slot's tensor d.
func (c *seenTensors) see(slot int, d *tensor.Dense) {
	c.seen = append(c.seen, outsideDense{slot: slot, d: d, p: unsafe.Pointer(unsafe.SliceData(d.Raw)), bytes: len(d.Raw)})
}

// found marks c valid and current.
func (c *seenTensors) found(m *Machine) { c.valid, c.gen = true, m.gen.Load() }

// prepare makes m's record of the group's operands, and its tiles, from
// the values of the first run, so that the runs after it allocate nothing.
func (k *gemmAdd) prepare(m *Machine) {
	if !k.resolve(m, &m.gemmAdds[k.gi]) {
		return
	}
	growT(&m.sc.tile, k.rows*k.n)
	if k.terms[0].prod && k.terms[1].prod {
		growT(&m.sc.tile2, k.rows*k.n)
	}
	if k.cols != nil || k.act != nil {
		growT(&m.sc.tile3, k.rows*k.n)
	}
}

// resolve finds the group's operands in the machine's values and keeps
// them in c; it reports false, keeping nothing, when a value is not a
// dense float32 tensor of its size.
func (k *gemmAdd) resolve(m *Machine, c *gemmAddOperands) bool {
	c.reset()
	mm, n := k.m, k.n
	get := func(slot, size int) ([]float32, bool) {
		if m.st[slot].stale {
			return nil, false
		}
		v, ok := denseData[float32](m.vals[slot], size)
		if !ok {
			return nil, false
		}
		d := m.vals[slot].(*tensor.Dense)
		c.see(slot, d)
		return v, true
	}
	var ok bool
	c.out, c.cols = nil, c.cols[:0]
	if k.cols == nil {
		if c.out, ok = get(k.root, mm*n); !ok {
			return false
		}
	} else {
		for _, s := range k.cols {
			o, ok := get(s.slot, mm*(s.end-s.start))
			if !ok {
				return false
			}
			c.cols = append(c.cols, o)
		}
	}
	c.row = nil
	if k.src >= 0 {
		if c.row, ok = get(k.src, n); !ok {
			return false
		}
	}
	for j := range k.terms {
		t := &k.terms[j]
		c.x[j], c.a[j], c.b[j] = nil, nil, nil
		if !t.prod && k.single {
			continue
		}
		if !t.prod {
			v, ok := get(t.slot, mm*n)
			if !ok || c.out != nil && simd.Overlap(c.out, v) && unsafe.SliceData(c.out) != unsafe.SliceData(v) {
				return false
			}
			c.x[j] = v
			continue
		}
		args := m.p.ops[t.slot].args
		ad, aok := get(args[0], t.g.ar*t.g.ac)
		bd, bok := get(args[1], t.g.br*t.g.bc)
		if !aok || !bok {
			return false
		}
		c.a[j], c.rs[j], c.cs[j] = t.g.stridesA(ad)
		if t.g.copiesB() {
			c.b[j], c.ldb[j] = as32(bd), 0
		} else {
			c.b[j], c.ldb[j] = t.g.untransposedB(bd, nil)
		}
	}
	c.found(m)
	return true
}

// settleInPlace gives the value of each product-and-sum group the memory
// of its other operand x where that is an op's own value read by nothing
// else (gemmAdd.lend): the group then computes in place, and a chain of
// them (a weight gradient's terms) adds into one matrix that stays in the
// cache instead of writing a new one per term. The first run's value is
// copied over x first, so the values read after it are the same. Groups
// are settled in program order, so a chain's sums all come to share its
// first operand's memory.
func (m *Machine) settleInPlace() {
	for gi := range m.p.groups {
		k, ok := m.p.groups[gi].k.(*gemmAdd)
		if !ok || k.lend < 0 || m.st[k.root].how != howGroup {
			continue
		}
		switch m.st[k.lend].how {
		case howKernel, howGroup, howFused:
		default:
			continue
		}
		xd, sd := dense(m.vals[k.lend]), dense(m.vals[k.root])
		if xd == nil || sd == nil || xd.IsView() || sd.IsView() {
			continue
		}
		xs, xok := Data[float32](xd)
		ss, sok := Data[float32](sd)
		if !xok || !sok || len(xs) != len(ss) || simd.Overlap(xs, ss) {
			continue
		}
		copy(xs, ss)
		m.setVal(k.root, m.vals[k.lend])
		m.st[k.lend].lent = true
	}
}
