package trainers

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSGD32MatchesGo compares the assembly SGD update of float32 weights
// with the Go loop bit for bit, new weights and finiteness answer, for
// lengths 0 to 37 (the four-wide part and the tail), learning rates of
// several magnitudes, and weights and gradients that overflow, underflow
// or are not finite.
func TestSGD32MatchesGo(t *testing.T) {
	if !sgdVector {
		t.Log("no AVX (or GORNN_SIMD=off): only the Go loop runs, nothing to compare")
		return
	}
	rnd := rand.New(rand.NewPCG(21, 22))
	special := []float32{0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
		1e-38, float32(math.Inf(1)), float32(math.NaN())}
	for n := 0; n <= 37; n++ {
		for _, lr := range []float64{0.01, 0.1, 1e-7, 3.5, 1e30} {
			for trial := 0; trial < 4; trial++ {
				w, g := make([]float32, n), make([]float32, n)
				for i := range w {
					w[i] = float32(rnd.NormFloat64())
					g[i] = float32(rnd.NormFloat64() * math.Pow(10, float64(rnd.IntN(7)-3)))
					if trial == 3 && rnd.IntN(4) == 0 {
						w[i] = special[rnd.IntN(len(special))]
					}
					if trial == 2 && rnd.IntN(4) == 0 {
						g[i] = special[rnd.IntN(len(special))]
					}
				}
				want, got := make([]float32, n), make([]float32, n+1)
				got[n] = 42
				okGo := sgdOf(want, w, g, lr)
				okAsm := okGo
				if n >= 4 {
					okAsm = sgd32(got[:n], w, g, lr)
				} else {
					okAsm = sgdOf(got[:n], w, g, lr)
				}
				if okAsm != okGo {
					t.Fatalf("n %d, lr %g, trial %d: finite %v, Go loop %v", n, lr, trial, okAsm, okGo)
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
						t.Fatalf("n %d, lr %g, trial %d, weight %d: %v (%#08x), Go loop %v (%#08x)", n, lr, trial, i,
							got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
				if got[n] != 42 {
					t.Fatalf("n %d: wrote past the end", n)
				}
			}
		}
	}
}
