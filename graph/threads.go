package graph

import "github.com/gornn/gornn/graph/internal/simd"

// Threads returns how many goroutines gornn runs one large computation on:
// the halves (or smaller parts) of a large float32 matrix product, the
// runs of a batch prediction (models' Predict), and, when it is 2 or more,
// the independent ops of a large program's run, several at a time (a training
// step's gate products and weight gradients; GORNN_SCHEDULE=serial at an
// executor's first run keeps them in order). It is runtime.GOMAXPROCS(0)
// at the time of the call, at most the value of the environment variable
// GORNN_THREADS when that is a positive integer at start-up.
//
// To run gornn on fewer cores, start the program with GOMAXPROCS=n or
// GORNN_THREADS=n (the latter leaves the rest of the program its
// GOMAXPROCS), or call runtime.GOMAXPROCS(n). Results do not depend on
// it: every element of a product, every op of a run and every predicted
// sample is computed by the same instructions on any number of threads.
func Threads() int { return simd.Threads() }

// Kernels names the float32 inner loops this process runs: "AVX-512 and
// AVX2+FMA assembly" where the processor has AVX-512F (matrix products of
// four rows or more, the sigmoid and tanh on 512-bit vectors, the rest on
// 256-bit ones), "AVX2+FMA assembly" where it has AVX2 and FMA only or
// the environment variable GORNN_SIMD is avx2, and "plain Go" elsewhere or
// with GORNN_SIMD=off. The two assembly paths give the same bits; plain
// Go agrees with them to a few float32 ulps.
func Kernels() string {
	switch {
	case simd.Wide():
		return "AVX-512 and AVX2+FMA assembly"
	case simd.Enabled:
		return "AVX2+FMA assembly"
	}
	return "plain Go"
}
