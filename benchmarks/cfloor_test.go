package benchmarks

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/trainers"
)

// gradCapture is SGD that keeps a copy of the gradients of its last step.
type gradCapture struct {
	trainers.Optimizer
	grads [][]float32
}

func (c *gradCapture) Step(params []*graph.Param, grads []*graph.Tensor) error {
	c.grads = c.grads[:0]
	for _, g := range grads {
		d, _ := graph.Float32Data(g)
		c.grads = append(c.grads, append([]float32(nil), d...))
	}
	return c.Optimizer.Step(params, grads)
}

// buildFloor builds the C floor for a test, or skips the test when there
// is no C compiler.
func buildFloor(t *testing.T) (bin, dir string) {
	t.Helper()
	dir = t.TempDir()
	bin, _, err := BuildFloor(dir)
	if errors.Is(err, ErrNoCompiler) {
		t.Skipf("C floor not checked: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin, dir
}

// closeTo compares float32 values a (C) with b (gornn) elementwise: within
// tol of the largest magnitude of b (gradients of tiny entries are
// compared to the scale of the tensor, not to themselves).
func closeTo(t *testing.T, what string, a, b []float32, tol float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d values, want %d", what, len(a), len(b))
	}
	scale := 0.0
	for _, v := range b {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	worst, at := 0.0, -1
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > worst {
			worst, at = d, i
		}
	}
	t.Logf("%s: largest difference %.3g of the largest |value| %.3g", what, worst/math.Max(scale, 1e-30), scale)
	if worst > tol*math.Max(scale, 1e-30) {
		t.Errorf("%s: C %v, gornn %v at %d: difference %.3g, %.3g of the largest |value| %.3g (tolerance %g)",
			what, a[at], b[at], at, worst, worst/scale, scale, tol)
	}
}

var floorParamNames = [5]string{"kernel", "recurrent kernel", "bias", "dense kernel", "dense bias"}

// TestFloor builds the C floor once (skipping when there is no C
// compiler) and checks it against gornn: see floorOneStep and floorTrains.
func TestFloor(t *testing.T) {
	bin, dir := buildFloor(t)
	t.Run("OneStep", func(t *testing.T) { floorOneStep(t, bin, dir) })
	t.Run("Train20", func(t *testing.T) { floorTrains(t, bin, dir) })
}

// floorOneStep runs one training step of the seed models (the first batch
// of W1–W3) in the C floor and in gornn and compares the loss, every
// gradient and the updated weights. gornn's gradients are Gorgonia's,
// checked against PyTorch by the trainers' reference tests; this checks
// the hand-written backward pass of the C floor. With GORNN_FLOOR_DUMP
// set to a directory, it leaves each kind's floor input and output there
// for benchmarks/pytorch/cfloor_check.py, which checks the same gradients
// against PyTorch's autograd.
func floorOneStep(t *testing.T, bin, dir string) {
	for _, k := range Kinds {
		t.Run(k.String(), func(t *testing.T) {
			in, m, err := SineFloorInput(k, 1)
			if err != nil {
				t.Fatal(err)
			}
			in.MaxSteps = 1
			c, err := RunFloor(bin, dir, in, true)
			if err != nil {
				t.Fatal(err)
			}
			if dump := os.Getenv("GORNN_FLOOR_DUMP"); dump != "" {
				// For benchmarks/pytorch/cfloor_check.py.
				if err := os.MkdirAll(dump, 0o755); err != nil {
					t.Fatal(err)
				}
				for _, f := range []string{"input", "output"} {
					b, err := os.ReadFile(filepath.Join(dir, f+".bin"))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dump, k.String()+"."+f+".bin"), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			if c.Steps != 1 {
				t.Fatalf("C ran %d steps, want 1", c.Steps)
			}
			sgd, err := trainers.NewSGD(&trainers.SGDOptions{LearningRate: LearningRate})
			if err != nil {
				t.Fatal(err)
			}
			opt := &gradCapture{Optimizer: sgd}
			tr, err := trainers.NewTrainer(m, trainers.MSE(), opt)
			if err != nil {
				t.Fatal(err)
			}
			x, y, err := NoisySineWindows(Seed, 50, 10, 0.1)
			if err != nil {
				t.Fatal(err)
			}
			idx := make([]int, in.Batch)
			for i := range idx {
				idx[i] = int(in.Perm[i])
			}
			xb, _ := trainers.Samples(x, idx)
			yb, _ := trainers.Samples(y, idx)
			loss, err := tr.Step(xb, yb)
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(c.LastLoss-loss) / loss; d > 1e-6 {
				t.Errorf("loss: C %.9g, gornn %.9g (relative difference %.2g)", c.LastLoss, loss, d)
			}
			for i, p := range m.Params() {
				gd, _ := graph.Float32Data(p.Value())
				closeTo(t, "gradient of the "+floorParamNames[i], c.Grads[i], opt.grads[i], 2e-6)
				closeTo(t, "updated "+floorParamNames[i], c.Params[i], gd, 1e-6)
			}
		})
	}
}

// floorTrains trains 20 epochs (100 steps, shuffled batches) in both and
// compares the final losses: same data, weights and batch order.
func floorTrains(t *testing.T, bin, dir string) {
	for _, k := range Kinds {
		t.Run(k.String(), func(t *testing.T) {
			const epochs = 20
			in, _, err := SineFloorInput(k, epochs)
			if err != nil {
				t.Fatal(err)
			}
			c, err := RunFloor(bin, dir, in, false)
			if err != nil {
				t.Fatal(err)
			}
			g, err := sineTraining(k.String(), k, Options{Epochs: epochs})
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(c.FinalLoss-g.FinalLoss) / g.FinalLoss; d > 1e-5 {
				t.Errorf("final loss after %d epochs: C %.9g, gornn %.9g (relative difference %.2g)", epochs, c.FinalLoss, g.FinalLoss, d)
			}
		})
	}
}

func TestParseFloorOutput(t *testing.T) {
	r, err := ParseFloorOutput([]byte(`{"seconds": 0.5, "final_loss": null, "steps": 1, "last_loss": 0.25}` + "\n"))
	if err != nil || r.Seconds != 0.5 || !math.IsNaN(r.FinalLoss) || r.Steps != 1 || r.LastLoss != 0.25 {
		t.Errorf("got %+v, %v", r, err)
	}
	if _, err := ParseFloorOutput([]byte("oops")); err == nil {
		t.Error("bad output accepted")
	}
}
