package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"
)

// This file holds the two operations masks and embeddings need beyond the
// arithmetic of ops.go: a constant of given values, and a comparison
// (which Gorgonia does not differentiate: a mask carries no gradient).

// Constant returns a constant tensor of the given shape holding data
// (row-major, len(data) values, converted to the builder's dtype).
func (b *Builder) Constant(data []float64, shape ...int) *Node {
	if b.err != nil {
		return nil
	}
	if len(shape) == 0 || slices.ContainsFunc(shape, func(d int) bool { return d <= 0 }) {
		b.Fail(fmt.Errorf("%w: constant of shape %v", ErrShape, shape))
		return nil
	}
	t, err := FromFloat64s(b.dt, data, shape...)
	if err != nil {
		b.Fail(fmt.Errorf("constant: %w", err))
		return nil
	}
	name := b.unique(fmt.Sprintf("const%v", shape))
	return b.wrap("constant", func() (*gorgonia.Node, error) {
		return gorgonia.NewConstant(t.d, gorgonia.WithName(name)), nil
	})
}

// AnyNotEqual returns, for x [batch, F], a [batch, 1] node holding 1 for
// the rows with an element other than v and 0 for the rows of v alone
// (Keras' any(not_equal(x, v), axis=-1), the Masking layer's mask). The
// comparison has no derivative: the result is a constant to Grad.
func (b *Builder) AnyNotEqual(x *Node, v float64) *Node {
	if !b.ok(x) {
		return nil
	}
	if len(x.shape) != 2 {
		b.Fail(fmt.Errorf("%w: AnyNotEqual of %v (want [batch, features])", ErrShape, x.shape))
		return nil
	}
	d := b.SumAxis(b.Abs(b.AddScalar(x, -v)), 1) // [batch]
	zero := b.Scalar(0)
	if d == nil || zero == nil {
		return nil
	}
	gt := b.wrap("not equal", func() (*gorgonia.Node, error) { return gorgonia.Gt(d.n, zero.n, true) })
	if gt == nil {
		return nil
	}
	return b.Reshape(gt, x.shape[0], 1)
}
