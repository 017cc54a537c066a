package simd

import "os"

// Enabled reports whether the assembly kernels run. It is set once at
// start-up from the processor's features and GORNN_SIMD; tests switch it
// to exercise both paths, which must not happen while kernels run.
var Enabled = hasAVX2FMA && os.Getenv("GORNN_SIMD") != "off"

// wide reports whether the matrix products of four rows or more, the
// sigmoid and tanh run on 512-bit AVX-512 kernels instead of the 256-bit
// AVX2 ones: where the processor has AVX-512F, unless GORNN_SIMD is avx2.
// Both compute every element with the same operations in the same order,
// so results are the same bit for bit; tests switch it to check that.
var wide = Enabled && hasAVX512 && os.Getenv("GORNN_SIMD") != "avx2"

// Wide reports whether the 512-bit kernels run (see wide).
func Wide() bool { return wide }
