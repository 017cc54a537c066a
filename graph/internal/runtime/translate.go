package runtime

import (
	"fmt"
	"strings"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// translate fills in o, the op of node n with operands args: its role in
// the run loop and its kernel, picked from Gorgonia's op name (which
// Gorgonia fixes per operator) and the shapes and dtype of n and its
// operands. It is the only place that knows Gorgonia's op names; an op it
// does not know, or a shape or dtype no kernel covers, keeps no kernel and
// runs Gorgonia's op.
func translate(o *op, n *gorgonia.Node, args []*gorgonia.Node) {
	s := shapes{out: []int(n.Shape()), args: make([][]int, len(args))}
	for i, a := range args {
		s.args[i] = []int(a.Shape())
	}
	var k32, k64 kernel // the kernel in float32 and in float64
	name := o.g.String()
	switch name {
	case "+ false":
		o.role = roleArith
		k32, k64 = newBinary[float32](add, s), newBinary[float64](add, s)
	case "- false":
		o.role = roleArith
		k32, k64 = newBinary[float32](sub, s), newBinary[float64](sub, s)
	case "⊙ false":
		o.role = roleArith
		k32, k64 = newBinary[float32](mul, s), newBinary[float64](mul, s)
	case "÷ false":
		o.role = roleArith
		k32, k64 = newBinary[float32](div, s), newBinary[float64](div, s)
	case "sigmoid":
		k32, k64 = newUnary("sigmoid", sigmoid32, s), newUnary("sigmoid", sigmoid64s, s)
	case "tanh":
		k32, k64 = newUnary("tanh", tanh32, s), newUnary("tanh", tanh64s, s)
	case "neg":
		k32, k64 = newUnary("neg", neg32, s), newUnary("neg", neg[float64], s)
	case "square":
		k32, k64 = newUnary("square", square[float32], s), newUnary("square", square[float64], s)
	case "A × B", "Aᵀ × B", "A × Bᵀ", "Aᵀ × Bᵀ":
		ta, tb := strings.HasPrefix(name, "Aᵀ"), strings.HasSuffix(name, "Bᵀ")
		k32, k64 = newGemm[float32](ta, tb, s), newGemm[float64](ta, tb, s)
	case "Σ[0 1]":
		o.role = roleSumAll
		k32, k64 = newSumAll[float32](s), newSumAll[float64](s)
	case "Σ[0]":
		k32, k64 = newColSum[float32](s), newColSum[float64](s)
	case "Repeat0":
		o.role = roleRepeat
		k32, k64 = newRepeat0[float32](s), newRepeat0[float64](s)
	case "Repeat1":
		o.role = roleRepeat
		k32, k64 = newRepeat1[float32](s), newRepeat1[float64](s)
	default:
		switch {
		case strings.HasPrefix(name, "T["):
			// A slice ("T[:, 20:40:1...]"), or its gradient, which adds
			// into the value it is handed ("T[:, 20:40:1...]+=...").
			o.addsInto = strings.HasSuffix(name, "+=...")
			sl, ok := o.g.(interface{ IsSlice() tensor.Slice })
			if !ok {
				return
			}
			if sl.IsSlice() == nil {
				// Gorgonia's Slice adds one of these for every axis before
				// the sliced one: the identity, and its gradient the
				// incoming one.
				if !o.addsInto {
					o.role = roleSliceAll
					return
				}
				o.role = roleSliceGrad
				k32, k64 = newPassGrad[float32](s), newPassGrad[float64](s)
				break
			}
			along := strings.Count(strings.TrimPrefix(name, "T["), ":, ")
			lo, hi := sl.IsSlice().Start(), sl.IsSlice().End()
			if sl.IsSlice().Step() != 1 || hi <= lo || !strings.HasPrefix(name[2+3*along:], fmt.Sprintf("%d:%d:1...]", lo, hi)) {
				return
			}
			r := sliceRange{along: along, start: lo, end: hi}
			if o.addsInto {
				k32, k64 = newSliceGrad[float32](r, s), newSliceGrad[float64](r, s)
			} else {
				k32, k64 = newSlice[float32](r, s), newSlice[float64](r, s)
			}
		case strings.HasPrefix(name, "Concat(axis="):
			var axis int
			if _, err := fmt.Sscanf(name, "Concat(axis=%d)", &axis); err != nil || axis < 0 {
				return
			}
			k32, k64 = newConcat[float32](axis, s), newConcat[float64](axis, s)
		case strings.HasPrefix(name, "SizeOf="):
			o.role = roleSizeOf
		case strings.HasPrefix(name, "Reshape("):
			o.role = roleReshape
		}
	}
	switch n.Dtype() {
	case tensor.Float32:
		o.k = k32
	case tensor.Float64:
		o.k = k64
	}
}

// shapes are the static shapes of an op's result and operands.
type shapes struct {
	out  []int
	args [][]int
}
