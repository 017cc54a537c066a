package runtime

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph/internal/simd"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// product runs the float32 product kernel for A [ashape] and B [bshape]
// with the given transpositions, into a fresh [m, n] result.
func product(t *testing.T, m *Machine, ta, tb bool, a, b []float32, ashape, bshape []int) []float32 {
	t.Helper()
	mm, n := ashape[0], bshape[1]
	if ta {
		mm = ashape[1]
	}
	if tb {
		n = bshape[0]
	}
	k := newGemm[float32](ta, tb, shapes{out: []int{mm, n}, args: [][]int{ashape, bshape}})
	if k == nil {
		t.Fatalf("no product kernel for %v·%v (transposes %v, %v)", ashape, bshape, ta, tb)
	}
	at := tensor.New(tensor.WithShape(ashape...), tensor.WithBacking(a))
	bt := tensor.New(tensor.WithShape(bshape...), tensor.WithBacking(b))
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(mm, n))
	if !k.run(m, out, []gorgonia.Value{at, bt}) {
		t.Fatalf("%v·%v: kernel declined", ashape, bshape)
	}
	o, _ := Data[float32](out)
	return o
}

// TestOuterProductMatchesGonum: without the AVX2 product, products with
// an inner size of 1 give gonum's numbers bit for bit in all four
// transpose forms, zeros, signed zeros and infinities included (gonum
// skips zero elements of A except for A·Bᵀ).
func TestOuterProductMatchesGonum(t *testing.T) {
	saved := simd.Enabled
	defer func() { simd.Enabled = saved }()
	simd.Enabled = false // the AVX2 product does not skip zeros: 0·Inf is NaN there
	a := []float32{0, 1, float32(math.Copysign(0, -1)), -2, float32(math.Inf(1))}
	bv := []float32{float32(math.Inf(1)), 0, -3, float32(math.Copysign(0, -1))}
	m, n := len(a), len(bv)
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		ashape, bshape := []int{m, 1}, []int{1, n}
		ta, tb := blas.NoTrans, blas.NoTrans
		if tr[0] {
			ashape, ta = []int{1, m}, blas.Trans
		}
		if tr[1] {
			bshape, tb = []int{n, 1}, blas.Trans
		}
		o := product(t, &Machine{}, tr[0], tr[1], slices.Clone(a), slices.Clone(bv), ashape, bshape)
		want := make([]float32, m*n)
		gonum.Implementation{}.Sgemm(ta, tb, m, n, 1, 1, a, ashape[1], bv, bshape[1], 0, want, n)
		for i := range want {
			if math.Float32bits(o[i]) != math.Float32bits(want[i]) && !(o[i] != o[i] && want[i] != want[i]) {
				t.Errorf("transposes %v, element %d: kernel %v, gonum %v", tr, i, o[i], want[i])
			}
		}
	}
}

// TestGemmKernelTransposes checks the float32 product kernel in all four
// transpose forms, on the AVX2 path (where the processor has it) and on
// gonum's, against a float64 product, with one machine's scratch reused
// across shapes as a run does.
func TestGemmKernelTransposes(t *testing.T) {
	saved := simd.Enabled
	defer func() { simd.Enabled = saved }()
	for _, enabled := range []bool{true, false} {
		simd.Enabled = enabled && saved
		var mach Machine
		rng := rand.New(rand.NewPCG(9, 9))
		for _, dims := range [][3]int{{8, 80, 20}, {8, 20, 80}, {20, 80, 8}, {3, 5, 7}, {1, 1, 9}, {33, 17, 2}, {9, 7, 1}, {5, 80, 1}, {1, 1, 1}, {70, 90, 65}} {
			m, n, kk := dims[0], dims[1], dims[2]
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				ashape, bshape := []int{m, kk}, []int{kk, n}
				if tr[0] {
					ashape = []int{kk, m}
				}
				if tr[1] {
					bshape = []int{n, kk}
				}
				a := make([]float32, m*kk)
				b := make([]float32, kk*n)
				for i := range a {
					a[i] = float32(rng.Float64()*2 - 1)
				}
				for i := range b {
					b[i] = float32(rng.Float64()*2 - 1)
				}
				o := product(t, &mach, tr[0], tr[1], a, b, ashape, bshape)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						want, mag := 0.0, 0.0
						for l := 0; l < kk; l++ {
							av := a[i*kk+l]
							if tr[0] {
								av = a[l*m+i]
							}
							bv := b[l*n+j]
							if tr[1] {
								bv = b[j*kk+l]
							}
							want += float64(av) * float64(bv)
							mag += math.Abs(float64(av) * float64(bv))
						}
						if d := math.Abs(float64(o[i*n+j]) - want); d > float64(kk)*6e-8*mag+1e-30 {
							t.Fatalf("simd %v, %v, transposes %v: c[%d][%d] = %v, want %v", simd.Enabled, dims, tr, i, j, o[i*n+j], want)
						}
					}
				}
			}
		}
	}
}

// TestGemmShapesResolved: translate gives no product kernel for operands
// whose inner sizes disagree or whose result has another shape, and the
// kernel declines operands of another size than it was compiled for.
func TestGemmShapesResolved(t *testing.T) {
	if k := newGemm[float32](false, false, shapes{out: []int{2, 3}, args: [][]int{{2, 4}, {5, 3}}}); k != nil {
		t.Errorf("inner sizes 4 and 5: kernel %v", k)
	}
	if k := newGemm[float32](false, true, shapes{out: []int{2, 3}, args: [][]int{{2, 4}, {4, 3}}}); k != nil {
		t.Errorf("A·Bᵀ with B [4, 3] into [2, 3]: kernel %v", k)
	}
	k := newGemm[float64](false, false, shapes{out: []int{2, 3}, args: [][]int{{2, 4}, {4, 3}}})
	at := tensor.New(tensor.WithShape(2, 4), tensor.WithBacking(make([]float64, 8)))
	bt := tensor.New(tensor.WithShape(5, 3), tensor.WithBacking(make([]float64, 15)))
	out := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(2, 3))
	if k.run(&Machine{}, out, []gorgonia.Value{at, bt}) {
		t.Error("the kernel ran on a [5, 3] operand compiled as [4, 3]")
	}
	f32 := tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(make([]float32, 12)))
	if k.run(&Machine{}, out, []gorgonia.Value{at, f32}) {
		t.Error("the float64 kernel ran on a float32 operand")
	}
}

// TestTranspose: transpose moves every element, in one pass for small
// matrices and in tiles above smallTranspose elements (tiles cut at the
// edges included), into a buffer reused across shapes.
func TestTranspose(t *testing.T) {
	var buf []float32
	for _, rc := range [][2]int{{1, 1}, {8, 1}, {1, 8}, {2, 3}, {6, 7}, {5, 9}, {8, 20}, {20, 80}, {64, 64}, {64, 65}, {97, 130}, {3, 2000}} {
		r, c := rc[0], rc[1]
		src := make([]float32, r*c)
		for i := range src {
			src[i] = float32(i) + 0.5
		}
		got := transpose(&buf, src, r, c)
		if len(got) != r*c {
			t.Fatalf("%d×%d: %d elements", r, c, len(got))
		}
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				if got[j*r+i] != src[i*c+j] {
					t.Fatalf("%d×%d: element (%d, %d) is %v, want %v", r, c, i, j, got[j*r+i], src[i*c+j])
				}
			}
		}
	}
}
