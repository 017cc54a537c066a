package simd

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guardedFloats returns a slice of size float32s that ends exactly where
// an inaccessible page begins, so that any read or write past its end
// faults, and a function that unmaps it.
func guardedFloats(t *testing.T, size int) ([]float32, func()) {
	t.Helper()
	page := syscall.Getpagesize()
	data := (size*4 + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, data+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(mem[data:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	f := unsafe.Slice((*float32)(unsafe.Pointer(&mem[data-size*4])), size)
	return f, func() { syscall.Munmap(mem) }
}

// TestGemmGuardPages puts the end of a, b and c against unmapped memory:
// the masked loads and stores of the last columns must not touch it.
func TestGemmGuardPages(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		check := func(m, n, k int, a, b, c []float32) {
			t.Helper()
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var want float64
					for l := 0; l < k; l++ {
						want += float64(a[i*k+l]) * float64(b[l*n+j])
					}
					if d := float64(c[i*n+j]) - want; d > 1e-5 || d < -1e-5 {
						t.Fatalf("m=%d n=%d k=%d: c[%d][%d] = %v, want %v", m, n, k, i, j, c[i*n+j], want)
					}
				}
			}
		}
		rnd := rand.New(rand.NewPCG(7, 8))
		for _, m := range []int{1, 3, 4, 5} {
			for n := 1; n <= 41; n++ {
				for _, k := range []int{1, 5} {
					a, freeA := guardedFloats(t, m*k)
					b, freeB := guardedFloats(t, k*n)
					c, freeC := guardedFloats(t, m*n)
					for i := range a {
						a[i] = float32(rnd.Float64())
					}
					for i := range b {
						b[i] = float32(rnd.Float64())
					}
					Gemm(m, n, k, a, k, b, n, c, n)
					check(m, n, k, a, b, c)
					// a read transposed in place: the same elements at
					// a[l·m + i] end against the guard page too.
					at, freeAT := guardedFloats(t, m*k)
					for i := 0; i < m; i++ {
						for l := 0; l < k; l++ {
							at[l*m+i] = a[i*k+l]
						}
					}
					clear(c)
					GemmStrided(m, n, k, at, 1, m, b, n, c, n)
					check(m, n, k, a, b, c)
					freeAT()
					freeA()
					freeB()
					freeC()
				}
			}
		}
	})
}

// TestAddRowsStridedGuardPages puts the end of dst, x and row against
// unmapped memory: the last vector of the last row (masked on AVX-512,
// overlapping on AVX2) must not touch it.
func TestAddRowsStridedGuardPages(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		for _, c := range []int{1, 5, 8, 16, 17, 20, 33} {
			const rows = 3
			ldx, ldd := c+7, c+2
			x, freeX := guardedFloats(t, (rows-1)*ldx+c)
			row, freeRow := guardedFloats(t, c)
			dst, freeDst := guardedFloats(t, (rows-1)*ldd+c)
			for i := range x {
				x[i] = float32(i)
			}
			for j := range row {
				row[j] = float32(j) / 4
			}
			AddRowsStrided(dst, ldd, x, ldx, row, rows)
			for r := 0; r < rows; r++ {
				for j := 0; j < c; j++ {
					if got, want := dst[r*ldd+j], x[r*ldx+j]+row[j]; got != want {
						t.Fatalf("c %d: dst[%d][%d] = %v, want %v", c, r, j, got, want)
					}
				}
			}
			freeX()
			freeRow()
			freeDst()
		}
	})
}
