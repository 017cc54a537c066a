//go:build !amd64

package simd

// gemmAsm is never called where Enabled is false; plain Go stands in.
func gemmAsm(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int) {
	gemmGo(m, n, k, a, rs, cs, b, ldb, c, ldc)
}

// GemmAt is never called: GemmSmall is false without the assembly.
func GemmAt(m, n, k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int) {
	panic(noAsm)
}
