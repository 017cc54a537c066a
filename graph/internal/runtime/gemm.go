package runtime

import (
	"unsafe"

	"github.com/gornn/gornn/graph/internal/simd"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
)

// newGemm is the kernel of a product of two matrices, either transposed,
// with the operands' shapes resolved.
func newGemm[T float32 | float64](transA, transB bool, s shapes) kernel {
	if len(s.args) != 2 || len(s.args[0]) != 2 || len(s.args[1]) != 2 || len(s.out) != 2 {
		return nil
	}
	k := gemm[T]{transA: transA, transB: transB,
		ar: s.args[0][0], ac: s.args[0][1], br: s.args[1][0], bc: s.args[1][1]}
	k.m, k.k = k.ar, k.ac
	if transA {
		k.m, k.k = k.ac, k.ar
	}
	kb, n := k.br, k.bc
	if transB {
		kb, n = k.bc, k.br
	}
	k.n = n
	if k.k != kb || s.out[0] != k.m || s.out[1] != k.n {
		return nil
	}
	return k
}

// gemm computes op(A)·op(B) for row-major matrices A [ar, ac] and
// B [br, bc] into [m, n]: in float32 with the AVX2 product of
// graph/internal/simd where the processor has it, and otherwise with
// gonum's BLAS, the implementation Gorgonia itself calls.
type gemm[T float32 | float64] struct {
	transA, transB bool
	// paramB marks a transposed second operand that is a parameter,
	// unchanged during a run, or a value several products read
	// transposed: its transpose is made once per run. A transposed first
	// operand is never copied (untransposed).
	paramB         bool
	ar, ac, br, bc int
	m, n, k        int
}

func (k gemm[T]) String() string { return "gemm" }

func (k gemm[T]) transposesB() bool { return k.transB }

func (k gemm[T]) withParamB() kernel {
	k.paramB = k.transB
	return k
}

func (k gemm[T]) run(m *Machine, out gorgonia.Value, args []gorgonia.Value) bool {
	o, ok := denseData[T](out, k.m*k.n)
	if !ok || len(args) != 2 {
		return false
	}
	ad, aok := denseData[T](args[0], k.ar*k.ac)
	bd, bok := denseData[T](args[1], k.br*k.bc)
	if !aok || !bok {
		return false
	}
	k.product(o, ad, bd, &m.sc)
	return true
}

func (k gemm[T]) product(o, ad, bd []T, sc *scratch) {
	mm, n, kk := k.m, k.n, k.k
	if isFloat32[T]() && simd.Enabled {
		a32, rs, cs, b32, ldb := k.untransposed(ad, bd, sc)
		simd.GemmStrided(mm, n, kk, a32, rs, cs, b32, ldb, as32(o), n)
		return
	}
	if kk == 1 {
		// An outer product (inner size 1, as the products with a single
		// input feature or a single output unit): each operand is a
		// vector whatever its transposition, and gonum's general path
		// costs several times the arithmetic at these sizes. The same
		// numbers as gonum, down to 0·Inf and signed zeros: its paths
		// other than A·Bᵀ skip zero elements of A, and all add the
		// product to a zeroed output.
		skipZero := k.transA || !k.transB
		ad, bd = ad[:mm], bd[:n]
		var zero T
		for i, av := range ad {
			row := o[i*n : (i+1)*n]
			if skipZero && av == 0 {
				clear(row)
				continue
			}
			for j, bv := range bd {
				row[j] = zero + av*bv
			}
		}
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if k.transA {
		ta = blas.Trans
	}
	if k.transB {
		tb = blas.Trans
	}
	if isFloat32[T]() {
		gonum.Implementation{}.Sgemm(ta, tb, mm, n, kk, 1, as32(ad), k.ac, as32(bd), k.bc, 0, as32(o), n)
	} else {
		gonum.Implementation{}.Dgemm(ta, tb, mm, n, kk, 1, as64(ad), k.ac, as64(bd), k.bc, 0, as64(o), n)
	}
}

// untransposed returns the operands of the float32 AVX2 product
// (simd.GemmStrided): a with its two strides, element [i][l] at
// a[i·rs + l·cs], and b, which the product takes untransposed, with its
// row stride. A transposed first operand is read in place, through its
// strides; a transposed second operand is copied into the machine's
// scratch (one with an inner size of 1 is a vector, its own transpose).
//
// Reading in place costs the kernel more than reading a row-major copy
// (each of a's k steps reads four elements from another cache line; with
// power-of-two strides those lines crowd a few sets of the first-level
// cache), but less than making the copy and then reading it, at every
// size measured (BenchmarkGemmTransposed in graph/internal/simd, m×k×n:
// 20×8×80 0.34 µs in place against 0.51 µs; 128×64×512 about even;
// 80×10000×20 0.55 against 1.3 ms), and the LSTM(128) step was 1-6%
// faster (about the noise) than with copies of the operands over 4,096
// elements (log 36 in docs/benchmarks.md).
func (k gemm[T]) untransposed(ad, bd []T, sc *scratch) (a32 []float32, rs, cs int, b32 []float32, ldb int) {
	a32, rs, cs = k.stridesA(ad)
	b32, ldb = k.untransposedB(bd, sc)
	return a32, rs, cs, b32, ldb
}

// stridesA returns the first operand with its strides (untransposed).
func (k gemm[T]) stridesA(ad []T) (a32 []float32, rs, cs int) {
	if k.transA {
		return as32(ad), 1, k.ac
	}
	return as32(ad), k.ac, 1
}

// copiesB reports whether untransposedB copies the second operand: a
// transposed matrix that is not a vector.
func (k gemm[T]) copiesB() bool { return k.transB && k.k > 1 && k.br > 1 }

// untransposedB returns the second operand untransposed with its row
// stride (untransposed); sc is only used where copiesB.
func (k gemm[T]) untransposedB(bd []T, sc *scratch) (b32 []float32, ldb int) {
	b32, ldb = as32(bd), k.bc
	if k.transB && k.k > 1 && k.br == 1 {
		// A row: its transpose, a column, is the same memory.
		ldb = 1
	} else if k.transB && k.k > 1 && k.paramB {
		b32, ldb = sc.transposeParam(b32, k.br, k.bc), k.br
	} else if k.transB && k.k > 1 {
		b32, ldb = transpose(&sc.b, b32, k.br, k.bc), k.br
	} else if k.transB {
		ldb = k.n
	}
	return b32, ldb
}

// scratch holds a machine's buffers for the transposed second operands
// of its float32 products.
type scratch struct {
	b []float32
	// tile holds rows of a product that a product-and-sum group adds to
	// its other operand (gemmadd.go).
	tile, tile2, tile3 []float32
	// run counts the machine's runs; params holds the transposed
	// parameters of the current run (and, for reuse, earlier runs').
	run    int
	params []transposed
}

// transposed is a parameter's transpose, made on run run.
type transposed struct {
	src  *float32
	r, c int
	run  int
	buf  []float32
}

// transposeParam returns the transpose of a parameter's r×c matrix,
// made on its first use in the current run and reused by the products of
// later time steps; buffers of earlier runs are reused.
func (s *scratch) transposeParam(src []float32, r, c int) []float32 {
	p := unsafe.SliceData(src)
	free := -1
	for i := range s.params {
		e := &s.params[i]
		if e.run == s.run && e.src == p && e.r == r && e.c == c {
			return e.buf
		}
		if e.run != s.run && free < 0 && cap(e.buf) >= r*c {
			free = i
		}
	}
	if free < 0 {
		s.params = append(s.params, transposed{})
		free = len(s.params) - 1
	}
	e := &s.params[free]
	e.src, e.r, e.c, e.run = p, r, c, s.run
	e.buf = transpose(&e.buf, src, r, c)
	return e.buf
}

// smallTranspose is the most elements transpose moves in one plain pass;
// larger matrices go in tiles.
const smallTranspose = 4096

// transpose writes the r×c row-major matrix src transposed (c×r) into
// *buf, growing it as needed, and returns it. It goes in 16×16 tiles, so
// that the column writes of a tile stay within a few cache lines; a
// small matrix (the seed layers' step outputs) in one plain pass, whose
// per-row overhead the tiles would multiply.
func transpose(buf *[]float32, src []float32, r, c int) []float32 {
	if cap(*buf) < r*c {
		*buf = make([]float32, r*c)
	}
	t := (*buf)[:r*c]
	if r*c <= smallTranspose {
		// Small enough for the cache whatever the order: one pass over
		// src's rows, four at a time, each column of four written as
		// four consecutive elements of t.
		src = src[:r*c]
		i := 0
		for ; i+4 <= r; i += 4 {
			r0 := src[i*c : (i+1)*c]
			r1 := src[(i+1)*c : (i+2)*c][:len(r0)]
			r2 := src[(i+2)*c : (i+3)*c][:len(r0)]
			r3 := src[(i+3)*c : (i+4)*c][:len(r0)]
			for j, v := range r0 {
				d := t[j*r+i : j*r+i+4 : j*r+i+4]
				d[0], d[1], d[2], d[3] = v, r1[j], r2[j], r3[j]
			}
		}
		for ; i < r; i++ {
			for j, v := range src[i*c : (i+1)*c] {
				t[j*r+i] = v
			}
		}
		return t
	}
	const tile = 16
	for i0 := 0; i0 < r; i0 += tile {
		i1 := min(i0+tile, r)
		for j0 := 0; j0 < c; j0 += tile {
			j1 := min(j0+tile, c)
			for i := i0; i < i1; i++ {
				row := src[i*c+j0 : i*c+j1]
				for j, v := range row {
					t[(j0+j)*r+i] = v
				}
			}
		}
	}
	return t
}

func (k gemm[T]) transposesParam() bool { return k.paramB }

// macs is the product's number of multiply-adds, the work a plan
// estimates for it.
func (k gemm[T]) macs() int64 { return int64(k.m) * int64(k.n) * int64(k.k) }
