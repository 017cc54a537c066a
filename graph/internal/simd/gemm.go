package simd

import "math/bits"

// Gemm sets c = a·b for row-major matrices: a is m×k with row stride lda,
// b is k×n with row stride ldb, c is m×n with row stride ldc. It overwrites
// the first n elements of each of c's m rows and leaves the gaps between
// rows alone; k == 0 gives zeros, m == 0 or n == 0 does nothing.
//
// Each c[i][j] is the sum over l = 0, 1, ..., k-1, in that order and
// starting from zero, of a[i][l]·b[l][j]; the assembly rounds once per step
// (fused multiply-add), plain Go twice (or once where the compiler fuses
// s += x*y, as on arm64). Zeros are not skipped, so NaN and
// ±Inf anywhere in a row of a or a column of b propagate as IEEE arithmetic
// says (0·Inf is NaN).
//
// Gemm panics if a dimension is negative, a stride is shorter than its row
// (lda < k, ldb < n, ldc < n) or a slice is too short for the sizes and
// strides. The matrices must not overlap c.
func Gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("simd: Gemm: negative dimension")
	}
	if m == 0 || n == 0 {
		return
	}
	if ldc < n || !fits(len(c), m, n, ldc) {
		panic("simd: Gemm: c too short for m×n with stride ldc (or ldc < n)")
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	if lda < k || !fits(len(a), m, k, lda) {
		panic("simd: Gemm: a too short for m×k with stride lda (or lda < k)")
	}
	if ldb < n || !fits(len(b), k, n, ldb) {
		panic("simd: Gemm: b too short for k×n with stride ldb (or ldb < n)")
	}
	if Enabled {
		gemmAsm(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	gemmGo(m, n, k, a, lda, b, ldb, c, ldc)
}

// fits reports whether a slice of length size holds rows ≥ 1 rows of cols
// elements stride apart: (rows-1)·stride + cols ≤ size, without overflow.
func fits(size, rows, cols, stride int) bool {
	hi, lo := bits.Mul64(uint64(rows-1), uint64(stride))
	return hi == 0 && lo <= uint64(size) && uint64(cols) <= uint64(size)-lo
}

// gemmGo is the plain-Go Gemm for m, n, k ≥ 1 and shapes already checked.
// It keeps 4 columns of a row of c (then 1 at a time for the last n%4) in
// local sums over l, each sum in order from l = 0.
func gemmGo(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	b = b[:(k-1)*ldb+n]
	for i := 0; i < m; i++ {
		ai := a[i*lda : i*lda+k]
		ci := c[i*ldc : i*ldc+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			var s0, s1, s2, s3 float32
			p := j
			for _, av := range ai {
				bl := b[p : p+4 : p+4]
				s0 += av * bl[0]
				s1 += av * bl[1]
				s2 += av * bl[2]
				s3 += av * bl[3]
				p += ldb
			}
			cj := ci[j : j+4 : j+4]
			cj[0], cj[1], cj[2], cj[3] = s0, s1, s2, s3
		}
		for ; j < n; j++ {
			var s float32
			p := j
			for _, av := range ai {
				s += av * b[p]
				p += ldb
			}
			ci[j] = s
		}
	}
}
