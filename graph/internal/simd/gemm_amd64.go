package simd

import "unsafe"

// gemmAVX2 is Gemm in AVX2 and FMA assembly, for m, n, k ≥ 1 and shapes
// already checked against the slices (gemm_amd64.s); a[i][l] is
// a[i·lda + l·acs].
//
//go:noescape
func gemmAVX2(m, n, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acs int)

// gemmAVX512 is gemmAVX2 in AVX-512F registers (gemm512_amd64.s), for m
// a multiple of four: the same sums in the same order, bit for bit.
// GemmAt gives it the rows of four-row blocks where c has 8 columns or
// more, and gemmAVX2 the rest: below 8 columns gemmAVX2's scalar and
// 8-lane kernels were faster (10000×20×1: 65 against 81 µs).
//
//go:noescape
func gemmAVX512(m, n, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acs int)

func gemmAsm(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int) {
	GemmAt(m, n, k, &a[0], rs, cs, &b[0], ldb, &c[0], ldc)
}

// GemmAt is GemmStrided on operands given by their first elements,
// without checks, for a caller that checked once that m, n, k ≥ 1, that
// each operand holds its elements with its strides and that GemmSmall(m,
// n, k) holds: the kernel itself, as GemmStrided calls it.
func GemmAt(m, n, k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int) {
	if !wide || m < 4 || n < 8 {
		gemmAVX2(m, n, k, a, rs, b, ldb, c, ldc, cs)
		return
	}
	m4 := m &^ 3
	gemmAVX512(m4, n, k, a, rs, b, ldb, c, ldc, cs)
	if m4 < m {
		gemmAVX2(m-m4, n, k, (*float32)(unsafe.Add(unsafe.Pointer(a), 4*m4*rs)), rs, b, ldb,
			(*float32)(unsafe.Add(unsafe.Pointer(c), 4*m4*ldc)), ldc, cs)
	}
}
