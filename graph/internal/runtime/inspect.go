package runtime

import (
	"slices"

	"gorgonia.org/gorgonia"
)

// The methods of this file let tests (and profiles) see what Compile
// picked and how a machine runs each op; the run loop does not use them.

// Op returns Gorgonia's op of slot i (nil for a leaf).
func (p *Program) Op(i int) gorgonia.Op { return p.ops[i].g }

// Args returns the slots op i reads, in order.
func (p *Program) Args(i int) []int { return p.ops[i].args }

// Kernel returns the name of the kernel Compile picked for op i (one of
// Kernels), or "" if Gorgonia's op alone computes it.
func (p *Program) Kernel(i int) string {
	if p.ops[i].k == nil {
		return ""
	}
	return p.ops[i].k.String()
}

// Lazy reports whether op i is a bias broadcast that the additions reading
// it replace by reading its row.
func (p *Program) Lazy(i int) bool { return p.ops[i].lazy }

// RowSource returns the slot of the row an add-row kernel reads in place
// of a broadcast, or -1 for any other op.
func (p *Program) RowSource(i int) int {
	if k, ok := p.ops[i].k.(interface{ rowSource() int }); ok {
		return k.rowSource()
	}
	return -1
}

// TransposedParam reports whether op i is a product with a transposed
// operand made once per run (a parameter, or a value several products
// read transposed).
func (p *Program) TransposedParam(i int) bool {
	k, ok := p.ops[i].k.(interface{ transposesParam() bool })
	return ok && k.transposesParam()
}

// How returns how op i runs on the runs after the first, as settled by
// the first run (and changed by a kernel that declined): "leaf", "op",
// "kernel", "kept", "reshape", "alias" or "lazy".
func (m *Machine) How(i int) string { return m.st[i].how.String() }

// Stale reports whether lazy op i was not computed on the last run.
func (m *Machine) Stale(i int) bool { return m.st[i].stale }

// Raw returns the value of slot i as it is, without computing a lazy one.
func (m *Machine) Raw(i int) gorgonia.Value { return m.vals[i] }

// Group returns the index of the group (a chain of elementwise ops run as
// one loop) op i belongs to, or -1.
func (p *Program) Group(i int) int { return p.ops[i].group - 1 }

// Groups returns the number of groups of the program.
func (p *Program) Groups() int { return len(p.groups) }

// GroupKernel returns the name of group g's kernel: "fused" (an
// elementwise chain, with or without a sum as its tail), "assembled" or
// "gemm+add".
func (p *Program) GroupKernel(g int) string { return p.groups[g].k.String() }

// SumHeads returns the number of column sums that elementwise groups
// compute before their ops (sumHead).
func (p *Program) SumHeads() int {
	n := 0
	for _, g := range p.groups {
		if k, ok := g.k.(interface{ numHeads() int }); ok {
			n += k.numHeads()
		}
	}
	return n
}

// SumTails returns the number of elementwise groups that end with a sum
// of their last value (sumTail).
func (p *Program) SumTails() int {
	n := 0
	for _, g := range p.groups {
		if k, ok := g.k.(interface{ hasTail() bool }); ok && k.hasTail() {
			n++
		}
	}
	return n
}

// Plan returns, for a machine whose program runs on two goroutines (a
// plan, parallel.go), the number of tasks a run schedules (ops, and the
// parts of groups split into parts), the estimated
// work of all of them and of the longest chain of dependent ones (the
// least a run can take, in the same units); ok is false when the machine
// runs its ops in order on one goroutine.
func (m *Machine) Plan() (ops int, work, chain int64, ok bool) {
	pl := m.plan
	if pl == nil {
		return 0, 0, 0, false
	}
	for t := range pl.tasks {
		if pl.npred[t] == 0 {
			chain = max(chain, pl.prio[t])
		}
	}
	return len(pl.tasks), pl.work0, chain, true
}

// Lent reports whether slot i's memory holds its only reader's value
// after a run (a product-and-sum group's sum computed in place).
func (m *Machine) Lent(i int) bool { return m.st[i].lent }

// InScratch reports whether op i is a member of a group that only other
// members read: its group computes it in scratch blocks, and its slot is
// not written (How says "folded").
func (m *Machine) InScratch(i int) bool {
	g := m.p.ops[i].group - 1
	if g < 0 || m.st[i].how != howFolded || m.p.groups[g].inner == nil {
		return false
	}
	return m.p.groups[g].inner[slices.Index(m.p.groups[g].members, i)]
}

// PlanParts returns the number of a plan's tasks that are parts of a
// group (parts.go), and how many groups are split into them.
func (m *Machine) PlanParts() (parts, groups int) {
	pl := m.plan
	if pl == nil {
		return 0, 0
	}
	for _, p := range pl.part {
		if p >= 0 {
			parts++
			if p == 0 {
				groups++
			}
		}
	}
	return parts, groups
}

// PlanChains returns the number of a plan's whole tasks queued for one
// goroutine: the product-and-sums computed in place over the one before
// (a weight gradient's terms), each chain on one goroutine.
func (m *Machine) PlanChains() int {
	pl := m.plan
	if pl == nil {
		return 0
	}
	n := 0
	for t, h := range pl.home {
		if h >= 0 && pl.part[t] < 0 {
			n++
		}
	}
	return n
}

// OuterSums returns the number of product-and-sum groups with a bias row
// that add a product of inner size 1 as they write their value or slices
// (gemmAdd.outer), without computing it in a tile of its own.
func (p *Program) OuterSums() int {
	n := 0
	for _, g := range p.groups {
		if k, ok := g.k.(*gemmAdd); ok && k.outer >= 0 && k.src >= 0 {
			n++
		}
	}
	return n
}

// PlainSums returns the number of product-and-sum groups computed in one
// pass without runRows's loop (gemmAdd.plain).
func (p *Program) PlainSums() int {
	n := 0
	for _, g := range p.groups {
		if k, ok := g.k.(*gemmAdd); ok && k.plain {
			n++
		}
	}
	return n
}
