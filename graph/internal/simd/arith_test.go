package simd

import (
	"math"
	"testing"
)

// TestArith checks VV, VS and SV against Go's own arithmetic bit for bit,
// for every length up to 70 (the 32-, 8- and 1-wide parts), special
// values, and dst aliasing an operand.
func TestArith(t *testing.T) {
	paths(t, func(t *testing.T) {
		special := []float32{0, float32(math.Copysign(0, -1)), 1, -3.5, float32(math.Inf(1)), float32(math.Inf(-1)),
			float32(math.NaN()), math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-30}
		ops := []struct {
			op Op
			f  func(a, b float32) float32
		}{
			{Add, func(a, b float32) float32 { return a + b }},
			{Sub, func(a, b float32) float32 { return a - b }},
			{Mul, func(a, b float32) float32 { return a * b }},
			{Div, func(a, b float32) float32 { return a / b }},
		}
		same := func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) || (x != x && y != y) }
		for n := 0; n <= 70; n++ {
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i] = special[i%len(special)] + float32(i)*0.25
				b[i] = special[(i*7+3)%len(special)] - float32(i)*0.5
			}
			for _, o := range ops {
				dst := make([]float32, n+1)
				dst[n] = 42
				VV(o.op, dst, a, b)
				for i := range a {
					if !same(dst[i], o.f(a[i], b[i])) {
						t.Fatalf("VV op %d, length %d, element %d: %g, want %g", o.op, n, i, dst[i], o.f(a[i], b[i]))
					}
				}
				if dst[n] != 42 {
					t.Fatalf("VV op %d, length %d: wrote past the end", o.op, n)
				}
				for _, s := range special {
					VS(o.op, dst, a, s)
					for i := range a {
						if !same(dst[i], o.f(a[i], s)) {
							t.Fatalf("VS op %d, length %d, element %d, s %g: %g, want %g", o.op, n, i, s, dst[i], o.f(a[i], s))
						}
					}
					SV(o.op, dst, s, a)
					for i := range a {
						if !same(dst[i], o.f(s, a[i])) {
							t.Fatalf("SV op %d, length %d, element %d, s %g: %g, want %g", o.op, n, i, s, dst[i], o.f(s, a[i]))
						}
					}
					if dst[n] != 42 {
						t.Fatalf("op %d, length %d: wrote past the end", o.op, n)
					}
				}
				// In place, over a and over b.
				c := append([]float32(nil), a...)
				VV(o.op, c, c, b)
				for i := range a {
					if !same(c[i], o.f(a[i], b[i])) {
						t.Fatalf("VV in place op %d, length %d, element %d", o.op, n, i)
					}
				}
				c = append(c[:0], b...)
				VV(o.op, c, a, c)
				for i := range a {
					if !same(c[i], o.f(a[i], b[i])) {
						t.Fatalf("VV in place of b, op %d, length %d, element %d", o.op, n, i)
					}
				}
			}
		}
	})
}

func BenchmarkArith(b *testing.B) {
	for _, n := range []int{160, 200000} {
		x, y, dst := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], y[i] = float32(i), float32(n-i)
		}
		for _, asm := range []bool{true, false} {
			if asm && !hasAVX2FMA {
				continue
			}
			name := "go/"
			if asm {
				name = "asm/"
			}
			b.Run(name+itoa(n), func(b *testing.B) {
				saved := Enabled
				Enabled = asm
				defer func() { Enabled = saved }()
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					VV(Add, dst, x, y)
				}
			})
		}
	}
}

// TestAddRows checks AddRows against Go's addition bit for bit for row
// lengths around the 8-wide parts (1 is VS's path), in place and not,
// with special values in both operands; that it writes nothing past the
// rows; and that a length that is not a multiple of the row panics.
func TestAddRows(t *testing.T) {
	paths(t, func(t *testing.T) {
		special := []float32{0, float32(math.Copysign(0, -1)), 1, -3.5, float32(math.Inf(1)), float32(math.Inf(-1)),
			float32(math.NaN()), math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-30}
		same := func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) || (x != x && y != y) }
		for _, c := range []int{1, 2, 7, 8, 9, 15, 16, 20, 31, 33, 60, 64, 80} {
			for _, rows := range []int{0, 1, 3, 4, 8} {
				n := rows * c
				x, row := make([]float32, n), make([]float32, c)
				for i := range x {
					x[i] = special[i%len(special)] + float32(i)*0.25
				}
				for j := range row {
					row[j] = special[(j*7+3)%len(special)] - float32(j)*0.5
				}
				for _, inPlace := range []bool{false, true} {
					dst := make([]float32, n+1)
					dst[n] = 42
					src := x
					if inPlace {
						copy(dst, x)
						src = dst[:n]
					}
					AddRows(dst, src, row)
					for i := 0; i < n; i++ {
						if want := x[i] + row[i%c]; !same(dst[i], want) {
							t.Fatalf("c %d, rows %d, in place %v, element %d: %g, want %g", c, rows, inPlace, i, dst[i], want)
						}
					}
					if dst[n] != 42 {
						t.Fatalf("c %d, rows %d: wrote past the end", c, rows)
					}
				}
			}
		}
		defer func() {
			if recover() == nil {
				t.Error("AddRows of 5 elements and a row of 2 did not panic")
			}
		}()
		AddRows(make([]float32, 5), make([]float32, 5), make([]float32, 2))
	})
}

func TestSumRows(t *testing.T) {
	paths(t, func(t *testing.T) {
		same := func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) || (x != x && y != y) }
		negZero := float32(math.Copysign(0, -1))
		for _, c := range []int{1, 2, 7, 8, 9, 15, 16, 20, 24, 31, 32, 33, 40, 80, 100} {
			for _, rows := range []int{0, 1, 2, 3, 8, 13} {
				n := rows * c
				x := make([]float32, n)
				for i := range x {
					// Values of mixed magnitude, so that another order
					// of the additions rounds differently.
					x[i] = float32(math.Sin(float64(i)*1.7)) * float32(math.Pow(10, float64(i%7-3)))
				}
				if c > 3 {
					// A column of negative zeros sums to +0 from zero;
					// one with a NaN, an infinity and a huge value.
					for r := 0; r < rows; r++ {
						x[r*c+1] = negZero
					}
					if rows > 0 {
						x[2] = float32(math.NaN())
						x[c-1] = float32(math.Inf(1))
						x[(rows-1)*c+3] = math.MaxFloat32
					}
				}
				dst := make([]float32, c+1)
				for j := range dst {
					dst[j] = 42
				}
				SumRows(dst[:c], x)
				for j := 0; j < c; j++ {
					var want float32
					for r := 0; r < rows; r++ {
						want += x[r*c+j]
					}
					if !same(dst[j], want) {
						t.Fatalf("c %d, rows %d, column %d: %g, want %g", c, rows, j, dst[j], want)
					}
				}
				if dst[c] != 42 {
					t.Fatalf("c %d, rows %d: wrote past the end", c, rows)
				}
			}
		}
		SumRows(nil, nil) // no columns, no rows: nothing to do, no panic
		for _, tc := range []struct {
			name string
			f    func()
		}{
			{"5 elements into 2 columns", func() { SumRows(make([]float32, 2), make([]float32, 5)) }},
			{"dst over x's last row", func() { x := make([]float32, 40); SumRows(x[20:], x) }},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("SumRows of %s did not panic", tc.name)
					}
				}()
				tc.f()
			}()
		}
	})
}

// TestNeg checks Neg against Go's negation bit for bit (NaN payloads and
// zeros' signs included) for every length up to 70, in place and not.
func TestNeg(t *testing.T) {
	paths(t, func(t *testing.T) {
		special := []float32{0, float32(math.Copysign(0, -1)), 1, -3.5, float32(math.Inf(1)), float32(math.Inf(-1)),
			math.Float32frombits(0x7fc0_1234), math.Float32frombits(0xffc0_0001), math.MaxFloat32, math.SmallestNonzeroFloat32}
		for n := 0; n <= 70; n++ {
			a := make([]float32, n)
			for i := range a {
				a[i] = special[i%len(special)]
				if i%3 == 2 {
					a[i] *= float32(i)
				}
			}
			dst := make([]float32, n+1)
			dst[n] = 42
			Neg(dst, a)
			c := append([]float32(nil), a...)
			Neg(c, c)
			for i, v := range a {
				if math.Float32bits(dst[i]) != math.Float32bits(-v) || math.Float32bits(c[i]) != math.Float32bits(-v) {
					t.Fatalf("length %d, element %d: Neg(%#08x) = %#08x (in place %#08x), want %#08x", n, i,
						math.Float32bits(v), math.Float32bits(dst[i]), math.Float32bits(c[i]), math.Float32bits(-v))
				}
			}
			if dst[n] != 42 {
				t.Fatalf("length %d: wrote past the end", n)
			}
		}
		defer func() {
			if recover() == nil {
				t.Error("Neg into a shorter destination did not panic")
			}
		}()
		Neg(make([]float32, 2), make([]float32, 3))
	})
}

// TestAddRowsStrided checks the strided bias addition bit for bit
// against Go's additions, for row widths around the vector sizes, strides
// wider than the rows, and that it writes nothing outside its rows.
func TestAddRowsStrided(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		for _, c := range []int{1, 3, 7, 8, 9, 15, 16, 20, 23, 24, 40} {
			for _, rows := range []int{1, 2, 5} {
				for _, pad := range []int{0, 3, 20} {
					ldx, ldd := c+pad+1, c+pad
					x := make([]float32, (rows-1)*ldx+c)
					for i := range x {
						x[i] = float32(i)*0.37 - 5
					}
					row := make([]float32, c)
					for j := range row {
						row[j] = float32(j)*1.25 + 0.1
					}
					dst := make([]float32, (rows-1)*ldd+c+1)
					for i := range dst {
						dst[i] = 42
					}
					AddRowsStrided(dst, ldd, x, ldx, row, rows)
					for r := 0; r < rows; r++ {
						for j := 0; j < ldd && r*ldd+j < len(dst); j++ {
							got := dst[r*ldd+j]
							want := float32(42)
							if j < c {
								want = x[r*ldx+j] + row[j]
							}
							if math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("c %d, rows %d, pad %d: dst[%d][%d] = %v, want %v", c, rows, pad, r, j, got, want)
							}
						}
					}
					if dst[len(dst)-1] != 42 {
						t.Fatalf("c %d, rows %d, pad %d: wrote past the last row", c, rows, pad)
					}
				}
			}
		}
	})
	for _, f := range []func(){
		func() { AddRowsStrided(make([]float32, 10), 5, make([]float32, 10), 5, make([]float32, 6), 1) },
		func() { AddRowsStrided(make([]float32, 9), 5, make([]float32, 10), 5, make([]float32, 5), 2) },
		func() { AddRowsStrided(make([]float32, 10), 5, make([]float32, 10), 5, make([]float32, 5), -1) },
		func() { x := make([]float32, 20); AddRowsStrided(x[2:], 8, x, 8, make([]float32, 8), 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

// TestAddOuterRowsStrided checks AddOuterRowsStrided bit for bit against
// its definition (the product rounded once, as a fused multiply-add onto
// zero, then the two additions in order) on every path, and on the
// assembly paths against what it replaces: GemmStrided of inner size 1,
// VV's addition and AddRowsStrided in turn. The operands include zeros of
// both signs, products that round to zero or a subnormal, and NaN-free
// large values; rows in strides wider than the row, both orders.
func TestAddOuterRowsStrided(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 3e-39, 1e30, -2.5, 7}
	gemmPaths(t, func(t *testing.T) {
		for _, c := range []int{1, 3, 7, 8, 9, 15, 16, 20, 23, 24, 40} {
			for _, rows := range []int{1, 2, 5} {
				for _, pad := range []int{0, 3} {
					for _, first := range []bool{true, false} {
						ldb, ldd, incx := c+pad+1, c+pad, 1+pad
						val := func(i int, scale float32) float32 {
							if i%5 == 0 {
								return special[(i/5)%len(special)]
							}
							return float32(i%17)*scale - 3
						}
						big := make([]float32, (rows-1)*ldb+c)
						for i := range big {
							big[i] = val(i, 0.37)
						}
						x := make([]float32, (rows-1)*incx+1)
						for i := range x {
							x[i] = val(i+2, 0.11)
						}
						w := make([]float32, c)
						row := make([]float32, c)
						for j := range w {
							w[j] = val(j+1, 0.29)
							row[j] = val(j+3, 1.25)
						}
						dst := make([]float32, (rows-1)*ldd+c+1)
						for i := range dst {
							dst[i] = 42
						}
						AddOuterRowsStrided(dst, ldd, big, ldb, x, incx, w, row, rows, first)
						// What it replaces, on the assembly paths.
						var tile, sum []float32
						if Enabled {
							tile = make([]float32, rows*c)
							GemmStrided(rows, c, 1, x, incx, 1, w, c, tile, c)
							sum = make([]float32, rows*c)
							for r := range rows {
								a, b := tile[r*c:(r+1)*c], big[r*ldb:r*ldb+c]
								if !first {
									a, b = b, a
								}
								VV(Add, sum[r*c:(r+1)*c], a, b)
							}
						}
						for r := range rows {
							for j := 0; j < ldd && r*ldd+j < len(dst); j++ {
								got := dst[r*ldd+j]
								want := float32(42)
								if j < c {
									p := float32(math.FMA(float64(x[r*incx]), float64(w[j]), 0))
									s := big[r*ldb+j] + p
									if first {
										s = p + big[r*ldb+j]
									}
									want = s + row[j]
									if Enabled {
										if old := sum[r*c+j] + row[j]; math.Float32bits(old) != math.Float32bits(want) {
											t.Fatalf("c %d, rows %d: the replaced kernels give %v at [%d][%d], the definition %v", c, rows, old, r, j, want)
										}
									}
								}
								if math.Float32bits(got) != math.Float32bits(want) {
									t.Fatalf("c %d, rows %d, pad %d, first %v: dst[%d][%d] = %v, want %v", c, rows, pad, first, r, j, got, want)
								}
							}
						}
						if dst[len(dst)-1] != 42 {
							t.Fatalf("c %d, rows %d, pad %d: wrote past the last row", c, rows, pad)
						}
					}
				}
			}
		}
	})
	// NaN payloads, on the assembly: the kernels it replaces keep the
	// first operand's NaN (x's in the product, then p's or big's by the
	// order, then the sum's against the row's); so does it.
	if hasAVX2FMA {
		savedE := Enabled
		Enabled = true
		nan := func(payload uint32) float32 { return math.Float32frombits(0x7fc00000 | payload) }
		for _, c := range []int{8, 13, 20} {
			for _, first := range []bool{true, false} {
				const rows = 3
				big := make([]float32, rows*c)
				x := []float32{nan(1), 2, nan(3)}
				w := make([]float32, c)
				row := make([]float32, c)
				for j := range w {
					w[j], row[j] = float32(j), nan(uint32(100+j))
				}
				for i := range big {
					if i%3 == 0 {
						big[i] = nan(uint32(200 + i))
					}
				}
				w[2] = nan(7)
				dst := make([]float32, rows*c)
				AddOuterRowsStrided(dst, c, big, c, x, 1, w, row, rows, first)
				tile, sum := make([]float32, rows*c), make([]float32, rows*c)
				GemmStrided(rows, c, 1, x, 1, 1, w, c, tile, c)
				if first {
					VV(Add, sum, tile, big)
				} else {
					VV(Add, sum, big, tile)
				}
				want := make([]float32, rows*c)
				AddRowsStrided(want, c, sum, c, row, rows)
				for i := range want {
					if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
						t.Fatalf("NaNs, c %d, first %v: element %d = %#x, the replaced kernels %#x", c, first, i, math.Float32bits(dst[i]), math.Float32bits(want[i]))
					}
				}
			}
		}
		Enabled = savedE
	}
	for _, f := range []func(){
		func() {
			AddOuterRowsStrided(make([]float32, 10), 5, make([]float32, 10), 5, make([]float32, 2), 1, make([]float32, 5), make([]float32, 6), 1, true)
		},
		func() {
			AddOuterRowsStrided(make([]float32, 9), 5, make([]float32, 10), 5, make([]float32, 2), 1, make([]float32, 5), make([]float32, 5), 2, true)
		},
		func() {
			AddOuterRowsStrided(make([]float32, 10), 5, make([]float32, 10), 5, make([]float32, 1), 1, make([]float32, 5), make([]float32, 5), 2, true)
		},
		func() {
			AddOuterRowsStrided(make([]float32, 10), 5, make([]float32, 10), 5, make([]float32, 2), 0, make([]float32, 5), make([]float32, 5), 2, true)
		},
		func() {
			AddOuterRowsStrided(make([]float32, 10), 5, make([]float32, 10), 5, make([]float32, 2), 1, make([]float32, 5), make([]float32, 5), -1, true)
		},
		func() {
			v := make([]float32, 20)
			AddOuterRowsStrided(v[2:], 8, v, 8, make([]float32, 2), 1, make([]float32, 8), make([]float32, 8), 2, false)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

// BenchmarkAddOuterRows: W6's gate slices from a tile of 48 rows (a
// product-and-sum group's tile at 80 columns, 4,096 elements at most) of
// 80 columns (LSTM(20)'s four gates), one input feature:
// the outer product computed into a tile, added by VV and the bias row
// added into each 20-column slice by AddRowsStrided ("composed"), against
// AddOuterRowsStrided ("fused").
func BenchmarkAddOuterRows(b *testing.B) {
	const rows, n, w = 48, 80, 20
	big := make([]float32, rows*n)
	x := make([]float32, rows)
	wv := make([]float32, n)
	row := make([]float32, n)
	for i := range big {
		big[i] = float32(i%13) * 0.1
	}
	for i := range x {
		x[i] = float32(i%7) * 0.3
	}
	for j := range wv {
		wv[j], row[j] = float32(j)*0.01, float32(j)*0.02
	}
	tile, sum := make([]float32, rows*n), make([]float32, rows*n)
	slices := make([][]float32, n/w)
	for j := range slices {
		slices[j] = make([]float32, rows*w)
	}
	b.Run("composed", func(b *testing.B) {
		for b.Loop() {
			GemmStrided(rows, n, 1, x, 1, 1, wv, n, tile, n)
			VV(Add, sum, tile, big)
			for j, s := range slices {
				AddRowsStrided(s, w, sum[j*w:], n, row[j*w:(j+1)*w], rows)
			}
		}
	})
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			for j, s := range slices {
				AddOuterRowsStrided(s, w, big[j*w:], n, x, 1, wv[j*w:(j+1)*w], row[j*w:(j+1)*w], rows, true)
			}
		}
	})
}
