package graph

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// RNG is the seeded random source used by initializers. It never reads the
// clock: the same seed gives the same weights.
type RNG struct{ r *rand.Rand }

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	return &RNG{r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// Split returns a new generator derived from r, for one parameter or layer,
// so that adding a parameter does not shift the values of the others.
func (r *RNG) Split() *RNG {
	return &RNG{r: rand.New(rand.NewPCG(r.r.Uint64(), r.r.Uint64()))}
}

// Uint64 returns a random 64-bit value.
func (r *RNG) Uint64() uint64 { return r.r.Uint64() }

// Float64 returns a uniform value in [0, 1).
func (r *RNG) Float64() float64 { return r.r.Float64() }

// NormFloat64 returns a standard normal value.
func (r *RNG) NormFloat64() float64 { return r.r.NormFloat64() }

// Perm returns a random permutation of 0..n-1.
func (r *RNG) Perm(n int) []int { return r.r.Perm(n) }

// Initializer fills a new parameter. Implementations must be deterministic
// given the RNG.
type Initializer interface {
	Init(rng *RNG, shape []int) ([]float64, error)
}

// InitFunc adapts a function to the Initializer interface.
type InitFunc func(rng *RNG, shape []int) ([]float64, error)

// Init calls f.
func (f InitFunc) Init(rng *RNG, shape []int) ([]float64, error) { return f(rng, shape) }

// Zeros initializes every value to zero (Keras "zeros").
func Zeros() Initializer { return Constant(0) }

// Constant initializes every value to v.
func Constant(v float64) Initializer {
	return InitFunc(func(_ *RNG, shape []int) ([]float64, error) {
		out := make([]float64, sizeOf(shape))
		for i := range out {
			out[i] = v
		}
		return out, nil
	})
}

// fans returns Keras' fan-in and fan-out for a kernel shape: for a matrix
// [in, out]; for higher ranks the leading axes are receptive field.
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
		in, out := fans(shape)
		return uniform(rng, sizeOf(shape), math.Sqrt(6/(in+out))), nil
	})
}

// GlorotUniformFans is GlorotUniform with explicit fans.
func GlorotUniformFans(fanIn, fanOut int) Initializer {
	return InitFunc(func(rng *RNG, shape []int) ([]float64, error) {
		if fanIn <= 0 || fanOut <= 0 {
			return nil, fmt.Errorf("%w: glorot fans %d, %d", ErrArgument, fanIn, fanOut)
		}
		return uniform(rng, sizeOf(shape), math.Sqrt(6/float64(fanIn+fanOut))), nil
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
func Orthogonal(rows, cols int) Initializer {
	return InitFunc(func(rng *RNG, shape []int) ([]float64, error) {
		if rows <= 0 || cols <= 0 || rows*cols != sizeOf(shape) {
			return nil, fmt.Errorf("%w: orthogonal %dx%d for shape %v", ErrShape, rows, cols, shape)
		}
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
		return out, nil
	})
}
