package simd

import "math"

// Op is an elementwise arithmetic operation.
type Op int

// The operations of VV, VS and SV.
const (
	Add Op = iota
	Sub
	Mul
	Div
)

// VV sets dst[i] = a[i] op b[i] for every element of a. b and dst must be
// at least as long as a (it panics otherwise); dst may be a or b. The results are IEEE float32
// arithmetic's on either path.
func VV(op Op, dst, a, b []float32) {
	n := len(a)
	if Enabled && n >= 8 && n < 2*elemPartWork && len(dst) >= n && len(b) >= n {
		// The common small vector: straight to the assembly.
		vvAsm(op, &dst[0], &a[0], &b[0], n)
		return
	}
	dst, b = checkDst(dst, n), checkDst(b, n)
	if n >= 2*elemPartWork {
		if parts := elemParts(n); parts > 1 {
			elemParallel(parts, elemArgs{kind: vvKind, op: op, dst: dst, a: a, b: b})
			return
		}
	}
	vv(op, dst, a, b)
}

// vv is VV on the calling goroutine, with dst and b checked. The
// assembly takes any length from 8 on, the last n mod 8 elements in one
// more vector (arith_amd64.s).
func vv(op Op, dst, a, b []float32) {
	n := len(a)
	if Enabled && n >= 8 {
		vvAsm(op, &dst[0], &a[0], &b[0], n)
		return
	}
	dst, b = dst[:n], b[:n]
	switch op {
	case Add:
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
	case Sub:
		for i := range dst {
			dst[i] = a[i] - b[i]
		}
	case Mul:
		for i := range dst {
			dst[i] = a[i] * b[i]
		}
	case Div:
		for i := range dst {
			dst[i] = a[i] / b[i]
		}
	}
}

// VVAt, VSAt and SVAt are VV, VS and SV on the n elements at dst, a (and
// b) without checks, for a caller that checked once that Enabled is set,
// that 8 ≤ n < 2·elemPartWork (a pass not split across cores) and that
// each pointer has n elements (a group of elementwise ops, whose operands
// stay the same from run to run): the same assembly, bit for bit.
func VVAt(op Op, dst, a, b *float32, n int) { vvAsm(op, dst, a, b, n) }

// VSAt sets dst[i] = a[i] op s; see VVAt.
func VSAt(op Op, dst, a *float32, s float32, n int) { vsAsm(op, dst, a, s, n) }

// SVAt sets dst[i] = s op a[i]; see VVAt.
func SVAt(op Op, dst *float32, s float32, a *float32, n int) {
	switch op {
	case Add, Mul:
		vsAsm(op, dst, a, s, n)
	case Sub:
		subSV(dst, a, s, n)
	case Div:
		divSV(dst, a, s, n)
	}
}

// SmallVector reports whether VVAt, VSAt and SVAt serve n elements.
func SmallVector(n int) bool { return Enabled && n >= 8 && n < 2*elemPartWork }

// vvAsm is the assembly kernel of op over n ≥ 8 elements.
func vvAsm(op Op, dst, a, b *float32, n int) {
	switch op {
	case Add:
		addVV(dst, a, b, n)
	case Sub:
		subVV(dst, a, b, n)
	case Mul:
		mulVV(dst, a, b, n)
	case Div:
		divVV(dst, a, b, n)
	}
}

// vsAsm is the assembly kernel of a[i] op s over n ≥ 8 elements.
func vsAsm(op Op, dst, a *float32, s float32, n int) {
	switch op {
	case Add:
		addVS(dst, a, s, n)
	case Sub:
		subVS(dst, a, s, n)
	case Mul:
		mulVS(dst, a, s, n)
	case Div:
		divVS(dst, a, s, n)
	}
}

// AddRows sets dst[r·c+j] = x[r·c+j] + row[j] for every row r of x, with
// c = len(row) ≥ 1 and len(x) a multiple of c: a row added to every row
// of a matrix (a bias broadcast), the additions VV makes row by row
// (IEEE float32's on either path), without a call per row; a row of one
// value is VS. dst must be at least as long as x (it panics otherwise,
// or when len(x) is not a multiple of c); dst may be x. It runs on the
// calling goroutine.
func AddRows(dst, x, row []float32) {
	c, n := len(row), len(x)
	if c == 0 || n%c != 0 {
		panic("simd: AddRows: len(x) is not a multiple of len(row)")
	}
	dst = checkDst(dst, n)
	if c == 1 {
		vs(Add, dst, x, row[0])
		return
	}
	if Enabled && c >= 8 {
		// One kernel call, addVV's arithmetic on every row.
		if n > 0 {
			addRowsAVX(&dst[0], &x[0], &row[0], n/c, c, c, c)
		}
		return
	}
	for r := 0; r < n; r += c {
		xr, dr := x[r:r+c], dst[r:r+c]
		for j, v := range row {
			dr[j] = xr[j] + v
		}
	}
}

// AddRowsStrided sets dst[r·ldd+j] = x[r·ldx+j] + row[j] for r < rows and
// j < c = len(row): AddRows on rows that lie apart in memory, such as
// columns start..start+c of a wider matrix (x) written into a matrix of
// their own (dst): the additions of AddRows, without the copy. It panics
// if a slice is too short, a stride is shorter than c or rows is
// negative; dst and x must not overlap. It runs on the calling goroutine.
func AddRowsStrided(dst []float32, ldd int, x []float32, ldx int, row []float32, rows int) {
	c := len(row)
	if rows < 0 {
		panic("simd: AddRowsStrided: negative size")
	}
	if rows == 0 || c == 0 {
		return
	}
	if ldd < c || ldx < c || !fits(len(dst), rows, c, ldd) || !fits(len(x), rows, c, ldx) {
		panic("simd: AddRowsStrided: a slice is too short for the rows and strides (or a stride < len(row))")
	}
	if Overlap(dst[:(rows-1)*ldd+c], x[:(rows-1)*ldx+c]) {
		panic("simd: AddRowsStrided: dst overlaps x")
	}
	if Enabled && c >= 8 {
		addRowsAVX(&dst[0], &x[0], &row[0], rows, c, ldd, ldx)
		return
	}
	for r := 0; r < rows; r++ {
		xr, dr := x[r*ldx:r*ldx+c], dst[r*ldd:r*ldd+c]
		for j, v := range row {
			dr[j] = xr[j] + v
		}
	}
}

// AddOuterRowsStrided sets dst[r·ldd+j] to (p + big[r·ldb+j]) + row[j]
// when productFirst, else to (big[r·ldb+j] + p) + row[j], where p is
// x[r·incx]·w[j] rounded once as a fused multiply-add onto zero computes
// it, for r < rows and j < c = len(row) = len(w): a product-and-sum
// group's sum of a product of inner size 1 (an outer product: one input
// feature's gate weights) and another term, with its bias row added,
// written into a column slice of its own (dst), without computing the
// outer product into memory first. It is what GemmAt of inner size 1,
// VV's addition and AddRowsStrided compute in turn, bit for bit (the
// product kernels start each sum at zero and add by fused multiply-adds;
// the additions take their operands in the same order; a row of fewer
// than 8 elements is computed by Go's float32 arithmetic, the same values,
// whose NaN results may carry the other operand's payload). It panics if a
// slice is too short, a stride is shorter than c (incx < 1) or rows is
// negative, or when dst overlaps an operand. It runs on the calling
// goroutine.
func AddOuterRowsStrided(dst []float32, ldd int, big []float32, ldb int, x []float32, incx int, w, row []float32, rows int, productFirst bool) {
	c := len(row)
	if rows < 0 || len(w) != c {
		panic("simd: AddOuterRowsStrided: negative size, or len(w) != len(row)")
	}
	if rows == 0 || c == 0 {
		return
	}
	if ldd < c || ldb < c || incx < 1 || !fits(len(dst), rows, c, ldd) || !fits(len(big), rows, c, ldb) || !fits(len(x), rows, 1, incx) {
		panic("simd: AddOuterRowsStrided: a slice is too short for the rows and strides (or a stride < len(row))")
	}
	d := dst[:(rows-1)*ldd+c]
	if Overlap(d, big[:(rows-1)*ldb+c]) || Overlap(d, x[:(rows-1)*incx+1]) || Overlap(d, w) || Overlap(d, row) {
		panic("simd: AddOuterRowsStrided: dst overlaps an operand")
	}
	if Enabled && c >= 8 {
		first := 0
		if productFirst {
			first = 1
		}
		addOuterRowsAVX(&dst[0], ldd, &big[0], ldb, &x[0], incx, &w[0], &row[0], rows, c, first)
		return
	}
	for r := range rows {
		xr := float64(x[r*incx])
		br, dr := big[r*ldb:r*ldb+c], dst[r*ldd:r*ldd+c]
		for j, v := range row {
			// The product exact in float64, rounded once to float32
			// with zero added: a fused multiply-add onto zero.
			p := float32(math.FMA(xr, float64(w[j]), 0))
			var s float32
			if productFirst {
				s = p + br[j]
			} else {
				s = br[j] + p
			}
			dr[j] = s + v
		}
	}
}

// SumRows sets dst[j] to the sum of the j-th elements of x's rows, with
// c = len(dst) columns and len(x) a multiple of c: a matrix's column
// sums (a bias gradient). Each sum is added in row order from zero, as a
// scalar loop over the rows would, so the result is the same on either
// path; whole vectors of columns keep their sums in registers across all
// the rows, in one call. With no rows, dst is zeroed; with no columns
// (and no x) there is nothing to do. It panics when len(x) is not a
// multiple of c or dst overlaps x, and runs on the calling goroutine.
func SumRows(dst, x []float32) {
	c, n := len(dst), len(x)
	if (c == 0 && n != 0) || (c != 0 && n%c != 0) {
		panic("simd: SumRows: len(x) is not a multiple of len(dst)")
	}
	if n == 0 {
		clear(dst)
		return
	}
	if Overlap(dst, x) {
		panic("simd: SumRows: dst overlaps x")
	}
	if Enabled && c >= 8 {
		sumRowsAVX2(&dst[0], &x[0], n/c, c, c)
		return
	}
	for j := 0; j < c; j++ {
		var s float32
		for i := j; i < n; i += c {
			s += x[i]
		}
		dst[j] = s
	}
}

// Neg sets dst[i] = -a[i] for every element of a: the sign bit flipped,
// as Go's negation does (NaNs keep their payload, -(+0) is -0). dst must
// be at least as long as a (it panics otherwise); it may be a. It runs on
// the calling goroutine.
func Neg(dst, a []float32) {
	n := len(a)
	dst = checkDst(dst, n)
	if Enabled && n >= 8 {
		xorVS(&dst[0], &a[0], float32(math.Copysign(0, -1)), n)
		return
	}
	for i, v := range a {
		dst[i] = -v
	}
}

// VS sets dst[i] = a[i] op s for every element of a. dst must be at least
// as long as a; it may be a.
func VS(op Op, dst, a []float32, s float32) {
	n := len(a)
	if Enabled && n >= 8 && n < 2*elemPartWork && len(dst) >= n {
		// The common small vector: straight to the assembly.
		vsAsm(op, &dst[0], &a[0], s, n)
		return
	}
	dst = checkDst(dst, n)
	if n >= 2*elemPartWork {
		if parts := elemParts(n); parts > 1 {
			elemParallel(parts, elemArgs{kind: vsKind, op: op, dst: dst, a: a, s: s})
			return
		}
	}
	vs(op, dst, a, s)
}

// vs is VS on the calling goroutine, with dst checked.
func vs(op Op, dst, a []float32, s float32) {
	n := len(a)
	if Enabled && n >= 8 {
		vsAsm(op, &dst[0], &a[0], s, n)
		return
	}
	dst = dst[:n]
	switch op {
	case Add:
		for i := range dst {
			dst[i] = a[i] + s
		}
	case Sub:
		for i := range dst {
			dst[i] = a[i] - s
		}
	case Mul:
		for i := range dst {
			dst[i] = a[i] * s
		}
	case Div:
		for i := range dst {
			dst[i] = a[i] / s
		}
	}
}

// SV sets dst[i] = s op a[i] for every element of a. dst must be at least
// as long as a; it may be a.
func SV(op Op, dst []float32, s float32, a []float32) {
	switch op {
	case Add, Mul:
		VS(op, dst, a, s)
		return
	}
	n := len(a)
	dst = checkDst(dst, n)
	if n >= 2*elemPartWork {
		if parts := elemParts(n); parts > 1 {
			elemParallel(parts, elemArgs{kind: svKind, op: op, dst: dst, a: a, s: s})
			return
		}
	}
	sv(op, dst, s, a)
}

// sv is SV for Sub and Div on the calling goroutine, with dst checked.
func sv(op Op, dst []float32, s float32, a []float32) {
	n := len(a)
	if Enabled && n >= 8 {
		if op == Div {
			divSV(&dst[0], &a[0], s, n)
		} else {
			subSV(&dst[0], &a[0], s, n)
		}
		return
	}
	dst = dst[:n]
	if op == Sub {
		for i := range dst {
			dst[i] = s - a[i]
		}
		return
	}
	for i := range dst {
		dst[i] = s / a[i]
	}
}
