package runtime

import "gorgonia.org/gorgonia"

// A kernel computes one op of a program into the op's value of the last
// run (out), from its operands' values. Compile picks it, with the
// shapes it works on, when it translates the op; run reports false when
// the values are not what it covers (a view, another dtype or size), and
// the op is then computed by Gorgonia's op instead.
//
// Kernels compute what the ops compute: the same arithmetic in the same
// order, the same BLAS for products in float64 and without SIMD, sigmoid
// and tanh to float rounding.
type kernel interface {
	run(m *Machine, out gorgonia.Value, args []gorgonia.Value) bool
	// String names the kernel, for inspection.
	String() string
}

// rowBroadcast is the kernel of a bias broadcast (x [1, c] repeated into
// [r, c]).
type rowBroadcast interface {
	kernel
	broadcastsRows()
}

// rowAdder is the kernel of an elementwise arithmetic op; for an addition
// (adds), addRow returns the kernel that adds the row at slot src in place
// of operand arg (1 or 2), a broadcast of that row.
type rowAdder interface {
	adds() bool
	addRow(arg, src int) kernel
}

// paramProduct is a product kernel; withParamB returns it for a second
// operand whose transpose is made once per run (a parameter, or a value
// several products read transposed).
type paramProduct interface {
	withParamB() kernel
	// transposesB reports whether the product reads its second operand
	// transposed.
	transposesB() bool
}

// Kernels lists the names of every kernel translate can pick, in no
// particular order: for tests that check each one runs.
func Kernels() []string {
	return []string{
		"add", "sub", "mul", "div", "scalar-arith", "add-row",
		"sigmoid", "tanh", "neg", "square",
		"gemm", "sum-all", "col-sum", "repeat0", "repeat1",
		"slice", "slice-grad", "pass-grad", "concat",
	}
}
