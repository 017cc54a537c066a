package benchmarks

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gornn/gornn/graph"
)

// NoisySineWindows returns the W1 data set: points sin(t) + N(0, noise)
// at n evenly spaced t on [-2π, 2π], cut into n-window windows x
// [n-window, window, 1] with targets y the same windows one step later.
// The noise is drawn from a PCG generator seeded with seed.
func NoisySineWindows(seed uint64, n, window int, noise float64) (x, y *graph.Tensor, err error) {
	if n < 2 || window < 1 || window >= n {
		return nil, nil, fmt.Errorf("%w: %d points, windows of %d", graph.ErrArgument, n, window)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	s := make([]float64, n)
	for i := range s {
		t := -2*math.Pi + 4*math.Pi*float64(i)/float64(n-1)
		s[i] = math.Sin(t) + noise*rng.NormFloat64()
	}
	k := n - window
	xd := make([]float32, 0, k*window)
	yd := make([]float32, 0, k*window)
	for i := range k {
		for j := range window {
			xd = append(xd, float32(s[i+j]))
			yd = append(yd, float32(s[i+j+1]))
		}
	}
	x = graph.NewTensor(graph.Float32, k, window, 1)
	y = graph.NewTensor(graph.Float32, k, window, 1)
	xs, _ := graph.Float32Data(x)
	ys, _ := graph.Float32Data(y)
	copy(xs, xd)
	copy(ys, yd)
	return x, y, nil
}

// RandomTensor returns a float32 tensor of the given shape filled with
// N(0, 1) values from rng.
func RandomTensor(rng *rand.Rand, shape ...int) *graph.Tensor {
	t := graph.NewTensor(graph.Float32, shape...)
	d, _ := graph.Float32Data(t)
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return t
}
