package main

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// pcgStream is the fixed PCG stream selector used with the user's seed, so
// that a single uint64 seed fully determines the noise.
const pcgStream = 0x9e3779b97f4a7c15

// sineSeries returns points values of x evenly spaced on [-2π, 2π]
// (inclusive at both ends, like numpy.linspace), the clean signal sin(x) and a
// noisy copy sin(x) + noise·N(0,1). The noise is drawn from a PCG generator
// seeded with seed, so equal arguments give identical results.
func sineSeries(points int, noise float64, seed uint64) (x, clean, noisy []float64, err error) {
	if points < 2 {
		return nil, nil, nil, fmt.Errorf("sine series: need at least 2 points, got %d", points)
	}
	if math.IsNaN(noise) || math.IsInf(noise, 0) || noise < 0 {
		return nil, nil, nil, fmt.Errorf("sine series: noise must be finite and non-negative, got %v", noise)
	}
	const lo, hi = -2 * math.Pi, 2 * math.Pi
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	step := (hi - lo) / float64(points-1)
	x = make([]float64, points)
	clean = make([]float64, points)
	noisy = make([]float64, points)
	for i := range x {
		x[i] = lo + float64(i)*step
		if i == points-1 {
			x[i] = hi // avoid rounding drift at the end point
		}
		clean[i] = math.Sin(x[i])
		noisy[i] = clean[i] + noise*rng.NormFloat64()
	}
	return x, clean, noisy, nil
}

// windows cuts series into overlapping input/target pairs for next-step
// prediction: x[i] = series[i:i+window] and t[i] = series[i+1:i+window+1] for
// i = 0 … len(series)-window-1. The returned slices are copies and do not
// alias series.
func windows(series []float64, window int) (x, t [][]float64, err error) {
	if window < 1 {
		return nil, nil, fmt.Errorf("windows: window must be at least 1, got %d", window)
	}
	if len(series) < window+1 {
		return nil, nil, fmt.Errorf("windows: series of length %d too short for window %d (need at least %d)",
			len(series), window, window+1)
	}
	n := len(series) - window
	x = make([][]float64, n)
	t = make([][]float64, n)
	for i := range n {
		x[i] = append([]float64(nil), series[i:i+window]...)
		t[i] = append([]float64(nil), series[i+1:i+window+1]...)
	}
	return x, t, nil
}
