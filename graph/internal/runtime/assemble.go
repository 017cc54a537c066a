package runtime

import (
	"unsafe"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// assemble finds the gradients of a matrix split into slices: Grad gives
// each slice's gradient as a slice-gradient op (zeros shaped like the
// matrix, the slice's gradient in its range) and adds them up, a tree of
// additions of whole matrices (a fused layer's four gate slices: four
// matrices zeroed, three added). Where every slice-gradient and addition
// of such a tree is read only by its parent in the tree, the tree's root
// becomes a group that places each slice's gradient into the root's value
// at once; the other values of the tree are not computed.
//
// The numbers are those of the tree: at an element of a slice's range the
// additions add +0 to the slice's gradient (so a −0 becomes +0, and
// nothing else changes), and elsewhere they add zeros; the group writes
// each gradient + 0 into its range (one pass: placeGrad) and +0 elsewhere,
// as the tree did.
// Slices of one matrix whose ranges overlap are left alone.
func (p *Program) assemble(roots map[int]bool) {
	readers := make([][]int, len(p.ops))
	for j, o := range p.ops {
		for _, c := range o.args {
			readers[c] = append(readers[c], j)
		}
	}
	only := func(i, parent int) bool {
		return !roots[i] && p.ops[i].group == 0 && len(readers[i]) == 1 && readers[i][0] == parent
	}
	for r := len(p.ops) - 1; r >= 0; r-- {
		if p.ops[r].group != 0 || !isAdd(p.ops[r].k) || len(p.ops[r].args) != 2 {
			continue
		}
		var adds, leaves []int
		ok := true
		var walk func(i int)
		walk = func(i int) {
			for _, a := range p.ops[i].args {
				switch {
				case !ok:
					return
				case !only(a, i):
					ok = false
				case isAdd(p.ops[a].k) && len(p.ops[a].args) == 2:
					adds = append(adds, a)
					walk(a)
				case isSliceGrad(p.ops[a].k) && len(p.ops[a].args) == 2:
					leaves = append(leaves, a)
				default:
					ok = false
				}
			}
		}
		walk(r)
		if !ok || len(leaves) < 2 {
			continue
		}
		k := newAssembled(p, r, leaves, len(p.groups))
		if k == nil {
			continue
		}
		members := insertSorted(append(append(adds, leaves...), r))
		p.groups = append(p.groups, group{members: members, k: k, folds: true})
		for _, m := range members {
			p.ops[m].group = len(p.groups)
		}
	}
}

func isAdd(k kernel) bool {
	switch b := k.(type) {
	case binary[float32]:
		return b.op == add
	case binary[float64]:
		return b.op == add
	}
	return false
}

func isSliceGrad(k kernel) bool {
	switch k.(type) {
	case sliceGrad[float32], sliceGrad[float64]:
		return true
	}
	return false
}

// newAssembled returns the kernel of the tree rooted at r whose leaves are
// slice gradients of one matrix, or nil when they are not of one dtype,
// one matrix and one axis, or their ranges overlap.
func newAssembled(p *Program, r int, leaves []int, gi int) kernel {
	switch p.ops[r].k.(type) {
	case binary[float32]:
		return buildAssembled[float32](p, r, leaves, gi)
	case binary[float64]:
		return buildAssembled[float64](p, r, leaves, gi)
	}
	return nil
}

func buildAssembled[T float32 | float64](p *Program, r int, leaves []int, gi int) kernel {
	k := &assembled[T]{gi: gi, out: r, n: p.ops[r].k.(binary[T]).n}
	covered := 0
	for _, l := range leaves {
		g, ok := p.ops[l].k.(sliceGrad[T])
		if !ok || g.rows*g.cols != k.n {
			return nil
		}
		if len(k.parts) > 0 && (g.along != k.parts[0].along || g.rows != k.rows || g.cols != k.cols) {
			return nil
		}
		for _, q := range k.parts {
			if g.start < q.end && q.start < g.end {
				return nil
			}
		}
		k.rows, k.cols = g.rows, g.cols
		k.parts = append(k.parts, g.sliceRange)
		k.sizes = append(k.sizes, g.n)
		k.grads = append(k.grads, p.ops[l].args[1])
		covered += g.end - g.start
	}
	axis := k.rows
	if k.parts[0].along == 1 {
		axis = k.cols
	}
	k.covered = covered == axis
	return k
}

// assembled writes into slot out [rows, cols] the gradient at slot
// grads[i] (sizes[i] values) plus +0 in range parts[i], and +0 elsewhere.
type assembled[T float32 | float64] struct {
	gi         int // the group's number in the program
	out, n     int
	rows, cols int
	parts      []sliceRange
	sizes      []int
	grads      []int
	covered    bool // the ranges cover the whole axis
}

func (k *assembled[T]) String() string { return "assembled" }

func (k *assembled[T]) run(m *Machine, _ gorgonia.Value, _ []gorgonia.Value) bool {
	c := &m.assembled[k.gi]
	if !c.current(m) && !k.resolve(m, c) {
		return false
	}
	o := unsafe.Slice((*T)(c.out), k.n)
	if !k.covered {
		clear(o) // +0, which the tree's additions leave +0
	}
	for i, g := range c.grads {
		placeGrad(k.parts[i], o, unsafe.Slice((*T)(g), k.sizes[i]), k.rows, k.cols)
	}
	return true
}

// placeGrad writes g + 0 into range k of the [r, c] matrix o (the slices'
// ranges are disjoint): a slice gradient placed and the tree's +0 added
// in one pass, the numbers of copying g there and then adding +0.
func placeGrad[T float32 | float64](k sliceRange, o, g []T, r, c int) {
	w := k.end - k.start
	if k.along == 0 {
		o = o[k.start*c : k.end*c]
		if isFloat32[T]() {
			simd.VS(simd.Add, as32(o), as32(g), 0)
			return
		}
		for i, v := range g[:len(o)] {
			o[i] = v + 0
		}
		return
	}
	if isFloat32[T]() && r > 0 {
		simd.CopyRowsAddZero(as32(o)[k.start:], c, as32(g), w, r, w)
		return
	}
	for i := 0; i < r; i++ {
		row, src := o[i*c+k.start:i*c+k.end], g[i*w:(i+1)*w]
		for j, v := range src {
			row[j] = v + 0
		}
	}
}

// prepare makes m's record of the group's operands from the values of
// the first run, so that the runs after it allocate nothing.
func (k *assembled[T]) prepare(m *Machine) { k.resolve(m, &m.assembled[k.gi]) }

// assembledOperands is what a machine keeps of an assembled group's
// operands from one run to the next: the first elements of its value and
// of the slices' gradients, and their tensors as found.
type assembledOperands struct {
	seenTensors
	out   unsafe.Pointer
	grads []unsafe.Pointer
}

// resolve finds the group's value and the slices' gradients, dense
// vectors of their sizes, and keeps them in c; it reports false, keeping
// nothing, when one is not.
func (k *assembled[T]) resolve(m *Machine, c *assembledOperands) bool {
	c.reset()
	c.grads = c.grads[:0]
	get := func(s, n int) (unsafe.Pointer, bool) {
		v, ok := operand[T](m.vals[s], n)
		if !ok || v.vec == nil || m.st[s].stale {
			return nil, false
		}
		c.see(s, m.vals[s].(*tensor.Dense))
		return unsafe.Pointer(unsafe.SliceData(v.vec)), true
	}
	var ok bool
	if c.out, ok = get(k.out, k.n); !ok {
		return false
	}
	for i, s := range k.grads {
		g, ok := get(s, k.sizes[i])
		if !ok {
			return false
		}
		c.grads = append(c.grads, g)
	}
	c.found(m)
	return true
}
