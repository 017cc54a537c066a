package simd

import (
	"math"
	"unsafe"

	"github.com/chewxy/math32"
)

// Sigmoid sets dst[i] = 1/(1 + e^-x[i]) for every element of x, within a
// few float32 ulps; it is exactly 0 below -88 and rounds to 1 above about
// 17. NaN stays NaN. dst must be at least as long as x; they may be the
// same slice.
func Sigmoid(dst, x []float32) {
	dst = checkDst(dst, len(x))
	if len(x) >= 2*elemPartWork {
		if parts := elemParts(len(x)); parts > 1 {
			elemParallel(parts, elemArgs{kind: sigmoidKind, dst: dst, a: x})
			return
		}
	}
	sigmoid(dst, x)
}

// sigmoid is Sigmoid on the calling goroutine, with dst checked.
func sigmoid(dst, x []float32) {
	if !Enabled {
		for i, v := range x {
			dst[i] = sigmoidGo(v)
		}
		return
	}
	vector(false, dst, x)
}

// Tanh sets dst[i] = tanh(x[i]) for every element of x, within a few
// float32 ulps. dst must be at least as long as x; they may be the same
// slice.
func Tanh(dst, x []float32) {
	dst = checkDst(dst, len(x))
	if len(x) >= 2*elemPartWork {
		if parts := elemParts(len(x)); parts > 1 {
			elemParallel(parts, elemArgs{kind: tanhKind, dst: dst, a: x})
			return
		}
	}
	tanh(dst, x)
}

// tanh is Tanh on the calling goroutine, with dst checked.
func tanh(dst, x []float32) {
	if !Enabled {
		for i, v := range x {
			dst[i] = math32.Tanh(v)
		}
		return
	}
	vector(true, dst, x)
}

// checkDst returns dst[:n], or panics if dst is shorter than n (not just
// its capacity).
func checkDst(dst []float32, n int) []float32 {
	if len(dst) < n {
		panic("simd: destination shorter than the input")
	}
	return dst[:n]
}

// vector runs the eight-lane sigmoid or tanh over x, the last len(x) mod 8
// elements through the last eight again (or, for fewer than eight or when
// dst and x share memory, through a zero-padded block) so that every
// element goes through the same instructions wherever it sits. The kernels are called directly,
// not through a func value, so that the padded block stays on the stack.
func vector(tanh bool, dst, x []float32) {
	run := func(dst, x *float32, n int) {
		if wide && n >= 16 {
			// Sixteen lanes at a time, the last n%16 (eight) in eight: the
			// same bits either way.
			n16 := n &^ 15
			if tanh {
				tanhAVX512(dst, x, n16)
			} else {
				sigmoidAVX512(dst, x, n16)
			}
			if n16 == n {
				return
			}
			dst = (*float32)(unsafe.Add(unsafe.Pointer(dst), 4*n16))
			x = (*float32)(unsafe.Add(unsafe.Pointer(x), 4*n16))
			n -= n16
		}
		if tanh {
			tanhAVX2(dst, x, n)
		} else {
			sigmoidAVX2(dst, x, n)
		}
	}
	n := len(x) &^ 7
	if n > 0 {
		run(&dst[0], &x[0], n)
	}
	r := len(x) - n
	if r > 0 && n > 0 && !Overlap(dst, x) {
		// The last eight elements again, ending at the end: the ones
		// already done get the same values from the same instructions,
		// without a padded copy in and out (a [1, 20] gate's tail).
		run(&dst[len(x)-8], &x[len(x)-8], 8)
		return
	}
	if r > 0 {
		var in, out [8]float32
		copy(in[:], x[n:])
		run(&out[0], &in[0], 8)
		copy(dst[n:], out[:r])
	}
}

// Overlap reports whether a and b share memory.
func Overlap(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa, pb := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	return pa < pb+uintptr(len(b))*4 && pb < pa+uintptr(len(a))*4
}

// sigmoidGo is the plain-Go sigmoid.
func sigmoidGo(x float32) float32 {
	if x < -88 {
		return 0
	}
	if x > 18 {
		return 1 // 1/(1+e^-18) rounds to 1 in float32
	}
	return 1 / (1 + exp32(-x))
}

// exp32 returns e^x for x in [-87, 88] to within a few float32 ulps; outside
// it the result is wrong, not clamped: x = n·ln2 + r with |r| ≤ ln2/2, e^r
// by its Taylor polynomial of degree 7 (truncation error below 6e-9), and
// 2^n put in the exponent bits. It is several times faster than going
// through math.Exp in float64.
func exp32(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375 // ln 2 split so that n·ln2hi is exact
		ln2lo = -2.12194440e-4
	)
	t := x * log2e
	if t < 0 {
		t -= 0.5
	} else {
		t += 0.5
	}
	n := int32(t)
	fn := float32(n)
	r := (x - fn*ln2hi) - fn*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float32frombits(uint32(n+127)<<23)
}
