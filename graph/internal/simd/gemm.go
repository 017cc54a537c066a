package simd

import "math/bits"

// Gemm sets c = a·b for row-major matrices: a is m×k with row stride lda,
// b is k×n with row stride ldb, c is m×n with row stride ldc. It overwrites
// the first n elements of each of c's m rows and leaves the gaps between
// rows alone; k == 0 gives zeros, m == 0 or n == 0 does nothing.
//
// Each c[i][j] is the sum over l = 0, 1, ..., k-1, in that order and
// starting from zero, of a[i][l]·b[l][j]; the assembly rounds once per step
// (fused multiply-add), plain Go twice (or once where the compiler fuses
// s += x*y, as on arm64). Zeros are not skipped, so NaN and
// ±Inf anywhere in a row of a or a column of b propagate as IEEE arithmetic
// says (0·Inf is NaN).
//
// A product of at least 2²¹ (about two million) multiply-adds is split by
// rows (or columns) of c across up to [Threads] goroutines: the caller and
// a pool of workers that stay for the life of the program. Every element
// is computed as in one call, so the result is the same bit for bit
// whatever the number of threads.
//
// Gemm panics if a dimension is negative, a stride is shorter than its row
// (lda < k, ldb < n, ldc < n) or a slice is too short for the sizes and
// strides. The matrices must not overlap c.
func Gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m > 0 && k > 0 && lda >= k && fits(len(a), m, k, lda) && gemmFits(m, n, k, b, ldb, c, ldc) {
		gemmRun(m, n, k, a, lda, 1, b, ldb, c, ldc)
		return
	}
	if m < 0 || n < 0 || k < 0 {
		panic("simd: Gemm: negative dimension")
	}
	if m > 0 && n > 0 && k > 0 && (lda < k || !fits(len(a), m, k, lda)) {
		panic("simd: Gemm: a too short for m×k with stride lda (or lda < k)")
	}
	gemmOdd("Gemm", m, n, k, b, ldb, c, ldc)
}

// GemmStrided is [Gemm] with a read through any two strides: a[i][l],
// for row i < m and column l < k, is a[i·rs + l·cs]. With rs = 1 and cs
// = lda it reads a k×m row-major matrix transposed, in place, as BLAS's
// sgemm does with transa = 'T': no copy is made. The sums, their order
// and the rounding are those of Gemm on a copy of the same m×k values, so
// the result is the same bit for bit; the split across threads is too.
//
// GemmStrided panics where Gemm does, and if rs or cs is below 1 or a is
// too short: (m-1)·rs + (k-1)·cs < len(a) must hold when m, n, k ≥ 1.
func GemmStrided(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int) {
	if m > 0 && k > 0 && rs > 0 && cs > 0 && spans(len(a), m, rs, k, cs) && gemmFits(m, n, k, b, ldb, c, ldc) {
		gemmRun(m, n, k, a, rs, cs, b, ldb, c, ldc)
		return
	}
	if m < 0 || n < 0 || k < 0 {
		panic("simd: GemmStrided: negative dimension")
	}
	if m > 0 && n > 0 && k > 0 && (rs < 1 || cs < 1 || !spans(len(a), m, rs, k, cs)) {
		panic("simd: GemmStrided: a too short for m×k with strides rs, cs (or a stride < 1)")
	}
	gemmOdd("GemmStrided", m, n, k, b, ldb, c, ldc)
}

// gemmFits reports whether b and c hold their k×n and m×n elements with
// their strides (m, k ≥ 1), and n ≥ 1: the checks of Gemm and GemmStrided
// beside a's.
func gemmFits(m, n, k int, b []float32, ldb int, c []float32, ldc int) bool {
	return n > 0 && ldb >= n && ldc >= n && fits(len(b), k, n, ldb) && fits(len(c), m, n, ldc)
}

// gemmRun is Gemm and GemmStrided with every shape checked and m, n, k ≥
// 1: a[i][l] is a[i·rs + l·cs]. The common small product goes straight
// to the kernel after one test.
func gemmRun(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int) {
	if GemmSmall(m, n, k) {
		gemmAsm(m, n, k, a, rs, cs, b, ldb, c, ldc)
		return
	}
	gemmLarge(m, n, k, a, rs, cs, b, ldb, c, ldc)
}

// GemmSmall reports whether GemmStrided computes an m×n×k product with
// one call of the assembly kernel on the calling goroutine (GemmAt).
func GemmSmall(m, n, k int) bool {
	return Enabled && float64(m)*float64(n)*float64(k) < 2*gemmPartWork
}

// gemmLarge is gemmRun for a product that may be split across threads, or
// in plain Go.
func gemmLarge(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int) {
	if float64(m)*float64(n)*float64(k) >= 2*gemmPartWork {
		if parts, rows := gemmSplit(m, n, k, Threads()); parts > 1 {
			gemmParallel(parts, rows, m, n, k, a, rs, cs, b, ldb, c, ldc)
			return
		}
	}
	gemmSerial(m, n, k, a, rs, cs, b, ldb, c, ldc)
}

// gemmOdd is Gemm and GemmStrided where the fast path's checks failed
// and a is checked: sizes of zero, or a panic for b or c.
func gemmOdd(name string, m, n, k int, b []float32, ldb int, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if ldc < n || !fits(len(c), m, n, ldc) {
		panic("simd: " + name + ": c too short for m×n with stride ldc (or ldc < n)")
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	panic("simd: " + name + ": b too short for k×n with stride ldb (or ldb < n)")
}

// gemmSerial is Gemm on the calling goroutine, for m, n, k ≥ 1 and shapes
// already checked; a[i][l] is a[i·rs + l·cs].
func gemmSerial(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int) {
	if Enabled {
		gemmAsm(m, n, k, a, rs, cs, b, ldb, c, ldc)
		return
	}
	gemmGo(m, n, k, a, rs, cs, b, ldb, c, ldc)
}

// gemmPartWork is the fewest multiply-adds worth a part of its own: about
// 20 µs of one core's FMAs. Measured on a quiet 2-vCPU VM, splitting W4's
// products of 2²⁰ multiply-adds in halves (parts of 2¹⁹) made its training
// step slower, 42 → 51 ms (medians of 130 alternated runs): the handoff,
// the second core fetching a and b, and the wait for the slower half cost
// more than half of a 20 µs product.
const gemmPartWork = 1 << 20

// gemmSplit returns how many parts a product is split into for the given
// number of threads (1: not split), and whether by rows of c (else by
// columns). Rows go in blocks of four or more, so that the 4-row kernel
// keeps its shape; columns, when c has too few rows, in blocks of eight
// or more.
//
// Whatever the split, each c[i][j] is computed by the same instructions on
// the same values in the same order as in one call: the kernels compute
// every element as its own sum over l from zero, whichever block of rows
// or columns it falls in (see gemm_amd64.s and gemmGo). Splitting changes
// no bit of c.
func gemmSplit(m, n, k, threads int) (parts int, rows bool) {
	if threads < 2 {
		return 1, true
	}
	w := float64(m) * float64(n) * float64(k)
	if w < 2*gemmPartWork {
		return 1, true
	}
	parts = int(min(float64(threads), w/gemmPartWork))
	if m/4 >= parts {
		return parts, true
	}
	if m/4 >= 2 && m/4 >= n/8 {
		return m / 4, true
	}
	return max(1, min(parts, n/8)), false
}

// gemmArgs is one Gemm call split into parts of chunk rows of c (rows) or
// chunk columns.
type gemmArgs struct {
	m, n, k  int
	a, b, c  []float32
	rs, cs   int // a's strides
	ldb, ldc int
	rows     bool
	chunk    int
}

// part computes part p: rows (or columns) p·chunk up to (p+1)·chunk.
func (g *gemmArgs) part(p int) {
	lo := p * g.chunk
	if g.rows {
		hi := min(lo+g.chunk, g.m)
		gemmSerial(hi-lo, g.n, g.k, g.a[lo*g.rs:], g.rs, g.cs, g.b, g.ldb, g.c[lo*g.ldc:], g.ldc)
		return
	}
	hi := min(lo+g.chunk, g.n)
	gemmSerial(g.m, hi-lo, g.k, g.a, g.rs, g.cs, g.b[lo:], g.ldb, g.c[lo:], g.ldc)
}

// gemmParallel is Gemm split into about parts parts by rows (or columns)
// of c, computed by the caller and idle pool workers; shapes already
// checked, parts ≥ 1.
func gemmParallel(parts int, rows bool, m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int) {
	size, align := n, 8
	if rows {
		size, align = m, 4
	}
	chunk := (size + parts - 1) / parts
	chunk = (chunk + align - 1) / align * align
	parts = (size + chunk - 1) / chunk
	if parts < 2 {
		gemmSerial(m, n, k, a, rs, cs, b, ldb, c, ldc)
		return
	}
	j := jobs.Get().(*job)
	j.parts, j.kind = parts, gemmJob
	j.gemm = gemmArgs{m: m, n: n, k: k, a: a, b: b, c: c, rs: rs, cs: cs, ldb: ldb, ldc: ldc, rows: rows, chunk: chunk}
	j.run(parts - 1)
	j.gemm = gemmArgs{} // hold no matrices in the pool
	jobs.Put(j)
}

// fits reports whether a slice of length size holds rows ≥ 1 rows of cols
// elements stride apart: (rows-1)·stride + cols ≤ size, without overflow.
func fits(size, rows, cols, stride int) bool {
	hi, lo := bits.Mul64(uint64(rows-1), uint64(stride))
	return hi == 0 && lo <= uint64(size) && uint64(cols) <= uint64(size)-lo
}

// spans reports whether a slice of length size holds every a[i·rs + l·cs]
// for i < m, l < k (m, k, rs, cs ≥ 1): (m-1)·rs + (k-1)·cs < size,
// without overflow.
func spans(size, m, rs, k, cs int) bool {
	h1, l1 := bits.Mul64(uint64(m-1), uint64(rs))
	h2, l2 := bits.Mul64(uint64(k-1), uint64(cs))
	last, carry := bits.Add64(l1, l2, 0)
	return h1 == 0 && h2 == 0 && carry == 0 && last < uint64(size)
}

// gemmGo is the plain-Go Gemm for m, n, k ≥ 1 and shapes already checked;
// a[i][l] is a[i·rs + l·cs]. It keeps 4 columns of a row of c (then 1 at
// a time for the last n%4) in local sums over l, each sum in order from
// l = 0.
func gemmGo(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int) {
	b = b[:(k-1)*ldb+n]
	for i := 0; i < m; i++ {
		a0 := i * rs
		ci := c[i*ldc : i*ldc+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			var s0, s1, s2, s3 float32
			p, q := j, a0
			for range k {
				av := a[q]
				bl := b[p : p+4 : p+4]
				s0 += av * bl[0]
				s1 += av * bl[1]
				s2 += av * bl[2]
				s3 += av * bl[3]
				p += ldb
				q += cs
			}
			cj := ci[j : j+4 : j+4]
			cj[0], cj[1], cj[2], cj[3] = s0, s1, s2, s3
		}
		for ; j < n; j++ {
			var s float32
			p, q := j, a0
			for range k {
				s += a[q] * b[p]
				p += ldb
				q += cs
			}
			ci[j] = s
		}
	}
}

// GemmSplits reports whether Gemm splits an m×k by k×n product across
// goroutines (at the present Threads). The common small product is told
// so inline.
func GemmSplits(m, n, k int) bool {
	return GemmMaySplit(m, n, k) && gemmSplits(m, n, k)
}

// GemmMaySplit reports whether an m×n×k product is large enough that
// GemmSplits holds for it at some thread count: a size's property, for
// callers that settle it once.
func GemmMaySplit(m, n, k int) bool {
	return float64(m)*float64(n)*float64(k) >= 2*gemmPartWork
}

func gemmSplits(m, n, k int) bool {
	parts, _ := gemmSplit(m, n, k, Threads())
	return parts > 1
}
