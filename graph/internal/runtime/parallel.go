package runtime

import (
	"fmt"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/tensor"
)

// A plan runs a settled program's ops on several goroutines at once (up
// to Threads(), and at most the program's work over its longest chain of
// dependent ops, which bounds what more goroutines could gain): each op as
// soon as the ops it reads are done. Every op computes what it computes
// in order, into its own value, with the same kernel on the same operands:
// which goroutine runs it, and which ops run beside it, changes no bit of
// any value. Only ops independent of each other overlap: the products and
// passes of different gates, the weight gradients of different time steps
// and the chain of the recurrence.
//
// The ready ops wait in a queue, the op with the longest estimated chain
// of work after it first (the critical path: the recurrence), so that
// independent work fills the time the other goroutine would idle. A group
// of several tiles or blocks (a product-and-sum over a batch's rows, an
// elementwise group) is split into parts (parts.go), each a task that
// waits only for the parts that wrote the rows it reads; part p is queued
// for goroutine p mod the goroutines that run, which takes its own
// queue's and the shared queue's most urgent task first and another's
// parts only when both are empty. A recurrence then runs as chains of
// rows, each on one core with its rows in that core's caches, joined
// where a weight gradient or the loss reads all rows. A chain of sums
// computed in place (a weight gradient's terms, one a time step, added
// into one matrix) is queued for one goroutine too, chain c for goroutine
// c mod the goroutines, so that its matrix does not move between cores
// from one term to the next.
type plan struct {
	tasks []int // the slots of the ops a run runs, in program order
	// part is a task's part of its group (parts.go), -1 for a whole op;
	// lo, hi are the part's units.
	part   []int8
	lo, hi []int32
	// home is the goroutine a task is queued for (mod the goroutines
	// that run), -1 for any: a part's number, or for a product-and-sum
	// computed in place over the one before (a chain of them: a weight
	// gradient's terms, one a time step) its chain's number, so that the
	// chain's matrix stays in one core's cache.
	home  []int8
	npred []int32   // the number of tasks each task reads
	succ  [][]int32 // the tasks that read each task
	prio  []int64   // the estimated work of each task and the longest chain after it

	pending []atomic.Int32
	mu      sync.Mutex
	ready   []int32 // a heap of tasks: highest prio first, then program order
	// own are the heaps of the tasks with a home (a part, a chain of
	// in-place sums): home h goes to goroutine h mod nl, of the nl that
	// run.
	own   [maxLanes][]int32
	nl    int
	done  atomic.Int64
	abort atomic.Bool
	// sleeping counts the goroutines waiting on wake for a task.
	sleeping atomic.Int32
	wake     chan struct{}
	err      error
	// replan is set when a group's kernel declined and its ops run one by
	// one from now on: the next run makes a new plan (Run).
	replan atomic.Bool
	lanes  []*Machine // the machines each goroutine runs ops with: lanes[0] is the plan's
	lane   func(int)  // work on lanes[i]: made once, so that a run allocates nothing
	// most is the most goroutines a run uses: the program's work over its
	// longest chain, at least 2 and at most maxLanes.
	most  int
	work0 int64 // the estimated work of all tasks
	// simulate (GORNN_SCHEDULE=simulate) times each task of a run and
	// reports what two goroutines would take (simulate.go).
	simulate bool
	dur      []time.Duration
	wall     time.Duration // the least time of a run, timed
}

// parallelMinWork is the least estimated work (multiply-adds of the
// products and elements of the other ops) per op for which a program runs
// on two goroutines: queueing an op costs tens of nanoseconds and waiting
// for one the other goroutine runs much more, while the seed sizes' ops
// take a microsecond or two.
const parallelMinWork = 1 << 15

// parallelMinSpan is the least ratio of a program's estimated work to its
// longest chain of dependent ops (the most two goroutines can speed it up
// by, were the second free) for which it runs on two: W6's prediction
// program (1.26) runs on one, beside Predict's other runs on the other
// core.
const parallelMinSpan = 1.5

// Scheduling is the environment variable GORNN_SCHEDULE as a machine's
// first run reads it: "serial" runs every op on the calling goroutine, as
// before plans; "parallel" makes a plan for any program, however little
// its work (for tests: the seed sizes' ops are too small to pay for
// their queueing); "simulate" makes a plan for any program but runs its
// ops in order on the calling goroutine, timing each, and prints to
// standard error after each run what two goroutines would take with
// those times (a model that does not depend on how busy the machine is:
// simulate.go); "whole" makes a plan where auto would, with every group
// one task, none split into parts (parts.go: to measure what the parts
// give); anything else, or unset, makes one where the work per op and
// the program's independent work pay (parallelMinWork, parallelMinSpan).
func Scheduling() string {
	switch s := strings.ToLower(strings.TrimSpace(os.Getenv("GORNN_SCHEDULE"))); s {
	case "serial", "parallel", "simulate", "whole":
		return s
	}
	return "auto"
}

// producer returns the task slot whose run computes slot s's value, or -1
// for a value that no op of the run computes (a leaf, a kept value).
func (m *Machine) producer(s int) int {
	switch m.st[s].how {
	case howLeaf, howKept:
		return -1
	case howFused, howFolded:
		g := m.p.groups[m.p.ops[s].group-1].members
		return g[len(g)-1]
	}
	return s
}

// taskOps returns the ops that the task at slot i runs: its group's
// members for the last op of a group, else i alone.
func (m *Machine) taskOps(i int) []int {
	if m.st[i].how == howGroup {
		return m.p.groups[m.p.ops[i].group-1].members
	}
	return []int{i}
}

// dispatchWork is the work (in multiply-adds) that taskWork counts for
// running any op: a few hundred cycles.
const dispatchWork = 4096

// taskWork estimates what op i costs: multiply-adds for a product, else
// the elements it writes, and a fixed cost for its dispatch.
func (m *Machine) taskWork(i int) int64 {
	// A product does about 16 multiply-adds a cycle, an elementwise pass
	// one or two elements, and an op's dispatch costs a few hundred
	// cycles: the units are multiply-adds.
	const dispatch, perElement = dispatchWork, 8
	if g, ok := m.p.ops[i].k.(interface{ macs() int64 }); ok {
		return g.macs() + dispatch
	}
	if m.st[i].how == howGroup {
		if g, ok := m.p.groups[m.p.ops[i].group-1].k.(interface{ macs() int64 }); ok {
			// A product and its sum (gemmadd.go).
			return g.macs() + perElement*int64(len(m.p.ops[i].args)) + dispatch
		}
	}
	w := int64(dispatch)
	for _, s := range m.taskOps(i) {
		if d, ok := m.vals[s].(*tensor.Dense); ok {
			w += perElement * int64(d.Shape().TotalSize())
		}
	}
	return w
}

// newPlan returns the plan of a settled machine's program, or nil when it
// would not pay (too little work per op) or the program's order is not
// one the plan can follow.
func (m *Machine) newPlan() *plan {
	mode := Scheduling()
	if mode == "serial" {
		return nil
	}
	// Whether a program runs on a plan at all is judged on its whole ops
	// (parts shorten the longest chain, and would give one to programs
	// such as W6's prediction runs, which Predict already runs side by
	// side); a program that gets one gets its parts.
	pl := m.buildPlan(mode, 1)
	if parts := min(simd.Threads(), maxParts); pl != nil && parts > 1 && mode != "whole" {
		if split := m.buildPlan(mode, parts); split != nil {
			return split
		}
	}
	return pl
}

// buildPlan returns the plan of a settled machine's program with its
// groups in at most parts parts each, or nil when it would not pay or
// the program's order is not one the plan can follow.
func (m *Machine) buildPlan(mode string, parts int) *plan {
	pl := &plan{simulate: mode == "simulate"}
	// index is the first task of each slot's op, count how many parts.
	index := make([]int32, len(m.p.ops))
	count := make([]int32, len(m.p.ops))
	for i := range index {
		index[i] = -1
	}
	for i := range m.p.ops {
		switch m.st[i].how {
		case howLeaf, howKept, howFused, howFolded:
			continue
		}
		index[i] = int32(len(pl.tasks))
		b := m.partBounds(i, parts)
		if b == nil {
			count[i] = 1
			pl.tasks = append(pl.tasks, i)
			pl.part, pl.lo, pl.hi = append(pl.part, -1), append(pl.lo, 0), append(pl.hi, 0)
			continue
		}
		count[i] = int32(len(b) - 1)
		for p := range len(b) - 1 {
			pl.tasks = append(pl.tasks, i)
			pl.part, pl.lo, pl.hi = append(pl.part, int8(p)), append(pl.lo, int32(b[p])), append(pl.hi, int32(b[p+1]))
		}
	}
	n := len(pl.tasks)
	if n < 2 {
		return nil
	}
	pl.npred = make([]int32, n)
	pl.succ = make([][]int32, n)
	pl.prio = make([]int64, n)
	var total int64
	var deps []int32
	for t, i := range pl.tasks {
		deps = deps[:0]
		for _, s := range m.taskOps(i) {
			for _, a := range m.p.ops[s].args {
				pr := m.producer(a)
				if pr < 0 || pr == i {
					continue
				}
				d := index[pr]
				if d < 0 || d >= int32(t) {
					return nil // not in program order: run serially
				}
				for q := d; q < d+count[pr]; q++ {
					if !m.partReadsPart(pl, int32(t), q, a) {
						continue
					}
					if !slices.Contains(deps, q) {
						deps = append(deps, q)
					}
				}
			}
		}
		pl.npred[t] = int32(len(deps))
		for _, d := range deps {
			pl.succ[d] = append(pl.succ[d], int32(t))
		}
		pl.prio[t] = m.taskWork(i)
		if c := int64(count[i]); c > 1 {
			pl.prio[t] = (pl.prio[t]-dispatchWork)/c + dispatchWork
		}
		total += pl.prio[t]
	}
	if mode == "auto" && total-dispatchWork*int64(n) < parallelMinWork*int64(n) {
		return nil
	}
	for t := n - 1; t >= 0; t-- {
		var longest int64
		for _, s := range pl.succ[t] {
			longest = max(longest, pl.prio[s])
		}
		pl.prio[t] += longest
	}
	pl.work0 = total
	pl.home = make([]int8, n)
	chains := 0
	for t, i := range pl.tasks {
		pl.home[t] = pl.part[t]
		x := m.lentOperand(i)
		if pl.part[t] >= 0 || x < 0 {
			continue
		}
		if pr := m.producer(x); pr >= 0 && count[pr] == 1 && pl.home[index[pr]] >= 0 {
			pl.home[t] = pl.home[index[pr]]
			continue
		}
		pl.home[t] = int8(chains % maxLanes)
		chains++
	}
	var chain int64
	for t := range n {
		if pl.npred[t] == 0 {
			chain = max(chain, pl.prio[t])
		}
	}
	if mode == "auto" && float64(total) < parallelMinSpan*float64(chain) {
		return nil
	}
	pl.most = max(2, min(maxLanes, int(total/max(chain, 1))))
	pl.pending = make([]atomic.Int32, n)
	pl.wake = make(chan struct{}, maxLanes)
	pl.ready = make([]int32, 0, n)
	pl.lanes = []*Machine{m}
	pl.lane = func(i int) { pl.work(pl.lanes[i], i) }
	return pl
}

// partBounds returns the bounds of the parts of the task at slot i (a
// group whose kernel is partable), or nil for one task.
func (m *Machine) partBounds(i, parts int) []int {
	if parts < 2 || m.st[i].how != howGroup {
		return nil
	}
	if k, ok := m.p.groups[m.p.ops[i].group-1].k.(partable); ok {
		return k.partBounds(parts)
	}
	return nil
}

// lentOperand returns the slot of the operand in whose memory the group of
// the task at slot i computes its value (a product-and-sum in place,
// settleInPlace), or -1.
func (m *Machine) lentOperand(i int) int {
	if m.st[i].how != howGroup {
		return -1
	}
	if k, ok := m.p.groups[m.p.ops[i].group-1].k.(*gemmAdd); ok && k.lend >= 0 && m.st[k.lend].lent {
		return k.lend
	}
	return -1
}

// partReadsPart reports whether task t reads what task q (a task of the
// op that computes slot a's value) writes of it: always, unless both are
// parts whose elements of a do not meet.
func (m *Machine) partReadsPart(pl *plan, t, q int32, a int) bool {
	if pl.part[t] < 0 || pl.part[q] < 0 {
		return true
	}
	rk := m.p.groups[m.p.ops[pl.tasks[t]].group-1].k.(partable)
	wk := m.p.groups[m.p.ops[pl.tasks[q]].group-1].k.(partable)
	rlo, rhi, ok := rk.partReads(m, a, int(pl.lo[t]), int(pl.hi[t]))
	if !ok {
		return true
	}
	wlo, whi, ok := wk.partWrites(a, int(pl.lo[q]), int(pl.hi[q]))
	return !ok || rlo < whi && wlo < rhi
}

// before reports whether task a goes before task b in the ready heap.
func (pl *plan) before(a, b int32) bool {
	if pl.prio[a] != pl.prio[b] {
		return pl.prio[a] > pl.prio[b]
	}
	return a < b
}

func (pl *plan) push(t int32) { pl.pushTo(&pl.ready, t) }

func (pl *plan) pop() int32 { return pl.popFrom(&pl.ready) }

// queue queues ready task t: on its home goroutine's heap if it has one,
// else on the shared one.
func (pl *plan) queue(t int32) {
	if p := pl.home[t]; p >= 0 {
		pl.pushTo(&pl.own[int(p)%pl.nl], t)
		return
	}
	pl.pushTo(&pl.ready, t)
}

// mine reports whether ready task t is for goroutine lane to run.
func (pl *plan) mine(t int32, lane int) bool {
	p := pl.home[t]
	return p < 0 || int(p)%pl.nl == lane
}

// take returns the most urgent of the tasks queued for goroutine lane and
// the shared ones, else the most urgent task queued for another
// goroutine, else -1. The caller holds mu.
func (pl *plan) take(lane int) int32 {
	own := pl.own[lane]
	switch {
	case len(own) > 0 && (len(pl.ready) == 0 || pl.before(own[0], pl.ready[0])):
		return pl.popFrom(&pl.own[lane])
	case len(pl.ready) > 0:
		return pl.popFrom(&pl.ready)
	}
	best := -1
	for l := range pl.nl {
		if l != lane && len(pl.own[l]) > 0 && (best < 0 || pl.before(pl.own[l][0], pl.own[best][0])) {
			best = l
		}
	}
	if best < 0 {
		return -1
	}
	return pl.popFrom(&pl.own[best])
}

// queued reports whether any task is queued. The caller holds mu.
func (pl *plan) queued() bool {
	if len(pl.ready) > 0 {
		return true
	}
	for l := range pl.nl {
		if len(pl.own[l]) > 0 {
			return true
		}
	}
	return false
}

func (pl *plan) pushTo(heap *[]int32, t int32) {
	h := append(*heap, t)
	for i := len(h) - 1; i > 0; {
		up := (i - 1) / 2
		if !pl.before(h[i], h[up]) {
			break
		}
		h[i], h[up] = h[up], h[i]
		i = up
	}
	*heap = h
}

func (pl *plan) popFrom(heap *[]int32) int32 {
	h := *heap
	t := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, best := 2*i+1, i
		if l < len(h) && pl.before(h[l], h[best]) {
			best = l
		}
		if l+1 < len(h) && pl.before(h[l+1], h[best]) {
			best = l + 1
		}
		if best == i {
			break
		}
		h[i], h[best] = h[best], h[i]
		i = best
	}
	*heap = h
	return t
}

// runParallel is Run on the plan: the calling goroutine and, when a
// worker of graph/internal/simd's pool is idle, a second one take the
// ready ops in turn.
func (m *Machine) runParallel(pl *plan) error {
	pl.done.Store(0)
	pl.abort.Store(false)
	pl.err = nil
	pl.ready = pl.ready[:0]
	lanes := min(simd.Threads(), pl.most)
	if pl.simulate {
		lanes = min(2, simd.Threads())
	}
	pl.nl = lanes
	for l := range pl.own {
		pl.own[l] = pl.own[l][:0]
	}
	for t := range pl.tasks {
		pl.pending[t].Store(pl.npred[t])
		if pl.npred[t] == 0 {
			pl.queue(int32(t))
		}
	}
	if pl.simulate {
		pl.addLanes(2)
		return pl.timeRun(m)
	}
	pl.addLanes(lanes)
	simd.Share(lanes, pl.lane)
	return pl.err
}

// maxLanes is the most goroutines a plan runs on.
const maxLanes = 8

// addLanes makes the plan's lanes up to n (the first is the plan's
// machine; each other has its own scratch, shares the values and states
// and has the plan, so that a group declining on it replans:
// runGroupOps) and sets their run counters to the machine's.
func (pl *plan) addLanes(n int) {
	m := pl.lanes[0]
	for len(pl.lanes) < n {
		l := &Machine{p: m.p, vals: m.vals, st: m.st, settled: true, mu: m.mu, gen: m.gen, plan: pl}
		l.makeRecords()
		pl.lanes = append(pl.lanes, l)
	}
	for _, l := range pl.lanes[1:] {
		l.sc.run = m.sc.run
	}
}

// work takes ready tasks until every task is done or one failed.
func (pl *plan) work(m *Machine, lane int) {
	n := int64(len(pl.tasks))
	t := int32(-1)
	var idle time.Time // when this goroutine last found no ready task
	for {
		if pl.abort.Load() {
			return
		}
		if t < 0 {
			pl.mu.Lock()
			t = pl.take(lane)
			pl.mu.Unlock()
		}
		if t < 0 {
			if pl.done.Load() == n || pl.abort.Load() {
				return
			}
			now := time.Now()
			if idle.IsZero() {
				idle = now
			}
			if now.Sub(idle) < planSpin {
				goruntime.Gosched()
				continue
			}
			pl.sleep(n)
			idle = time.Time{}
			continue
		}
		idle = time.Time{}
		var t0 time.Time
		if pl.simulate {
			t0 = time.Now()
		}
		if err := pl.runTask(m, int(t)); err != nil {
			pl.fail(err)
			return
		}
		if pl.simulate {
			pl.dur[t] = min(pl.dur[t], time.Since(t0))
		}
		m.tasksRun++
		next := int32(-1)
		woke := m.woke[:0]
		for _, s := range pl.succ[t] {
			if pl.pending[s].Add(-1) == 0 {
				if next < 0 && pl.mine(s, lane) {
					next = s
				} else {
					woke = append(woke, s)
				}
			}
		}
		if len(woke) > 0 {
			pl.mu.Lock()
			for _, s := range woke {
				pl.queue(s)
			}
			// Keep the most urgent of the woken tasks and the queue.
			if next >= 0 {
				pl.queue(next)
			}
			next = pl.take(lane)
			pl.mu.Unlock()
			pl.wakeSleepers(len(woke))
		}
		m.woke = woke[:0]
		if pl.done.Add(1) == n {
			pl.wakeAll()
		}
		t = next
	}
}

func (pl *plan) fail(err error) {
	pl.mu.Lock()
	if pl.err == nil {
		pl.err = err
	}
	pl.mu.Unlock()
	pl.abort.Store(true)
	pl.wakeAll()
}

// planSpin is how long a goroutine with no ready task yields before it
// sleeps until one is queued: the gaps of a step's recurrence, where the
// other goroutine runs the one op there is, last microseconds, and waking
// a sleeping goroutine costs about as much; a longer wait means the other
// goroutine is not running (a host busy with other work), and spinning
// would take a core it could use.
const planSpin = 50 * time.Microsecond

// sleep waits until a task is queued, the run's last task is done or one
// failed. A task queued, or the last one done, after sleeping was counted
// is seen by the check below or wakes the sleeper (wakeSleeper).
func (pl *plan) sleep(n int64) {
	pl.sleeping.Add(1)
	defer pl.sleeping.Add(-1)
	pl.mu.Lock()
	empty := !pl.queued()
	pl.mu.Unlock()
	if empty && pl.done.Load() != n && !pl.abort.Load() {
		<-pl.wake
	}
}

// wakeSleepers wakes up to k goroutines that sleep for a task, if any. A
// wake that finds none waiting stays in the channel and makes a later
// sleep return at once, to look again.
func (pl *plan) wakeSleepers(k int) {
	for i := 0; i < k && pl.sleeping.Load() > 0; i++ {
		select {
		case pl.wake <- struct{}{}:
		default:
			return // as many wakes wait as there can be sleepers
		}
	}
}

// wakeAll wakes every goroutine that sleeps for a task, at the end of a
// run or on a failure: each returns, having seen the run done.
func (pl *plan) wakeAll() {
	for pl.sleeping.Load() > 0 {
		select {
		case pl.wake <- struct{}{}:
		default:
			goruntime.Gosched()
		}
	}
}

// runTask runs task t on lane m (which shares the values and states of
// the plan's machine), as Run's loop does (step); a panic is returned as
// an error.
func (pl *plan) runTask(m *Machine, t int) (err error) {
	cur := pl.tasks[t]
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("running %v: %v", m.p.ops[cur].g, r)
		}
	}()
	if pl.part[t] >= 0 {
		k := m.p.groups[m.p.ops[cur].group-1].k.(partable)
		if !k.runPart(m, int(pl.lo[t]), int(pl.hi[t])) {
			return errPartDeclined
		}
		return nil
	}
	return m.step(cur, &cur)
}
