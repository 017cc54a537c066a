package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Builder builds one expression graph for one batch size. Its operations
// return nodes and never panic: the first error is kept (see [Builder.Err])
// and later operations become no-ops returning nil, so layer code reads as
// straight-line maths and checks the error once.
//
// A Builder is not safe for concurrent use.
type Builder struct {
	g      *gorgonia.ExprGraph
	dt     DType
	batch  int
	err    error
	names  map[string]int
	inputs []*inputBinding
	params []*paramBinding
	bound  map[paramKey]*Node
}

type paramKey struct {
	p     *Param
	block int // -1 for the whole parameter
}

type inputBinding struct {
	name  string
	shape []int   // full shape, batch first
	node  *Node   // the node handed out
	steps []*Node // time-major step nodes for a sequence input, nil otherwise
}

type paramBinding struct {
	key   paramKey
	node  *gorgonia.Node
	value *tensor.Dense // the parameter's tensor or a view of one block
}

// Node is a symbolic tensor in a Builder's graph. A sequence [batch, time,
// ...] may also carry its time-major decomposition into steps, so that
// recurrent layers read and write single steps without slicing.
type Node struct {
	b     *Builder
	n     *gorgonia.Node // nil until needed when steps are set
	steps []*Node
	shape []int
}

// Shape returns a copy of the node's shape, batch first.
func (x *Node) Shape() []int {
	if x == nil {
		return nil
	}
	return slices.Clone(x.shape)
}

// NewBuilder returns a builder for graphs of dtype dt evaluated on batches of
// the given size.
func NewBuilder(dt DType, batch int) (*Builder, error) {
	if !dt.Valid() {
		return nil, fmt.Errorf("%w: invalid dtype %v", ErrArgument, dt)
	}
	if batch <= 0 {
		return nil, fmt.Errorf("%w: batch size %d must be positive", ErrArgument, batch)
	}
	return &Builder{
		g:     gorgonia.NewGraph(),
		dt:    dt,
		batch: batch,
		names: map[string]int{},
		bound: map[paramKey]*Node{},
	}, nil
}

// DType returns the builder's element type.
func (b *Builder) DType() DType { return b.dt }

// Batch returns the batch size the graph is built for.
func (b *Builder) Batch() int { return b.batch }

// Err returns the first error met while building, or nil.
func (b *Builder) Err() error { return b.err }

// Fail records err, as it is, if no error was recorded yet: the first
// error wins and later building is skipped. Layers use it to report their
// own validation failures (wrapping their own sentinel errors) through the
// builder.
func (b *Builder) Fail(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

// unique returns name, or name with a numeric suffix if it is taken.
func (b *Builder) unique(name string) string {
	k := b.names[name]
	b.names[name] = k + 1
	if k == 0 {
		return name
	}
	return fmt.Sprintf("%s_%d", name, k)
}

// ok reports whether building can go on with these operands.
func (b *Builder) ok(xs ...*Node) bool {
	if b.err != nil {
		return false
	}
	for _, x := range xs {
		if x == nil {
			b.Fail(fmt.Errorf("%w: nil node", ErrGraph))
			return false
		}
		if x.b != b {
			b.Fail(fmt.Errorf("%w: node from another builder", ErrGraph))
			return false
		}
	}
	return true
}

// wrap runs f, turning an error or a panic from gorgonia into the builder's
// error, and wraps the resulting gorgonia node.
func (b *Builder) wrap(what string, f func() (*gorgonia.Node, error)) (out *Node) {
	return b.wrapWith(what, f, shared)
}

// wrapWith is wrap with f run through under: shared, or asWritten for the
// operations Gorgonia would rewrite (see stabilization.go).
func (b *Builder) wrapWith(what string, f func() (*gorgonia.Node, error), under func(func())) (out *Node) {
	defer func() {
		if r := recover(); r != nil {
			b.Fail(fmt.Errorf("%w: %s: %v", ErrGraph, what, r))
			out = nil
		}
	}()
	var n *gorgonia.Node
	var err error
	under(func() { n, err = f() })
	if err != nil {
		b.Fail(fmt.Errorf("%w: %s: %v", ErrGraph, what, err))
		return nil
	}
	return &Node{b: b, n: n, shape: []int(n.Shape().Clone())}
}

// node returns the gorgonia node of x, joining its steps if needed.
func (b *Builder) node(x *Node) *gorgonia.Node {
	if x.n != nil {
		return x.n
	}
	ns := make([]*gorgonia.Node, len(x.steps))
	for i, s := range x.steps {
		ns[i] = b.node(s)
		if ns[i] == nil {
			return nil
		}
	}
	if r := b.stackNodes(ns, 1); r != nil {
		x.n = r
	}
	return x.n
}

// stackNodes joins nodes of one shape along a new axis inserted at axis.
//
// The gradient of a Gorgonia concat slices the output's gradient at each
// piece's offset, and slice offsets are hashed as single bytes, so pieces
// whose offsets are equal modulo 256 would share one gradient node. Each
// piece therefore gets a unit axis (slices of width 1), and at most 255
// pieces are joined by one concat: at every level of the tree a piece's
// width is 255^k, which is ±1 modulo 256, so the ≤255 offsets in one
// concat stay distinct modulo 256.
func (b *Builder) stackNodes(ns []*gorgonia.Node, axis int) *gorgonia.Node {
	const fanIn = 255
	items := make([]*gorgonia.Node, len(ns))
	for i, n := range ns {
		shape := slices.Insert([]int(n.Shape().Clone()), axis, 1)
		r := b.wrap("stack steps", func() (*gorgonia.Node, error) { return gorgonia.Reshape(n, tensor.Shape(shape)) })
		if r == nil {
			return nil
		}
		items[i] = r.n
	}
	for len(items) > 1 {
		var next []*gorgonia.Node
		for lo := 0; lo < len(items); lo += fanIn {
			group := items[lo:min(lo+fanIn, len(items))]
			if len(group) == 1 {
				next = append(next, group[0])
				continue
			}
			j := b.wrap("stack steps", func() (*gorgonia.Node, error) { return gorgonia.Concat(axis, group...) })
			if j == nil {
				return nil
			}
			next = append(next, j.n)
		}
		items = next
	}
	return items[0]
}

// Input returns a new input node of the given shape (batch first).
func (b *Builder) Input(name string, shape ...int) *Node {
	if b.err != nil {
		return nil
	}
	if err := b.checkInputShape(name, shape); err != nil {
		b.Fail(err)
		return nil
	}
	name = b.unique(name)
	x := b.wrap("input "+name, func() (*gorgonia.Node, error) {
		return gorgonia.NewTensor(b.g, b.dt.tensorDtype(), len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name)), nil
	})
	if x != nil {
		b.inputs = append(b.inputs, &inputBinding{name: name, shape: slices.Clone(shape), node: x})
	}
	return x
}

// SequenceInput returns a new input of shape [batch, time, features] that
// is fed as one node per time step, so recurrent layers read each step
// without slicing. It is fed and differentiated like any other input.
func (b *Builder) SequenceInput(name string, shape ...int) *Node {
	if b.err != nil {
		return nil
	}
	if len(shape) != 3 {
		b.Fail(fmt.Errorf("%w: sequence input %s: shape %v is not [batch, time, features]", ErrShape, name, shape))
		return nil
	}
	if err := b.checkInputShape(name, shape); err != nil {
		b.Fail(err)
		return nil
	}
	name = b.unique(name)
	steps := make([]*Node, shape[1])
	for t := range steps {
		stepName := fmt.Sprintf("%s/t%d", name, t)
		steps[t] = b.wrap("input "+stepName, func() (*gorgonia.Node, error) {
			return gorgonia.NewMatrix(b.g, b.dt.tensorDtype(), gorgonia.WithShape(shape[0], shape[2]), gorgonia.WithName(stepName)), nil
		})
		if steps[t] == nil {
			return nil
		}
	}
	x := &Node{b: b, steps: steps, shape: slices.Clone(shape)}
	b.inputs = append(b.inputs, &inputBinding{name: name, shape: slices.Clone(shape), node: x, steps: steps})
	return x
}

func (b *Builder) checkInputShape(name string, shape []int) error {
	if len(shape) == 0 || shape[0] != b.batch || slices.ContainsFunc(shape, func(d int) bool { return d <= 0 }) {
		return fmt.Errorf("%w: input %s: shape %v must be positive with batch %d first", ErrShape, name, shape, b.batch)
	}
	// Executors allocate every input: refuse what NewTensor would.
	if _, err := shapeSize(shape); err != nil {
		return fmt.Errorf("input %s: %w", name, err)
	}
	return nil
}

// Param returns the node bound to parameter p in this graph. Every call for
// the same parameter returns the same node.
func (b *Builder) Param(p *Param) *Node { return b.bind(p, -1) }

// ParamBlock returns a node bound to the i-th block along the first axis of
// p (shape p.Shape()[1:]), sharing p's memory. Layers that store gates as
// separate blocks use it to avoid slicing a fused matrix.
func (b *Builder) ParamBlock(p *Param, i int) *Node { return b.bind(p, i) }

func (b *Builder) bind(p *Param, block int) *Node {
	if b.err != nil {
		return nil
	}
	if p == nil {
		b.Fail(fmt.Errorf("%w: nil parameter", ErrArgument))
		return nil
	}
	key := paramKey{p, block}
	if x, ok := b.bound[key]; ok {
		return x
	}
	if p.DType() != b.dt {
		b.Fail(fmt.Errorf("%w: parameter %s is %v in a %v graph", ErrDType, p.name, p.DType(), b.dt))
		return nil
	}
	val := p.value.d
	name := p.name
	if block >= 0 {
		var err error
		if val, err = p.block(block); err != nil {
			b.Fail(err)
			return nil
		}
		name = fmt.Sprintf("%s[%d]", p.name, block)
	}
	name = b.unique(name)
	x := b.wrap("parameter "+name, func() (*gorgonia.Node, error) {
		return gorgonia.NodeFromAny(b.g, val, gorgonia.WithName(name)), nil
	})
	if x == nil {
		return nil
	}
	b.bound[key] = x
	b.params = append(b.params, &paramBinding{key: key, node: x.n, value: val})
	return x
}
