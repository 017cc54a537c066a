package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Spec says what a compiled Program computes.
type Spec struct {
	// Outputs are read after each run with Executor.Output.
	Outputs []*Node
	// Loss, if set, must be a scalar; Executor.Loss reads it.
	Loss *Node
	// Grads asks for the gradient of Loss with respect to every parameter
	// bound in the graph, from gorgonia.Grad.
	Grads bool
	// InputGrads asks for the gradient of Loss with respect to the inputs.
	InputGrads bool
}

// Program is a compiled graph: its nodes in execution order, with the slots
// of its inputs, parameters, outputs and gradients. A Program is immutable
// and safe for concurrent use; each goroutine runs it through its own
// Executor.
type Program struct {
	dt       DType
	batch    int
	nodes    []*gorgonia.Node
	ops      []gorgonia.Op
	kernels  []kernel // fast paths, by node
	children [][]int
	inputs   []progInput
	params   []progParam
	outputs  []progOutput
	loss     int // -1 if none
}

// progOutput is an output node, or the steps of a sequence kept as steps.
type progOutput struct {
	slot  int
	steps []int
	shape []int
}

type progInput struct {
	name      string
	shape     []int
	slot      int   // for a plain input
	steps     []int // for a sequence input
	grad      int   // -1 if not computed
	stepGrads []int
}

type progParam struct {
	param *Param
	block int
	value *tensor.Dense
	slot  int
	grad  int // -1 if not computed
}

// Compile builds the program that computes spec. The builder must not be
// used afterwards.
func (b *Builder) Compile(spec Spec) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: compile: %v", ErrGraph, r)
		}
	}()
	if b.err != nil {
		return nil, b.err
	}
	if len(spec.Outputs) == 0 && spec.Loss == nil {
		return nil, fmt.Errorf("%w: nothing to compute", ErrArgument)
	}
	if (spec.Grads || spec.InputGrads) && spec.Loss == nil {
		return nil, fmt.Errorf("%w: gradients need a loss", ErrArgument)
	}
	var roots []*gorgonia.Node
	outs := make([][]*gorgonia.Node, len(spec.Outputs))
	for i, o := range spec.Outputs {
		if !b.ok(o) {
			return nil, b.err
		}
		if o.n == nil && o.steps != nil {
			// A sequence kept as steps is read step by step.
			for _, s := range o.steps {
				n := b.node(s)
				if n == nil {
					return nil, b.err
				}
				outs[i] = append(outs[i], n)
			}
		} else {
			n := b.node(o)
			if n == nil {
				return nil, b.err
			}
			outs[i] = []*gorgonia.Node{n}
		}
		roots = append(roots, outs[i]...)
	}
	var loss *gorgonia.Node
	if spec.Loss != nil {
		if !b.ok(spec.Loss) {
			return nil, b.err
		}
		if loss = b.node(spec.Loss); loss == nil {
			return nil, b.err
		}
		if !loss.IsScalar() {
			return nil, fmt.Errorf("%w: loss of shape %v is not a scalar", ErrShape, spec.Loss.shape)
		}
		roots = append(roots, loss)
	}

	// Gradients, from gorgonia's symbolic differentiation.
	var wrt []*gorgonia.Node
	if spec.Grads {
		for _, pb := range b.params {
			wrt = append(wrt, pb.node)
		}
	}
	if spec.InputGrads {
		for _, in := range b.inputs {
			if in.steps != nil {
				for _, s := range in.steps {
					wrt = append(wrt, s.n)
				}
			} else {
				wrt = append(wrt, in.node.n)
			}
		}
	}
	// Only nodes the loss depends on have a gradient in Gorgonia's sense
	// (Grad refuses the others: "Non Differentiable WRTs"); a parameter or
	// input the loss does not read gets a zero gradient instead.
	zeroGrad := map[*gorgonia.Node]bool{}
	if len(wrt) > 0 {
		reach := reachable(b.g, loss)
		kept := wrt[:0:0]
		for _, n := range wrt {
			if reach[n] {
				kept = append(kept, n)
			} else {
				zeroGrad[n] = true
			}
		}
		wrt = kept
	}
	gradOf := map[*gorgonia.Node]*gorgonia.Node{}
	if len(wrt) > 0 {
		var grads gorgonia.Nodes
		var err error
		asWritten(func() { grads, err = gorgonia.Grad(loss, wrt...) })
		if err != nil {
			return nil, fmt.Errorf("%w: gradients: %v", ErrGraph, err)
		}
		for i, g := range grads {
			gradOf[wrt[i]] = g
			roots = append(roots, g)
		}
	}

	// Execution order: inputs before the ops that read them, depth first
	// from the roots, so only what is needed runs.
	p = &Program{dt: b.dt, batch: b.batch, loss: -1}
	slot := map[*gorgonia.Node]int{}
	var visit func(n *gorgonia.Node)
	visit = func(n *gorgonia.Node) {
		if _, ok := slot[n]; ok {
			return
		}
		var kids []int
		it := b.g.From(n.ID())
		var ns []*gorgonia.Node
		for it.Next() {
			ns = append(ns, it.Node().(*gorgonia.Node))
		}
		for _, c := range ns {
			visit(c)
			kids = append(kids, slot[c])
		}
		slot[n] = len(p.nodes)
		p.nodes = append(p.nodes, n)
		p.ops = append(p.ops, n.Op())
		p.kernels = append(p.kernels, classify(n.Op()))
		p.children = append(p.children, kids)
	}
	for _, r := range roots {
		visit(r)
	}
	p.markLazyBroadcasts()
	// Every input and parameter gets a slot even when unused.
	get := func(n *gorgonia.Node) int {
		visit(n)
		return slot[n]
	}
	gradSlot := func(n *gorgonia.Node) int {
		if g, ok := gradOf[n]; ok {
			return slot[g]
		}
		if zeroGrad[n] {
			return zeroGradSlot
		}
		return -1
	}
	for _, in := range b.inputs {
		pi := progInput{name: in.name, shape: slices.Clone(in.shape), slot: -1, grad: -1}
		if in.steps != nil {
			for _, s := range in.steps {
				pi.steps = append(pi.steps, get(s.n))
				pi.stepGrads = append(pi.stepGrads, gradSlot(s.n))
			}
			if !spec.InputGrads {
				pi.stepGrads = nil
			}
		} else {
			pi.slot = get(in.node.n)
			pi.grad = gradSlot(in.node.n)
		}
		p.inputs = append(p.inputs, pi)
	}
	for _, pb := range b.params {
		p.params = append(p.params, progParam{param: pb.key.p, block: pb.key.block, value: pb.value, slot: get(pb.node), grad: gradSlot(pb.node)})
	}
	for i, o := range outs {
		po := progOutput{slot: -1, shape: slices.Clone(spec.Outputs[i].shape)}
		if spec.Outputs[i].n == nil {
			for _, s := range o {
				po.steps = append(po.steps, slot[s])
			}
		} else {
			po.slot = slot[o[0]]
		}
		p.outputs = append(p.outputs, po)
	}
	if loss != nil {
		p.loss = slot[loss]
	}
	// Any remaining input nodes of the graph must be bound by us.
	bound := map[int]bool{}
	for _, in := range p.inputs {
		bound[in.slot] = true
		for _, s := range in.steps {
			bound[s] = true
		}
	}
	for _, pp := range p.params {
		bound[pp.slot] = true
	}
	for i, op := range p.ops {
		if op == nil && !bound[i] {
			return nil, fmt.Errorf("%w: graph reads node %s that is neither an input nor a parameter", ErrGraph, p.nodes[i].Name())
		}
	}
	p.markTransposedParams()
	b.err = fmt.Errorf("%w: builder already compiled", ErrGraph)
	return p, nil
}

// zeroGradSlot is the gradient slot of a parameter or input that the loss
// does not depend on: its gradient is zero.
const zeroGradSlot = -2

// reachable returns the nodes root depends on, root included.
func reachable(g *gorgonia.ExprGraph, root *gorgonia.Node) map[*gorgonia.Node]bool {
	seen := map[*gorgonia.Node]bool{root: true}
	stack := []*gorgonia.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		it := g.From(n.ID())
		for it.Next() {
			c := it.Node().(*gorgonia.Node)
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	return seen
}

// DType returns the program's element type.
func (p *Program) DType() DType { return p.dt }

// Batch returns the batch size the program was built for.
func (p *Program) Batch() int { return p.batch }

// NumInputs returns how many inputs the program reads, in the order they
// were created on the builder.
func (p *Program) NumInputs() int { return len(p.inputs) }

// InputShape returns the shape of input i, batch first, or nil if the
// program has no input i.
func (p *Program) InputShape(i int) []int {
	if i < 0 || i >= len(p.inputs) {
		return nil
	}
	return slices.Clone(p.inputs[i].shape)
}

// Params returns the parameters bound in the program, one entry per
// binding (a parameter bound block by block appears once per block).
func (p *Program) Params() []*Param {
	out := make([]*Param, 0, len(p.params))
	seen := map[*Param]bool{}
	for _, pp := range p.params {
		if !seen[pp.param] {
			seen[pp.param] = true
			out = append(out, pp.param)
		}
	}
	return out
}

// Len returns the number of nodes the program evaluates.
func (p *Program) Len() int { return len(p.nodes) }

// OpNames returns the name of each operation the program runs, in order
// (inputs and parameters excluded): for profiling and tests.
func (p *Program) OpNames() []string {
	var out []string
	for _, op := range p.ops {
		if op != nil {
			out = append(out, op.String())
		}
	}
	return out
}

// markLazyBroadcasts finds the bias broadcasts (kRepeat0) whose every
// reader is an addition of two operands, and lets those additions read
// the row itself (kernel.rowArg) so the broadcast matrix need not be
// written and read again on every run: at a large batch that is two passes
// over a [batch, units] matrix per bias and step.
func (p *Program) markLazyBroadcasts() {
	readers := make([][]int, len(p.nodes))
	for j, kids := range p.children {
		for _, c := range kids {
			readers[c] = append(readers[c], j)
		}
	}
	for i, k := range p.kernels {
		if k.kind != kRepeat0 || len(p.children[i]) == 0 || len(readers[i]) == 0 {
			continue
		}
		ok := true
		for _, j := range readers[i] {
			kids := p.children[j]
			if p.kernels[j].kind != kAdd || len(kids) != 2 || kids[0] == kids[1] || p.kernels[j].rowArg != 0 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		p.kernels[i].lazy = true
		for _, j := range readers[i] {
			arg := 1
			if p.children[j][1] == i {
				arg = 2
			}
			p.kernels[j].rowArg, p.kernels[j].rowSrc = arg, p.children[i][0]
		}
	}
}

// markTransposedParams marks the products whose transposed second operand
// is a parameter (the gradient products dY·Wᵀ): it is the same matrix at
// every time step of a run, so its transpose is made once per run
// (scratch.transposeParam).
func (p *Program) markTransposedParams() {
	isParam := map[int]bool{}
	for _, pp := range p.params {
		isParam[pp.slot] = true
	}
	for i, k := range p.kernels {
		if k.kind == kGemm && k.transB && len(p.children[i]) == 2 && isParam[p.children[i][1]] {
			p.kernels[i].paramB = true
		}
	}
}
