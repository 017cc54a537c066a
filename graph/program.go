package graph

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph/internal/runtime"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Spec says what a compiled Program computes. Its zero value computes
// nothing and Compile refuses it: give Outputs, a Loss or both.
type Spec struct {
	// Outputs are read after each run with Executor.Output; nil: none.
	Outputs []*Node
	// Loss, if set, must be a scalar; Executor.Loss reads it. Nil: no
	// loss (and so no gradients).
	Loss *Node
	// Grads asks for the gradient of Loss with respect to every parameter
	// bound in the graph, from gorgonia.Grad; false: none.
	Grads bool
	// InputGrads asks for the gradient of Loss with respect to the inputs;
	// false: none.
	InputGrads bool
}

// Program is a compiled graph: gornn's runtime program (the op list
// translated from the Gorgonia graph, see graph/internal/runtime), with
// the slots of its inputs, parameters, outputs and gradients. A Program is immutable
// and safe for concurrent use; each goroutine runs it through its own
// Executor.
type Program struct {
	dt      DType
	batch   int
	rt      *runtime.Program // the op list a run executes
	inputs  []progInput
	params  []progParam
	outputs []progOutput
	loss    int // -1 if none
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

	// The runtime orders the nodes (inputs before the ops that read them,
	// depth first from the roots, so only what is needed runs) and
	// translates each op into its own op list; every input and parameter
	// gets a slot even when unused.
	var inNodes, paramNodes []*gorgonia.Node
	for _, in := range b.inputs {
		if in.steps != nil {
			for _, s := range in.steps {
				inNodes = append(inNodes, s.n)
			}
		} else {
			inNodes = append(inNodes, in.node.n)
		}
	}
	for _, pb := range b.params {
		paramNodes = append(paramNodes, pb.node)
	}
	rt, err := runtime.Compile(runtime.Graph{G: b.g, Roots: roots, Inputs: inNodes, Params: paramNodes})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGraph, err)
	}
	p = &Program{dt: b.dt, batch: b.batch, rt: rt, loss: -1}
	slot := func(n *gorgonia.Node) int {
		s, ok := rt.Slot(n)
		if !ok {
			panic(fmt.Sprintf("node %s has no slot", n.Name()))
		}
		return s
	}
	gradSlot := func(n *gorgonia.Node) int {
		if g, ok := gradOf[n]; ok {
			return slot(g)
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
				pi.steps = append(pi.steps, slot(s.n))
				pi.stepGrads = append(pi.stepGrads, gradSlot(s.n))
			}
			if !spec.InputGrads {
				pi.stepGrads = nil
			}
		} else {
			pi.slot = slot(in.node.n)
			pi.grad = gradSlot(in.node.n)
		}
		p.inputs = append(p.inputs, pi)
	}
	for _, pb := range b.params {
		p.params = append(p.params, progParam{param: pb.key.p, block: pb.key.block, value: pb.value, slot: slot(pb.node), grad: gradSlot(pb.node)})
	}
	for i, o := range outs {
		po := progOutput{slot: -1, shape: slices.Clone(spec.Outputs[i].shape)}
		if spec.Outputs[i].n == nil {
			for _, s := range o {
				po.steps = append(po.steps, slot(s))
			}
		} else {
			po.slot = slot(o[0])
		}
		p.outputs = append(p.outputs, po)
	}
	if loss != nil {
		p.loss = slot(loss)
	}
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
func (p *Program) Len() int { return p.rt.Len() }

// OpNames returns the name of each operation the program runs, in order
// (inputs and parameters excluded): for profiling and tests.
func (p *Program) OpNames() []string { return p.rt.OpNames() }
