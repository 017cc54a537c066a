package simd

// gemmAVX2 is Gemm in AVX2 and FMA assembly, for m, n, k ≥ 1 and shapes
// already checked against the slices (gemm_amd64.s); a[i][l] is
// a[i·lda + l·acs].
//
//go:noescape
func gemmAVX2(m, n, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acs int)

func gemmAsm(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int) {
	gemmAVX2(m, n, k, &a[0], rs, &b[0], ldb, &c[0], ldc, cs)
}

// GemmAt is GemmStrided on operands given by their first elements,
// without checks, for a caller that checked once that m, n, k ≥ 1, that
// each operand holds its elements with its strides and that GemmSmall(m,
// n, k) holds: the kernel itself, as GemmStrided calls it.
func GemmAt(m, n, k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int) {
	gemmAVX2(m, n, k, a, rs, b, ldb, c, ldc, cs)
}
