package runtime

import (
	"os"
	"slices"
	"strings"
	"unsafe"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A group is a chain of elementwise ops of the program (+ − ⊙ ÷ on
// tensors or with a scalar, sigmoid, tanh, neg, square: those of a cell
// step's gates and state update, and those gorgonia.Grad builds for their
// gradients) of one element count and dtype, which the machine runs as
// one loop over the elements instead of one pass per op. The ops are the
// graph's own, found by a pass over the compiled program (fuse); the loop
// runs each op's own arithmetic (binaryOp, the unary kernels' functions)
// on blocks of fuseBlock elements, every op of the chain on a block
// before the next block, so that the values stay in the cache and the
// machine dispatches one op instead of many. Every op still writes its
// value, so the numbers are bit for bit those of the ops run one by one
// (the elementwise kernels compute each element alike wherever a block
// starts). A float32 pass large enough to be split across cores
// (simd.Splits) runs each op over all elements instead, split as
// unfused. A group of one pass may also end with a sum of its last value
// (a tail: a loss term's Σ, a column sum) and begin with column sums of
// values from outside that only its ops read (heads: a bias gradient's
// terms, which its additions add up); it computes them with their
// kernels' arithmetic, so they too are the ops' numbers.
type group struct {
	members []int // the ops' slots, in program order; the last runs the group
	k       kernel
	// folds marks a group that computes only its last op's value
	// (assemble.go): the others are not computed.
	folds bool
	// inner marks, by members' index, the members of an elementwise
	// group that only other members read: they are not written
	// (computed in scratch blocks) once the group runs as one loop.
	inner []bool
}

// fuseBlock is the number of elements each op of a group computes before
// the next op: a multiple of the vector width, small enough that a
// chain's operands and results (16 KB each in float32) stay in the
// second-level cache, large enough that the few dozen instructions each
// op pays per block do not count (512 cost 3.5% more instructions on the
// LSTM(128) step than unfused; docs/benchmarks.md).
const fuseBlock = 4096

// FusionEnabled reports whether Compile fuses elementwise chains: unless
// the environment variable GORNN_FUSION is "off" when Compile runs (to
// compare fused and unfused programs).
func FusionEnabled() bool { return !strings.EqualFold(os.Getenv("GORNN_FUSION"), "off") }

// elementwise is a kernel that a group can run: an op over n elements of
// type T whose result, element i, depends only on element i of its
// operands (or on a scalar operand).
type elementwise interface {
	kernel
	// fusible returns the op's step in a group of element type dt
	// (32 or 64) and its element count.
	fusible() (dt, n int)
}

func (k binary[T]) fusible() (int, int) { return bits[T](), k.n }

func (k unary[T]) fusible() (int, int) { return bits[T](), k.n }

// bits is 32 for float32, 64 for float64.
func bits[T float32 | float64]() int {
	if isFloat32[T]() {
		return 32
	}
	return 64
}

// fuse groups the program's elementwise ops. An op joins the groups of
// the elementwise ops it reads (of its dtype and size) when the group,
// run in its place, still runs before every other reader of its
// members' values: a member's value read by an op between the member and
// the group's new place would not be computed yet. Groups of one op are
// left as they are.
func (p *Program) fuse(roots map[int]bool) {
	readers := make([][]int, len(p.ops))
	for j, o := range p.ops {
		for _, c := range o.args {
			readers[c] = append(readers[c], j)
		}
	}
	of := make([]int, len(p.ops)) // group index + 1 of each op, 0 for none
	var groups [][]int
	kind := func(i int) (dt, n int, ok bool) {
		if p.ops[i].lazy || p.ops[i].addsInto || p.ops[i].group != 0 {
			return 0, 0, false
		}
		e, ok := p.ops[i].k.(elementwise)
		if !ok {
			return 0, 0, false
		}
		dt, n = e.fusible()
		return dt, n, true
	}
	// fits reports whether members, run at slot at, run before every
	// reader of their values outside members.
	fits := func(members []int, at int) bool {
		in := map[int]bool{at: true}
		for _, m := range members {
			in[m] = true
		}
		for _, m := range members {
			for _, r := range readers[m] {
				if !in[r] && r < at {
					return false
				}
			}
		}
		return true
	}
	for j := range p.ops {
		dt, n, ok := kind(j)
		if !ok {
			continue
		}
		// The groups of j's operands that can run in j's place.
		var join []int
		for _, a := range p.ops[j].args {
			g := of[a] - 1
			if g < 0 || containsInt(join, g) {
				continue
			}
			if adt, an, _ := kind(a); adt != dt || an != n {
				continue
			}
			join = append(join, g)
		}
		var members []int
		for _, g := range join {
			members = append(members, groups[g]...)
		}
		if len(join) > 1 && !fits(members, j) {
			// Not all of them: the largest one that fits.
			best := -1
			for _, g := range join {
				if fits(groups[g], j) && (best < 0 || len(groups[g]) > len(groups[best])) {
					best = g
				}
			}
			join, members = nil, nil
			if best >= 0 {
				join, members = []int{best}, groups[best]
			}
		} else if len(join) == 1 && !fits(members, j) {
			join, members = nil, nil
		}
		if len(join) == 0 {
			groups = append(groups, []int{j})
			of[j] = len(groups)
			continue
		}
		g := join[0]
		members = append(insertSorted(members), j)
		groups[g] = members
		for _, other := range join[1:] {
			groups[other] = nil
		}
		for _, m := range members {
			of[m] = g + 1
		}
	}
	// A sum of a group's last value (a loss term's sum, a bias gradient's
	// column sums) joins the group as its tail where the group can run in
	// its place and computes in one pass: the group sums the value it has
	// just computed, and the sum is not an op of its own.
	for gi, members := range groups {
		if len(members) == 0 {
			continue
		}
		last := members[len(members)-1]
		dt, n, _ := kind(last)
		if n > fuseBlock {
			continue
		}
		for _, r := range readers[last] {
			o := &p.ops[r]
			if o.group != 0 || o.lazy || len(o.args) != 1 || r < last || !isSumTail(o.k, dt, n) {
				continue
			}
			if with := append(slices.Clone(members), r); fits(with, r) {
				groups[gi] = with
				of[r] = gi + 1
				break
			}
		}
	}
	// A column sum that only a group's members read (the terms of a bias
	// gradient, one a time step, that the group adds up) joins it as a
	// head: the group computes it from its operand, outside the group,
	// before its ops.
	for gi, members := range groups {
		if len(members) == 0 {
			continue
		}
		dt, n, _ := kind(members[0])
		if n > fuseBlock {
			continue
		}
		for _, mb := range slices.Clone(members) {
			for _, a := range p.ops[mb].args {
				o := &p.ops[a]
				if of[a] != 0 || o.group != 0 || o.lazy || len(o.args) != 1 || !isColSumOf(o.k, dt, n) || p.ops[o.args[0]].lazy {
					continue
				}
				ok := true
				for _, r := range readers[a] {
					ok = ok && containsInt(members, r)
				}
				if ok {
					members = append(members, a)
					of[a] = gi + 1
				}
			}
		}
		groups[gi] = insertSorted(members)
	}
	for _, members := range groups {
		if len(members) < 2 {
			continue
		}
		// A member that only other members read, and that is not a root,
		// need not be written: its blocks live in scratch while the group
		// runs (an op reading only its shape, a broadcast's SizeOf, does
		// not count).
		inner := make([]bool, len(members))
		for j, m := range members {
			if roots[m] || p.ops[m].addsInto {
				continue
			}
			read := false
			inner[j] = true
			for _, r := range readers[m] {
				if p.ops[r].role == roleSizeOf {
					continue
				}
				read = true
				inner[j] = inner[j] && containsInt(members, r)
			}
			inner[j] = inner[j] && read
		}
		k := newFused(p, members, len(p.groups), inner)
		if k == nil {
			continue
		}
		p.groups = append(p.groups, group{members: members, k: k, inner: inner})
		for _, m := range members {
			p.ops[m].group = len(p.groups)
		}
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// insertSorted sorts a few slots in place (program order) and returns them.
func insertSorted(s []int) []int {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// newFused returns the kernel of a group of elementwise ops of one dtype,
// group number gi of the program.
func newFused(p *Program, members []int, gi int, inner []bool) kernel {
	dt := 0
	for _, m := range members {
		if e, ok := p.ops[m].k.(elementwise); ok {
			dt, _ = e.fusible()
			break
		}
	}
	switch dt {
	case 0:
		return nil
	case 32:
		return buildFused[float32](p, members, gi, inner)
	}
	return buildFused[float64](p, members, gi, inner)
}

// fused runs a group: steps in order on each block of elements. Its
// operands are slots of the program: the members' values (written) and
// the values they read from outside the group (vectors of n elements or
// scalars).
type fused[T float32 | float64] struct {
	n     int
	gi    int    // the group's number in the program
	slots []int  // the slots the group reads or writes
	own   []bool // by slots' index: a member's value
	// inner marks, by slots' index, a member's value that only members
	// read: computed block by block into scratch, never into its slot.
	inner  []bool
	inners int     // how many
	steps  []fstep // one per member, in program order (but a tail)
	f      []func(o, a []T)
	// tail, when set, is the group's last member: a sum of the value of
	// the member before it (sumTail).
	tail *sumTail
	// heads are the column sums the group computes before its ops
	// (sumHead).
	heads []sumHead
}

// sumTail is a group's last member that sums the value of the member
// before it, as its own kernel does: all of it into a scalar (sumAll), or
// its columns into a vector of cols (colSum).
type sumTail struct {
	slot int  // the sum's slot
	in   int  // its operand, an index in fused.slots
	all  bool // sumAll, else colSum
	cols int
}

// isColSumOf reports whether k is a column sum of element type dt into n
// elements (a group's head).
func isColSumOf(k kernel, dt, n int) bool {
	switch s := k.(type) {
	case colSum[float32]:
		return dt == 32 && s.cols == n && s.rows > 0
	case colSum[float64]:
		return dt == 64 && s.cols == n && s.rows > 0
	}
	return false
}

// sumHead is a group's member that sums the columns of a value from
// outside the group (slot in, rows·n elements) into its own value (out,
// an index in fused.slots), before the group's ops read it.
type sumHead struct{ in, out, size int }

// isSumTail reports whether k is a sum a group of element type dt over n
// elements can end with (fuse): sumAll or colSum of n elements.
func isSumTail(k kernel, dt, n int) bool {
	switch s := k.(type) {
	case sumAll[float32]:
		return dt == 32 && s.n == n
	case sumAll[float64]:
		return dt == 64 && s.n == n
	case colSum[float32]:
		return dt == 32 && s.rows*s.cols == n && s.cols > 0
	case colSum[float64]:
		return dt == 64 && s.rows*s.cols == n && s.cols > 0
	}
	return false
}

// fstep is one op of a group: out = op(a, b) for a binary op, f(a) for a
// unary one (f indexes fused.f); out, a and b index fused.slots.
type fstep struct {
	out, a, b int
	binary    bool
	op        arith
	f         int
}

func buildFused[T float32 | float64](p *Program, members []int, gi int, inner []bool) kernel {
	k := &fused[T]{gi: gi}
	index := map[int]int{}
	at := func(slot int) int {
		if i, ok := index[slot]; ok {
			return i
		}
		index[slot] = len(k.slots)
		k.slots = append(k.slots, slot)
		return index[slot]
	}
	for j, m := range members {
		o := &p.ops[m]
		if e, ok := o.k.(colSum[T]); ok && len(o.args) == 1 && !containsInt(members, o.args[0]) {
			k.heads = append(k.heads, sumHead{in: o.args[0], out: at(m), size: e.rows * e.cols})
			continue
		}
		if j == len(members)-1 && j > 0 && len(o.args) == 1 && o.args[0] == members[j-1] {
			switch e := o.k.(type) {
			case sumAll[T]:
				k.tail = &sumTail{slot: m, in: at(o.args[0]), all: true}
				continue
			case colSum[T]:
				k.tail = &sumTail{slot: m, in: at(o.args[0]), cols: e.cols}
				continue
			}
		}
		s := fstep{out: at(m), b: -1}
		switch e := o.k.(type) {
		case binary[T]:
			if len(o.args) != 2 {
				return nil
			}
			k.n = e.n
			s.binary, s.op, s.a, s.b = true, e.op, at(o.args[0]), at(o.args[1])
		case unary[T]:
			if len(o.args) != 1 {
				return nil
			}
			k.n = e.n
			s.a, s.f = at(o.args[0]), len(k.f)
			k.f = append(k.f, e.f)
		default:
			return nil
		}
		k.steps = append(k.steps, s)
	}
	k.own = make([]bool, len(k.slots))
	k.inner = make([]bool, len(k.slots))
	for j, m := range members {
		i, ok := index[m]
		if !ok || k.tail != nil && m == k.tail.slot {
			continue // the tail's value is not one of the slots
		}
		k.own[i] = true
		if inner[j] {
			k.inner[i] = true
			k.inners++
		}
	}
	for _, s := range k.slots {
		if p.ops[s].lazy {
			// A lazy value is not computed for its readers here.
			return nil
		}
	}
	return k
}

func (k *fused[T]) String() string { return "fused" }

func (k *fused[T]) hasTail() bool { return k.tail != nil }

func (k *fused[T]) numHeads() int { return len(k.heads) }

// run computes the group's ops into their values. It declines, before
// writing anything, when a value is not what the members' kernels cover.
func (k *fused[T]) run(m *Machine, _ gorgonia.Value, _ []gorgonia.Value) bool {
	c := groupOperands[T](m, k.gi)
	if !c.current(m, k) && !c.resolve(m, k) {
		return false
	}
	vals := c.vals
	if k.inners > 0 && c.block < k.block() {
		// The thread count changed since the scratch was made: a pass
		// that is split now needs whole values.
		if !c.resolve(m, k) {
			return false
		}
		vals = c.vals
	}
	if len(k.heads) > 0 {
		// The heads' operands, checked before anything is written.
		ok := k.n <= fuseBlock
		c.headX = c.headX[:0]
		for _, h := range k.heads {
			x, xok := denseData[T](m.vals[h.in], h.size)
			ok = ok && xok && !m.st[h.in].stale
			c.headX = append(c.headX, x)
		}
		if !ok {
			return false
		}
	}
	var tailOut []T
	if t := k.tail; t != nil {
		// The sum's value, checked before anything is written (its
		// kernel's checks); a tail is only in groups of one pass.
		out := m.vals[t.slot]
		ok := k.n <= fuseBlock
		if t.all {
			ok = ok && scalarOf[T](out)
		} else {
			var dok bool
			tailOut, dok = denseData[T](out, t.cols)
			ok = ok && dok
		}
		if !ok {
			return false
		}
	}
	if k.n <= fuseBlock || isFloat32[T]() && simd.Splits(k.n) {
		// One block (the seed sizes), or a pass this large that it runs
		// on several cores: each op over all elements, as unfused.
		for i, h := range k.heads {
			colSums(vals[h.out].vec, c.headX[i])
		}
		switch {
		case c.small != nil:
			runSmall(c.small, k.f, vals, k.n)
		case isFloat32[T]():
			runFloat32(k.steps, k.f, vals)
		default:
			for _, s := range k.steps {
				if !s.binary {
					k.f[s.f](vals[s.out].vec, vals[s.a].vec)
					continue
				}
				binaryOp(s.op, vals[s.out].vec, vals[s.a], vals[s.b])
			}
		}
		if t := k.tail; t != nil {
			// The sum its kernel computes, of the value just computed
			// (in its slot, or in scratch when only the sum reads it).
			if t.all {
				setScalar(m.vals[t.slot], sumOf(vals[t.in].vec))
			} else {
				colSums(tailOut, vals[t.in].vec)
			}
		}
		return true
	}
	k.runBlocks(vals, 0, k.n)
	return true
}

// runBlocks runs the group's steps over elements from..to, a block of
// fuseBlock elements at a time from from (a multiple of fuseBlock).
func (k *fused[T]) runBlocks(vals []operandOf[T], from, to int) {
	for lo := from; lo < to; lo += fuseBlock {
		hi := min(lo+fuseBlock, to)
		// A slot's elements lo..hi: in its value, or at the start of its
		// scratch block.
		at := func(i int) []T {
			if k.inner[i] {
				return vals[i].vec[:hi-lo]
			}
			return vals[i].vec[lo:hi]
		}
		for _, s := range k.steps {
			o := at(s.out)
			a := vals[s.a]
			if a.vec != nil {
				a.vec = at(s.a)
			}
			if !s.binary {
				k.f[s.f](o, a.vec)
				continue
			}
			b := vals[s.b]
			if b.vec != nil {
				b.vec = at(s.b)
			}
			binaryOp(s.op, o, a, b)
		}
	}
}

// block returns the elements each op of the group computes at a time:
// all n when they fit in one block or the pass is split across cores,
// else fuseBlock.
func (k *fused[T]) block() int {
	if k.n <= fuseBlock || isFloat32[T]() && simd.Splits(k.n) {
		return k.n
	}
	return fuseBlock
}

// prepare makes m's record of the group's operands from the values of
// the first run (a value that is not what the kernels cover leaves none,
// and the group's next run declines).
func (k *fused[T]) prepare(m *Machine) { groupOperands[T](m, k.gi).resolve(m, k) }

// runFloat32 runs a float32 group's steps over all its elements: what
// binaryOp's float32 path calls for each binary op (simd.VV, VS or SV by
// which operands are vectors; the group's resolve ensured one is), with
// the operands viewed as float32 once instead of three conversions an op.
func runFloat32[T float32 | float64](steps []fstep, f []func(o, a []T), vals []operandOf[T]) {
	v32 := *(*[]operandOf[float32])(unsafe.Pointer(&vals)) // T is float32
	for _, s := range steps {
		if !s.binary {
			f[s.f](vals[s.out].vec, vals[s.a].vec)
			continue
		}
		o, a, b := v32[s.out].vec, v32[s.a], v32[s.b]
		switch op := s.op.simdOp(); {
		case a.vec != nil && b.vec != nil:
			simd.VV(op, o, a.vec, b.vec)
		case a.vec != nil:
			simd.VS(op, o, a.vec, b.s)
		default:
			simd.SV(op, o, a.s, b.vec)
		}
	}
}

// smallOp is one op of a float32 group of one block whose vectors the
// assembly takes without checks (simd.SmallVector): the first elements
// of its operands, found when the record is made (fusedOperands.resolve),
// and for a scalar operand its index in the record's values, read on
// every run.
type smallOp struct {
	kind   uint8 // smallVV, smallVS, smallSV or smallUnary
	op     simd.Op
	f, s   int32 // a unary op's function (fused.f); a scalar's index in vals
	out, a int32 // a unary op's value and operand, indices in vals
	o, x   *float32
	y      *float32
}

const (
	smallVV = iota
	smallVS
	smallSV
	smallUnary
)

// runSmall runs a group's ops from its small program: what runFloat32
// calls for each op, without finding and checking the operands again.
func runSmall[T float32 | float64](prog []smallOp, f []func(o, a []T), vals []operandOf[T], n int) {
	for i := range prog {
		switch p := &prog[i]; p.kind {
		case smallVV:
			simd.VVAt(p.op, p.o, p.x, p.y, n)
		case smallVS:
			simd.VSAt(p.op, p.o, p.x, float32(vals[p.s].s), n)
		case smallSV:
			simd.SVAt(p.op, p.o, float32(vals[p.s].s), p.x, n)
		default:
			f[p.f](vals[p.out].vec, vals[p.a].vec)
		}
	}
}

// smallProgram returns k's ops as a small program over vals, appended to
// buf, or nil when the group is not one the unchecked assembly serves.
func smallProgram[T float32 | float64](k *fused[T], vals []operandOf[T], buf []smallOp) []smallOp {
	if !isFloat32[T]() || k.n > fuseBlock || !simd.SmallVector(k.n) {
		return nil
	}
	at := func(i int) *float32 {
		if len(vals[i].vec) < k.n {
			return nil
		}
		return (*float32)(unsafe.Pointer(unsafe.SliceData(vals[i].vec)))
	}
	prog := buf
	for _, s := range k.steps {
		p := smallOp{o: at(s.out), op: s.op.simdOp()}
		if p.o == nil {
			return nil
		}
		switch {
		case !s.binary:
			p.kind, p.f, p.out, p.a = smallUnary, int32(s.f), int32(s.out), int32(s.a)
		case vals[s.a].vec != nil && vals[s.b].vec != nil:
			p.kind, p.x, p.y = smallVV, at(s.a), at(s.b)
		case vals[s.a].vec != nil:
			p.kind, p.x, p.s = smallVS, at(s.a), int32(s.b)
		default:
			p.kind, p.x, p.s = smallSV, at(s.b), int32(s.a)
		}
		if p.kind != smallUnary && (p.x == nil || p.kind == smallVV && p.y == nil) {
			return nil
		}
		prog = append(prog, p)
	}
	return prog
}

// fusedOperands is what a machine keeps of a group's operands from one
// run to the next: each slot's elements (a member's value, or a vector or
// scalar the group reads from outside), and the tensors read from
// outside as they were when found, so that a later run checks only that
// each is still the same tensor over the same memory (a tensor's dtype,
// size and whether it is a view do not change) instead of checking its
// dtype and shape again. A member's own value needs no check: while the
// group runs, only the group writes its slot.
type fusedOperands[T float32 | float64] struct {
	vals    []operandOf[T] // by the group's slots; nil until resolved
	outside []outsideDense // the vectors read from outside the group
	scalars []int          // the indices in vals of scalars read from outside
	// block is the size of the scratch blocks of the inner values.
	block int
	// small is the group's small program (smallProgram), or nil.
	small []smallOp
	// headX are the heads' operands on this run (fused.heads).
	headX [][]T
	// gen is the machine's gen when the record was last found current.
	gen uint64
}

// outsideDense is a vector operand read from outside its group: slot's
// value was the contiguous tensor d over the memory at p of bytes bytes.
type outsideDense struct {
	slot  int
	d     *tensor.Dense
	p     unsafe.Pointer
	bytes int
}

// current reports whether c holds k's operands for this run: the vectors
// read from outside are the tensors they were, and the scalars read from
// outside, read again, are scalars.
func (c *fusedOperands[T]) current(m *Machine, k *fused[T]) bool {
	if c.vals == nil {
		return false
	}
	if g := m.gen.Load(); g != c.gen {
		// Some slot's tensor changed since the record was last found
		// current: look at the vectors read from outside.
		for _, o := range c.outside {
			d, ok := m.vals[o.slot].(*tensor.Dense)
			if !ok || d != o.d || unsafe.SliceData(d.Raw) != (*byte)(o.p) || len(d.Raw) != o.bytes {
				return false
			}
		}
		c.gen = g
	}
	for _, i := range c.scalars {
		v, ok := Scalar(m.vals[k.slots[i]])
		if !ok {
			return false
		}
		c.vals[i] = operandOf[T]{s: T(v)}
	}
	return true
}

// resolve finds k's operands in the machine's values with the members'
// kernels' checks, and keeps them in c; it reports false, keeping
// nothing, when a value is not what the kernels cover.
func (c *fusedOperands[T]) resolve(m *Machine, k *fused[T]) bool {
	vals := c.vals[:0]
	if cap(vals) < len(k.slots) {
		vals = make([]operandOf[T], 0, len(k.slots))
	}
	buf := c.small[:0]
	c.vals, c.outside, c.scalars, c.small = nil, c.outside[:0], c.scalars[:0], nil
	var scratch []T
	if k.inners > 0 {
		c.block = k.block()
		scratch = innerScratch[T](m, k.inners*c.block)
	}
	for i, s := range k.slots {
		v, ok := operand[T](m.vals[s], k.n)
		if !ok {
			return false
		}
		if k.inner[i] {
			// Checked as the member's kernel would (its value is the
			// first run's), then computed in scratch.
			v.vec, scratch = scratch[:c.block:c.block], scratch[c.block:]
		}
		vals = append(vals, v)
		switch {
		case k.own[i]:
		case v.vec != nil:
			d := m.vals[s].(*tensor.Dense)
			c.outside = append(c.outside, outsideDense{slot: s, d: d, p: unsafe.Pointer(unsafe.SliceData(d.Raw)), bytes: len(d.Raw)})
		default:
			c.scalars = append(c.scalars, i)
		}
	}
	for _, s := range k.steps {
		if vals[s.out].vec == nil || vals[s.a].vec == nil && (!s.binary || vals[s.b].vec == nil) {
			return false
		}
	}
	c.vals, c.gen = vals, m.gen.Load()
	c.small = smallProgram(k, vals, buf)
	if cap(c.headX) < len(k.heads) {
		// Made here, on the first run, so that a run allocates nothing.
		c.headX = make([][]T, 0, len(k.heads))
	}
	return true
}

// innerScratch returns n elements of the machine's scratch for groups'
// inner values. Every group of the machine takes its blocks from the start
// of the same memory (a machine runs one group at a time, and an inner
// value lives only while its group runs); a group that needs more grows
// it, and the groups that found the shorter one keep it.
func innerScratch[T float32 | float64](m *Machine, n int) []T {
	if buf, ok := any(&m.inner32).(*[]T); ok {
		return growT(buf, n)
	}
	return growT(any(&m.inner64).(*[]T), n)
}

func growT[T float32 | float64](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

// groupOperands returns the machine's record of group gi's operands.
func groupOperands[T float32 | float64](m *Machine, gi int) *fusedOperands[T] {
	if buf, ok := any(&m.fused32).(*[]fusedOperands[T]); ok {
		return groupRecord(buf, gi, len(m.p.groups))
	}
	return groupRecord(any(&m.fused64).(*[]fusedOperands[T]), gi, len(m.p.groups))
}

func groupRecord[T float32 | float64](buf *[]fusedOperands[T], gi, groups int) *fusedOperands[T] {
	if len(*buf) < groups {
		*buf = make([]fusedOperands[T], groups)
	}
	return &(*buf)[gi]
}
