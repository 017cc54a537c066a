package simd

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmSentinel fills the gaps between rows and the guard zones around c.
// It is a NaN with a payload no arithmetic produces.
var gemmSentinel = math.Float32frombits(0x7fc0_1234)

func isGemmSentinel(x float32) bool { return math.Float32bits(x) == 0x7fc0_1234 }

// gemmGuard is the number of sentinels before and after each matrix.
const gemmGuard = 9

// gemmMatrix is a rows×cols matrix with row stride ld, stored in buf
// between gemmGuard sentinels on each side; s is the exact slice Gemm
// gets, (rows-1)·ld + cols long, capacity included.
type gemmMatrix struct {
	rows, cols, ld int
	buf, s         []float32
}

func newGemmMatrix(rows, cols, ld int, rnd *rand.Rand) gemmMatrix {
	size := 0
	if rows > 0 {
		size = (rows-1)*ld + cols
	}
	buf := make([]float32, gemmGuard+size+gemmGuard)
	for i := range buf {
		buf[i] = gemmSentinel
	}
	g := gemmMatrix{rows, cols, ld, buf, buf[gemmGuard : gemmGuard+size : gemmGuard+size]}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if rnd != nil {
				g.s[i*ld+j] = float32(rnd.Float64()*2 - 1)
			} else {
				g.s[i*ld+j] = float32(math.NaN()) // must be overwritten
			}
		}
	}
	return g
}

func (g gemmMatrix) at(i, j int) float32 { return g.s[i*g.ld+j] }

// checkGaps fails the test if a sentinel outside the matrix's elements
// was changed.
func (g gemmMatrix) checkGaps(t *testing.T, name string) {
	t.Helper()
	inside := func(p int) bool {
		p -= gemmGuard
		if p < 0 || p >= len(g.s) {
			return false
		}
		return p%g.ld < g.cols
	}
	for p, x := range g.buf {
		if !inside(p) && !isGemmSentinel(x) {
			t.Fatalf("%s: element %d outside the matrix was overwritten with %v", name, p-gemmGuard, x)
		}
	}
}

// gemmGamma is γ_k = k·u/(1-k·u), u = 2⁻²⁴ the float32 unit roundoff.
//
// Summing k products in order in float32, with or without FMA, gives
// |got − exact| ≤ γ_k · Σ|a||b| (Higham, Accuracy and Stability of
// Numerical Algorithms, §3.1: each of the k terms carries at most k
// roundings of relative size ≤ u) as long as nothing underflows or
// overflows, which the inputs in [-1, 1) guarantee. The float64 reference
// is exact in its products and its own error, ≤ k·2⁻⁵³·Σ|a||b|, is
// covered by the 1% slack the tests add.
func gemmGamma(k int) float64 {
	ku := float64(k) * 0x1p-24
	return ku / (1 - ku)
}

// fma32Ref is a float32 sum of products over l in order with one rounding
// per step: the assembly's exact arithmetic, computed with math/big.
func fma32Ref(a, b gemmMatrix, i, j int) float32 {
	s := new(big.Float).SetPrec(24)
	p := new(big.Float).SetPrec(64)
	q := new(big.Float).SetPrec(64)
	for l := 0; l < a.cols; l++ {
		p.SetFloat64(float64(a.at(i, l)))
		q.SetFloat64(float64(b.at(l, j)))
		p.Mul(p, q) // exact: 48 significant bits at most
		s.Add(s, p) // rounded to 24 bits, to nearest even
	}
	f, _ := s.Float32()
	return f
}

var (
	gemmMs = []int{1, 2, 3, 7, 8, 9, 33}
	gemmNs = []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 80, 100, 129}
	gemmKs = []int{0, 1, 2, 3, 8, 20, 33}
)

// runGemm computes c = a·b with the dispatched Gemm into fresh storage
// that starts as NaN and checks that nothing outside c's elements, a or b
// was written.
func runGemm(t *testing.T, a, b gemmMatrix, ldc int) gemmMatrix {
	t.Helper()
	m, k, n := a.rows, a.cols, b.cols
	c := newGemmMatrix(m, n, ldc, nil)
	aCopy := append([]float32(nil), a.buf...)
	bCopy := append([]float32(nil), b.buf...)
	Gemm(m, n, k, a.s, a.ld, b.s, b.ld, c.s, c.ld)
	c.checkGaps(t, "c")
	for p := range aCopy {
		if math.Float32bits(aCopy[p]) != math.Float32bits(a.buf[p]) {
			t.Fatalf("a changed at %d", p)
		}
	}
	for p := range bCopy {
		if math.Float32bits(bCopy[p]) != math.Float32bits(b.buf[p]) {
			t.Fatalf("b changed at %d", p)
		}
	}
	return c
}

func TestGemmShapes(t *testing.T) {
	// Largest |got − want| / (k·u·Σ|a||b|), over all k and over k ≥ 8.
	worst, worst8 := 0.0, 0.0
	gemmPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(1, 2))
		for _, m := range gemmMs {
			for _, n := range gemmNs {
				for _, k := range gemmKs {
					for pad := 0; pad < 2; pad++ {
						lda, ldb, ldc := k, n, n
						if pad == 1 {
							lda, ldb, ldc = k+3, n+5, n+2
						}
						a := newGemmMatrix(m, k, max(lda, 1), rnd)
						b := newGemmMatrix(k, n, ldb, rnd)
						c := runGemm(t, a, b, ldc)
						name := fmt.Sprintf("m=%d n=%d k=%d lda=%d ldb=%d ldc=%d", m, n, k, lda, ldb, ldc)
						bound := 1.01 * gemmGamma(k)
						for i := 0; i < m; i++ {
							for j := 0; j < n; j++ {
								var want, mag float64
								for l := 0; l < k; l++ {
									p := float64(a.at(i, l)) * float64(b.at(l, j))
									want += p
									mag += math.Abs(p)
								}
								got := c.at(i, j)
								err := math.Abs(float64(got) - want)
								if k == 0 {
									if math.Float32bits(got) != 0 {
										t.Fatalf("%s: c[%d][%d] = %v, want +0", name, i, j, got)
									}
									continue
								}
								if !(err <= bound*mag) {
									t.Fatalf("%s: c[%d][%d] = %v, want %v ± %g", name, i, j, got, want, bound*mag)
								}
								if mag > 0 {
									r := err / (float64(k) * 0x1p-24 * mag)
									worst = max(worst, r)
									if k >= 8 {
										worst8 = max(worst8, r)
									}
								}
								if Enabled && (i+j)%5 == 0 {
									// The assembly rounds exactly as a sequence of
									// float32 FMAs over l = 0..k-1 would.
									if ref := fma32Ref(a, b, i, j); got != ref {
										t.Fatalf("%s: c[%d][%d] = %v, sequential FMA gives %v", name, i, j, got, ref)
									}
								}
							}
						}
					}
				}
			}
		}
	})
	t.Logf("largest error: %.3f·k·u·Σ|a||b| (%.3f for k ≥ 8); the bound is 1.01·γ_k·Σ|a||b| ≈ 1.01·k·u·Σ|a||b|", worst, worst8)
}

// gemmPaths runs f on every matrix-product path this processor has: the
// AVX-512 kernel (where it has AVX-512F), the AVX2 one and plain Go.
func gemmPaths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	savedE, savedW := Enabled, wide
	defer func() { Enabled, wide = savedE, savedW }()
	if hasAVX512 && hasAVX2FMA {
		Enabled, wide = true, true
		t.Run("avx512", f)
	} else {
		t.Log("no AVX-512F on this processor: the 512-bit product kernel is not tested")
	}
	wide = false
	paths(t, f)
}

// TestGemmWideMatchesAVX2 checks that the AVX-512 and AVX2 kernels give
// the same bits on every element, on shapes around their block sizes
// (rows by 4; columns by 48, every lane count of the last vector, and by
// 24 and 8) and with a read transposed in place.
func TestGemmWideMatchesAVX2(t *testing.T) {
	if !hasAVX512 || !hasAVX2FMA {
		t.Log("no AVX-512F on this processor: nothing to compare the AVX2 kernel with")
		return
	}
	savedE, savedW := Enabled, wide
	defer func() { Enabled, wide = savedE, savedW }()
	Enabled = true
	rnd := rand.New(rand.NewPCG(9, 10))
	// Every lane count of a block's last vector (n = 8..56), and larger.
	ns := []int{1, 3, 64, 80, 95, 96, 97, 128, 130, 512}
	for n := 8; n <= 56; n++ {
		ns = append(ns, n)
	}
	for _, m := range []int{4, 5, 8, 12, 63, 64} {
		for _, n := range ns {
			for _, k := range []int{1, 2, 20, 129} {
				a := newGemmMatrix(m, k, k+1, rnd)
				at := transposedCopy(a, m+2)
				b := newGemmMatrix(k, n, n+3, rnd)
				for _, tr := range []bool{false, true} {
					var c [2]gemmMatrix
					for p, w := range []bool{false, true} {
						wide = w
						c[p] = newGemmMatrix(m, n, n+1, nil)
						if tr {
							GemmStrided(m, n, k, at.s, 1, at.ld, b.s, b.ld, c[p].s, c[p].ld)
						} else {
							Gemm(m, n, k, a.s, a.ld, b.s, b.ld, c[p].s, c[p].ld)
						}
						c[p].checkGaps(t, "c")
					}
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							if x, y := c[0].at(i, j), c[1].at(i, j); math.Float32bits(x) != math.Float32bits(y) {
								t.Fatalf("%dx%dx%d transposed %v: c[%d][%d]: AVX2 %v, AVX-512 %v", m, k, n, tr, i, j, x, y)
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmAsmMatchesGo compares the two paths with each other on shapes
// from the recurrent layers.
func TestGemmAsmMatchesGo(t *testing.T) {
	if !hasAVX2FMA {
		t.Log("no AVX2+FMA on this processor: nothing to compare the plain-Go Gemm with")
		return
	}
	saved := Enabled
	defer func() { Enabled = saved }()
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][3]int{{8, 20, 80}, {8, 20, 60}, {8, 20, 20}, {13, 20, 1}, {1, 256, 1024}, {67, 128, 512}, {5, 1, 3}} {
		m, k, n := s[0], s[1], s[2]
		a := newGemmMatrix(m, k, k, rnd)
		b := newGemmMatrix(k, n, n, rnd)
		Enabled = true
		ca := runGemm(t, a, b, n)
		Enabled = false
		cg := runGemm(t, a, b, n)
		bound := 2.02 * gemmGamma(k)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var mag float64
				for l := 0; l < k; l++ {
					mag += math.Abs(float64(a.at(i, l)) * float64(b.at(l, j)))
				}
				if d := math.Abs(float64(ca.at(i, j)) - float64(cg.at(i, j))); !(d <= bound*mag) {
					t.Fatalf("%dx%dx%d: c[%d][%d]: asm %v, go %v", m, k, n, i, j, ca.at(i, j), cg.at(i, j))
				}
			}
		}
	}
}

func TestGemmSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	gemmPaths(t, func(t *testing.T) {
		for _, m := range []int{1, 3, 4, 5, 9} {
			for _, n := range []int{1, 5, 8, 20, 24, 41, 80} {
				const k = 6
				a := newGemmMatrix(m, k, k, nil)
				b := newGemmMatrix(k, n, n, nil)
				for p := range a.s {
					a.s[p] = 1
				}
				for p := range b.s {
					b.s[p] = 0.5
				}
				last := m - 1
				// a[0][2] = 0 meets b[2][0] = +Inf: 0·Inf makes c[0][0]
				// NaN; the other rows get 1·Inf = +Inf in column 0.
				a.s[0*k+2] = 0
				b.s[2*n+0] = inf
				// a[last][4] = +Inf makes the whole last row +Inf.
				if last > 0 {
					a.s[last*k+4] = inf
				}
				// A NaN in b's last column spreads down that column.
				b.s[3*n+n-1] = nan
				c := runGemm(t, a, b, n)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						got := c.at(i, j)
						var want float32
						switch {
						case j == n-1:
							want = nan
						case i == 0 && j == 0:
							want = nan // 0·Inf
						case j == 0 || (i == last && last > 0):
							want = inf
						case i == 0:
							want = (k - 1) * 0.5 // a[0][2] = 0
						default:
							want = k * 0.5
						}
						if math.IsNaN(float64(want)) != math.IsNaN(float64(got)) ||
							!math.IsNaN(float64(want)) && got != want {
							t.Fatalf("m=%d n=%d: c[%d][%d] = %v, want %v", m, n, i, j, got, want)
						}
					}
				}
			}
		}
		// +Inf and -Inf in the same sum give NaN; -Inf alone gives -Inf.
		a := []float32{float32(math.Inf(-1)), 1, 2}
		b := []float32{1, 1, 1, 2, float32(math.Inf(1)), 0}
		c := []float32{7, 7}
		Gemm(1, 2, 3, a, 3, b, 2, c, 2)
		if !math.IsNaN(float64(c[0])) || !math.IsInf(float64(c[1]), -1) {
			t.Fatalf("[-Inf 1 2]·[[1 1] [1 2] [+Inf 0]] = %v, want [NaN -Inf]", c)
		}
	})
}

func TestGemmZeroSizes(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		nan := float32(math.NaN())
		// k = 0: zeros over NaN, gaps untouched; a and b may be empty.
		c := []float32{nan, nan, 5, nan, nan}
		Gemm(2, 2, 0, nil, 0, nil, 2, c, 3)
		if c[0] != 0 || c[1] != 0 || c[2] != 5 || c[3] != 0 || c[4] != 0 {
			t.Fatalf("k = 0: c = %v, want [0 0 5 0 0]", c)
		}
		// m = 0 or n = 0: nothing happens, whatever the slices.
		Gemm(0, 3, 2, nil, 2, nil, 3, nil, 3)
		Gemm(3, 0, 2, nil, 2, nil, 0, nil, 0)
	})
}

func TestGemmPanics(t *testing.T) {
	a := make([]float32, 6) // 2×3
	b := make([]float32, 12)
	c := make([]float32, 8) // 2×4
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Gemm(-1, 4, 3, a, 3, b, 4, c, 4) }},
		{"negative k", func() { Gemm(2, 4, -3, a, 3, b, 4, c, 4) }},
		{"short a", func() { Gemm(2, 4, 3, a[:5], 3, b, 4, c, 4) }},
		{"short b", func() { Gemm(2, 4, 3, a, 3, b[:11], 4, c, 4) }},
		{"short c", func() { Gemm(2, 4, 3, a, 3, b, 4, c[:7], 4) }},
		{"lda < k", func() { Gemm(2, 4, 3, a, 2, b, 4, c, 4) }},
		{"ldb < n", func() { Gemm(2, 4, 3, a, 3, b, 3, c, 4) }},
		{"ldc < n", func() { Gemm(2, 4, 3, a, 3, b, 4, c, 3) }},
		{"huge stride", func() { Gemm(3, 4, 3, a, math.MaxInt/2+1, b, 4, c, 4) }},
		{"k = 0, short c", func() { Gemm(2, 4, 0, nil, 0, nil, 4, c[:7], 4) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
	// Exactly long enough is fine.
	Gemm(2, 4, 3, a, 3, b, 4, c, 4)
}

// gemmBenchShapes are m×k×n.
var gemmBenchShapes = [][3]int{{8, 20, 80}, {8, 80, 20}, {1, 20, 80}, {10000, 20, 80}, {64, 128, 512}, {20, 8, 80},
	{8, 20, 60}, {8, 20, 20}, {10000, 20, 1}, {64, 128, 128}, {256, 20, 1}, {8, 20, 1}, {20, 8, 1}}

func BenchmarkGemm(b *testing.B) {
	for _, s := range gemmBenchShapes {
		m, k, n := s[0], s[1], s[2]
		rnd := rand.New(rand.NewPCG(5, 6))
		x := make([]float32, m*k)
		w := make([]float32, k*n)
		y := make([]float32, m*n)
		for i := range x {
			x[i] = float32(rnd.Float64()*2 - 1)
		}
		for i := range w {
			w[i] = float32(rnd.Float64()*2 - 1)
		}
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			for _, impl := range []string{"avx512", "asm", "go", "gonum"} {
				b.Run(impl, func(b *testing.B) {
					saved, savedW := Enabled, wide
					defer func() { Enabled, wide = saved, savedW }()
					switch impl {
					case "avx512":
						if !hasAVX512 || !hasAVX2FMA {
							b.Skip("no AVX-512F")
						}
						Enabled, wide = true, true
					case "asm":
						if !hasAVX2FMA {
							b.Skip("no AVX2+FMA")
						}
						Enabled, wide = true, false
					case "go":
						Enabled = false
					}
					b.SetBytes(int64(4 * (m*k + k*n + m*n)))
					if impl == "gonum" {
						impl := gonum.Implementation{}
						for b.Loop() {
							impl.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, x, k, w, n, 0, y, n)
						}
						return
					}
					for b.Loop() {
						Gemm(m, n, k, x, k, w, n, y, n)
					}
				})
			}
		})
	}
}

// transposedCopy returns a's elements stored transposed, k×m with row
// stride ld, between sentinels like any gemmMatrix.
func transposedCopy(a gemmMatrix, ld int) gemmMatrix {
	t := newGemmMatrix(a.cols, a.rows, ld, nil)
	for i := 0; i < a.rows; i++ {
		for l := 0; l < a.cols; l++ {
			t.s[l*ld+i] = a.at(i, l)
		}
	}
	return t
}

// TestGemmStrided reads a transposed in place (rs = 1, cs = the stored
// rows' stride) and through other strides, on every shape of
// TestGemmShapes: c is Gemm's on a row-major copy bit for bit, and nothing
// outside c is written.
func TestGemmStrided(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(11, 12))
		for _, m := range gemmMs {
			for _, n := range gemmNs {
				for _, k := range gemmKs {
					a := newGemmMatrix(m, k, max(k, 1), rnd)
					b := newGemmMatrix(k, n, n+1, rnd)
					want := runGemm(t, a, b, n)
					for pad := 0; pad < 2; pad++ {
						at := transposedCopy(a, m+3*pad)
						// Strides 2 and 2m+5 interleave two matrices'
						// elements: a general layout.
						ag := newGemmMatrix(1, max(0, (m-1)*2+(k-1)*(2*m+5)+1), 1, nil)
						for i := 0; i < m; i++ {
							for l := 0; l < k; l++ {
								ag.s[i*2+l*(2*m+5)] = a.at(i, l)
							}
						}
						for _, v := range []struct {
							name   string
							a      gemmMatrix
							rs, cs int
						}{{"transposed", at, 1, at.ld}, {"general", ag, 2, 2*m + 5}} {
							name := fmt.Sprintf("%s m=%d n=%d k=%d pad=%d", v.name, m, n, k, pad)
							aCopy := append([]float32(nil), v.a.buf...)
							c := newGemmMatrix(m, n, n+pad, nil)
							GemmStrided(m, n, k, v.a.s, v.rs, v.cs, b.s, b.ld, c.s, c.ld)
							c.checkGaps(t, name)
							sameBits(t, name, c, want)
							for p := range aCopy {
								if math.Float32bits(aCopy[p]) != math.Float32bits(v.a.buf[p]) {
									t.Fatalf("%s: a changed at %d", name, p)
								}
							}
						}
					}
				}
			}
		}
	})
}

// TestGemmStridedParallel splits transposed-in-place products by rows and
// by columns: bit for bit the serial result.
func TestGemmStridedParallel(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(13, 14))
		for _, s := range [][3]int{{64, 128, 128}, {67, 129, 33}, {5, 200, 17}, {200, 1, 11}, {9, 9, 1}} {
			m, n, k := s[0], s[1], s[2]
			at := newGemmMatrix(k, m, m+1, rnd)
			b := newGemmMatrix(k, n, n, rnd)
			want := newGemmMatrix(m, n, n, nil)
			gemmSerial(m, n, k, at.s, 1, at.ld, b.s, n, want.s, n)
			for _, rows := range []bool{true, false} {
				for parts := 2; parts <= 5; parts++ {
					name := fmt.Sprintf("%dx%dx%d rows=%v parts=%d", m, n, k, rows, parts)
					c := newGemmMatrix(m, n, n, nil)
					gemmParallel(parts, rows, m, n, k, at.s, 1, at.ld, b.s, n, c.s, n)
					c.checkGaps(t, name)
					sameBits(t, name, c, want)
				}
			}
		}
	})
}

func TestGemmStridedPanics(t *testing.T) {
	a := make([]float32, 6) // 3×2, read as its 2×3 transpose
	b := make([]float32, 12)
	c := make([]float32, 8) // 2×4
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"negative n", func() { GemmStrided(2, -4, 3, a, 1, 2, b, 4, c, 4) }},
		{"short a", func() { GemmStrided(2, 4, 3, a[:5], 1, 2, b, 4, c, 4) }},
		{"zero stride", func() { GemmStrided(2, 4, 3, a, 0, 2, b, 4, c, 4) }},
		{"negative stride", func() { GemmStrided(2, 4, 3, a, 1, -2, b, 4, c, 4) }},
		{"huge stride", func() { GemmStrided(2, 4, 3, a, 1, math.MaxInt/2+1, b, 4, c, 4) }},
		{"overflowing sum", func() { GemmStrided(2, 4, 2, a, math.MaxInt, math.MaxInt, b, 4, c, 4) }},
		{"short b", func() { GemmStrided(2, 4, 3, a, 1, 2, b[:11], 4, c, 4) }},
		{"short c", func() { GemmStrided(2, 4, 3, a, 1, 2, b, 4, c[:7], 4) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
	GemmStrided(2, 4, 3, a, 1, 2, b, 4, c, 4) // exactly long enough
	GemmStrided(0, 4, 3, nil, 0, 0, nil, 4, nil, 4)
}

// BenchmarkGemmTransposed times c = aᵀ·b with a read in place against
// copying aᵀ first and calling Gemm, for the shapes of weight gradients
// (m×k×n: m input features, k samples, n outputs) and larger k.
func BenchmarkGemmTransposed(b *testing.B) {
	if !Enabled {
		b.Skip("no AVX2+FMA")
	}
	for _, s := range [][3]int{{20, 8, 20}, {20, 8, 80}, {1, 8, 80}, {128, 64, 512}, {128, 64, 128}, {128, 256, 512}, {20, 1024, 80}, {128, 1024, 512}, {20, 10000, 80}, {80, 10000, 20}, {128, 4096, 128}} {
		m, k, n := s[0], s[1], s[2]
		rnd := rand.New(rand.NewPCG(5, 6))
		at := newGemmMatrix(k, m, m, rnd)
		w := newGemmMatrix(k, n, n, rnd)
		y := make([]float32, m*n)
		buf := make([]float32, m*k)
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			b.Run("inplace", func(b *testing.B) {
				for b.Loop() {
					GemmStrided(m, n, k, at.s, 1, m, w.s, n, y, n)
				}
			})
			b.Run("copy", func(b *testing.B) {
				for b.Loop() {
					for l := 0; l < k; l++ {
						for i, v := range at.s[l*m : (l+1)*m] {
							buf[i*k+l] = v
						}
					}
					Gemm(m, n, k, buf, k, w.s, n, y, n)
				}
			})
			b.Run("copied", func(b *testing.B) { // the product alone
				for b.Loop() {
					Gemm(m, n, k, buf, k, w.s, n, y, n)
				}
			})
		})
	}
}

// TestGemmAt: where GemmSmall holds, GemmAt (the kernel without checks)
// writes what GemmStrided writes bit for bit, a read in place through
// both kinds of strides, and nothing outside c's rows.
func TestGemmAt(t *testing.T) {
	if !Enabled {
		t.Skip("GemmAt serves the AVX2 kernel only")
	}
	rnd := rand.New(rand.NewPCG(13, 14))
	tested := 0
	for _, m := range gemmMs {
		for _, n := range gemmNs {
			for _, k := range gemmKs {
				if m < 1 || n < 1 || k < 1 || !GemmSmall(m, n, k) {
					continue
				}
				a := newGemmMatrix(m, k, k, rnd)
				at := transposedCopy(a, m+1)
				b := newGemmMatrix(k, n, n+3, rnd)
				for _, v := range []struct {
					s      []float32
					rs, cs int
				}{{a.s, k, 1}, {at.s, 1, m + 1}} {
					want := make([]float32, m*(n+2))
					got := make([]float32, m*(n+2))
					for i := range want {
						want[i], got[i] = 7, 7
					}
					GemmStrided(m, n, k, v.s, v.rs, v.cs, b.s, n+3, want, n+2)
					GemmAt(m, n, k, &v.s[0], v.rs, v.cs, &b.s[0], n+3, &got[0], n+2)
					for i := range want {
						if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
							t.Fatalf("%dx%dx%d strides %d,%d: element %d: GemmAt %g, GemmStrided %g", m, n, k, v.rs, v.cs, i, got[i], want[i])
						}
					}
					tested++
				}
			}
		}
	}
	if tested == 0 {
		t.Fatal("no shape tested")
	}
}

// TestGemmColumnBlocksAgree: every element of a product is the same bits
// whichever block of the kernel computes it: the whole product against
// each column computed alone (the one-column path) and against column
// windows of 5 and 13 (other tails), on widths that take every block
// sequence (24s, the 16+16 of 25–32 left, the 16- and 8-column tails, the
// masked narrow block), four-row blocks and single rows.
func TestGemmColumnBlocksAgree(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(21, 22))
		for _, m := range []int{1, 4, 7, 8} {
			for _, k := range []int{1, 5, 20} {
				for n := 1; n <= 64; n++ {
					a := newGemmMatrix(m, k, k, rnd)
					b := newGemmMatrix(k, n, n, rnd)
					whole := make([]float32, m*n)
					GemmStrided(m, n, k, a.s, k, 1, b.s, n, whole, n)
					for _, w := range []int{1, 5, 13} {
						part := make([]float32, m*n)
						for j := 0; j < n; j += w {
							cols := min(w, n-j)
							GemmStrided(m, cols, k, a.s, k, 1, b.s[j:], n, part[j:], n)
						}
						for i := range whole {
							if math.Float32bits(part[i]) != math.Float32bits(whole[i]) {
								t.Fatalf("m %d k %d n %d: element %d is %v whole, %v in windows of %d columns", m, k, n, i, whole[i], part[i], w)
							}
						}
					}
				}
			}
		}
	})
}

// TestGemmOneColumnRows checks the one-column product (Dense(1) at every
// time step, 256×20×1 in W6's runs) row by row: whatever block of rows
// (eight, four or one) computes an element, it has the bits of the same
// row computed alone, for row counts around the blocks, with a strided
// and a transposed a and a strided c whose gaps stay untouched.
func TestGemmOneColumnRows(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(23, 24))
		for m := 1; m <= 41; m++ {
			for _, k := range []int{1, 5, 20} {
				for _, trans := range []bool{false, true} {
					rs, cs, rows, cols := k+3, 1, m, k+3
					if trans {
						rs, cs, rows, cols = 1, m+2, k, m+2
					}
					a := newGemmMatrix(rows, cols, cols, rnd)
					b := newGemmMatrix(k, 1, 2, rnd)
					c := newGemmMatrix(m, 1, 3, rnd)
					GemmStrided(m, 1, k, a.s, rs, cs, b.s, 2, c.s, 3)
					c.checkGaps(t, "c")
					for i := range m {
						var alone [1]float32
						GemmStrided(1, 1, k, a.s[i*rs:], rs, cs, b.s, 2, alone[:], 1)
						if got := c.s[i*3]; math.Float32bits(got) != math.Float32bits(alone[0]) {
							t.Fatalf("m %d k %d transposed %v: row %d is %v, alone %v", m, k, trans, i, got, alone[0])
						}
					}
				}
			}
		}
	})
}
