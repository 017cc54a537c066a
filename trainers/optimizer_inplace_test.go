package trainers_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/trainers"
)

// oldRule is the update the optimizers made before they worked in place:
// weights and gradients copied to float64, clipped (norm, global norm, then
// value), the rule applied to the copies and the slots, the results written
// back converted to the parameter's dtype. TestInPlaceMatchesFloat64Copies
// checks the in-place update against it bit for bit.
type oldRule struct {
	kind                           string // sgd, momentum, nesterov, adam, rmsprop
	lr, mom, b1, b2, eps, rho      float64
	clipValue, clipNorm, globalCap float64
}

func (r oldRule) step(iter int, w, g [][]float64, slots map[string][]float64, names []string) {
	var global float64 // the sum of the parameters' sums of squares
	for _, gi := range g {
		var sq float64
		for _, v := range gi {
			sq += v * v
		}
		global += sq
		if c := r.clipNorm; c > 0 {
			if n := math.Sqrt(sq); n > c {
				for j := range gi {
					gi[j] *= c / n
				}
			}
		}
	}
	if c := r.globalCap; c > 0 {
		if n := math.Sqrt(global); n > c {
			for _, gi := range g {
				for j := range gi {
					gi[j] *= c / n
				}
			}
		}
	}
	if c := r.clipValue; c > 0 {
		for _, gi := range g {
			for j, v := range gi {
				gi[j] = math.Max(-c, math.Min(c, v))
			}
		}
	}
	t := float64(iter + 1)
	alpha := r.lr * math.Sqrt(1-math.Pow(r.b2, t)) / (1 - math.Pow(r.b1, t))
	for i := range w {
		wi, gi := w[i], g[i]
		switch r.kind {
		case "sgd":
			for j := range wi {
				wi[j] -= r.lr * gi[j]
			}
		case "momentum", "nesterov":
			v := slots[names[i]+"/momentum"]
			for j := range wi {
				v[j] = r.mom*v[j] - r.lr*gi[j]
				if r.kind == "nesterov" {
					wi[j] += r.mom*v[j] - r.lr*gi[j]
				} else {
					wi[j] += v[j]
				}
			}
		case "adam":
			m, v := slots[names[i]+"/m"], slots[names[i]+"/v"]
			for j := range wi {
				m[j] += (gi[j] - m[j]) * (1 - r.b1)
				v[j] += (gi[j]*gi[j] - v[j]) * (1 - r.b2)
				wi[j] -= alpha * m[j] / (math.Sqrt(v[j]) + r.eps)
			}
		case "rmsprop":
			v := slots[names[i]+"/velocity"]
			for j := range wi {
				v[j] = r.rho*v[j] + (1-r.rho)*gi[j]*gi[j]
				wi[j] -= r.lr * gi[j] / (math.Sqrt(v[j]) + r.eps)
			}
		}
	}
}

func (r oldRule) optimizer() (trainers.Optimizer, error) {
	switch r.kind {
	case "sgd", "momentum", "nesterov":
		return trainers.NewSGD(&trainers.SGDOptions{LearningRate: r.lr, Momentum: r.mom, Nesterov: r.kind == "nesterov",
			ClipValue: r.clipValue, ClipNorm: r.clipNorm, GlobalClipNorm: r.globalCap})
	case "adam":
		return trainers.NewAdam(&trainers.AdamOptions{LearningRate: r.lr, Beta1: r.b1, Beta2: r.b2, Epsilon: r.eps,
			ClipValue: r.clipValue, ClipNorm: r.clipNorm, GlobalClipNorm: r.globalCap})
	}
	return trainers.NewRMSprop(&trainers.RMSpropOptions{LearningRate: r.lr, Rho: r.rho, Epsilon: r.eps,
		ClipValue: r.clipValue, ClipNorm: r.clipNorm, GlobalClipNorm: r.globalCap})
}

func (r oldRule) slotNames() []string {
	switch r.kind {
	case "momentum", "nesterov":
		return []string{"momentum"}
	case "adam":
		return []string{"m", "v"}
	case "rmsprop":
		return []string{"velocity"}
	}
	return nil
}

// TestInPlaceMatchesFloat64Copies runs every rule and clipping mode on
// float32 and float64 parameters, with gradients of the same and of the
// other dtype, and compares the weights and slots after each step with the
// float64-copy update bit for bit.
func TestInPlaceMatchesFloat64Copies(t *testing.T) {
	kinds := []oldRule{
		{kind: "sgd", lr: 0.1},
		{kind: "momentum", lr: 0.05, mom: 0.9},
		{kind: "nesterov", lr: 0.05, mom: 0.8},
		{kind: "adam", lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-7},
		{kind: "rmsprop", lr: 0.01, rho: 0.9, eps: 1e-7},
	}
	clips := []struct {
		name string
		set  func(*oldRule)
	}{
		{"none", func(*oldRule) {}},
		{"value", func(r *oldRule) { r.clipValue = 0.3 }},
		{"norm", func(r *oldRule) { r.clipNorm = 0.5 }},
		{"global", func(r *oldRule) { r.globalCap = 0.7 }},
	}
	dts := []graph.DType{graph.Float32, graph.Float64}
	for _, k := range kinds {
		for _, c := range clips {
			for _, pdt := range dts {
				for _, gdt := range dts {
					r := k
					c.set(&r)
					t.Run(fmt.Sprintf("%s/%s/%v/%v", r.kind, c.name, pdt, gdt), func(t *testing.T) {
						checkInPlace(t, r, pdt, gdt)
					})
				}
			}
		}
	}
}

func checkInPlace(t *testing.T, r oldRule, pdt, gdt graph.DType) {
	rng := graph.NewRNG(42)
	sizes := []int{7, 3, 1}
	names := []string{"a/kernel", "a/bias", "b/bias"}
	params := make([]*graph.Param, len(sizes))
	w := make([][]float64, len(sizes)) // the reference weights, as float64
	for i, n := range sizes {
		params[i] = must(graph.NewParam(names[i], pdt, []int{n}, graph.GlorotUniform(), rng))
		w[i] = params[i].Float64s()
	}
	slots := map[string][]float64{}
	for _, s := range r.slotNames() {
		for i, n := range sizes {
			slots[names[i]+"/"+s] = make([]float64, n)
		}
	}
	opt := must(r.optimizer())
	for step := range 5 {
		grads := make([]*graph.Tensor, len(sizes))
		g := make([][]float64, len(sizes))
		for i, n := range sizes {
			vals := make([]float64, n)
			for j := range vals {
				vals[j] = 2 * (rng.Float64() - 0.5)
			}
			grads[i] = must(graph.FromFloat64s(gdt, vals, n))
			g[i] = graph.Float64s(grads[i]) // as the gradient tensor holds them
		}
		if err := opt.Step(params, grads); err != nil {
			t.Fatalf("step %d: %v", step+1, err)
		}
		r.step(step, w, g, slots, names)
		for i, p := range params {
			// The reference writes back through the parameter's dtype.
			want := must(graph.FromFloat64s(pdt, w[i], len(w[i])))
			w[i] = graph.Float64s(want)
			if got := p.Float64s(); !bitsEqual(got, w[i]) {
				t.Fatalf("step %d: %s = %v, the float64-copy update gives %v", step+1, p.Name(), got, w[i])
			}
		}
		st := opt.State()
		if len(st.Slots) != len(slots) {
			t.Fatalf("step %d: slots %v, want %d", step+1, st.Slots, len(slots))
		}
		for name, want := range slots {
			if got := st.Slots[name]; !bitsEqual(got, want) {
				t.Fatalf("step %d: slot %s = %v, want %v", step+1, name, got, want)
			}
		}
	}
}

func bitsEqual(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// TestNonFiniteStepChangesNothing makes the update of the last parameter
// overflow float32 after the other parameters' updates were worked out:
// no weight, slot or step count changes, for every optimizer.
func TestNonFiniteStepChangesNothing(t *testing.T) {
	for _, name := range []string{"sgd", "momentum", "adam", "rmsprop"} {
		t.Run(name, func(t *testing.T) {
			var opt trainers.Optimizer
			if name == "momentum" {
				opt = must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 1e-3, Momentum: 0.9}))
			} else {
				opt = must(trainers.NewOptimizer(name, &trainers.OptimizerOptions{LearningRate: 1e-3}))
			}
			a := toyParam(t, "a", graph.Float32, 4, 0.5)
			b := toyParam(t, "b", graph.Float32, 2, 3e38)
			params := []*graph.Param{a, b}
			small := []*graph.Tensor{grad(graph.Float32, 0.1, -0.2, 0.3, -0.4), grad(graph.Float32, 1e-3, -1e-3)}
			if err := opt.Step(params, small); err != nil {
				t.Fatal(err)
			}
			wa, wb, st := a.Float64s(), b.Float64s(), opt.State()
			// A learning rate of 1e38 takes b beyond float32's range (a
			// would stay finite).
			if err := opt.SetLearningRate(1e38); err != nil {
				t.Fatal(err)
			}
			err := opt.Step(params, []*graph.Tensor{grad(graph.Float32, 1e-30, 1e-30, 1e-30, 1e-30), grad(graph.Float32, -1, -1)})
			if !errors.Is(err, trainers.ErrNotFiniteGrad) {
				t.Fatalf("error %v, want ErrNotFiniteGrad", err)
			}
			if !bitsEqual(a.Float64s(), wa) || !bitsEqual(b.Float64s(), wb) {
				t.Errorf("weights changed: a %v (was %v), b %v (was %v)", a.Float64s(), wa, b.Float64s(), wb)
			}
			after := opt.State()
			if after.Iterations != st.Iterations {
				t.Errorf("iterations %d, was %d", after.Iterations, st.Iterations)
			}
			for k, v := range st.Slots {
				if !bitsEqual(after.Slots[k], v) {
					t.Errorf("slot %s changed: %v, was %v", k, after.Slots[k], v)
				}
			}
			// A NaN gradient of the last parameter: nothing changes either.
			err = opt.Step(params, []*graph.Tensor{small[0], grad(graph.Float32, 0, math.NaN())})
			if !errors.Is(err, trainers.ErrNotFiniteGrad) {
				t.Fatalf("NaN gradient: error %v, want ErrNotFiniteGrad", err)
			}
			if !bitsEqual(a.Float64s(), wa) || opt.Iterations() != st.Iterations {
				t.Errorf("NaN gradient changed a to %v, iterations to %d", a.Float64s(), opt.Iterations())
			}
		})
	}
}

// TestStepPartGradient gives a gradient that shares the memory of a
// larger tensor (samples cut by graph.SampleRange): the update reads the
// part's elements, not the memory around it. (Gorgonia's views cannot be
// made through graph's API.)
func TestStepPartGradient(t *testing.T) {
	big := must(graph.FromFloat64s(graph.Float64, []float64{7, 7, 9, 2, 9, 4, 7, 7}, 4, 2))
	part := must(graph.SampleRange(big, 1, 3))
	p := toyParam(t, "w", graph.Float64, 4, 0)
	opt := must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 1}))
	if err := opt.Step([]*graph.Param{p}, []*graph.Tensor{part}); err != nil {
		t.Fatal(err)
	}
	want := []float64{-9, -2, -9, -4}
	if got := p.Float64s(); !slices.Equal(got, want) {
		t.Errorf("w = %v, want %v (minus the part's elements)", got, want)
	}
}

// TestStepDuplicateParamNames refuses to bind an optimizer to parameters
// whose names repeat (their slots would be shared).
func TestStepDuplicateParamNames(t *testing.T) {
	a, b := toyParam(t, "w", graph.Float64, 2, 1), toyParam(t, "w", graph.Float64, 2, 1)
	opt := must(trainers.NewAdam(nil))
	err := opt.Step([]*graph.Param{a, b}, []*graph.Tensor{grad(graph.Float64, 1, 1), grad(graph.Float64, 1, 1)})
	if !errors.Is(err, graph.ErrArgument) {
		t.Fatalf("error %v, want ErrArgument", err)
	}
	if !slices.Equal(a.Float64s(), []float64{1, 1}) || opt.Iterations() != 0 {
		t.Errorf("the refused step changed w to %v", a.Float64s())
	}
}
