package runtime

import (
	"math"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
)

// arith is an elementwise arithmetic operator.
type arith uint8

const (
	add arith = iota
	sub
	mul
	div
)

func (a arith) String() string { return [...]string{"add", "sub", "mul", "div"}[a] }

// simdOp is a's float32 vector operation.
func (a arith) simdOp() simd.Op {
	return [...]simd.Op{simd.Add, simd.Sub, simd.Mul, simd.Div}[a]
}

// newBinary is the kernel of an elementwise operator on tensors of the
// result's size (either operand may be a scalar), or on scalars.
func newBinary[T float32 | float64](a arith, s shapes) kernel {
	if len(s.args) != 2 {
		return nil
	}
	if len(s.out) == 0 {
		return scalarBinary{op: a}
	}
	return binary[T]{op: a, n: size(s.out)}
}

// binary computes o = a op b elementwise over n elements.
type binary[T float32 | float64] struct {
	op arith
	n  int
}

func (k binary[T]) String() string { return k.op.String() }

func (k binary[T]) adds() bool { return k.op == add }

func (k binary[T]) addRow(arg, src int) kernel { return addRow[T]{arg: arg, src: src, n: k.n} }

func (k binary[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.n)
	if !ok || len(args) != 2 {
		return false
	}
	a, aok := operand[T](args[0], k.n)
	b, bok := operand[T](args[1], k.n)
	if !aok || !bok || (a.vec == nil && b.vec == nil) {
		return false
	}
	binaryOp(k.op, o, a, b)
	return true
}

// operandOf is a tensor of the output's size, or a scalar.
type operandOf[T float32 | float64] struct {
	vec []T
	s   T
}

func operand[T float32 | float64](v gorgonia.Value, n int) (operandOf[T], bool) {
	if s, ok := Scalar(v); ok {
		return operandOf[T]{s: T(s)}, true
	}
	x, ok := denseData[T](v, n)
	if !ok {
		return operandOf[T]{}, false
	}
	return operandOf[T]{vec: x}, true
}

func binaryOp[T float32 | float64](op arith, o []T, a, b operandOf[T]) {
	if isFloat32[T]() {
		switch {
		case a.vec != nil && b.vec != nil:
			simd.VV(op.simdOp(), as32(o), as32(a.vec), as32(b.vec))
			return
		case a.vec != nil:
			simd.VS(op.simdOp(), as32(o), as32(a.vec), float32(b.s))
			return
		case b.vec != nil:
			simd.SV(op.simdOp(), as32(o), float32(a.s), as32(b.vec))
			return
		}
	}
	at := func(x operandOf[T], i int) T {
		if x.vec != nil {
			return x.vec[i]
		}
		return x.s
	}
	if a.vec != nil && b.vec != nil {
		av, bv := a.vec[:len(o)], b.vec[:len(o)]
		switch op {
		case add:
			for i := range o {
				o[i] = av[i] + bv[i]
			}
		case sub:
			for i := range o {
				o[i] = av[i] - bv[i]
			}
		case mul:
			for i := range o {
				o[i] = av[i] * bv[i]
			}
		case div:
			for i := range o {
				o[i] = av[i] / bv[i]
			}
		}
		return
	}
	for i := range o {
		x, y := at(a, i), at(b, i)
		switch op {
		case add:
			o[i] = x + y
		case sub:
			o[i] = x - y
		case mul:
			o[i] = x * y
		case div:
			o[i] = x / y
		}
	}
}

// scalarBinary computes out = args[0] op args[1] for a scalar out and
// scalar arguments (a loss's mean divides a sum by a count), in out's own
// memory: Gorgonia's op allocates a new scalar and two type descriptors
// each run. A float32 operation computed in float64 and rounded once
// gives the float32 operation's result for + − × ÷.
type scalarBinary struct{ op arith }

func (k scalarBinary) String() string { return "scalar-arith" }

func (k scalarBinary) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	if len(args) != 2 {
		return false
	}
	a, aok := Scalar(args[0])
	b, bok := Scalar(args[1])
	if !aok || !bok {
		return false
	}
	var r float64
	switch k.op {
	case add:
		r = a + b
	case sub:
		r = a - b
	case mul:
		r = a * b
	case div:
		r = a / b
	}
	switch s := out.(type) {
	case *gorgonia.F32:
		if _, ok := args[0].(*gorgonia.F32); !ok {
			return false
		}
		*s = gorgonia.F32(float32(r))
		return true
	case *gorgonia.F64:
		if _, ok := args[0].(*gorgonia.F64); !ok {
			return false
		}
		*s = gorgonia.F64(r)
		return true
	}
	return false
}

// addRow sets o = x + row broadcast over x's rows, for an addition whose
// other operand (arg) is a bias broadcast left unwritten (op.lazy): o and
// x have n elements, the row at slot src holds the last axis's c values.
type addRow[T float32 | float64] struct {
	arg, src, n int
}

func (k addRow[T]) String() string { return "add-row" }

func (k addRow[T]) run(m *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.n)
	if !ok || len(args) != 2 {
		return false
	}
	xd, rd := dense(args[2-k.arg]), dense(m.vals[k.src])
	if xd == nil || rd == nil {
		return false
	}
	x, ok1 := Data[T](xd)
	row, ok2 := Data[T](rd)
	c := rd.Shape().TotalSize()
	if !ok1 || !ok2 || c == 0 || len(x) != len(o) || len(row) != c || len(o)%c != 0 ||
		xd.Dims() < 1 || xd.Shape()[xd.Dims()-1] != c {
		return false
	}
	if isFloat32[T]() {
		simd.AddRows(as32(o), as32(x), as32(row))
		return true
	}
	for r := 0; r < len(o); r += c {
		or, xr := o[r:r+c], x[r:r+c]
		for j, v := range row {
			or[j] = xr[j] + v
		}
	}
	return true
}

// newUnary is the kernel of an elementwise function f of one operand of
// the result's shape.
func newUnary[T float32 | float64](name string, f func(o, a []T), s shapes) kernel {
	if len(s.args) != 1 {
		return nil
	}
	return unary[T]{name: name, f: f, n: size(s.out)}
}

// unary computes o = f(a) over n elements.
type unary[T float32 | float64] struct {
	name string
	f    func(o, a []T)
	n    int
}

func (k unary[T]) String() string { return k.name }

func (k unary[T]) run(_ *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.n)
	if !ok || len(args) != 1 {
		return false
	}
	a, ok := denseData[T](args[0], k.n)
	if !ok {
		return false
	}
	k.f(o, a)
	return true
}

func sigmoid32(o, a []float32) { simd.Sigmoid(o, a) }

func tanh32(o, a []float32) { simd.Tanh(o, a) }

func sigmoid64s(o, a []float64) {
	a = a[:len(o)]
	for i, v := range a {
		o[i] = sigmoid64(v)
	}
}

func tanh64s(o, a []float64) {
	a = a[:len(o)]
	for i, v := range a {
		o[i] = math.Tanh(v)
	}
}

func neg32(o, a []float32) { simd.Neg(o, a) }

func neg[T float32 | float64](o, a []T) {
	a = a[:len(o)]
	for i, v := range a {
		o[i] = -v
	}
}

func square[T float32 | float64](o, a []T) {
	a = a[:len(o)]
	for i, v := range a {
		o[i] = v * v
	}
}

// sigmoid64 is the logistic function in float64, saturating like
// Gorgonia's where the result rounds to 0 or 1.
func sigmoid64(x float64) float64 {
	if x < -709 {
		return 0
	}
	if x > 37 {
		return 1
	}
	return 1 / (1 + math.Exp(-x))
}

func (k addRow[T]) rowSource() int { return k.src }
