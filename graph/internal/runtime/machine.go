package runtime

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Machine runs a Program: it holds the value of every slot of the last
// run, so it serves one goroutine at a time.
type Machine struct {
	p    *Program
	vals []gorgonia.Value
	st   []state
	args []gorgonia.Value // the operands of the op being run
	// settled is set by a successful first run, which settles how each op
	// runs from then on.
	settled bool
	sc      scratch
	// fused32 and fused64 hold, by group, the operands the groups of that
	// dtype found on their last run (fuse.go).
	fused32 []fusedOperands[float32]
	fused64 []fusedOperands[float64]
	// gemmAdds holds, by group, the operands of the product-and-sum
	// groups found on their last run (gemmadd.go).
	gemmAdds []gemmAddOperands
	// assembled holds, by group, the operands of the assembled slice
	// gradients (assemble.go).
	assembled []assembledOperands
	// inner32 and inner64 hold the blocks of the groups' inner values.
	inner32 []float32
	inner64 []float64
	// order lists the ops that Run's loop steps through, in program
	// order: those whose runs do something (not leaves, kept values or
	// a group's ops before its last); nil when a group's ops changed how
	// they run, and made again by the next run.
	order []runStep
	// plan runs the settled program on two goroutines (parallel.go); nil
	// when it would not pay.
	plan *plan
	// mu guards the lazy values' stale flags while a plan runs.
	mu *sync.Mutex
	// gen counts the changes of any slot's tensor (setVal), shared by a
	// plan's lanes: a group's record of its operands made at the same
	// count needs no checking.
	gen *atomic.Uint64
	// woke holds the tasks an op of a plan made ready.
	woke []int32
	// tasksRun counts the tasks of plans this machine ran (for tests).
	tasksRun int
}

// how is the way an op runs on the runs after the first.
type how uint8

const (
	howLeaf    how = iota // an input or a parameter: its value is the caller's
	howOp                 // Gorgonia's op, into its last value where state.reuse
	howKernel             // its kernel, into its own value
	howKept               // its value is fixed by the program's shapes
	howReshape            // its value is kept while its operand is the same
	howAlias              // its value is its operand's
	howLazy               // not computed until its value is read
	howFused              // computed by its group, with the group's last op
	howGroup              // the last op of a group: runs the group's kernel
	howFolded             // not computed: its group computes its reader's value
)

func (h how) String() string {
	return [...]string{"leaf", "op", "kernel", "kept", "reshape", "alias", "lazy", "fused", "group", "folded"}[h]
}

// state is what a machine knows of one op.
type state struct {
	how   how
	reuse bool // Gorgonia's op may write into the last value
	stale bool // a lazy value not computed on this run
	// lent marks a value whose memory its only reader writes its own
	// value into (gemmadd.go): after a run it holds the reader's value.
	lent bool
	// src is the operand an alias is (howAlias): 0, or 1 for a slice's
	// gradient, which is its second operand.
	src uint8
	// prev is the first operand the op had when its value was computed.
	prev gorgonia.Value
}

// NewMachine returns a machine for p with no values; the caller sets the
// leaves' with Set before the first run.
func (p *Program) NewMachine() *Machine {
	m := &Machine{p: p, vals: make([]gorgonia.Value, len(p.ops)), st: make([]state, len(p.ops)), mu: new(sync.Mutex), gen: new(atomic.Uint64)}
	m.makeRecords()
	return m
}

// makeRecords makes m's records of the product-and-sum and assembled
// groups' operands, one per group of the program (those of other groups
// stay empty), which each of those groups finds on its first run.
func (m *Machine) makeRecords() {
	m.gemmAdds = make([]gemmAddOperands, len(m.p.groups))
	m.assembled = make([]assembledOperands, len(m.p.groups))
}

// Set makes v the value of leaf slot i (an input or a parameter). The
// machine reads v's memory on every run; the caller writes it between
// runs.
func (m *Machine) Set(i int, v gorgonia.Value) { m.setVal(i, v) }

// setVal makes v the value of slot i, counting a change of tensor in
// m.gen, by which the groups' records of their operands know that they
// need looking at again.
func (m *Machine) setVal(i int, v gorgonia.Value) {
	if m.vals[i] != v {
		m.vals[i] = v
		m.gen.Add(1)
	}
}

// Value returns the value of slot i after the last run, computing a lazy
// value first. It is the machine's own memory, valid until the next run.
// A value a group does not compute (folded: read only inside the group,
// never a root) is an error.
func (m *Machine) Value(i int) (gorgonia.Value, error) {
	if m.st[i].how == howFolded {
		return nil, fmt.Errorf("slot %d is not computed: its group computes only its reader", i)
	}
	if m.st[i].lent {
		return nil, fmt.Errorf("slot %d's memory holds its reader's value", i)
	}
	if m.st[i].stale {
		if err := m.materialize(i); err != nil {
			return nil, err
		}
	}
	return m.vals[i], nil
}

// Run evaluates the program. A failure inside an op, including a panic,
// is returned as an error.
func (m *Machine) Run() (err error) {
	cur := -1
	defer func() {
		if r := recover(); r != nil {
			if cur >= 0 {
				err = fmt.Errorf("running %v: %v", m.p.ops[cur].g, r)
			} else {
				err = fmt.Errorf("run: %v", r)
			}
		}
	}()
	m.sc.run++
	if !m.settled {
		return m.first(&cur)
	}
	if m.plan != nil && m.plan.replan.Load() {
		// A group's ops run one by one now: the plan's tasks are others,
		// and so are the loop's.
		m.plan, m.order = m.newPlan(), nil
	}
	if m.plan != nil && (simd.Threads() >= 2 || m.plan.simulate) {
		err := m.runParallel(m.plan)
		if err != errPartDeclined {
			return err
		}
		// Nothing the part would have written was written: the run is
		// made again in order (each op computes its value from its
		// operands afresh), and the plan again before the next.
		m.plan.replan.Store(true)
	}
	if m.order == nil {
		m.order = m.runOrder()
	}
	for _, e := range m.order {
		if e.g >= 0 {
			// A group's last op: its kernel, called here rather than
			// through step.
			cur = int(e.i)
			if m.p.groups[e.g].k.run(m, nil, nil) {
				continue
			}
			if err := m.runGroupOps(int(e.g), &cur); err != nil {
				return err
			}
			continue
		}
		if err := m.step(int(e.i), &cur); err != nil {
			return err
		}
	}
	return nil
}

// runStep is an op of Run's loop: slot i, and g the group it runs (its
// last op, howGroup when the order was made), or -1.
type runStep struct{ i, g int32 }

// runOrder returns the ops of a settled program that its runs step
// through: all but the leaves, the kept values and a group's ops before
// its last, which no run computes.
func (m *Machine) runOrder() []runStep {
	order := make([]runStep, 0, len(m.p.ops))
	for i := range m.p.ops {
		switch m.st[i].how {
		case howLeaf, howKept, howFused, howFolded:
			continue
		}
		g := int32(-1)
		if m.st[i].how == howGroup {
			g = int32(m.p.ops[i].group - 1)
		}
		order = append(order, runStep{i: int32(i), g: g})
	}
	return order
}

// step runs op i of a settled program as every run after the first does
// (Run's loop, a plan's task), setting *cur to the op it runs. The ops
// that no run computes (leaves, kept values, a group's ops before its
// last) are the caller's to skip.
func (m *Machine) step(i int, cur *int) error {
	s, o := &m.st[i], &m.p.ops[i]
	*cur = i
	switch s.how {
	case howGroup:
		return m.runGroup(o.group-1, cur)
	case howReshape:
		if len(o.args) == 1 && sameValue(m.vals[o.args[0]], s.prev) {
			return nil
		}
	case howAlias:
		if len(o.args) > int(s.src) {
			m.setVal(i, m.vals[o.args[s.src]])
			return nil
		}
	case howLazy:
		s.stale = true
		return nil
	case howKernel:
		args := m.gather(o.args)
		if o.k.run(m, m.vals[i], args) {
			return nil
		}
		// The values are not what the kernel covers: the op runs
		// Gorgonia's op from now on, so all later runs agree.
		s.how = howOp
		return m.runOp(i, args)
	}
	return m.runOp(i, m.gather(o.args))
}

// sameValue reports whether a and b are the same value: the same two
// interface words (for a pointer, as every tensor is, the same pointer),
// without the runtime's comparison of the dynamic values. A false answer
// for equal non-pointer values only makes the caller compute again.
func sameValue(a, b gorgonia.Value) bool {
	return *(*[2]unsafe.Pointer)(unsafe.Pointer(&a)) == *(*[2]unsafe.Pointer)(unsafe.Pointer(&b))
}

// gather returns the values of slots, in m.args.
func (m *Machine) gather(slots []int) []gorgonia.Value {
	m.args = m.args[:0]
	for _, k := range slots {
		m.args = append(m.args, m.vals[k])
	}
	return m.args
}

// runOp computes op i with Gorgonia's op, into its last value where the
// first run found that safe.
func (m *Machine) runOp(i int, args []gorgonia.Value) error {
	o, s := &m.p.ops[i], &m.st[i]
	m.mu.Lock()
	for j, c := range o.args {
		if m.st[c].stale {
			if err := m.materialize(c); err != nil {
				m.mu.Unlock()
				return err
			}
			args[j] = m.vals[c]
		}
	}
	m.mu.Unlock()
	var v gorgonia.Value
	var err error
	if s.reuse {
		v, err = o.g.(gorgonia.UsePreallocDoer).UsePreallocDo(m.vals[i], args...)
	} else {
		v, err = o.g.Do(args...)
	}
	if err != nil {
		return fmt.Errorf("running %v: %v", o.g, err)
	}
	m.setVal(i, v)
	if len(args) > 0 {
		s.prev = args[0]
	}
	return nil
}

// first is the first run: every op runs Gorgonia's op, and the run notes
// which values are the node's own memory (not an input's, a parameter's
// or an earlier node's, as Gorgonia's reshapes and count-1 repeats return)
// and settles how each op runs from then on. Ops with a kernel and a value
// of their own run it on this run already, into the op's value, so that
// every run computes the same numbers.
func (m *Machine) first(cur *int) error {
	seen := map[uintptr]bool{}
	for i, o := range m.p.ops {
		m.st[i] = state{}
		if o.g == nil {
			markSeen(seen, m.vals[i])
		}
	}
	for i := range m.p.ops {
		o, s := &m.p.ops[i], &m.st[i]
		if o.g == nil {
			continue
		}
		*cur = i
		args := m.gather(o.args)
		v, err := o.g.Do(args...)
		if err != nil {
			return fmt.Errorf("running %v: %v", o.g, err)
		}
		m.vals[i] = v
		if len(args) > 0 {
			s.prev = args[0]
		}
		var owned, alias, ran bool
		switch o.role {
		case roleRepeat:
			alias = len(args) > 0 && sameMemory(v, args[0])
		case roleSumAll:
			// A fresh scalar of its own: later runs sum into it.
			owned = o.k != nil && o.k.run(m, v, args)
			ran = owned
		case roleSliceAll:
			// A whole-axis slice is its input: use the input itself
			// rather than Gorgonia's copy of it, on this run and after.
			if len(args) == 1 {
				if _, ok := args[0].(*tensor.Dense); ok {
					v, m.vals[i], alias = args[0], args[0], true
				}
			}
		case roleSliceGrad:
			// The gradient of a whole-axis slice is the incoming gradient
			// (passGrad copies it): use that tensor itself.
			if len(args) == 2 && !m.p.ops[o.args[1]].lazy {
				if d, ok := args[1].(*tensor.Dense); ok && !d.IsView() && d.Shape().Eq(v.Shape()) {
					v, m.vals[i], alias, s.src = args[1], args[1], true, 1
				}
			}
		case roleArith:
			// A scalar of its own (arithmetic on scalars): later runs
			// write into it.
			if o.k != nil && freshScalar(seen, v, args) && o.k.run(m, v, args) {
				owned, ran = true, true
			}
		}
		if d, ok := v.(*tensor.Dense); ok && !d.IsView() && d.Shape().TotalSize() > 0 && !seen[d.Uintptr()] {
			owned = true
			// A slice's gradient adds into the value it is given without
			// zeroing it first: reusing last run's value would add this
			// run's gradient to it.
			s.reuse = o.prealloc && !o.addsInto
			ran = o.k != nil && o.k.run(m, v, args)
		}
		markSeen(seen, v)
		switch {
		case o.role == roleSizeOf:
			s.how = howKept
		case o.role == roleReshape:
			s.how = howReshape
		case alias:
			s.how = howAlias
		case o.lazy && owned:
			s.how = howLazy
		case owned && ran:
			s.how = howKernel
		default:
			s.how = howOp
		}
	}
	m.settled = true
	m.settleGroups()
	m.settleInPlace()
	m.prepareGroups()
	m.order = m.runOrder()
	m.plan = m.newPlan()
	return nil
}

// settleGroups lets each group whose ops all run their kernels into their
// own values run as one loop from the next run on.
func (m *Machine) settleGroups() {
	for _, g := range m.p.groups {
		ok := true
		for _, i := range g.members {
			// A whole-axis slice (an alias of its input) may sit between
			// a product-and-sum group's value and the column slices it
			// writes (gemmadd.go).
			ok = ok && (m.st[i].how == howKernel || m.st[i].how == howAlias && m.p.ops[i].role == roleSliceAll)
		}
		if !ok {
			continue
		}
		for j, i := range g.members {
			m.st[i].how = howFused
			if g.folds || g.inner != nil && g.inner[j] {
				m.st[i].how = howFolded
			}
		}
		m.st[g.members[len(g.members)-1]].how = howGroup
	}
}

// prepareGroups lets each settled group that keeps a record of its
// operands (fusedOperands) make it now, on the first run, so that the
// runs after it allocate nothing.
func (m *Machine) prepareGroups() {
	for _, g := range m.p.groups {
		if k, ok := g.k.(interface{ prepare(*Machine) }); ok && m.st[g.members[len(g.members)-1]].how == howGroup {
			k.prepare(m)
		}
	}
}

// runGroup runs group g. When its kernel declines, the group's ops run one
// by one, as they do on all later runs.
func (m *Machine) runGroup(g int, cur *int) error {
	if m.p.groups[g].k.run(m, nil, nil) {
		return nil
	}
	return m.runGroupOps(g, cur)
}

// runGroupOps runs group g's ops one by one, as they run from now on
// (and the machine's plan, if any, is made again before the next run).
func (m *Machine) runGroupOps(g int, cur *int) error {
	if m.plan != nil {
		m.plan.replan.Store(true)
	}
	m.order = nil // the members run from now on
	gr := &m.p.groups[g]
	for _, i := range gr.members {
		m.st[i].how = howKernel
		if m.p.ops[i].role == roleSliceAll {
			m.st[i].how = howAlias
		}
	}
	for _, i := range gr.members {
		*cur = i
		o := &m.p.ops[i]
		args := m.gather(o.args)
		if m.st[i].how == howAlias {
			m.setVal(i, args[0]) // its input itself, as on the first run
			continue
		}
		if o.k.run(m, m.vals[i], args) {
			continue
		}
		m.st[i].how = howOp
		if err := m.runOp(i, args); err != nil {
			return err
		}
	}
	return nil
}

// materialize computes lazy value c, skipped on this run, for a reader.
func (m *Machine) materialize(c int) error {
	o := &m.p.ops[c]
	m.st[c].stale = false
	args := make([]gorgonia.Value, 0, len(o.args))
	for _, k := range o.args {
		args = append(args, m.vals[k])
	}
	if o.k != nil && o.k.run(m, m.vals[c], args) {
		return nil
	}
	v, err := o.g.Do(args...)
	if err != nil {
		return fmt.Errorf("running %v: %v", o.g, err)
	}
	m.setVal(c, v)
	return nil
}
