package trainers

import (
	"os"

	"golang.org/x/sys/cpu"
)

// sgdVector reports whether the plain SGD update of float32 weights runs
// in AVX (sgd_amd64.s): four weights at a time in float64, the same
// operations as sgdOf's Go loop (a product, a difference, a conversion),
// so the same bits. GORNN_SIMD=off turns it off with the library's other
// assembly; tests switch it to compare the two paths.
var sgdVector = cpu.X86.HasAVX && os.Getenv("GORNN_SIMD") != "off"

// sgdAVX sets nw[j] = float32(float64(w[j]) - lr·float64(grad[j])) for the
// n weights (n a positive multiple of 4) and returns the sum of each new
// weight's v − v in float64: 0 exactly when all are finite.
//
//go:noescape
func sgdAVX(nw, w, grad *float32, n int, lr float64) float64
