package graph_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/gornn/gornn/graph"
)

// fullQROrthogonal is the orthogonal initializer as it was first written:
// gonum's mat.QR, whose QTo forms the full m×m Q, of which only the first
// n columns are used. The reduced QR of graph.Orthogonal must give exactly
// the same values: saved reference weights and example outputs depend on
// them bit for bit.
func fullQROrthogonal(rng *graph.RNG, rows, cols int) []float64 {
	r, c := rows, cols
	if r < c {
		r, c = c, r
	}
	a := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q, rr mat.Dense
	qr.QTo(&q)
	qr.RTo(&rr)
	out := make([]float64, rows*cols)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			v := q.At(i, j)
			if rr.At(j, j) < 0 {
				v = -v
			}
			if rows >= cols {
				out[i*cols+j] = v
			} else {
				out[j*cols+i] = v
			}
		}
	}
	return out
}

// orthogonalShapes are the recurrent kernels [U, gU] of SimpleRNN, GRU
// and LSTM layers, square and tall matrices, around the sizes where the
// algorithms change path: LAPACK's blocked code from 129 columns on (block
// 32), gonum's parallel products from four 64×64 blocks of output on.
// GORNN_ORTHOGONAL_UNITS adds units (a comma-separated list: "1000,2000"
// compares the LSTM(1000) and LSTM(2000) kernels, which takes minutes).
func orthogonalShapes(short bool) [][2]int {
	var s [][2]int
	units := []int{1, 2, 3, 5, 8, 20, 31, 32, 33, 64, 65, 100, 128, 129, 161, 193}
	if !short {
		units = append(units, 200, 257)
	}
	for _, f := range strings.FieldsFunc(os.Getenv("GORNN_ORTHOGONAL_UNITS"), func(r rune) bool { return r == ',' }) {
		if u, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && u > 0 {
			units = append(units, u)
		}
	}
	for _, u := range units {
		for _, g := range []int{1, 3, 4} {
			s = append(s, [2]int{u, g * u})
		}
	}
	return append(s, [2]int{7, 3}, [2]int{300, 150}, [2]int{2, 1}, [2]int{1, 1}, [2]int{40, 200})
}

func TestOrthogonalMatchesFullQR(t *testing.T) {
	for _, rc := range orthogonalShapes(testing.Short()) {
		rows, cols := rc[0], rc[1]
		for _, seed := range []uint64{1, 7} {
			got, err := graph.Orthogonal(rows, cols).Init(graph.NewRNG(seed), []int{rows, cols})
			if err != nil {
				t.Fatalf("%dx%d: %v", rows, cols, err)
			}
			want := fullQROrthogonal(graph.NewRNG(seed), rows, cols)
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Errorf("%dx%d seed %d: value %d is %v, full QR gives %v", rows, cols, seed, i, got[i], want[i])
					break
				}
			}
		}
	}
}

func TestOrthogonalIsOrthogonal(t *testing.T) {
	for _, rc := range [][2]int{{6, 24}, {24, 6}, {9, 9}} {
		rows, cols := rc[0], rc[1]
		v := must(graph.Orthogonal(rows, cols).Init(graph.NewRNG(3), []int{rows * cols}))
		// The smaller side's vectors are orthonormal.
		m := mat.NewDense(rows, cols, v)
		var g mat.Dense
		if rows <= cols {
			g.Mul(m, m.T())
		} else {
			g.Mul(m.T(), m)
		}
		n, _ := g.Dims()
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(g.At(i, j)-want) > 1e-12 {
					t.Fatalf("%dx%d: Gram matrix (%d, %d) = %v, want %v", rows, cols, i, j, g.At(i, j), want)
				}
			}
		}
	}
}

// Every initializer refuses a nil RNG (when it draws), invalid and
// oversized shapes with an error, never a panic, and allocates nothing
// for them.
func TestInitializerErrors(t *testing.T) {
	inits := []struct {
		name   string
		init   graph.Initializer
		random bool
	}{
		{"zeros", graph.Zeros(), false},
		{"constant", graph.Constant(0.5), false},
		{"glorot", graph.GlorotUniform(), true},
		{"glorot fans", graph.GlorotUniformFans(3, 4), true},
		{"orthogonal", graph.Orthogonal(3, 4), true},
	}
	huge := [][]int{
		{-1}, {3, -4},
		{graph.MaxTensorElements + 1},
		{1 << 20, 1 << 20},
		{1 << 40, 1 << 40}, // the product overflows int
		{math.MaxInt, 2},
		{1 << 62, 1 << 62, 1 << 62, 0},
	}
	for _, c := range inits {
		if c.random {
			if _, err := c.init.Init(nil, []int{3, 4}); !errors.Is(err, graph.ErrArgument) {
				t.Errorf("%s with a nil RNG: %v, want ErrArgument", c.name, err)
			}
		} else if v, err := c.init.Init(nil, []int{3, 4}); err != nil || len(v) != 12 {
			t.Errorf("%s with a nil RNG: %d values, %v", c.name, len(v), err)
		}
		for _, s := range huge {
			if _, err := c.init.Init(graph.NewRNG(1), s); !errors.Is(err, graph.ErrShape) {
				t.Errorf("%s for shape %v: %v, want ErrShape", c.name, s, err)
			}
		}
		if v, err := c.init.Init(graph.NewRNG(1), []int{3, 4}); err != nil || len(v) != 12 {
			t.Errorf("%s for [3 4]: %d values, %v", c.name, len(v), err)
		}
	}
	for _, rc := range [][2]int{{0, 4}, {3, -4}, {1 << 40, 1 << 40}, {math.MaxInt, 2}, {4, 4}} {
		if _, err := graph.Orthogonal(rc[0], rc[1]).Init(graph.NewRNG(1), []int{12}); !errors.Is(err, graph.ErrShape) {
			t.Errorf("Orthogonal(%d, %d) for [12]: %v, want ErrShape", rc[0], rc[1], err)
		}
	}
	if _, err := graph.GlorotUniformFans(math.MaxInt, math.MaxInt).Init(graph.NewRNG(1), []int{2}); err != nil {
		t.Errorf("Glorot with fans MaxInt: %v", err)
	}
	if _, err := graph.InitFunc(nil).Init(graph.NewRNG(1), []int{2}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("nil InitFunc: %v, want ErrArgument", err)
	}
	var nilFunc graph.InitFunc
	if _, err := graph.NewParam("w", graph.Float32, []int{2}, nilFunc, graph.NewRNG(1)); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("NewParam with a nil InitFunc: %v, want ErrArgument", err)
	}
	if _, err := graph.NewParam("w", graph.Float32, []int{2}, graph.GlorotUniform(), nil); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("NewParam with a nil RNG: %v, want ErrArgument", err)
	}
	for _, s := range [][]int{{1 << 31}, {1 << 16, 1 << 16}, {1 << 40, 1 << 40}} {
		if _, err := graph.NewParam("w", graph.Float32, s, graph.Zeros(), graph.NewRNG(1)); !errors.Is(err, graph.ErrShape) {
			t.Errorf("NewParam of shape %v: %v, want ErrShape", s, err)
		}
	}
}

func TestNilAndZeroRNG(t *testing.T) {
	var zero graph.RNG
	ref := graph.NewRNG(0)
	for i := 0; i < 3; i++ {
		if a, b := zero.Float64(), ref.Float64(); a != b {
			t.Fatalf("zero RNG draw %d: %v, NewRNG(0) gives %v", i, a, b)
		}
	}
	var r *graph.RNG
	first := graph.NewRNG(0).Uint64()
	if a, b := r.Uint64(), r.Uint64(); a != first || b != first {
		t.Errorf("nil RNG: %d, %d, want %d twice", a, b, first)
	}
	_ = r.Float64()
	_ = r.NormFloat64()
	if s := r.Split(); s == nil {
		t.Error("nil RNG's Split is nil")
	}
	if p := r.Perm(4); len(p) != 4 {
		t.Errorf("nil RNG's Perm(4): %v", p)
	}
	for _, n := range []int{-1, math.MinInt, graph.MaxTensorElements + 1, math.MaxInt} {
		if p := graph.NewRNG(1).Perm(n); p != nil {
			t.Errorf("Perm(%d) has %d values, want nil", n, len(p))
		}
	}
	if p := graph.NewRNG(1).Perm(0); len(p) != 0 {
		t.Errorf("Perm(0): %v", p)
	}
}

func TestNewTensorChecked(t *testing.T) {
	bad := []struct {
		dt    graph.DType
		shape []int
		want  error
	}{
		{graph.DType(7), []int{2}, graph.ErrArgument},
		{graph.DType(-1), []int{2}, graph.ErrArgument},
		{graph.Float32, []int{-1}, graph.ErrShape},
		{graph.Float64, []int{2, -3}, graph.ErrShape},
		{graph.Float32, []int{graph.MaxTensorElements + 1}, graph.ErrShape},
		{graph.Float32, []int{1 << 40}, graph.ErrShape},
		{graph.Float64, []int{1 << 32, 1 << 32}, graph.ErrShape}, // overflows to 0
		{graph.Float64, []int{math.MaxInt, math.MaxInt}, graph.ErrShape},
	}
	for _, c := range bad {
		if x, err := graph.NewTensorChecked(c.dt, c.shape...); !errors.Is(err, c.want) || x != nil {
			t.Errorf("NewTensorChecked(%v, %v): %v, %v, want %v", c.dt, c.shape, x, err, c.want)
		}
		if x := graph.NewTensor(c.dt, c.shape...); x != nil {
			t.Errorf("NewTensor(%v, %v) = %v, want nil", c.dt, c.shape, x.Shape())
		}
	}
	for _, c := range []struct {
		dt    graph.DType
		shape []int
	}{{graph.Float32, []int{2, 3}}, {graph.Float64, []int{4}}, {graph.Float32, nil}, {graph.Float64, []int{0, 3}}} {
		x, err := graph.NewTensorChecked(c.dt, c.shape...)
		if err != nil {
			t.Fatalf("NewTensorChecked(%v, %v): %v", c.dt, c.shape, err)
		}
		y := graph.NewTensor(c.dt, c.shape...)
		if dt, err := graph.DTypeOf(x); err != nil || dt != c.dt || y == nil || !slices.Equal(x.Shape(), y.Shape()) {
			t.Errorf("NewTensor(%v, %v): dtype %v (%v), shapes %v and %v", c.dt, c.shape, dt, err, x.Shape(), y)
		}
	}
	// A shape whose product overflows to the length of the data.
	if _, err := graph.FromFloat64s(graph.Float32, nil, 1<<32, 1<<32); !errors.Is(err, graph.ErrShape) {
		t.Errorf("FromFloat64s(nil, 2^32, 2^32): %v, want ErrShape", err)
	}
}

func TestNilTensorsAndParams(t *testing.T) {
	if v := graph.Float64s(nil); v != nil {
		t.Errorf("Float64s(nil) = %v", v)
	}
	if v := graph.AppendFloat64s([]float64{1}, nil); !slices.Equal(v, []float64{1}) {
		t.Errorf("AppendFloat64s(.., nil) = %v", v)
	}
	if _, err := graph.DTypeOf(nil); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("DTypeOf(nil): %v, want ErrArgument", err)
	}
	if err := graph.CheckFinite(nil); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("CheckFinite(nil): %v, want ErrArgument", err)
	}
	if i := graph.FirstNonFinite(nil); i != -1 {
		t.Errorf("FirstNonFinite(nil) = %d", i)
	}
	for name, p := range map[string]*graph.Param{"nil": nil, "zero": {}} {
		if p.Name() != "" || p.Shape() != nil || p.Len() != 0 || p.DType().Valid() || p.Value() != nil || p.Float64s() != nil {
			t.Errorf("%s Param: %q %v %d %v %v", name, p.Name(), p.Shape(), p.Len(), p.DType(), p.Float64s())
		}
		if err := p.SetFloat64s(nil); !errors.Is(err, graph.ErrArgument) {
			t.Errorf("%s Param: SetFloat64s: %v, want ErrArgument", name, err)
		}
		b := must(graph.NewBuilder(graph.Float32, 1))
		if x := b.ParamBlock(p, 0); x != nil || b.Err() == nil {
			t.Errorf("%s Param: ParamBlock gave %v, error %v", name, x, b.Err())
		}
		b = must(graph.NewBuilder(graph.Float32, 1))
		if x := b.Param(p); x != nil || b.Err() == nil {
			t.Errorf("%s Param: Param gave %v, error %v", name, x, b.Err())
		}
	}
}

// BenchmarkOrthogonal times the recurrent kernel of LSTM(U), an
// orthogonal [U, 4U] matrix.
func BenchmarkOrthogonal(b *testing.B) {
	for _, u := range []int{100, 1000, 2000} {
		b.Run(fmt.Sprintf("LSTM%d", u), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := graph.Orthogonal(u, 4*u).Init(graph.NewRNG(1), []int{u, 4 * u}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
