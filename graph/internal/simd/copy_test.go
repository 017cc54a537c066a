package simd

import (
	"math"
	"testing"
)

// TestCopyRows copies every width to 40 over strides with gaps, checking
// the copied elements and that nothing else in dst changed.
func TestCopyRows(t *testing.T) {
	paths(t, func(t *testing.T) {
		for w := 0; w <= 40; w++ {
			for _, rows := range []int{0, 1, 3, 9} {
				lds, ldd := w+5, w+3
				src := make([]float32, rows*lds+1)
				for i := range src {
					src[i] = float32(i) + 0.5
				}
				dst := make([]float32, rows*ldd+1)
				for i := range dst {
					dst[i] = -1
				}
				n := 0
				if rows > 0 {
					n = (rows-1)*ldd + w
				}
				CopyRows(dst[:max(n, 0)], ldd, src, lds, rows, w)
				for i, v := range dst {
					r, c := i/ldd, i%ldd
					want := float32(-1)
					if r < rows && c < w {
						want = src[r*lds+c]
					}
					if v != want {
						t.Fatalf("w %d, rows %d: dst[%d] = %g, want %g", w, rows, i, v, want)
					}
				}
			}
		}
		for _, f := range []func(){
			func() { CopyRows(make([]float32, 10), 5, make([]float32, 10), 5, 3, 5) },
			func() { CopyRows(make([]float32, 20), 4, make([]float32, 20), 5, 2, 5) },
			func() { CopyRows(nil, 5, nil, 5, -1, 5) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("no panic for a bad argument")
					}
				}()
				f()
			}()
		}
	})
}

// TestCopyRowsAddZero copies every width to 40 over strides with gaps,
// with −0, ±Inf, a subnormal and NaNs (quiet and signalling, with
// payloads) among the values, checking each copied element bit for bit
// against v + 0 (so −0 becomes +0) and that nothing else in dst changed.
func TestCopyRowsAddZero(t *testing.T) {
	special := []float32{
		float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(1), math.Float32frombits(0x7fc00001), math.Float32frombits(0xffa00003), -2.5,
	}
	paths(t, func(t *testing.T) {
		for w := 0; w <= 40; w++ {
			for _, rows := range []int{0, 1, 3, 9} {
				lds, ldd := w+5, w+3
				src := make([]float32, rows*lds+1)
				for i := range src {
					src[i] = float32(i) + 0.5
					if i%3 == 1 {
						src[i] = special[(i/3)%len(special)]
					}
				}
				dst := make([]float32, rows*ldd+1)
				for i := range dst {
					dst[i] = float32(math.Copysign(0, -1)) // −0, to see what is written
				}
				n := 0
				if rows > 0 {
					n = (rows-1)*ldd + w
				}
				CopyRowsAddZero(dst[:max(n, 0)], ldd, src, lds, rows, w)
				for i, v := range dst {
					r, c := i/ldd, i%ldd
					want := float32(math.Copysign(0, -1))
					if r < rows && c < w {
						want = src[r*lds+c] + 0
					}
					if math.Float32bits(v) != math.Float32bits(want) {
						t.Fatalf("w %d, rows %d: dst[%d] = %#x, want %#x", w, rows, i, math.Float32bits(v), math.Float32bits(want))
					}
				}
			}
		}
		for _, f := range []func(){
			func() { CopyRowsAddZero(make([]float32, 10), 5, make([]float32, 10), 5, 3, 5) },
			func() { CopyRowsAddZero(make([]float32, 20), 4, make([]float32, 20), 5, 2, 5) },
			func() { CopyRowsAddZero(nil, 5, nil, 5, -1, 5) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("no panic for a bad argument")
					}
				}()
				f()
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
