package trainers_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/trainers"
)

// toyParam is a parameter of n values, all w0.
func toyParam(t testing.TB, name string, dt graph.DType, n int, w0 float64) *graph.Param {
	t.Helper()
	return must(graph.NewParam(name, dt, []int{n}, graph.Constant(w0), graph.NewRNG(1)))
}

func grad(dt graph.DType, g ...float64) *graph.Tensor {
	return must(graph.FromFloat64s(dt, g, len(g)))
}

// toyGrads is the gradient sequence the rules are checked on: signs change,
// sizes vary over two orders of magnitude.
var toyGrads = []float64{0.3, -0.2, 0.5, 1.0, -0.01, 0.04}

// TestOptimizerRules runs each optimizer on one scalar parameter and
// compares every step with the rule of FORMAT.md computed by hand.
func TestOptimizerRules(t *testing.T) {
	const w0, lr = 0.5, 0.1
	cases := []struct {
		name string
		opt  func() (trainers.Optimizer, error)
		// rule returns the weights after each step of toyGrads.
		rule func() []float64
	}{
		{"sgd", func() (trainers.Optimizer, error) { return trainers.NewSGD(&trainers.SGDOptions{LearningRate: lr}) }, func() []float64 {
			w, out := w0, []float64{}
			for _, g := range toyGrads {
				w -= lr * g
				out = append(out, w)
			}
			return out
		}},
		{"momentum", func() (trainers.Optimizer, error) {
			return trainers.NewSGD(&trainers.SGDOptions{LearningRate: lr, Momentum: 0.9})
		}, func() []float64 {
			w, v, out := w0, 0.0, []float64{}
			for _, g := range toyGrads {
				v = 0.9*v - lr*g
				w += v
				out = append(out, w)
			}
			return out
		}},
		{"nesterov", func() (trainers.Optimizer, error) {
			return trainers.NewSGD(&trainers.SGDOptions{LearningRate: lr, Momentum: 0.9, Nesterov: true})
		}, func() []float64 {
			w, v, out := w0, 0.0, []float64{}
			for _, g := range toyGrads {
				v = 0.9*v - lr*g
				w += 0.9*v - lr*g
				out = append(out, w)
			}
			return out
		}},
		{"adam", func() (trainers.Optimizer, error) { return trainers.NewAdam(&trainers.AdamOptions{LearningRate: lr}) }, func() []float64 {
			w, m, v, out := w0, 0.0, 0.0, []float64{}
			for i, g := range toyGrads {
				step := float64(i + 1)
				m += (g - m) * (1 - 0.9)
				v += (g*g - v) * (1 - 0.999)
				w -= lr * math.Sqrt(1-math.Pow(0.999, step)) / (1 - math.Pow(0.9, step)) * m / (math.Sqrt(v) + 1e-7)
				out = append(out, w)
			}
			return out
		}},
		{"adam_betas", func() (trainers.Optimizer, error) {
			return trainers.NewAdam(&trainers.AdamOptions{LearningRate: lr, Beta1: 0.5, Beta2: 0.75, Epsilon: 0.1})
		}, func() []float64 {
			w, m, v, out := w0, 0.0, 0.0, []float64{}
			for i, g := range toyGrads {
				step := float64(i + 1)
				m += (g - m) * 0.5
				v += (g*g - v) * 0.25
				w -= lr * math.Sqrt(1-math.Pow(0.75, step)) / (1 - math.Pow(0.5, step)) * m / (math.Sqrt(v) + 0.1)
				out = append(out, w)
			}
			return out
		}},
		{"rmsprop", func() (trainers.Optimizer, error) {
			return trainers.NewRMSprop(&trainers.RMSpropOptions{LearningRate: lr, Rho: 0.8, Epsilon: 0.01})
		}, func() []float64 {
			w, v, out := w0, 0.0, []float64{}
			for _, g := range toyGrads {
				v = 0.8*v + 0.2*g*g
				// ε outside the square root, as the reference cases.
				w -= lr * g / (math.Sqrt(v) + 0.01)
				out = append(out, w)
			}
			return out
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt, err := c.opt()
			if err != nil {
				t.Fatal(err)
			}
			p := toyParam(t, "w", graph.Float64, 1, w0)
			want := c.rule()
			for i, g := range toyGrads {
				if err := opt.Step([]*graph.Param{p}, []*graph.Tensor{grad(graph.Float64, g)}); err != nil {
					t.Fatal(err)
				}
				if got := p.Float64s()[0]; !closeTo(got, want[i], 1e-14) {
					t.Errorf("step %d: w = %.17g, rule gives %.17g", i+1, got, want[i])
				}
			}
			if opt.Iterations() != len(toyGrads) {
				t.Errorf("iterations %d", opt.Iterations())
			}
		})
	}
}

// TestOptimizerFirstSteps pins a few values worked out on paper.
func TestOptimizerFirstSteps(t *testing.T) {
	step := func(opt trainers.Optimizer, gs ...float64) float64 {
		p := toyParam(t, "w", graph.Float64, 1, 1)
		for _, g := range gs {
			if err := opt.Step([]*graph.Param{p}, []*graph.Tensor{grad(graph.Float64, g)}); err != nil {
				t.Fatal(err)
			}
		}
		return p.Float64s()[0]
	}
	// SGD: 1 - 0.5·2 = 0.
	if w := step(must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 0.5})), 2); w != 0 {
		t.Errorf("sgd: %v, want 0", w)
	}
	// Momentum 0.5, lr 1, g = 1 twice: v = -1, w = 0; v = -1.5, w = -1.5.
	if w := step(must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 1, Momentum: 0.5})), 1, 1); w != -1.5 {
		t.Errorf("momentum: %v, want -1.5", w)
	}
	// Nesterov, same: v = -1, w = 1 - 0.5 - 1 = -0.5.
	if w := step(must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 1, Momentum: 0.5, Nesterov: true})), 1); w != -0.5 {
		t.Errorf("nesterov: %v, want -0.5", w)
	}
	// Adam's first step is lr·g·√(1-β2)/(|g|·√(1-β2) + ε) ≈ lr·sign(g).
	if w := step(must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.25})), -3); !closeTo(w, 1.25, 1e-6) {
		t.Errorf("adam: %v, want about 1.25", w)
	}
	// RMSprop ρ 0.75, g 2: v = 1, w = 1 - 0.5·2/(1+ε).
	if w := step(must(trainers.NewRMSprop(&trainers.RMSpropOptions{LearningRate: 0.5, Rho: 0.75})), 2); !closeTo(w, 1e-7/(1+1e-7), 1e-15) {
		t.Errorf("rmsprop: %v, want %v", w, 1e-7/(1+1e-7))
	}
}

// TestOptimizerDefaults checks Keras' default learning rates and names.
func TestOptimizerDefaults(t *testing.T) {
	for name, lr := range map[string]float64{"sgd": 0.01, "adam": 0.001, "rmsprop": 0.001} {
		opt, err := trainers.NewOptimizer(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if opt.Name() != name || opt.LearningRate() != lr || opt.Iterations() != 0 {
			t.Errorf("%s: name %q, lr %v, iterations %d", name, opt.Name(), opt.LearningRate(), opt.Iterations())
		}
	}
}

// TestClipping checks clipping by value, per-parameter norm and global
// norm on two parameters with gradients (3, 4) (norm 5) and (12): the
// global norm is 13. SGD with learning rate 1 makes the update the clipped
// gradient.
func TestClipping(t *testing.T) {
	cases := []struct {
		name string
		opt  trainers.SGDOptions
		a, b []float64 // clipped gradients
	}{
		{"none", trainers.SGDOptions{}, []float64{3, 4}, []float64{12}},
		{"value", trainers.SGDOptions{ClipValue: 3.5}, []float64{3, 3.5}, []float64{3.5}},
		{"norm", trainers.SGDOptions{ClipNorm: 1}, []float64{0.6, 0.8}, []float64{1}},
		{"norm_loose", trainers.SGDOptions{ClipNorm: 6}, []float64{3, 4}, []float64{6}},
		{"global", trainers.SGDOptions{GlobalClipNorm: 6.5}, []float64{1.5, 2}, []float64{6}},
		{"global_loose", trainers.SGDOptions{GlobalClipNorm: 13.5}, []float64{3, 4}, []float64{12}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opt.LearningRate = 1
			opt := must(trainers.NewSGD(&c.opt))
			a, b := toyParam(t, "a", graph.Float64, 2, 0), toyParam(t, "b", graph.Float64, 1, 0)
			if err := opt.Step([]*graph.Param{a, b}, []*graph.Tensor{grad(graph.Float64, 3, 4), grad(graph.Float64, 12)}); err != nil {
				t.Fatal(err)
			}
			for _, pc := range []struct {
				p    *graph.Param
				want []float64
			}{{a, c.a}, {b, c.b}} {
				got := pc.p.Float64s()
				for i := range got {
					if !closeTo(-got[i], pc.want[i], 1e-15) {
						t.Errorf("%s: update %v, want %v", pc.p.Name(), got, pc.want)
						break
					}
				}
			}
		})
	}
}

// TestOptimizerState checks that State and SetState carry an optimizer's
// progress over to a fresh one exactly, and that State is a copy.
func TestOptimizerState(t *testing.T) {
	for _, name := range []string{"sgd", "adam", "rmsprop"} {
		t.Run(name, func(t *testing.T) {
			mk := func() trainers.Optimizer {
				if name == "sgd" {
					return must(trainers.NewSGD(&trainers.SGDOptions{Momentum: 0.9}))
				}
				return must(trainers.NewOptimizer(name, nil))
			}
			a := mk()
			pa := toyParam(t, "w", graph.Float64, 2, 0.5)
			for _, g := range toyGrads[:3] {
				if err := a.Step([]*graph.Param{pa}, []*graph.Tensor{grad(graph.Float64, g, -g)}); err != nil {
					t.Fatal(err)
				}
			}
			s := a.State()
			if s.Iterations != 3 || len(s.Slots) == 0 {
				t.Fatalf("state %+v", s)
			}
			b := mk()
			if err := b.SetState(s); err != nil {
				t.Fatal(err)
			}
			// Changing the returned state must not change the optimizers.
			for _, v := range s.Slots {
				v[0] = 1e9
			}
			pb := toyParam(t, "w", graph.Float64, 2, 0)
			if err := pb.SetFloat64s(pa.Float64s()); err != nil {
				t.Fatal(err)
			}
			for _, g := range toyGrads[3:] {
				for _, st := range []struct {
					o trainers.Optimizer
					p *graph.Param
				}{{a, pa}, {b, pb}} {
					if err := st.o.Step([]*graph.Param{st.p}, []*graph.Tensor{grad(graph.Float64, g, -g)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if !slices.Equal(pa.Float64s(), pb.Float64s()) {
				t.Errorf("after restoring the state: %v, want %v", pb.Float64s(), pa.Float64s())
			}
			if b.Iterations() != len(toyGrads) {
				t.Errorf("iterations %d", b.Iterations())
			}
			if err := b.SetState(trainers.OptimizerState{Iterations: -1, LearningRate: 0.1}); err == nil {
				t.Error("negative iterations accepted")
			}
			if err := b.SetState(trainers.OptimizerState{LearningRate: 0}); err == nil {
				t.Error("zero learning rate accepted")
			}
		})
	}
}

// TestExponentialDecay checks the schedule against Keras' formula, and
// that an optimizer uses the rate of its step count.
func TestExponentialDecay(t *testing.T) {
	for _, staircase := range []bool{false, true} {
		s := trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 4, DecayRate: 0.5, Staircase: staircase}
		for step := range 13 {
			p := float64(step) / 4
			if staircase {
				p = float64(step / 4)
			}
			if want := 0.1 * math.Pow(0.5, p); !closeTo(s.Rate(step), want, 1e-15) {
				t.Errorf("staircase %v, step %d: rate %v, want %v", staircase, step, s.Rate(step), want)
			}
		}
	}
	// Pinned: step 6 of 4 is 0.1·0.5^1.5 smoothly, 0.1·0.5 with stairs.
	if r := (trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 4, DecayRate: 0.5}).Rate(6); !closeTo(r, 0.1/math.Sqrt(8), 1e-15) {
		t.Errorf("rate %v", r)
	}
	if r := (trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 4, DecayRate: 0.5, Staircase: true}).Rate(6); r != 0.05 {
		t.Errorf("staircase rate %v", r)
	}

	s := trainers.ExponentialDecay{Initial: 1, DecaySteps: 2, DecayRate: 0.1}
	opt := must(trainers.NewSGD(&trainers.SGDOptions{Schedule: s}))
	p := toyParam(t, "w", graph.Float64, 1, 0)
	want := 0.0
	for step := range 5 {
		if lr := opt.LearningRate(); !closeTo(lr, s.Rate(step), 1e-15) {
			t.Errorf("step %d: learning rate %v, want %v", step, lr, s.Rate(step))
		}
		if err := opt.Step([]*graph.Param{p}, []*graph.Tensor{grad(graph.Float64, -1)}); err != nil {
			t.Fatal(err)
		}
		want += s.Rate(step)
		if got := p.Float64s()[0]; !closeTo(got, want, 1e-15) {
			t.Errorf("step %d: w %v, want %v", step, got, want)
		}
	}
	if err := opt.SetLearningRate(0.5); err == nil {
		t.Error("SetLearningRate accepted on a schedule")
	}
}

// TestStepErrors checks that bad gradients are errors that change nothing,
// including an update beyond float32's range on a float32 parameter.
func TestStepErrors(t *testing.T) {
	opt := must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 1}))
	p := toyParam(t, "w", graph.Float64, 2, 1)
	for name, gs := range map[string][]*graph.Tensor{
		"count": {grad(graph.Float64, 1, 1), grad(graph.Float64, 1, 1)},
		"size":  {grad(graph.Float64, 1)},
		"nil":   {nil},
		"nan":   {grad(graph.Float64, 1, math.NaN())},
		"inf":   {grad(graph.Float64, math.Inf(-1), 1)},
	} {
		if err := opt.Step([]*graph.Param{p}, gs); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	err := noPanic(t, "nil parameter", func() error {
		return opt.Step([]*graph.Param{p, nil}, []*graph.Tensor{grad(graph.Float64, 1, 1), grad(graph.Float64, 1)})
	})
	if !errors.Is(err, graph.ErrArgument) {
		t.Errorf("nil parameter: %v, want ErrArgument", err)
	}
	if !slices.Equal(p.Float64s(), []float64{1, 1}) || opt.Iterations() != 0 {
		t.Errorf("a failed step changed w to %v, iterations to %d", p.Float64s(), opt.Iterations())
	}

	// 3e38 + 1e38 is finite in float64 but not in float32.
	for _, name := range []string{"sgd", "adam", "rmsprop"} {
		p32 := toyParam(t, "w32", graph.Float32, 1, 3e38)
		big := must(trainers.NewOptimizer(name, &trainers.OptimizerOptions{LearningRate: 1e38}))
		err := big.Step([]*graph.Param{p32}, []*graph.Tensor{grad(graph.Float32, -1)})
		if !errors.Is(err, trainers.ErrNotFiniteGrad) {
			t.Errorf("%s: float32 overflow: error %v, want ErrNotFiniteGrad", name, err)
		}
		if w := p32.Float64s()[0]; w != float64(float32(3e38)) {
			t.Errorf("%s: float32 overflow: w = %v", name, w)
		}
		if big.Iterations() != 0 {
			t.Errorf("%s: the failed step counts", name)
		}
	}
}

// TestStepNotFiniteGradOrder checks which error a step with a gradient
// that is not finite returns, with and without clipping (without it, the
// gradients' finiteness is checked only when an update is not finite): the
// first such gradient is named, before a later parameter's bad gradient
// and before an earlier parameter's update that overflows, and nothing
// changes; for every optimizer.
func TestStepNotFiniteGradOrder(t *testing.T) {
	sgd := func(o *trainers.SGDOptions) func() trainers.Optimizer {
		return func() trainers.Optimizer { return must(trainers.NewSGD(o)) }
	}
	named := func(name string, o *trainers.OptimizerOptions) func() trainers.Optimizer {
		return func() trainers.Optimizer { return must(trainers.NewOptimizer(name, o)) }
	}
	opts := map[string]func() trainers.Optimizer{
		"sgd":            sgd(&trainers.SGDOptions{LearningRate: 1}),
		"clipnorm":       sgd(&trainers.SGDOptions{LearningRate: 1, ClipNorm: 10}),
		"momentum":       sgd(&trainers.SGDOptions{LearningRate: 1, Momentum: 0.5}),
		"nesterov":       sgd(&trainers.SGDOptions{LearningRate: 1, Momentum: 0.5, Nesterov: true}),
		"clipvalue":      sgd(&trainers.SGDOptions{LearningRate: 1, ClipValue: 10}),
		"adam":           named("adam", &trainers.OptimizerOptions{LearningRate: 1}),
		"adam clipvalue": named("adam", &trainers.OptimizerOptions{LearningRate: 1, ClipValue: 10}),
		"rmsprop":        named("rmsprop", &trainers.OptimizerOptions{LearningRate: 1}),
	}
	for name, newOpt := range opts {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			opt := newOpt()
			a := toyParam(t, "a", graph.Float32, 2, 3e38)
			b := toyParam(t, "b", graph.Float32, 2, 1)
			c := toyParam(t, "c", graph.Float32, 1, 1)
			check := func(what string, gs []*graph.Tensor, want error, wantName string) {
				t.Helper()
				err := opt.Step([]*graph.Param{a, b, c}, gs)
				if !errors.Is(err, want) || !strings.Contains(err.Error(), wantName) {
					t.Errorf("%s, gradient %v, %s: error %v, want %v naming %s", name, bad, what, err, want, wantName)
				}
				if a.Float64s()[0] != float64(float32(3e38)) || b.Float64s()[0] != 1 || c.Float64s()[0] != 1 || opt.Iterations() != 0 {
					t.Errorf("%s, %s: a failed step changed the weights or the step count", name, what)
				}
			}
			// b's gradient is not finite; a's update (3e38 + 1e38) is
			// beyond float32's range where clipvalue does not bound it.
			check("later bad gradient",
				[]*graph.Tensor{grad(graph.Float32, -1e38, 0), grad(graph.Float32, 0, bad), grad(graph.Float32, 1)},
				trainers.ErrNotFiniteGrad, "gradient is not finite: b")
			check("then a wrong size",
				[]*graph.Tensor{grad(graph.Float32, 0, 0), grad(graph.Float32, bad, 0), grad(graph.Float32, 1, 1)},
				trainers.ErrNotFiniteGrad, "gradient is not finite: b")
			check("a wrong size first",
				[]*graph.Tensor{grad(graph.Float32, 0, 0, 0), grad(graph.Float32, bad, 0), grad(graph.Float32, 1)},
				graph.ErrShape, "gradient of a")
		}
	}
}

func TestScheduleByPointerIsValidated(t *testing.T) {
	if _, err := trainers.NewSGD(&trainers.SGDOptions{Schedule: &trainers.ExponentialDecay{Initial: 0.1, DecaySteps: 0, DecayRate: 0.5}}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("invalid *ExponentialDecay: %v, want ErrArgument", err)
	}
	var nilDecay *trainers.ExponentialDecay
	if _, err := trainers.NewSGD(&trainers.SGDOptions{Schedule: nilDecay}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("nil *ExponentialDecay: %v, want ErrArgument", err)
	}
}
