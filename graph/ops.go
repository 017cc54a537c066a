package graph

import (
	"fmt"
	"slices"
	"sync"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the operations layers are written with. Each is a
// Gorgonia primitive (or a short composition of them), so gradients come
// from gorgonia.Grad; none has a derivative of its own.

func (b *Builder) unary(what string, x *Node, f func(*gorgonia.Node) (*gorgonia.Node, error)) *Node {
	return b.unaryWith(what, x, f, shared)
}

// unaryWith is unary with node creation run through under (wrapWith).
func (b *Builder) unaryWith(what string, x *Node, f func(*gorgonia.Node) (*gorgonia.Node, error), under func(func())) *Node {
	if !b.ok(x) {
		return nil
	}
	if x.n == nil && x.steps != nil {
		// Elementwise on a sequence kept as steps: stay step by step.
		out := make([]*Node, len(x.steps))
		for t, s := range x.steps {
			if out[t] = b.unaryWith(what, s, f, under); out[t] == nil {
				return nil
			}
		}
		return b.Stack(out)
	}
	n := b.node(x)
	if n == nil {
		return nil
	}
	return b.wrapWith(what, func() (*gorgonia.Node, error) { return f(n) }, under)
}

// stepwise reports whether x and y are sequences kept as steps of the same
// length (or one of them a scalar), so a binary op can go step by step.
func stepwise(x, y *Node) bool {
	xs, ys := x.n == nil && x.steps != nil, y.n == nil && y.steps != nil
	switch {
	case xs && ys:
		return len(x.steps) == len(y.steps)
	case xs:
		return len(y.shape) == 0
	case ys:
		return len(x.shape) == 0
	}
	return false
}

func stepOf(x *Node, t int) *Node {
	if x.steps != nil {
		return x.steps[t]
	}
	return x
}

func (b *Builder) binary(what string, x, y *Node, f func(a, c *gorgonia.Node) (*gorgonia.Node, error)) *Node {
	if !b.ok(x, y) {
		return nil
	}
	if what != "matmul" && !slices.Equal(x.shape, y.shape) && len(x.shape) > 0 && len(y.shape) > 0 {
		b.Fail(fmt.Errorf("%w: %s of %v and %v", ErrShape, what, x.shape, y.shape))
		return nil
	}
	if stepwise(x, y) {
		T := max(len(x.steps), len(y.steps))
		out := make([]*Node, T)
		for t := range out {
			if out[t] = b.binary(what, stepOf(x, t), stepOf(y, t), f); out[t] == nil {
				return nil
			}
		}
		return b.Stack(out)
	}
	n, m := b.node(x), b.node(y)
	if n == nil || m == nil {
		return nil
	}
	return b.wrap(what, func() (*gorgonia.Node, error) { return f(n, m) })
}

// Add returns x + y elementwise (same shapes, or one a scalar).
func (b *Builder) Add(x, y *Node) *Node { return b.binary("add", x, y, gorgonia.Add) }

// Sub returns x - y elementwise.
func (b *Builder) Sub(x, y *Node) *Node { return b.binary("sub", x, y, gorgonia.Sub) }

// Mul returns the elementwise (Hadamard) product x * y.
func (b *Builder) Mul(x, y *Node) *Node { return b.binary("mul", x, y, gorgonia.HadamardProd) }

// Div returns x / y elementwise.
func (b *Builder) Div(x, y *Node) *Node { return b.binary("div", x, y, gorgonia.HadamardDiv) }

// MatMul returns the matrix product of x [m, k] and y [k, n]. A left
// operand of higher rank [..., k] is treated as a stack of rows, as Keras
// applies a kernel to the last axis: the result has shape [..., n].
func (b *Builder) MatMul(x, y *Node) *Node {
	if !b.ok(x, y) {
		return nil
	}
	if len(y.shape) != 2 || len(x.shape) < 2 || x.shape[len(x.shape)-1] != y.shape[0] {
		b.Fail(fmt.Errorf("%w: matmul of %v and %v", ErrShape, x.shape, y.shape))
		return nil
	}
	if len(x.shape) == 2 {
		return b.binary("matmul", x, y, gorgonia.Mul)
	}
	if x.n == nil && x.steps != nil {
		out := make([]*Node, len(x.steps))
		for t, s := range x.steps {
			if out[t] = b.MatMul(s, y); out[t] == nil {
				return nil
			}
		}
		return b.Stack(out)
	}
	lead := x.shape[:len(x.shape)-1]
	flat := b.Reshape(x, sizeOf(lead), y.shape[0])
	out := b.binary("matmul", flat, y, gorgonia.Mul)
	return b.Reshape(out, append(slices.Clone(lead), y.shape[1])...)
}

// AddBias adds the vector bias [n] to every row of x [..., n].
func (b *Builder) AddBias(x, bias *Node) *Node {
	if !b.ok(x, bias) {
		return nil
	}
	if len(bias.shape) != 1 || len(x.shape) < 1 || x.shape[len(x.shape)-1] != bias.shape[0] {
		b.Fail(fmt.Errorf("%w: bias %v for %v", ErrShape, bias.shape, x.shape))
		return nil
	}
	if len(x.shape) == 1 {
		return b.Add(x, bias)
	}
	if x.n == nil && x.steps != nil {
		out := make([]*Node, len(x.steps))
		for t, s := range x.steps {
			if out[t] = b.AddBias(s, bias); out[t] == nil {
				return nil
			}
		}
		return b.Stack(out)
	}
	if len(x.shape) > 2 {
		lead := x.shape[:len(x.shape)-1]
		flat := b.Reshape(x, sizeOf(lead), bias.shape[0])
		return b.Reshape(b.AddBias(flat, bias), x.shape...)
	}
	n, m := b.node(x), b.node(bias)
	if n == nil || m == nil {
		return nil
	}
	return b.wrap("add bias", func() (*gorgonia.Node, error) { return gorgonia.BroadcastAdd(n, m, nil, []byte{0}) })
}

// Sigmoid returns the logistic function 1/(1+exp(-x)) elementwise.
func (b *Builder) Sigmoid(x *Node) *Node { return b.unary("sigmoid", x, gorgonia.Sigmoid) }

// Tanh returns tanh(x) elementwise.
func (b *Builder) Tanh(x *Node) *Node { return b.unary("tanh", x, gorgonia.Tanh) }

// ReLU returns max(x, 0) elementwise.
func (b *Builder) ReLU(x *Node) *Node { return b.unary("relu", x, rectify) }

// rectifyMu serializes gorgonia.Rectify, which numbers its node's group
// from a counter of Gorgonia's (internal/encoding.NewGroup) without any
// synchronization: two graphs adding ReLUs at the same moment raced on it
// (found by the race detector when forecast trained MLP candidates on
// several goroutines). Gorgonia's other group-numbering ops (convolution,
// pooling) are not used here.
var rectifyMu sync.Mutex

// rectify is gorgonia.Rectify under rectifyMu.
func rectify(x *gorgonia.Node) (*gorgonia.Node, error) {
	rectifyMu.Lock()
	defer rectifyMu.Unlock()
	return gorgonia.Rectify(x)
}

// Exp returns exp(x) elementwise.
func (b *Builder) Exp(x *Node) *Node { return b.unary("exp", x, gorgonia.Exp) }

// Log returns the natural logarithm of x elementwise.
func (b *Builder) Log(x *Node) *Node {
	// Gorgonia would rewrite log σ(x) into -softplus(-x) (see
	// stabilization.go): build it as written.
	return b.unaryWith("log", x, gorgonia.Log, asWritten)
}

// Abs returns |x| elementwise.
func (b *Builder) Abs(x *Node) *Node { return b.unary("abs", x, gorgonia.Abs) }

// Square returns x² elementwise.
func (b *Builder) Square(x *Node) *Node { return b.unary("square", x, gorgonia.Square) }

// Sqrt returns √x elementwise.
func (b *Builder) Sqrt(x *Node) *Node { return b.unary("sqrt", x, gorgonia.Sqrt) }

// Neg returns -x elementwise.
func (b *Builder) Neg(x *Node) *Node { return b.unary("neg", x, gorgonia.Neg) }

// Minimum returns min(x, y) elementwise.
func (b *Builder) Minimum(x, y *Node) *Node { return b.binary("minimum", x, y, gorgonia.MinBetween) }

// Scalar returns a constant scalar of the builder's dtype.
func (b *Builder) Scalar(v float64) *Node {
	if b.err != nil {
		return nil
	}
	return b.wrap("constant", func() (*gorgonia.Node, error) {
		if b.dt == Float32 {
			return gorgonia.NewConstant(float32(v)), nil
		}
		return gorgonia.NewConstant(v), nil
	})
}

// Scale returns c·x.
func (b *Builder) Scale(x *Node, c float64) *Node {
	s := b.Scalar(c)
	return b.unary("scale", x, func(n *gorgonia.Node) (*gorgonia.Node, error) {
		if s == nil {
			return nil, fmt.Errorf("no constant")
		}
		return gorgonia.Mul(n, s.n)
	})
}

// AddScalar returns x + c elementwise.
func (b *Builder) AddScalar(x *Node, c float64) *Node {
	s := b.Scalar(c)
	return b.unary("add scalar", x, func(n *gorgonia.Node) (*gorgonia.Node, error) {
		if s == nil {
			return nil, fmt.Errorf("no constant")
		}
		return gorgonia.Add(n, s.n)
	})
}

// OneMinus returns 1 - x elementwise.
func (b *Builder) OneMinus(x *Node) *Node {
	s := b.Scalar(1)
	return b.unary("one minus", x, func(n *gorgonia.Node) (*gorgonia.Node, error) {
		if s == nil {
			return nil, fmt.Errorf("no constant")
		}
		return gorgonia.Sub(s.n, n)
	})
}

// Mean returns the mean of all elements of x as a scalar.
func (b *Builder) Mean(x *Node) *Node {
	if b.ok(x) && x.n == nil && x.steps != nil {
		return b.Scale(b.Sum(x), 1/float64(sizeOf(x.shape)))
	}
	return b.unary("mean", x, func(n *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Mean(n) })
}

// Sum returns the sum of all elements of x as a scalar.
func (b *Builder) Sum(x *Node) *Node {
	if b.ok(x) && x.n == nil && x.steps != nil {
		sums := make([]*gorgonia.Node, len(x.steps))
		for t, s := range x.steps {
			st := b.Sum(s)
			if st == nil {
				return nil
			}
			sums[t] = st.n
		}
		return b.wrap("sum", func() (*gorgonia.Node, error) { return gorgonia.ReduceAdd(sums) })
	}
	return b.unary("sum", x, func(n *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Sum(n) })
}

// SumAxis sums x along one axis, removing it.
func (b *Builder) SumAxis(x *Node, axis int) *Node {
	if !b.ok(x) {
		return nil
	}
	if axis < 0 || axis >= len(x.shape) {
		b.Fail(fmt.Errorf("%w: sum along axis %d of %v", ErrShape, axis, x.shape))
		return nil
	}
	// Not b.unary: a sequence kept as steps must be joined first, or the
	// axis would be taken within each step.
	n := b.node(x)
	if n == nil {
		return nil
	}
	return b.wrap("sum", func() (*gorgonia.Node, error) { return gorgonia.Sum(n, axis) })
}

// Reshape returns x with a new shape of the same size.
func (b *Builder) Reshape(x *Node, shape ...int) *Node {
	if !b.ok(x) {
		return nil
	}
	n, err := shapeSize(shape)
	if err != nil || n != sizeOf(x.shape) || slices.ContainsFunc(shape, func(d int) bool { return d <= 0 }) {
		// shapeSize first: a product of the new dimensions past
		// MaxTensorElements could overflow into x's size.
		b.Fail(fmt.Errorf("%w: reshape %v to %v", ErrShape, x.shape, shape))
		return nil
	}
	if slices.Equal(shape, x.shape) {
		return x
	}
	// Not b.unary: a sequence kept as steps is joined first, since a
	// reshape is not elementwise.
	xn := b.node(x)
	if xn == nil {
		return nil
	}
	return b.wrap("reshape", func() (*gorgonia.Node, error) {
		return gorgonia.Reshape(xn, tensor.Shape(slices.Clone(shape)))
	})
}

// Concat joins xs along an existing axis.
func (b *Builder) Concat(axis int, xs ...*Node) *Node {
	if !b.ok(xs...) {
		return nil
	}
	if len(xs) == 0 {
		b.Fail(fmt.Errorf("%w: concat of nothing", ErrArgument))
		return nil
	}
	if len(xs) == 1 {
		return xs[0]
	}
	ns := make([]*gorgonia.Node, len(xs))
	for i, x := range xs {
		if axis < 0 || axis >= len(x.shape) {
			b.Fail(fmt.Errorf("%w: concat along axis %d of %v", ErrShape, axis, x.shape))
			return nil
		}
		if ns[i] = b.node(x); ns[i] == nil {
			return nil
		}
	}
	if n := b.concat(axis, ns); n != nil {
		return &Node{b: b, n: n, shape: []int(n.Shape().Clone())}
	}
	return nil
}

// concat joins ns along axis. Gorgonia's concat gradient slices at each
// piece's offset, hashed modulo 256 (see stackNodes), so two pieces of one
// shape at offsets equal modulo 256 would share a gradient. Such joins are
// built from two-piece concats of different shapes and stacks of equal
// shapes instead.
func (b *Builder) concat(axis int, ns []*gorgonia.Node) *gorgonia.Node {
	if len(ns) == 1 {
		return ns[0]
	}
	if !concatCollides(axis, ns) {
		j := b.wrap("concat", func() (*gorgonia.Node, error) { return gorgonia.Concat(axis, ns...) })
		if j == nil {
			return nil
		}
		return j.n
	}
	same := true
	for _, n := range ns[1:] {
		same = same && n.Shape().Eq(ns[0].Shape())
	}
	if !same {
		rest := b.concat(axis, ns[1:])
		if rest == nil {
			return nil
		}
		return b.concat(axis, []*gorgonia.Node{ns[0], rest})
	}
	st := b.stackNodes(ns, axis)
	if st == nil {
		return nil
	}
	shape := []int(ns[0].Shape().Clone())
	shape[axis] *= len(ns)
	r := b.wrap("concat", func() (*gorgonia.Node, error) { return gorgonia.Reshape(st, tensor.Shape(shape)) })
	if r == nil {
		return nil
	}
	return r.n
}

// concatCollides reports whether two pieces of one shape would sit at
// offsets equal modulo 256 in a single Gorgonia concat.
func concatCollides(axis int, ns []*gorgonia.Node) bool {
	off := 0
	offs := make([]int, len(ns))
	for i, n := range ns {
		offs[i] = off
		off += n.Shape()[axis]
		for j := range i {
			if (offs[i]-offs[j])%256 == 0 && n.Shape().Eq(ns[j].Shape()) {
				return true
			}
		}
	}
	return false
}

// Slice returns x[..., start:end, ...] along axis, keeping the axis.
//
// Gorgonia hashes slice bounds as single bytes, so slices of one node whose
// bounds differ by multiples of 256 would be merged into one node. Bounds
// above 255 are therefore taken in two steps, x[0:end] then [start:end] of
// that, which no other slice can be confused with.
func (b *Builder) Slice(x *Node, axis, start, end int) *Node {
	return b.slice(x, axis, start, end, false)
}

// Index returns x[..., i, ...] along axis, dropping the axis.
func (b *Builder) Index(x *Node, axis, i int) *Node {
	return b.slice(x, axis, i, i+1, true)
}

func (b *Builder) slice(x *Node, axis, start, end int, drop bool) *Node {
	if !b.ok(x) {
		return nil
	}
	if axis < 0 || axis >= len(x.shape) || start < 0 || end > x.shape[axis] || start >= end {
		b.Fail(fmt.Errorf("%w: slice [%d:%d] along axis %d of %v", ErrShape, start, end, axis, x.shape))
		return nil
	}
	if !drop && start == 0 && end == x.shape[axis] {
		return x
	}
	if axis == 1 && x.steps != nil {
		if drop {
			return x.steps[start]
		}
		return b.Stack(x.steps[start:end])
	}
	n := b.node(x)
	if n == nil {
		return nil
	}
	sl := func(n *gorgonia.Node, s tensor.Slice) *Node {
		ss := make([]tensor.Slice, axis+1)
		ss[axis] = s
		return b.wrap("slice", func() (*gorgonia.Node, error) { return gorgonia.Slice(n, ss...) })
	}
	spec := func(lo, hi int) tensor.Slice {
		if drop {
			return gorgonia.S(lo)
		}
		return gorgonia.S(lo, hi)
	}
	var out *Node
	if end <= 255 {
		out = sl(n, spec(start, end))
	} else if prefix := sl(n, gorgonia.S(0, end)); prefix != nil {
		out = sl(prefix.n, spec(start, end))
	}
	if out == nil {
		return nil
	}
	want := slices.Clone(x.shape)
	if drop {
		want = slices.Delete(want, axis, axis+1)
		if sizeOf(want) == 1 {
			// Gorgonia's value for a single element is a scalar, which
			// ops expecting a tensor of the node's shape refuse; a
			// reshape turns it back into one.
			o := out.n
			return b.wrap("slice", func() (*gorgonia.Node, error) {
				return gorgonia.Reshape(o, tensor.Shape(slices.Clone(want)))
			})
		}
		return out
	}
	// Gorgonia drops an axis sliced to width 1; Slice keeps it.
	want[axis] = end - start
	if !slices.Equal(out.shape, want) {
		return b.Reshape(out, want...)
	}
	return out
}

// Steps returns the time steps of a sequence x [batch, time, ...] as nodes
// [batch, ...]. For sequences made by SequenceInput or Stack no new nodes
// are created.
func (b *Builder) Steps(x *Node) []*Node {
	if !b.ok(x) {
		return nil
	}
	if len(x.shape) < 3 {
		b.Fail(fmt.Errorf("%w: %v is not a sequence [batch, time, features]", ErrShape, x.shape))
		return nil
	}
	if x.steps != nil {
		return slices.Clone(x.steps)
	}
	out := make([]*Node, x.shape[1])
	for t := range out {
		if out[t] = b.Index(x, 1, t); out[t] == nil {
			return nil
		}
	}
	x.steps = slices.Clone(out)
	return out
}

// Stack joins steps [batch, n] into a sequence [batch, time, n]. The
// joined node is only built if something needs the whole sequence.
func (b *Builder) Stack(steps []*Node) *Node {
	if !b.ok(steps...) {
		return nil
	}
	if len(steps) == 0 {
		b.Fail(fmt.Errorf("%w: stack of no steps", ErrArgument))
		return nil
	}
	first := steps[0].shape
	if len(first) != 2 {
		b.Fail(fmt.Errorf("%w: stack of steps %v (want [batch, n])", ErrShape, first))
		return nil
	}
	for _, s := range steps {
		if !slices.Equal(s.shape, first) {
			b.Fail(fmt.Errorf("%w: stack of steps %v and %v", ErrShape, first, s.shape))
			return nil
		}
	}
	return &Node{b: b, steps: slices.Clone(steps), shape: []int{first[0], len(steps), first[1]}}
}

// Zeros returns a constant tensor of zeros of the given shape.
func (b *Builder) Zeros(shape ...int) *Node { return b.Full(0, shape...) }

// Full returns a constant tensor of the given shape filled with v.
func (b *Builder) Full(v float64, shape ...int) *Node {
	if b.err != nil {
		return nil
	}
	if len(shape) == 0 || slices.ContainsFunc(shape, func(d int) bool { return d <= 0 }) {
		b.Fail(fmt.Errorf("%w: constant of shape %v", ErrShape, shape))
		return nil
	}
	t, err := NewTensorChecked(b.dt, shape...)
	if err != nil {
		b.Fail(fmt.Errorf("constant: %w", err))
		return nil
	}
	if v != 0 {
		vals := make([]float64, sizeOf(shape))
		for i := range vals {
			vals[i] = v
		}
		t, _ = FromFloat64s(b.dt, vals, shape...)
	}
	name := b.unique(fmt.Sprintf("const(%v)%v", v, shape))
	return b.wrap("constant", func() (*gorgonia.Node, error) {
		return gorgonia.NewConstant(t.d, gorgonia.WithName(name)), nil
	})
}

// MaxLast returns the maximum of x [..., C] over its last axis, as
// [..., 1]. It is built from existing ops (pairwise maxima
// max(a, c) = c + relu(a − c) of halves, in ⌈log₂ C⌉ rounds), so its
// gradient comes from Grad like every other; the softmax and the
// cross-entropies subtract it for stability.
func (b *Builder) MaxLast(x *Node) *Node {
	if !b.ok(x) {
		return nil
	}
	if len(x.shape) == 0 {
		b.Fail(fmt.Errorf("%w: max over the last axis of a scalar", ErrShape))
		return nil
	}
	ax := len(x.shape) - 1
	for b.err == nil && x.shape[ax] > 1 {
		w := x.shape[ax]
		h := w / 2
		lo, hi := b.Slice(x, ax, 0, h), b.Slice(x, ax, h, 2*h)
		m := b.Add(hi, b.ReLU(b.Sub(lo, hi)))
		if w%2 == 1 {
			m = b.Concat(ax, m, b.Slice(x, ax, 2*h, w))
		}
		x = m
	}
	if b.err != nil {
		return nil
	}
	return x
}

// SpreadLast repeats v [..., 1] c times along its last axis, as
// v·ones[1, c].
func (b *Builder) SpreadLast(v *Node, c int) *Node {
	if !b.ok(v) {
		return nil
	}
	if c == 1 {
		return v
	}
	return b.MatMul(v, b.Full(1, 1, c))
}
