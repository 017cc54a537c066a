package simd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// paths runs f once for each kernel path this machine has: the assembly
// (where the processor has AVX2 and FMA) and plain Go.
func paths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := Enabled
	defer func() { Enabled = saved }()
	if hasAVX2FMA {
		Enabled = true
		t.Run("asm", f)
	} else {
		t.Log("no AVX2+FMA on this processor: only the plain-Go path is tested")
	}
	Enabled = false
	t.Run("go", f)
}

// activationInputs covers both branches of each kernel, their boundaries,
// saturation, tiny and huge magnitudes, and the special values.
func activationInputs() []float32 {
	var xs []float32
	for x := -100.0; x <= 100; x += 0.0037 {
		xs = append(xs, float32(x))
	}
	for _, x := range []float32{0, 1e-30, 1e-20, 1e-10, 1e-5, 0.001, 0.6249999, 0.625, 0.6250001,
		17, 18, 18.5, 40, 44, 45, 87, 87.3, 88, 88.5, 89, 100, 1e10, math.MaxFloat32,
		math.SmallestNonzeroFloat32} {
		xs = append(xs, x, -x)
	}
	return xs
}

// ulps is the distance between got and want (float64) in float32 units
// in the last place of want.
func ulps(got float32, want float64) float64 {
	w := float32(want)
	if w == 0 {
		return math.Abs(float64(got)) / math.SmallestNonzeroFloat32
	}
	ulp := math.Abs(float64(math.Nextafter32(w, float32(math.Inf(1)))) - float64(w))
	return math.Abs(float64(got)-want) / ulp
}

func TestSigmoid(t *testing.T) {
	paths(t, func(t *testing.T) {
		xs := activationInputs()
		got := make([]float32, len(xs))
		Sigmoid(got, xs)
		worst, at := 0.0, float32(0)
		for i, x := range xs {
			want := 1 / (1 + math.Exp(-float64(x)))
			if x < -88 {
				want = 0
			}
			if u := ulps(got[i], want); u > worst {
				worst, at = u, x
			}
		}
		t.Logf("largest error %.2f ulp at x = %g", worst, at)
		if worst > 4 {
			t.Errorf("sigmoid off by %.2f ulp at x = %g", worst, at)
		}
		checkSpecial(t, Sigmoid, map[float32]float32{
			float32(math.Inf(1)): 1, float32(math.Inf(-1)): 0, -88.5: 0, 0: 0.5, 20: 1,
		})
	})
}

func TestTanh(t *testing.T) {
	paths(t, func(t *testing.T) {
		xs := activationInputs()
		got := make([]float32, len(xs))
		Tanh(got, xs)
		worst, at := 0.0, float32(0)
		for i, x := range xs {
			if u := ulps(got[i], math.Tanh(float64(x))); u > worst {
				worst, at = u, x
			}
		}
		t.Logf("largest error %.2f ulp at x = %g", worst, at)
		if worst > 4 {
			t.Errorf("tanh off by %.2f ulp at x = %g", worst, at)
		}
		checkSpecial(t, Tanh, map[float32]float32{
			float32(math.Inf(1)): 1, float32(math.Inf(-1)): -1, 0: 0, 50: 1, -50: -1,
		})
		// An odd function, exactly.
		neg := make([]float32, len(xs))
		for i, x := range xs {
			neg[i] = -x
		}
		Tanh(neg, neg)
		for i := range xs {
			if neg[i] != -got[i] {
				t.Fatalf("tanh(%g) = %g but tanh(%g) = %g", xs[i], got[i], -xs[i], neg[i])
			}
		}
	})
}

// checkSpecial checks exact results, NaN, every length up to 20 (the
// tails), and that dst may be x.
func checkSpecial(t *testing.T, f func(dst, x []float32), exact map[float32]float32) {
	t.Helper()
	for x, want := range exact {
		got := []float32{0}
		f(got, []float32{x})
		if got[0] != want {
			t.Errorf("f(%g) = %g, want %g", x, got[0], want)
		}
	}
	nan := float32(math.NaN())
	for n := 1; n <= 20; n++ {
		for at := 0; at < n; at++ {
			xs := make([]float32, n)
			for i := range xs {
				xs[i] = float32(i)*0.3 - 2
			}
			xs[at] = nan
			one := make([]float32, n)
			for i := range xs {
				f(one[i:i+1], xs[i:i+1])
			}
			dst := make([]float32, n+1)
			dst[n] = 42
			f(dst, xs)
			if dst[n] != 42 {
				t.Fatalf("length %d: wrote past the end", n)
			}
			f(xs, xs) // in place
			for i := range xs {
				if i == at {
					if !math.IsNaN(float64(dst[i])) || !math.IsNaN(float64(xs[i])) {
						t.Fatalf("length %d: NaN at %d gave %g", n, i, dst[i])
					}
					continue
				}
				if dst[i] != one[i] || xs[i] != dst[i] {
					t.Fatalf("length %d, element %d: %g in a batch, %g alone, %g in place", n, i, dst[i], one[i], xs[i])
				}
			}
		}
	}
	f(nil, nil) // empty: nothing to do
}

func TestExp(t *testing.T) {
	worst := 0.0
	for x := -87.0; x <= 88; x += 0.001 {
		got, want := float64(exp32(float32(x))), math.Exp(float64(float32(x)))
		if r := math.Abs(got-want) / want; r > worst {
			worst = r
		}
	}
	if worst > 4e-7 { // a few float32 ulps
		t.Errorf("exp32 relative error up to %g", worst)
	}
}

func BenchmarkActivations(b *testing.B) {
	for _, n := range []int{160, 4096, 200000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i%200)*0.05 - 5
		}
		dst := make([]float32, n)
		for _, k := range []struct {
			name string
			f    func(dst, x []float32)
		}{{"sigmoid", Sigmoid}, {"tanh", Tanh}} {
			for _, asm := range []bool{true, false} {
				if asm && !hasAVX2FMA {
					continue
				}
				name := k.name + "/go"
				if asm {
					name = k.name + "/asm"
				}
				b.Run(name+"/"+itoa(n), func(b *testing.B) {
					saved := Enabled
					Enabled = asm
					defer func() { Enabled = saved }()
					b.SetBytes(int64(4 * n))
					for b.Loop() {
						k.f(dst, x)
					}
				})
			}
		}
	}
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

// TestShortDestination: a destination shorter than the input panics, even
// when its capacity would hold the result, for every entry point.
func TestShortDestination(t *testing.T) {
	paths(t, func(t *testing.T) {
		x := make([]float32, 12)
		short := make([]float32, 4, 16)
		for name, f := range map[string]func(){
			"Sigmoid":  func() { Sigmoid(short, x) },
			"Tanh":     func() { Tanh(short, x) },
			"VV dst":   func() { VV(Add, short, x, x) },
			"VV b":     func() { VV(Add, x, x, short) },
			"VS":       func() { VS(Mul, short, x, 2) },
			"SV":       func() { SV(Sub, short, 1, x) },
			"CopyRows": func() { CopyRows(short, 12, x, 12, 1, 12) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: no panic", name)
					}
				}()
				f()
			}()
			if full := short[:16]; full[4] != 0 {
				t.Fatalf("%s wrote past the destination's length", name)
			}
		}
	})
}

// TestActivationsDoNotAllocate: the padded block of a ragged tail stays
// on the stack.
func TestActivationsDoNotAllocate(t *testing.T) {
	paths(t, func(t *testing.T) {
		x, dst := make([]float32, 13), make([]float32, 13)
		if n := testing.AllocsPerRun(100, func() { Sigmoid(dst, x); Tanh(dst, x) }); n != 0 {
			t.Errorf("%v allocations per call", n)
		}
	})
}

// TestActivationTails: a length that is not a multiple of eight has its
// last eight elements computed again (or, below eight or in place, through
// a padded block); every element is the value its input gets alone in a
// block of eight, in place or not.
func TestActivationTails(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	for _, tanh := range []bool{false, true} {
		f, name := Sigmoid, "Sigmoid"
		if tanh {
			f, name = Tanh, "Tanh"
		}
		for n := 1; n <= 41; n++ {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rnd.NormFloat64() * 4)
			}
			got := make([]float32, n)
			f(got, x)
			inPlace := slices.Clone(x)
			f(inPlace, inPlace)
			for i, v := range x {
				var in, out [8]float32
				in[i%8] = v
				f(out[:], in[:])
				want := out[i%8]
				if math.Float32bits(got[i]) != math.Float32bits(want) || math.Float32bits(inPlace[i]) != math.Float32bits(want) {
					t.Fatalf("%s n=%d: element %d is %v (in place %v), alone in a block %v", name, n, i, got[i], inPlace[i], want)
				}
			}
		}
	}
}

// TestTanhPathsAgree: a vector whose lanes are all below 0.625 in
// magnitude (the polynomial alone) and one whose lanes are all at or
// above it (the exponential formula alone) give each lane the bits it
// gets in a vector of both kinds (both computed, then blended).
func TestTanhPathsAgree(t *testing.T) {
	if !Enabled {
		t.Skip("the paths are the assembly's")
	}
	var small, large []float32
	for i := 0; i <= 4000; i++ {
		v := float32(i) * (0.625 / 4000)
		if v < 0.625 {
			small = append(small, v, -v)
		}
	}
	small = append(small, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, 1e-30, math.Nextafter32(0.625, 0))
	for i := 0; i <= 4000; i++ {
		v := 0.625 + float32(i)*0.01
		large = append(large, v, -v)
	}
	large = append(large, 88, 1e30, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()))
	check := func(kind string, xs []float32, other float32) {
		for _, x := range xs {
			same := make([]float32, 8)
			mixed := make([]float32, 8)
			for j := range same {
				same[j], mixed[j] = x, other
			}
			mixed[3] = x
			Tanh(same, same)
			Tanh(mixed, mixed)
			if math.Float32bits(same[0]) != math.Float32bits(mixed[3]) && !(same[0] != same[0] && mixed[3] != mixed[3]) {
				t.Fatalf("%s x = %g: %g alone, %g among other lanes", kind, x, same[0], mixed[3])
			}
		}
	}
	check("small", small, 2)
	check("large", large, 0.25)
}

// TestActivationsWideMatchAVX2 checks that the AVX-512 sigmoid and tanh
// give the AVX2 kernels' bits: on the activation inputs and on every
// 4099th float32 bit pattern (about a million values of every sign,
// magnitude and class: NaNs, infinities, subnormals), at lengths that
// leave tails of 8 and of fewer than 8.
func TestActivationsWideMatchAVX2(t *testing.T) {
	if !hasAVX512 || !hasAVX2FMA {
		t.Log("no AVX-512F on this processor: nothing to compare the AVX2 kernels with")
		return
	}
	savedE, savedW := Enabled, wide
	defer func() { Enabled, wide = savedE, savedW }()
	Enabled = true
	xs := activationInputs()
	for b := uint64(0); b < 1<<32; b += 4099 {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	for _, n := range []int{len(xs), len(xs) - 3, len(xs) - 8, 16, 24, 31} {
		x := xs[len(xs)-n:]
		for _, f := range []struct {
			name string
			fn   func(dst, x []float32)
		}{{"sigmoid", sigmoid}, {"tanh", tanh}} {
			var out [2][]float32
			for p, w := range []bool{false, true} {
				wide = w
				out[p] = make([]float32, n)
				f.fn(out[p], x)
			}
			for i := range x {
				if math.Float32bits(out[0][i]) != math.Float32bits(out[1][i]) {
					t.Fatalf("%s(%v) (bits %#x): AVX2 %v, AVX-512 %v", f.name, x[i], math.Float32bits(x[i]), out[0][i], out[1][i])
				}
			}
		}
	}
}
