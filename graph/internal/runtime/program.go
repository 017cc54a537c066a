package runtime

import (
	"fmt"

	"gorgonia.org/gorgonia"
)

// Graph is what Compile translates: a Gorgonia graph, the nodes to
// compute, and its leaves.
type Graph struct {
	G *gorgonia.ExprGraph
	// Roots are the nodes a run computes (outputs, loss, gradients), with
	// every node they read.
	Roots []*gorgonia.Node
	// Inputs are leaves whose values the caller sets before each run.
	Inputs []*gorgonia.Node
	// Params are leaves the caller binds once; they do not change during a
	// run (the transpose of one is made once per run).
	Params []*gorgonia.Node
}

// Program is a translated graph: one op per node, in execution order. It
// is immutable and may be shared by Machines on several goroutines.
type Program struct {
	ops    []op
	slot   map[*gorgonia.Node]int
	groups []group // chains of elementwise ops run as one loop (fuse.go)
}

// op is one node of the program.
type op struct {
	g    gorgonia.Op // Gorgonia's op: nil for a leaf
	args []int       // slots of its operands, in order
	k    kernel      // nil: Gorgonia's op alone computes it
	role role
	// addsInto marks Gorgonia's slice gradient, which adds into the value
	// it is handed: its last value cannot be handed back to it.
	addsInto bool
	// lazy marks a bias broadcast read only by additions that read its
	// row (addRow): after the first run it is computed only when something
	// reads its value.
	lazy bool
	// prealloc: g writes into a value it is handed (UsePreallocDo).
	prealloc bool
	// group is the index + 1 in Program.groups of the group the op
	// belongs to, 0 for none.
	group int
}

// role is what the run loop knows about an op beside its kernel.
type role uint8

const (
	roleCompute   role = iota
	roleArith          // + − × ÷: on tensors, or on scalars it owns
	roleSumAll         // the sum of a matrix: a scalar it owns
	roleRepeat         // a broadcast, which with a count of 1 is its input
	roleSliceAll       // a whole-axis slice: its input itself
	roleSliceGrad      // a whole-axis slice's gradient: its second operand itself
	roleSizeOf         // the size of an axis: fixed by the shapes
	roleReshape        // a view of its input: the same while the input is
)

// Compile orders g's nodes (each after the nodes it reads, depth first
// from the roots, then any input or parameter no root reads) and
// translates them. A leaf that is neither an input nor a parameter is an
// error. Compile may panic on a malformed Gorgonia graph; the caller
// recovers.
func Compile(g Graph) (*Program, error) {
	p := &Program{slot: map[*gorgonia.Node]int{}}
	var nodes []*gorgonia.Node
	var visit func(n *gorgonia.Node)
	visit = func(n *gorgonia.Node) {
		if _, ok := p.slot[n]; ok {
			return
		}
		var kids []*gorgonia.Node
		it := g.G.From(n.ID())
		for it.Next() {
			kids = append(kids, it.Node().(*gorgonia.Node))
		}
		args := make([]int, 0, len(kids))
		for _, c := range kids {
			visit(c)
			args = append(args, p.slot[c])
		}
		p.slot[n] = len(p.ops)
		nodes = append(nodes, n)
		p.ops = append(p.ops, op{g: n.Op(), args: args})
	}
	for _, r := range g.Roots {
		visit(r)
	}
	for _, n := range g.Inputs {
		visit(n)
	}
	for _, n := range g.Params {
		visit(n)
	}
	bound := map[int]bool{}
	for _, n := range g.Inputs {
		bound[p.slot[n]] = true
	}
	params := map[int]bool{}
	for _, n := range g.Params {
		bound[p.slot[n]] = true
		params[p.slot[n]] = true
	}
	for i := range p.ops {
		o := &p.ops[i]
		if o.g == nil {
			if !bound[i] {
				return nil, fmt.Errorf("graph reads node %s that is neither an input nor a parameter", nodes[i].Name())
			}
			continue
		}
		args := make([]*gorgonia.Node, len(o.args))
		for j, a := range o.args {
			args[j] = nodes[a]
		}
		translate(o, nodes[i], args)
		_, o.prealloc = o.g.(gorgonia.UsePreallocDoer)
	}
	p.markLazyBroadcasts()
	p.markTransposedParams(params)
	if FusionEnabled() {
		roots := map[int]bool{}
		for _, r := range g.Roots {
			roots[p.slot[r]] = true
		}
		p.assemble(roots)
		p.gemmAdds(roots)
		p.fuse(roots)
	}

	return p, nil
}

// Slot returns the slot of node n, or false if the program does not hold it.
func (p *Program) Slot(n *gorgonia.Node) (int, bool) {
	s, ok := p.slot[n]
	return s, ok
}

// Len returns the number of slots (nodes) of the program.
func (p *Program) Len() int { return len(p.ops) }

// OpNames returns Gorgonia's name of each op the program runs, in order
// (leaves excluded): for profiling and tests.
func (p *Program) OpNames() []string {
	var out []string
	for _, o := range p.ops {
		if o.g != nil {
			out = append(out, o.g.String())
		}
	}
	return out
}

// markLazyBroadcasts finds the bias broadcasts whose every reader is an
// addition of two distinct operands with a kernel, and gives those
// additions a kernel that reads the row itself (addRow), so the broadcast
// matrix need not be written and read again on every run: at a large
// batch that is two passes over a [batch, units] matrix per bias and step.
func (p *Program) markLazyBroadcasts() {
	readers := make([][]int, len(p.ops))
	for j, o := range p.ops {
		for _, c := range o.args {
			readers[c] = append(readers[c], j)
		}
	}
	for i := range p.ops {
		o := &p.ops[i]
		if _, ok := o.k.(rowBroadcast); !ok || len(o.args) == 0 || len(readers[i]) == 0 {
			continue
		}
		ok := true
		for _, j := range readers[i] {
			r := p.ops[j]
			if a, isAdd := r.k.(rowAdder); !isAdd || !a.adds() || len(r.args) != 2 || r.args[0] == r.args[1] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		o.lazy = true
		for _, j := range readers[i] {
			r := &p.ops[j]
			arg := 1
			if r.args[1] == i {
				arg = 2
			}
			r.k = r.k.(rowAdder).addRow(arg, o.args[0])
		}
	}
}

// markTransposedParams marks the products whose transposed second operand
// is a parameter (the gradient products dY·Wᵀ), or a value that several
// such products read (the gate blocks of a small layer joined once per
// run, read by the gradient product of every time step): each slot's
// value is written once per run, before its readers, so its transpose is
// made once per run (scratch.transposeParam). A transposed second operand
// that a single product reads is transposed by that product; a transposed
// first operand is read in place (gemm.untransposed).
func (p *Program) markTransposedParams(params map[int]bool) {
	shared := map[int]int{}
	for _, o := range p.ops {
		if g, ok := o.k.(paramProduct); ok && len(o.args) == 2 && g.transposesB() {
			shared[o.args[1]]++
		}
	}
	for i := range p.ops {
		o := &p.ops[i]
		g, ok := o.k.(paramProduct)
		if !ok || len(o.args) != 2 {
			continue
		}
		if b := o.args[1]; g.transposesB() && (params[b] || shared[b] > 1) {
			o.k = g.withParamB()
		}
	}
}
