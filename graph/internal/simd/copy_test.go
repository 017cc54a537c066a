package simd

import (
	"math"
	"testing"
)

// TestCopyRows copies every width to 40 over strides with gaps, checking
// the copied elements and that nothing else in dst changed.
func TestCopyRows(t *testing.T) {
	testRowsKernel(t, CopyRows, func(i int) float32 { return float32(i) + 0.5 }, -1, func(v float32) float32 { return v })
}

// TestCopyRowsAddZero copies every width to 40 over strides with gaps,
// with −0, ±Inf, a subnormal and NaNs (quiet and signalling, with
// payloads) among the values, checking each copied element bit for bit
// against v + 0 (so −0 becomes +0) and that nothing else in dst changed
// (it holds −0, to see what is written).
func TestCopyRowsAddZero(t *testing.T) {
	special := []float32{
		float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(1), math.Float32frombits(0x7fc00001), math.Float32frombits(0xffa00003), -2.5,
	}
	src := func(i int) float32 {
		if i%3 == 1 {
			return special[(i/3)%len(special)]
		}
		return float32(i) + 0.5
	}
	testRowsKernel(t, CopyRowsAddZero, src, float32(math.Copysign(0, -1)), func(v float32) float32 { return v + 0 })
}

// testRowsKernel runs a strided rows kernel (CopyRows' arguments) on both
// paths over every width to 40 and a few row counts, with src's elements
// from src and dst's from fill, and checks every element of dst bit for
// bit: want of the source element inside the rows, fill elsewhere; and
// that bad arguments panic.
func testRowsKernel(t *testing.T, f func(dst []float32, ldd int, src []float32, lds, rows, w int), src func(int) float32, fill float32, want func(float32) float32) {
	t.Helper()
	paths(t, func(t *testing.T) {
		for w := 0; w <= 40; w++ {
			for _, rows := range []int{0, 1, 3, 9} {
				lds, ldd := w+5, w+3
				s := make([]float32, rows*lds+1)
				for i := range s {
					s[i] = src(i)
				}
				dst := make([]float32, rows*ldd+1)
				for i := range dst {
					dst[i] = fill
				}
				n := 0
				if rows > 0 {
					n = (rows-1)*ldd + w
				}
				f(dst[:max(n, 0)], ldd, s, lds, rows, w)
				for i, v := range dst {
					r, c := i/ldd, i%ldd
					e := fill
					if r < rows && c < w {
						e = want(s[r*lds+c])
					}
					if math.Float32bits(v) != math.Float32bits(e) {
						t.Fatalf("w %d, rows %d: dst[%d] = %g (%#x), want %g (%#x)", w, rows, i, v, math.Float32bits(v), e, math.Float32bits(e))
					}
				}
			}
		}
		for _, bad := range []func(){
			func() { f(make([]float32, 10), 5, make([]float32, 10), 5, 3, 5) },
			func() { f(make([]float32, 20), 4, make([]float32, 20), 5, 2, 5) },
			func() { f(nil, 5, nil, 5, -1, 5) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("no panic for a bad argument")
					}
				}()
				bad()
			}()
		}
	})
}

func BenchmarkCopyRows(b *testing.B) {
	const rows, w, ld = 10000, 20, 80
	src, dst := make([]float32, rows*ld), make([]float32, rows*w)
	for _, asm := range []bool{true, false} {
		if asm && !hasAVX2FMA {
			continue
		}
		name := "go"
		if asm {
			name = "asm"
		}
		b.Run(name, func(b *testing.B) {
			saved := Enabled
			Enabled = asm
			defer func() { Enabled = saved }()
			for b.Loop() {
				CopyRows(dst, w, src[20:], ld, rows, w)
			}
		})
	}
}
