package main

import (
	"math"
	"slices"
	"testing"
)

func TestSineSeries(t *testing.T) {
	tests := []struct {
		name   string
		points int
		noise  float64
	}{
		{"two points", 2, 0},
		{"fifty clean", 50, 0},
		{"fifty noisy", 50, 0.1},
		{"odd count", 101, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, clean, noisy, err := sineSeries(tc.points, tc.noise, 42)
			if err != nil {
				t.Fatalf("sineSeries: %v", err)
			}
			if len(x) != tc.points || len(clean) != tc.points || len(noisy) != tc.points {
				t.Fatalf("lengths %d,%d,%d, want %d", len(x), len(clean), len(noisy), tc.points)
			}
			if x[0] != -2*math.Pi || x[len(x)-1] != 2*math.Pi {
				t.Errorf("endpoints %v, %v, want ±2π", x[0], x[len(x)-1])
			}
			step := 4 * math.Pi / float64(tc.points-1)
			var maxDev float64
			for i := range x {
				if d := x[i] - (-2*math.Pi + float64(i)*step); math.Abs(d) > 1e-12 {
					t.Errorf("x[%d] = %v, off linspace by %v", i, x[i], d)
				}
				if clean[i] != math.Sin(x[i]) {
					t.Errorf("clean[%d] = %v, want sin(x) = %v", i, clean[i], math.Sin(x[i]))
				}
				maxDev = math.Max(maxDev, math.Abs(noisy[i]-clean[i]))
			}
			switch {
			case tc.noise == 0 && maxDev != 0:
				t.Errorf("noise 0 but noisy deviates by %v", maxDev)
			case tc.noise > 0 && (maxDev == 0 || maxDev > 6*tc.noise):
				t.Errorf("max deviation %v implausible for noise %v", maxDev, tc.noise)
			}
		})
	}
}

func TestSineSeriesSeed(t *testing.T) {
	_, _, a, err := sineSeries(30, 0.2, 7)
	if err != nil {
		t.Fatal(err)
	}
	_, _, b, err := sineSeries(30, 0.2, 7)
	if err != nil {
		t.Fatal(err)
	}
	_, _, c, err := sineSeries(30, 0.2, 8)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Error("same seed gave different noise")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave identical noise")
	}
}

func TestSineSeriesErrors(t *testing.T) {
	tests := []struct {
		name   string
		points int
		noise  float64
	}{
		{"zero points", 0, 0},
		{"one point", 1, 0},
		{"negative points", -5, 0},
		{"negative noise", 10, -0.1},
		{"NaN noise", 10, math.NaN()},
		{"infinite noise", 10, math.Inf(1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, _, err := sineSeries(tc.points, tc.noise, 1); err == nil {
				t.Errorf("sineSeries(%d, %v) succeeded, want error", tc.points, tc.noise)
			}
		})
	}
}

func TestWindows(t *testing.T) {
	seq := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(i)
		}
		return s
	}
	tests := []struct {
		name     string
		n        int
		window   int
		wantRows int
	}{
		{"fifty by ten", 50, 10, 40},
		{"minimal", 2, 1, 1},
		{"exact fit", 11, 10, 1},
		{"window one", 5, 1, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := seq(tc.n)
			x, tg, err := windows(s, tc.window)
			if err != nil {
				t.Fatalf("windows: %v", err)
			}
			if len(x) != tc.wantRows || len(tg) != tc.wantRows {
				t.Fatalf("got %d inputs, %d targets, want %d", len(x), len(tg), tc.wantRows)
			}
			for i := range x {
				if !slices.Equal(x[i], s[i:i+tc.window]) {
					t.Errorf("x[%d] = %v, want %v", i, x[i], s[i:i+tc.window])
				}
				if !slices.Equal(tg[i], s[i+1:i+tc.window+1]) {
					t.Errorf("t[%d] = %v, want %v", i, tg[i], s[i+1:i+tc.window+1])
				}
			}
			x[0][0] = -1
			if s[0] == -1 {
				t.Error("windows aliases the input series")
			}
		})
	}
}

func TestWindowsErrors(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		window int
	}{
		{"zero window", 10, 0},
		{"negative window", 10, -1},
		{"series equals window", 10, 10},
		{"series shorter", 3, 10},
		{"empty series", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := windows(make([]float64, tc.n), tc.window); err == nil {
				t.Errorf("windows(len %d, %d) succeeded, want error", tc.n, tc.window)
			}
		})
	}
}
