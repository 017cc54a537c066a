// Package simd holds gornn's float32 inner loops: the logistic sigmoid,
// tanh and the matrix product, with AVX2 and FMA assembly on amd64
// processors that have both, and plain Go everywhere else.
//
// The two paths agree to a few float32 ulps, not bit for bit: the assembly
// rounds once per fused multiply-add. [Enabled] reports which path runs;
// setting the environment variable GORNN_SIMD=off before the program
// starts selects plain Go on any machine (for debugging, or to compare).
// Where the processor has AVX-512F, products of four rows or more run on
// a 512-bit kernel that computes every element with the AVX2 kernel's
// FMAs in the same order, so the same bits; GORNN_SIMD=avx2 keeps them on
// the AVX2 kernel.
//
// Large matrix products are split across up to [Threads] goroutines
// (GOMAXPROCS, at most GORNN_THREADS when set), the caller and a small
// pool of workers kept for the life of the program; on either path the
// split changes no bit of the result.
package simd
