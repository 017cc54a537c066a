package graph

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/gornn/gornn/graph/internal/simd"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The executor runs the most frequent operations of an unrolled recurrent
// graph with the small kernels below, writing into the node's own value
// from the previous run, instead of calling the Gorgonia op. The kernels
// compute what the op computes (the same arithmetic, the same BLAS for
// products; sigmoid and tanh to float rounding) and skip Gorgonia's
// per-call overhead (type and shape checks, engine dispatch, allocation),
// which dominates at the small sizes of a recurrent step. An executor
// uses them from its first run on, so every run gives the same numbers.
// The graph and its gradient are untouched: both still come from
// Gorgonia, and any case a kernel does not cover (a view, a broadcast,
// another op) falls back to the op itself.

type kernelKind uint8

const (
	kNone kernelKind = iota
	kAdd
	kSub
	kMul
	kDiv
	kSigmoid
	kTanh
	kNeg
	kSquare
	kGemm
	kColSum
	kRepeat0
	kSlice     // x[..., start:end] of a matrix along one axis, copied
	kSliceIncr // zeros shaped like x with the gradient of a slice placed in
	kConcat    // pieces joined along an axis
	kSliceAll  // a whole-axis slice: its input itself
	kSumAll    // the sum of all elements of a matrix, a scalar
	kRepeat1   // a column x [r, 1] repeated along axis 1
	// Not arithmetic: ops whose value can be kept from the last run.
	kSizeOf  // the size of an axis: fixed by the program's shapes
	kReshape // a reshaped view of its input: the same while the input is
)

type kernel struct {
	kind           kernelKind
	transA, transB bool
	// along, start and end are a slice's axis and bounds.
	along, start, end int
	// addsInto marks Gorgonia's slice gradient, which adds into the value
	// it is handed (whether or not a kernel covers it).
	addsInto bool
	// lazy marks a bias broadcast (kRepeat0) read only by additions: it
	// is not computed on runs after the first unless an op that reads its
	// value needs it. rowArg (1 or 2) marks such an addition's broadcast
	// argument, which its kernel takes from rowSrc, the unbroadcast row.
	lazy   bool
	rowArg int
	rowSrc int
	// paramB marks a product whose transposed second operand is a
	// parameter, unchanged during a run.
	paramB bool
}

// classify maps an op to its kernel by the op's name, which Gorgonia fixes
// per operator.
func classify(op gorgonia.Op) kernel {
	if op == nil {
		return kernel{}
	}
	switch op.String() {
	case "+ false":
		return kernel{kind: kAdd}
	case "- false":
		return kernel{kind: kSub}
	case "⊙ false":
		return kernel{kind: kMul}
	case "÷ false":
		return kernel{kind: kDiv}
	case "sigmoid":
		return kernel{kind: kSigmoid}
	case "tanh":
		return kernel{kind: kTanh}
	case "neg":
		return kernel{kind: kNeg}
	case "square":
		return kernel{kind: kSquare}
	case "A × B":
		return kernel{kind: kGemm}
	case "Aᵀ × B":
		return kernel{kind: kGemm, transA: true}
	case "A × Bᵀ":
		return kernel{kind: kGemm, transB: true}
	case "Aᵀ × Bᵀ":
		return kernel{kind: kGemm, transA: true, transB: true}
	case "Σ[0 1]":
		return kernel{kind: kSumAll}
	case "Σ[0]":
		return kernel{kind: kColSum}
	case "Repeat1":
		return kernel{kind: kRepeat1}
	case "Repeat0":
		return kernel{kind: kRepeat0}
	}
	switch name := op.String(); {
	case strings.HasPrefix(name, "T["):
		k := classifySlice(op, name)
		k.addsInto = strings.HasSuffix(name, "+=...")
		return k
	case strings.HasPrefix(name, "Concat(axis="):
		var axis int
		if _, err := fmt.Sscanf(name, "Concat(axis=%d)", &axis); err != nil || axis < 0 {
			return kernel{}
		}
		return kernel{kind: kConcat, along: axis}
	case strings.HasPrefix(name, "SizeOf="):
		return kernel{kind: kSizeOf}
	case strings.HasPrefix(name, "Reshape("):
		return kernel{kind: kReshape}
	}
	return kernel{}
}

// classifySlice reads a Gorgonia slice op ("T[:, 20:40:1...]", and its
// gradient "T[:, 20:40:1...]+=...") into a kernel; steps other than 1 and
// whole-axis slices get none.
func classifySlice(op gorgonia.Op, name string) kernel {
	s, ok := op.(interface{ IsSlice() tensor.Slice })
	if !ok {
		return kernel{}
	}
	kind := kSlice
	if strings.HasSuffix(name, "+=...") {
		kind = kSliceIncr
	}
	if s.IsSlice() == nil {
		// Gorgonia's Slice adds one of these for every axis before the
		// sliced one: the identity, and its gradient the incoming one.
		if kind == kSlice {
			return kernel{kind: kSliceAll}
		}
		return kernel{kind: kSliceIncr, end: -1}
	}
	if s.IsSlice().Step() != 1 {
		return kernel{}
	}
	along := strings.Count(strings.TrimPrefix(name, "T["), ":, ")
	lo, hi := s.IsSlice().Start(), s.IsSlice().End()
	if !strings.HasPrefix(name[2+3*along:], fmt.Sprintf("%d:%d:1...]", lo, hi)) || hi <= lo {
		return kernel{}
	}
	return kernel{kind: kind, along: along, start: lo, end: hi}
}

// sliceCopy copies x[..., start:end] (a matrix [r, c] sliced along one
// axis) into o, or with incr set, adds o's values into that part of x (x
// zeroed first): the two directions of a slice.
func sliceCopy[T float32 | float64](k kernel, x, o []T, r, c int, incr bool) {
	w := k.end - k.start
	if k.along == 0 {
		x = x[k.start*c : k.end*c]
		if incr {
			copy(x, o)
		} else {
			copy(o, x)
		}
		return
	}
	var z T
	if _, f32 := any(z).(float32); f32 && r > 0 {
		x32, o32 := as32(x)[k.start:], as32(o)
		if incr {
			simd.CopyRows(x32, c, o32, w, r, w)
		} else {
			simd.CopyRows(o32, w, x32, c, r, w)
		}
		return
	}
	for i := 0; i < r; i++ {
		row := x[i*c+k.start : i*c+k.end]
		if incr {
			copy(row, o[i*w:(i+1)*w])
		} else {
			copy(o[i*w:(i+1)*w], row)
		}
	}
}

// concat joins the pieces in args along axis into o, out's data.
func concat[T float32 | float64](axis int, o []T, out *tensor.Dense, args []gorgonia.Value) bool {
	if len(args) == 0 || axis >= out.Dims() {
		return false
	}
	shape := out.Shape()
	outer := 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	var buf [8][]T
	if len(args) > len(buf) {
		return false
	}
	pieces := buf[:len(args)]
	width := 0
	for i, a := range args {
		d := dense(a)
		if d == nil || d.Dims() != out.Dims() {
			return false
		}
		for j := range shape {
			if j != axis && d.Shape()[j] != shape[j] {
				return false
			}
		}
		p, ok := data[T](d)
		if !ok || len(p)%outer != 0 {
			return false
		}
		pieces[i] = p
		width += len(p) / outer
	}
	if width*outer != len(o) {
		return false
	}
	at := 0
	for r := 0; r < outer; r++ {
		for _, p := range pieces {
			w := len(p) / outer
			copy(o[at:at+w], p[r*w:(r+1)*w])
			at += w
		}
	}
	return true
}

// dense returns v as a contiguous dense tensor, or nil.
func dense(v gorgonia.Value) *tensor.Dense {
	d, ok := v.(*tensor.Dense)
	if !ok || d.IsView() {
		return nil
	}
	return d
}

// scalar returns the value of a scalar, or false.
func scalar(v gorgonia.Value) (float64, bool) {
	switch s := v.(type) {
	case *gorgonia.F32:
		return float64(*s), true
	case *gorgonia.F64:
		return float64(*s), true
	}
	return 0, false
}

// sumAll sums the elements of args[0], a matrix, into the scalar v in
// place, in order (as Gorgonia's sum does), and reports whether it could.
func sumAll(v gorgonia.Value, args []gorgonia.Value) bool {
	if len(args) != 1 {
		return false
	}
	a := dense(args[0])
	if a == nil || a.Dims() != 2 {
		return false
	}
	switch s := v.(type) {
	case *gorgonia.F32:
		t, ok := sumOf[float32](a)
		if ok {
			*s = gorgonia.F32(t)
		}
		return ok
	case *gorgonia.F64:
		t, ok := sumOf[float64](a)
		if ok {
			*s = gorgonia.F64(t)
		}
		return ok
	}
	return false
}

// scalarBinary computes v = args[0] op args[1] for a scalar v and scalar
// arguments (a loss's mean divides a sum by a count), in v's own memory:
// Gorgonia's op allocates a new scalar and two type descriptors each run.
// A float32 operation computed in float64 and rounded once gives the
// float32 operation's result for + − × ÷.
func scalarBinary(kind kernelKind, v gorgonia.Value, args []gorgonia.Value) bool {
	if len(args) != 2 {
		return false
	}
	a, aok := scalar(args[0])
	b, bok := scalar(args[1])
	if !aok || !bok {
		return false
	}
	var r float64
	switch kind {
	case kAdd:
		r = a + b
	case kSub:
		r = a - b
	case kMul:
		r = a * b
	case kDiv:
		r = a / b
	default:
		return false
	}
	switch s := v.(type) {
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

// sumOf sums a's elements in order, or reports false if a holds another
// element type.
func sumOf[T float32 | float64](a *tensor.Dense) (T, bool) {
	x, ok := data[T](a)
	var t T
	for _, e := range x {
		t += e
	}
	return t, ok
}

// runKernel computes op i into its previous value and reports whether it
// could; on false the caller runs the op itself.
func (e *Executor) runKernel(i int, k kernel, args []gorgonia.Value) bool {
	if k.kind == kSumAll { // a scalar result
		return sumAll(e.vals[i], args)
	}
	if k.kind <= kDiv {
		if _, ok := scalar(e.vals[i]); ok {
			return scalarBinary(k.kind, e.vals[i], args)
		}
	}
	out := dense(e.vals[i])
	if out == nil {
		return false
	}
	if k.rowArg > 0 && len(args) == 2 {
		if o, ok := data[float32](out); ok && addRow(o, args[2-k.rowArg], e.vals[k.rowSrc]) {
			e.rowAdds++
			return true
		}
		if o, ok := data[float64](out); ok && addRow(o, args[2-k.rowArg], e.vals[k.rowSrc]) {
			e.rowAdds++
			return true
		}
		return false // the caller materializes the broadcast and runs the op
	}
	if o, ok := data[float32](out); ok {
		return kernelRun(k, o, out, args, &e.scratch)
	}
	if o, ok := data[float64](out); ok {
		return kernelRun(k, o, out, args, &e.scratch)
	}
	return false
}

// data returns d's elements as []T without allocating (Dense.Data goes
// through reflection and allocates), or false if d holds another type.
func data[T float32 | float64](d *tensor.Dense) ([]T, bool) {
	var z T
	switch any(z).(type) {
	case float32:
		if d.Dtype() != tensor.Float32 {
			return nil, false
		}
	case float64:
		if d.Dtype() != tensor.Float64 {
			return nil, false
		}
	}
	raw := d.Raw // the backing bytes
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(raw))), len(raw)/int(unsafe.Sizeof(z))), true
}

func kernelRun[T float32 | float64](k kernel, o []T, out *tensor.Dense, args []gorgonia.Value, sc *scratch) bool {
	switch k.kind {
	case kAdd, kSub, kMul, kDiv:
		if len(args) != 2 {
			return false
		}
		a, aok := operand[T](args[0], len(o))
		b, bok := operand[T](args[1], len(o))
		if !aok || !bok || (a.vec == nil && b.vec == nil) {
			return false
		}
		binary(k.kind, o, a, b)
		return true
	case kSigmoid, kTanh, kNeg, kSquare:
		if len(args) != 1 {
			return false
		}
		a, ok := operand[T](args[0], len(o))
		if !ok || a.vec == nil {
			return false
		}
		unary(k.kind, o, a.vec)
		return true
	case kGemm:
		return gemm(k, o, out, args, sc)
	case kRepeat0:
		// A bias broadcast: x [1, ...] repeated along axis 0 (the second
		// argument, the count, is implied by the output's shape).
		if len(args) < 1 {
			return false
		}
		a := dense(args[0])
		if a == nil || a.Dims() < 1 || a.Shape()[0] != 1 || out.Dims() != a.Dims() {
			return false
		}
		x, ok := data[T](a)
		if !ok || len(x) == 0 || len(o)%len(x) != 0 || len(o)/len(x) != out.Shape()[0] {
			return false
		}
		for r := 0; r < len(o); r += len(x) {
			copy(o[r:r+len(x)], x)
		}
		return true
	case kRepeat1:
		// The broadcast of a column (a gradient of a mean, say): x [r, 1]
		// repeated into out [r, c].
		if len(args) < 1 {
			return false
		}
		a := dense(args[0])
		if a == nil || a.Dims() != 2 || a.Shape()[1] != 1 || out.Dims() != 2 || out.Shape()[0] != a.Shape()[0] {
			return false
		}
		x, ok := data[T](a)
		c := out.Shape()[1]
		if !ok || len(x) != a.Shape()[0] || len(o) != len(x)*c {
			return false
		}
		for i, v := range x {
			row := o[i*c : (i+1)*c]
			for j := range row {
				row[j] = v
			}
		}
		return true
	case kConcat:
		return concat(k.along, o, out, args)
	case kSlice, kSliceIncr:
		// kSlice: args are x [r, c]; kSliceIncr: x and the slice's gradient.
		if (k.kind == kSlice && len(args) != 1) || (k.kind == kSliceIncr && len(args) != 2) {
			return false
		}
		if k.end < 0 { // the gradient of a whole-axis slice
			g := dense(args[1])
			if g == nil || !g.Shape().Eq(out.Shape()) {
				return false
			}
			gd, ok := data[T](g)
			if !ok || len(gd) != len(o) {
				return false
			}
			copy(o, gd)
			return true
		}
		x := dense(args[0])
		if x == nil || x.Dims() < 1 || x.Dims() > 2 || k.along >= x.Dims() || k.end > x.Shape()[k.along] {
			return false
		}
		r, c := x.Shape()[0], 1
		want := []int{k.end - k.start}
		if x.Dims() == 2 {
			c = x.Shape()[1]
			want = []int{r, c}
			want[k.along] = k.end - k.start
		}
		if k.kind == kSlice {
			xd, ok := data[T](x)
			if !ok || !out.Shape().Eq(tensor.Shape(want)) || len(o) != tensor.Shape(want).TotalSize() {
				return false
			}
			sliceCopy(k, xd, o, r, c, false)
			return true
		}
		g := dense(args[1])
		if g == nil || !g.Shape().Eq(tensor.Shape(want)) || !out.Shape().Eq(x.Shape()) || len(o) != r*c {
			return false
		}
		gd, ok := data[T](g)
		if !ok {
			return false
		}
		clear(o)
		sliceCopy(k, o, gd, r, c, true)
		return true
	case kColSum:
		if len(args) != 1 {
			return false
		}
		a := dense(args[0])
		if a == nil || a.Dims() != 2 || out.Dims() != 1 || a.Shape()[1] != len(o) {
			return false
		}
		x, ok := data[T](a)
		if !ok {
			return false
		}
		cols := len(o)
		clear(o)
		for r := 0; r < a.Shape()[0]; r++ {
			row := x[r*cols : (r+1)*cols]
			for j, v := range row {
				o[j] += v
			}
		}
		return true
	}
	return false
}

// operandOf is a tensor of the output's size, or a scalar.
type operandOf[T float32 | float64] struct {
	vec []T
	s   T
}

func operand[T float32 | float64](v gorgonia.Value, n int) (operandOf[T], bool) {
	if s, ok := scalar(v); ok {
		return operandOf[T]{s: T(s)}, true
	}
	d := dense(v)
	if d == nil || d.Shape().TotalSize() != n {
		return operandOf[T]{}, false
	}
	x, ok := data[T](d)
	if !ok || len(x) != n {
		return operandOf[T]{}, false
	}
	return operandOf[T]{vec: x}, true
}

func binary[T float32 | float64](kind kernelKind, o []T, a, b operandOf[T]) {
	var z T
	if _, ok := any(z).(float32); ok {
		op := simd.Add
		switch kind {
		case kSub:
			op = simd.Sub
		case kMul:
			op = simd.Mul
		case kDiv:
			op = simd.Div
		}
		switch {
		case a.vec != nil && b.vec != nil:
			simd.VV(op, as32(o), as32(a.vec), as32(b.vec))
			return
		case a.vec != nil:
			simd.VS(op, as32(o), as32(a.vec), float32(b.s))
			return
		case b.vec != nil:
			simd.SV(op, as32(o), float32(a.s), as32(b.vec))
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
		switch kind {
		case kAdd:
			for i := range o {
				o[i] = av[i] + bv[i]
			}
		case kSub:
			for i := range o {
				o[i] = av[i] - bv[i]
			}
		case kMul:
			for i := range o {
				o[i] = av[i] * bv[i]
			}
		case kDiv:
			for i := range o {
				o[i] = av[i] / bv[i]
			}
		}
		return
	}
	for i := range o {
		x, y := at(a, i), at(b, i)
		switch kind {
		case kAdd:
			o[i] = x + y
		case kSub:
			o[i] = x - y
		case kMul:
			o[i] = x * y
		case kDiv:
			o[i] = x / y
		}
	}
}

func unary[T float32 | float64](kind kernelKind, o, a []T) {
	a = a[:len(o)]
	switch kind {
	case kSigmoid, kTanh:
		var z T
		switch any(z).(type) {
		case float32:
			if kind == kSigmoid {
				simd.Sigmoid(as32(o), as32(a))
			} else {
				simd.Tanh(as32(o), as32(a))
			}
		case float64:
			oo, aa := as64(o), as64(a)
			if kind == kSigmoid {
				for i, v := range aa {
					oo[i] = sigmoid64(v)
				}
			} else {
				for i, v := range aa {
					oo[i] = math.Tanh(v)
				}
			}
		}
	case kNeg:
		for i, v := range a {
			o[i] = -v
		}
	case kSquare:
		for i, v := range a {
			o[i] = v * v
		}
	}
}

// as32 and as64 view a []T of that element type as itself, without the
// allocation of a conversion through an interface.
func as32[T float32 | float64](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func as64[T float32 | float64](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
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

// gemm computes op(A)·op(B) for row-major matrices: in float32 with the
// AVX2 product of graph/internal/simd where the processor has it, and
// otherwise with gonum's BLAS, the implementation Gorgonia itself calls.
func gemm[T float32 | float64](k kernel, o []T, out *tensor.Dense, args []gorgonia.Value, sc *scratch) bool {
	if len(args) != 2 {
		return false
	}
	a, b := dense(args[0]), dense(args[1])
	if a == nil || b == nil || a.Dims() != 2 || b.Dims() != 2 || out.Dims() != 2 {
		return false
	}
	ad, aok := data[T](a)
	bd, bok := data[T](b)
	if !aok || !bok {
		return false
	}
	ar, ac := a.Shape()[0], a.Shape()[1]
	br, bc := b.Shape()[0], b.Shape()[1]
	m, kk := ar, ac
	ta := blas.NoTrans
	if k.transA {
		m, kk, ta = ac, ar, blas.Trans
	}
	kb, n := br, bc
	tb := blas.NoTrans
	if k.transB {
		kb, n, tb = bc, br, blas.Trans
	}
	if kk != kb || out.Shape()[0] != m || out.Shape()[1] != n || len(o) != m*n {
		return false
	}
	var z T
	if _, f32 := any(z).(float32); f32 && simd.Enabled {
		// The AVX2 product takes both operands untransposed: a
		// transposed one is copied into the executor's scratch (an
		// operand with an inner size of 1 is a vector, its own
		// transpose).
		a32, lda := as32(ad), ac
		if k.transA && kk > 1 {
			a32, lda = transpose(&sc.a, a32, ar, ac), ar
		} else if k.transA {
			lda = 1
		}
		b32, ldb := as32(bd), bc
		if k.transB && kk > 1 && k.paramB {
			b32, ldb = sc.transposeParam(b32, br, bc), br
		} else if k.transB && kk > 1 {
			b32, ldb = transpose(&sc.b, b32, br, bc), br
		} else if k.transB {
			ldb = n
		}
		simd.Gemm(m, n, kk, a32, lda, b32, ldb, as32(o), n)
		return true
	}
	if kk == 1 {
		// An outer product (inner size 1, as the products with a single
		// input feature or a single output unit): each operand is a
		// vector whatever its transposition, and gonum's general path
		// costs several times the arithmetic at these sizes. The same
		// numbers as gonum, down to 0·Inf and signed zeros: its paths
		// other than A·Bᵀ skip zero elements of A, and all add the
		// product to a zeroed output.
		skipZero := k.transA || !k.transB
		ad, bd = ad[:m], bd[:n]
		var zero T
		for i, av := range ad {
			row := o[i*n : (i+1)*n]
			if skipZero && av == 0 {
				clear(row)
				continue
			}
			for j, bv := range bd {
				row[j] = zero + av*bv
			}
		}
		return true
	}
	switch any(z).(type) {
	case float32:
		gonum.Implementation{}.Sgemm(ta, tb, m, n, kk, 1, as32(ad), ac, as32(bd), bc, 0, as32(o), n)
	case float64:
		gonum.Implementation{}.Dgemm(ta, tb, m, n, kk, 1, as64(ad), ac, as64(bd), bc, 0, as64(o), n)
	}
	return true
}

// scratch holds an executor's buffers for the transposed operands of its
// float32 products.
type scratch struct {
	a, b []float32
	// run counts the executor's runs; params holds the transposed
	// parameters of the current run (and, for reuse, earlier runs').
	run    int
	params []transposed
}

// transposed is a parameter's transpose, made on run run.
type transposed struct {
	src  *float32
	r, c int
	run  int
	buf  []float32
}

// transposeParam returns the transpose of a parameter's r×c matrix,
// made on its first use in the current run and reused by the products of
// later time steps; buffers of earlier runs are reused.
func (s *scratch) transposeParam(src []float32, r, c int) []float32 {
	p := unsafe.SliceData(src)
	free := -1
	for i := range s.params {
		e := &s.params[i]
		if e.run == s.run && e.src == p && e.r == r && e.c == c {
			return e.buf
		}
		if e.run != s.run && free < 0 && cap(e.buf) >= r*c {
			free = i
		}
	}
	if free < 0 {
		s.params = append(s.params, transposed{})
		free = len(s.params) - 1
	}
	e := &s.params[free]
	e.src, e.r, e.c, e.run = p, r, c, s.run
	e.buf = transpose(&e.buf, src, r, c)
	return e.buf
}

// transpose writes the r×c row-major matrix src transposed (c×r) into
// *buf, growing it as needed, and returns it. It goes in 16×16 tiles, so
// that the column writes of a tile stay within a few cache lines.
func transpose(buf *[]float32, src []float32, r, c int) []float32 {
	if cap(*buf) < r*c {
		*buf = make([]float32, r*c)
	}
	t := (*buf)[:r*c]
	const tile = 16
	for i0 := 0; i0 < r; i0 += tile {
		i1 := min(i0+tile, r)
		for j0 := 0; j0 < c; j0 += tile {
			j1 := min(j0+tile, c)
			for i := i0; i < i1; i++ {
				row := src[i*c+j0 : i*c+j1]
				for j, v := range row {
					t[(j0+j)*r+i] = v
				}
			}
		}
	}
	return t
}

// addRow sets o = x + row broadcast over x's rows, for an addition whose
// other operand is a bias broadcast left unmaterialized (kernel.lazy): o
// and x are [r, c], row holds c values ([c] or [1, c]).
func addRow[T float32 | float64](o []T, xv, rowv gorgonia.Value) bool {
	xd, rd := dense(xv), dense(rowv)
	if xd == nil || rd == nil {
		return false
	}
	x, ok1 := data[T](xd)
	row, ok2 := data[T](rd)
	c := rd.Shape().TotalSize()
	if !ok1 || !ok2 || c == 0 || len(x) != len(o) || len(row) != c || len(o)%c != 0 ||
		xd.Dims() < 1 || xd.Shape()[xd.Dims()-1] != c {
		return false
	}
	var z T
	if _, f32 := any(z).(float32); f32 {
		o32, x32, r32 := as32(o), as32(x), as32(row)
		for r := 0; r < len(o); r += c {
			simd.VV(simd.Add, o32[r:r+c], x32[r:r+c], r32)
		}
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
