package runtime

import (
	"errors"

	"gorgonia.org/tensor"
)

// A partable group kernel computes its value in parts a plan runs as
// tasks of their own (parallel.go): the product-and-sum groups by tiles of
// rows, the elementwise groups by blocks of elements. A part computes its
// elements with the same instructions on the same operands as the whole
// group does, in the same tiles or blocks, so the parts' results are the
// group's, bit for bit. The plan gives each part the tasks it reads from
// (a part of a group reading only the rows it computes waits only for the
// parts that wrote those rows) and queues the parts numbered alike on the
// same goroutine, so that a recurrence's rows stay in one core's caches
// from step to step: W4's step runs as two chains of half batches, each
// on one core, joined at the weight gradients and the loss.
type partable interface {
	// partBounds returns the bounds of at most parts parts (len parts+1,
	// from 0 to the group's size, in its unit: rows of the product, or
	// elements), or nil when the group is not split.
	partBounds(parts int) []int
	// runPart computes units lo..hi of the group's value; it declines,
	// before writing anything, as the group's run does.
	runPart(m *Machine, lo, hi int) bool
	// partReads returns the elements of slot's value that units lo..hi
	// read, or false when they read it whole (or it is not known).
	partReads(m *Machine, slot, lo, hi int) (int, int, bool)
	// partWrites returns the elements of slot's value that units lo..hi
	// write, or false when slot is not a value the group writes by units.
	partWrites(slot, lo, hi int) (int, int, bool)
}

// errPartDeclined is a part's decline: nothing was written by it, and the
// run is made again in order (Run), the plan made again before the next.
var errPartDeclined = errors.New("a part of a group declined its operands")

// maxParts bounds the parts of a group.
const maxParts = 8

// bounds returns the bounds of min(parts, units/step) parts of units
// units at multiples of step, or nil for fewer than two.
func bounds(units, step, parts int) []int {
	blocks := (units + step - 1) / step
	parts = min(parts, blocks, maxParts)
	if parts < 2 {
		return nil
	}
	b := make([]int, parts+1)
	for p := range parts {
		b[p] = blocks * p / parts * step
	}
	b[parts] = units
	return b
}

func (k *gemmAdd) partBounds(parts int) []int {
	if k.splits() || k.rows <= 0 {
		return nil // a product split across cores by simd
	}
	for j := range k.terms {
		if t := &k.terms[j]; t.prod && t.g.transA {
			// Its rows are not the rows of the operands (a weight
			// gradient): every part would read all of them.
			return nil
		}
	}
	return bounds(k.m, k.rows, parts)
}

func (k *gemmAdd) runPart(m *Machine, lo, hi int) bool { return k.runRows(m, lo, hi) }

// partReads: rows lo..hi of the sum read the same rows of a value added
// and of an untransposed first operand of a product; every other operand
// (a product's second, a bias row) is read whole.
func (k *gemmAdd) partReads(m *Machine, slot, lo, hi int) (int, int, bool) {
	from, to, seen := 0, 0, false
	add := func(l, h int) {
		if !seen {
			from, to, seen = l, h, true
			return
		}
		from, to = min(from, l), max(to, h)
	}
	for j := range k.terms {
		t := &k.terms[j]
		if j == 1 && k.single {
			continue
		}
		if !t.prod {
			if t.slot == slot {
				add(lo*k.n, hi*k.n)
			}
			continue
		}
		args := m.p.ops[t.slot].args
		switch {
		case len(args) != 2:
			return 0, 0, false
		case args[1] == slot, args[0] == slot && t.g.transA:
			return 0, 0, false
		case args[0] == slot:
			add(lo*t.g.ac, hi*t.g.ac)
		}
	}
	return from, to, seen
}

func (k *gemmAdd) partWrites(slot, lo, hi int) (int, int, bool) {
	if k.cols == nil {
		if slot == k.root {
			return lo * k.n, hi * k.n, true
		}
		return 0, 0, false
	}
	for _, c := range k.cols {
		if c.slot == slot {
			w := c.end - c.start
			return lo * w, hi * w, true
		}
	}
	return 0, 0, false
}

// partBounds: a group of several blocks that is not split across cores
// by simd, in parts of whole blocks.
func (k *fused[T]) partBounds(parts int) []int {
	if k.block() != fuseBlock || k.tail != nil || len(k.heads) > 0 {
		return nil
	}
	return bounds(k.n, fuseBlock, parts)
}

func (k *fused[T]) runPart(m *Machine, lo, hi int) bool {
	if k.block() != fuseBlock || lo%fuseBlock != 0 {
		return false // the thread count changed since the plan was made
	}
	c := groupOperands[T](m, k.gi)
	if !c.current(m, k) && !c.resolve(m, k) {
		return false
	}
	vals := c.vals
	if k.inners > 0 && c.block < fuseBlock {
		if !c.resolve(m, k) {
			return false
		}
		vals = c.vals
	}
	k.runBlocks(vals, lo, hi)
	return true
}

// partReads: the members read the same elements of every vector operand
// (n elements) as they write; a scalar is read whole.
func (k *fused[T]) partReads(m *Machine, slot, lo, hi int) (int, int, bool) {
	for i, s := range k.slots {
		if s != slot {
			continue
		}
		if k.own[i] {
			return 0, 0, false
		}
		if d, ok := m.vals[slot].(*tensor.Dense); ok && d.Shape().TotalSize() == k.n {
			return lo, hi, true
		}
		return 0, 0, false
	}
	return 0, 0, false
}

func (k *fused[T]) partWrites(slot, lo, hi int) (int, int, bool) {
	for i, s := range k.slots {
		if s == slot && k.own[i] && !k.inner[i] {
			return lo, hi, true
		}
	}
	return 0, 0, false
}
