package graph

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// RNG is the seeded random source used by initializers. It never reads the
// clock: the same seed gives the same weights.
//
// The zero RNG is usable and draws what NewRNG(0) draws. A nil *RNG does
// not panic either, but, having no state to advance, it returns the first
// values of NewRNG(0) on every call; the initializers of this package
// refuse it with an error wrapping ErrArgument.
type RNG struct{ r *rand.Rand }

// rngStream is the PCG stream of every RNG made by NewRNG.
const rngStream = 0x9e3779b97f4a7c15

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	return &RNG{r: rand.New(rand.NewPCG(seed, rngStream))}
}

// src returns the generator behind r, starting the zero RNG as NewRNG(0).
func (r *RNG) src() *rand.Rand {
	if r == nil {
		return rand.New(rand.NewPCG(0, rngStream))
	}
	if r.r == nil {
		r.r = rand.New(rand.NewPCG(0, rngStream))
	}
	return r.r
}

// Split returns a new generator derived from r, for one parameter or layer,
// so that adding a parameter does not shift the values of the others.
func (r *RNG) Split() *RNG {
	s := r.src()
	return &RNG{r: rand.New(rand.NewPCG(s.Uint64(), s.Uint64()))}
}

// Uint64 returns a random 64-bit value.
func (r *RNG) Uint64() uint64 { return r.src().Uint64() }

// Float64 returns a uniform value in [0, 1).
func (r *RNG) Float64() float64 { return r.src().Float64() }

// NormFloat64 returns a standard normal value.
func (r *RNG) NormFloat64() float64 { return r.src().NormFloat64() }

// Perm returns a random permutation of 0..n-1, or nil if n is negative or
// above MaxTensorElements.
func (r *RNG) Perm(n int) []int {
	if n < 0 || n > MaxTensorElements {
		return nil
	}
	return r.src().Perm(n)
}

// Initializer fills a new parameter. Implementations must be deterministic
// given the RNG.
//
// The initializers of this package return an error wrapping ErrShape for a
// shape with a negative dimension or more than MaxTensorElements values,
// and the random ones an error wrapping ErrArgument for a nil RNG; they
// allocate nothing before these checks.
type Initializer interface {
	Init(rng *RNG, shape []int) ([]float64, error)
}

// InitFunc adapts a function to the Initializer interface.
type InitFunc func(rng *RNG, shape []int) ([]float64, error)

// Init calls f (a nil f is an error wrapping ErrArgument).
func (f InitFunc) Init(rng *RNG, shape []int) ([]float64, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil InitFunc", ErrArgument)
	}
	return f(rng, shape)
}

// initSize checks what every initializer needs and returns the number of
// values of shape.
func initSize(what string, rng *RNG, random bool, shape []int) (int, error) {
	if random && rng == nil {
		return 0, fmt.Errorf("%w: %s initializer needs an RNG, got nil", ErrArgument, what)
	}
	n, err := shapeSize(shape)
	if err != nil {
		return 0, fmt.Errorf("%s initializer: %w", what, err)
	}
	return n, nil
}

// Zeros initializes every value to zero (Keras "zeros").
func Zeros() Initializer { return Constant(0) }

// Constant initializes every value to v.
func Constant(v float64) Initializer {
	return InitFunc(func(_ *RNG, shape []int) ([]float64, error) {
		n, err := initSize("constant", nil, false, shape)
		if err != nil {
			return nil, err
		}
		out := make([]float64, n)
		if v != 0 {
			for i := range out {
				out[i] = v
			}
		}
		return out, nil
	})
}

// fans returns Keras' fan-in and fan-out for a kernel shape: for a matrix
// [in, out]; for higher ranks the leading axes are receptive field. The
// shape's size must have been checked.
func fans(shape []int) (in, out float64) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return float64(shape[0]), float64(shape[0])
	case 2:
		return float64(shape[0]), float64(shape[1])
	}
	field := float64(sizeOf(shape[:len(shape)-2]))
	return float64(shape[len(shape)-2]) * field, float64(shape[len(shape)-1]) * field
}

// GlorotUniform draws from U(-l, l) with l = sqrt(6 / (fan_in + fan_out)),
// Keras' default kernel initializer. The fans are those of the shape given
// to Init; use [GlorotUniformFans] when the stored shape is a rearrangement
// of the Keras shape.
func GlorotUniform() Initializer {
	return InitFunc(func(rng *RNG, shape []int) ([]float64, error) {
		n, err := initSize("glorot uniform", rng, true, shape)
		if err != nil {
			return nil, err
		}
		in, out := fans(shape)
		return uniform(rng, n, math.Sqrt(6/(in+out))), nil
	})
}

// GlorotUniformFans is GlorotUniform with explicit fans.
func GlorotUniformFans(fanIn, fanOut int) Initializer {
	return InitFunc(func(rng *RNG, shape []int) ([]float64, error) {
		if fanIn <= 0 || fanOut <= 0 {
			return nil, fmt.Errorf("%w: glorot fans %d, %d", ErrArgument, fanIn, fanOut)
		}
		n, err := initSize("glorot uniform", rng, true, shape)
		if err != nil {
			return nil, err
		}
		// The fans are added as floats: their int sum could overflow.
		return uniform(rng, n, math.Sqrt(6/(float64(fanIn)+float64(fanOut)))), nil
	})
}

func uniform(rng *RNG, n int, limit float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = (2*rng.Float64() - 1) * limit
	}
	return out
}

// Orthogonal returns Keras' orthogonal initializer (gain 1) for a matrix of
// rows×cols values: the Q factor of a QR decomposition of a standard normal
// matrix, with signs fixed by R's diagonal, transposed when rows < cols. The
// result is a row-major rows×cols matrix, whatever shape Init is given, so a
// layer can store it in another layout.
//
// With m = max(rows, cols) and n = min(rows, cols), the normal matrix is
// m×n, drawn row by row, and only the n columns of Q that are used are
// formed (a reduced QR, LAPACK's dgeqrf and dorgqr): memory is O(rows·cols)
// and time O(m·n²).
func Orthogonal(rows, cols int) Initializer {
	return InitFunc(func(rng *RNG, shape []int) ([]float64, error) {
		size, err := initSize("orthogonal", rng, true, shape)
		if err != nil {
			return nil, err
		}
		if n, ok := mulSize(rows, cols); rows <= 0 || cols <= 0 || !ok || n != size {
			return nil, fmt.Errorf("%w: orthogonal %dx%d for shape %v", ErrShape, rows, cols, shape)
		}
		return orthogonal(rng, rows, cols), nil
	})
}

// orthogonal computes Orthogonal's values for positive rows and cols.
func orthogonal(rng *RNG, rows, cols int) []float64 {
	m, n := rows, cols
	if m < n {
		m, n = n, m
	}
	a := blas64.General{Rows: m, Cols: n, Stride: n, Data: make([]float64, m*n)}
	for i := range a.Data {
		a.Data[i] = rng.NormFloat64()
	}
	// A = QR. Geqrf leaves R in the upper triangle and the Householder
	// reflectors below it; Orgqr then overwrites a with Q's first n
	// columns. Both are called as gonum's mat.QR calls them (workspace
	// from a query), and every step of Orgqr computes each column of Q
	// the same way whether the other m-n columns are formed or not, so
	// these are exactly the first n columns of mat.QR's full m×m Q (the
	// tests compare the two bit for bit).
	tau := make([]float64, n)
	work := []float64{0}
	lapack64.Geqrf(a, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(a, tau, work, len(work))
	flip := make([]bool, n)
	for j := range flip {
		flip[j] = a.Data[j*n+j] < 0 // the sign of R's diagonal
	}
	lapack64.Orgqr(a, tau, work[:1], -1)
	if need := int(work[0]); need > len(work) {
		work = make([]float64, need)
	}
	lapack64.Orgqr(a, tau, work, len(work))

	out := make([]float64, rows*cols)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := a.Data[i*n+j]
			if flip[j] {
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
