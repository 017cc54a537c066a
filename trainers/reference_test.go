package trainers_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// refTensor is a tensor of the reference format.
type refTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type refLayer struct {
	Type            string `json:"type"`
	Units           int    `json:"units"`
	ReturnSequences bool   `json:"return_sequences"`
	Activation      string `json:"activation"`
}

type refCase struct {
	Format string `json:"format"`
	Name   string `json:"name"`
	Model  struct {
		InputShape []int      `json:"input_shape"`
		Layers     []refLayer `json:"layers"`
	} `json:"model"`
	Loss    string                 `json:"loss"`
	Weights []map[string]refTensor `json:"weights"`
	X       refTensor              `json:"x"`
	Y       refTensor              `json:"y"`
	Check   struct {
		Output    refTensor              `json:"output"`
		Loss      float64                `json:"loss"`
		Grads     []map[string]refTensor `json:"grads"`
		InputGrad refTensor              `json:"input_grad"`
	} `json:"check"`
	Train *refTrain `json:"train"`
}

type refTrain struct {
	Optimizer    map[string]any         `json:"optimizer"`
	BatchSize    int                    `json:"batch_size"`
	Epochs       int                    `json:"epochs"`
	Batches      [][][]int              `json:"batches"`
	EpochLoss    []float64              `json:"epoch_loss"`
	FinalWeights []map[string]refTensor `json:"final_weights"`
}

// referenceFiles lists the committed cases and those of REFERENCE_CASES_DIR.
func referenceFiles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "reference", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range strings.Split(os.Getenv("REFERENCE_CASES_DIR"), ":") {
		if dir == "" {
			continue
		}
		more, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(more) == 0 {
			t.Errorf("REFERENCE_CASES_DIR entry %s holds no cases", dir)
		}
		files = append(files, more...)
	}
	if len(files) == 0 {
		t.Fatal("no reference cases found")
	}
	return files
}

func loadCase(t *testing.T, path string) refCase {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c refCase
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if c.Format != "rnn-reference/1" {
		t.Fatalf("%s: unknown format %q", path, c.Format)
	}
	return c
}

// TestReferenceCases runs every PyTorch reference case: its check section
// (forward output, loss, every gradient and the input gradient of the whole
// data as one batch) and its train section, in float64 and float32.
func TestReferenceCases(t *testing.T) {
	for _, path := range referenceFiles(t) {
		c := loadCase(t, path)
		t.Run(c.Name, func(t *testing.T) {
			for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
				tol := map[graph.DType]float64{graph.Float64: 1e-9, graph.Float32: 1e-4}[dt]
				trainTol := map[graph.DType]float64{graph.Float64: 1e-9, graph.Float32: 1e-3}[dt]
				t.Run(dt.String()+"/check", func(t *testing.T) { logWorst(t); runCheck(t, c, dt, tol) })
				if c.Train != nil {
					t.Run(dt.String()+"/train", func(t *testing.T) { logWorst(t); runTrain(t, c, dt, trainTol) })
				}
			}
		})
	}
}

// buildCase makes the case's model with its initial weights.
func buildCase(t *testing.T, c refCase, dt graph.DType) *models.Model {
	t.Helper()
	var ls []layers.Layer
	for i, rl := range c.Model.Layers {
		cfg := layers.Config{Kind: rl.Type, Units: rl.Units, ReturnSequences: rl.ReturnSequences, Activation: rl.Activation}
		l, err := layers.FromConfig(cfg)
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		ls = append(ls, l)
	}
	m, err := models.NewSequential(c.Model.InputShape, ls, models.WithDType(dt))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetWeights(toLayerWeights(m, c.Weights)); err != nil {
		t.Fatal(err)
	}
	return m
}

func toLayerWeights(m *models.Model, ws []map[string]refTensor) []models.LayerWeights {
	cur := m.Weights()
	out := make([]models.LayerWeights, len(ws))
	for i, lw := range ws {
		out[i].Layer = ""
		if i < len(cur) {
			for _, w := range cur[i].Weights {
				rt := lw[w.Name]
				out[i].Weights = append(out[i].Weights, layers.Weight{Name: w.Name, Shape: rt.Shape, Data: rt.Data})
			}
		}
	}
	return out
}

func tensorOf(t *testing.T, dt graph.DType, r refTensor) *graph.Tensor {
	t.Helper()
	x, err := graph.FromFloat64s(dt, r.Data, r.Shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// relErr returns ‖got − want‖ / ‖want‖ (or ‖got − want‖ when want is 0).
func relErr(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, n float64
	for i := range want {
		d += (got[i] - want[i]) * (got[i] - want[i])
		n += want[i] * want[i]
	}
	if n == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d / n)
}

// worstErr holds, per subtest, the largest relative error expectClose met,
// logged at its end (go test -v shows the margin to the tolerance).
var worstErr sync.Map

func logWorst(t *testing.T) {
	t.Cleanup(func() {
		if e, ok := worstErr.Load(t.Name()); ok {
			t.Logf("largest relative error: %.3g", e)
		}
	})
}

func expectClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	e := relErr(got, want)
	if old, ok := worstErr.Load(t.Name()); !ok || e > old.(float64) || e != e {
		worstErr.Store(t.Name(), e)
	}
	if !(e <= tol) {
		t.Errorf("%s: relative error %.3g > %.0g (got %d values, want %d)", what, e, tol, len(got), len(want))
	}
}

func runCheck(t *testing.T, c refCase, dt graph.DType, tol float64) {
	m := buildCase(t, c, dt)
	loss, err := trainers.LossByName(c.Loss)
	if err != nil {
		t.Fatal(err)
	}
	n := c.X.Shape[0]
	prog, err := m.Program(models.ProgramSpec{Batch: n, Loss: loss.Func(), Grads: true, InputGrads: true})
	if err != nil {
		t.Fatal(err)
	}
	e := prog.NewExecutor()
	if err := e.SetInput(0, tensorOf(t, dt, c.X)); err != nil {
		t.Fatal(err)
	}
	if err := e.SetInput(1, tensorOf(t, dt, c.Y)); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	out, err := e.Output(0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal([]int(out.Shape()), c.Check.Output.Shape) {
		t.Fatalf("output shape %v, want %v", out.Shape(), c.Check.Output.Shape)
	}
	expectClose(t, "output", graph.Float64s(out), c.Check.Output.Data, tol)
	l, err := e.Loss()
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "loss", []float64{l}, []float64{c.Check.Loss}, tol)
	grads, err := e.Grads(m.Params())
	if err != nil {
		t.Fatal(err)
	}
	kg, err := m.KerasLayout(grads)
	if err != nil {
		t.Fatal(err)
	}
	compareWeights(t, "grad", kg, c.Check.Grads, tol)
	ig, err := e.InputGrad(0)
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "input_grad", graph.Float64s(ig), c.Check.InputGrad.Data, tol)
}

func compareWeights(t *testing.T, what string, got []models.LayerWeights, want []map[string]refTensor, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d layers, want %d", what, len(got), len(want))
	}
	for i, lw := range got {
		if len(lw.Weights) != len(want[i]) {
			t.Errorf("%s: layer %d has %d weights, want %d", what, i, len(lw.Weights), len(want[i]))
		}
		for _, w := range lw.Weights {
			r, ok := want[i][w.Name]
			if !ok {
				t.Errorf("%s: layer %d: reference has no %s", what, i, w.Name)
				continue
			}
			if !slices.Equal(w.Shape, r.Shape) {
				t.Errorf("%s %s/%s: shape %v, want %v", what, lw.Layer, w.Name, w.Shape, r.Shape)
				continue
			}
			expectClose(t, fmt.Sprintf("%s %s/%s", what, lw.Layer, w.Name), w.Data, r.Data, tol)
		}
	}
}

// refOptimizer builds the case's optimizer; unknown fields fail the case.
func refOptimizer(t *testing.T, spec map[string]any) trainers.Optimizer {
	t.Helper()
	var opts []trainers.OptimizerOption
	name, _ := spec["type"].(string)
	for k, v := range spec {
		switch k {
		case "type":
		case "learning_rate":
			opts = append(opts, trainers.WithLearningRate(v.(float64)))
		case "momentum":
			opts = append(opts, trainers.WithMomentum(v.(float64)))
		case "nesterov":
			opts = append(opts, trainers.WithNesterov(v.(bool)))
		case "beta_1":
			opts = append(opts, trainers.WithBeta1(v.(float64)))
		case "beta_2":
			opts = append(opts, trainers.WithBeta2(v.(float64)))
		case "epsilon":
			opts = append(opts, trainers.WithEpsilon(v.(float64)))
		case "rho":
			opts = append(opts, trainers.WithRho(v.(float64)))
		default:
			t.Fatalf("optimizer field %q is not supported", k)
		}
	}
	opt, err := trainers.NewOptimizer(name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

// runTrain replays the case's training run batch by batch through the
// public one-batch step.
func runTrain(t *testing.T, c refCase, dt graph.DType, tol float64) {
	m := buildCase(t, c, dt)
	loss, err := trainers.LossByName(c.Loss)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trainers.NewTrainer(m, loss, refOptimizer(t, c.Train.Optimizer))
	if err != nil {
		t.Fatal(err)
	}
	x, y := tensorOf(t, dt, c.X), tensorOf(t, dt, c.Y)
	if len(c.Train.Batches) != c.Train.Epochs || len(c.Train.EpochLoss) != c.Train.Epochs {
		t.Fatalf("case lists %d epochs of batches and %d losses for %d epochs", len(c.Train.Batches), len(c.Train.EpochLoss), c.Train.Epochs)
	}
	got := make([]float64, c.Train.Epochs)
	for e, batches := range c.Train.Batches {
		var sum float64
		var n int
		for _, idx := range batches {
			xb, err := trainers.Samples(x, idx)
			if err != nil {
				t.Fatal(err)
			}
			yb, err := trainers.Samples(y, idx)
			if err != nil {
				t.Fatal(err)
			}
			r, err := tr.TrainBatch(xb, yb)
			if err != nil {
				t.Fatalf("epoch %d: %v", e, err)
			}
			sum += r.Loss * float64(len(idx))
			n += len(idx)
		}
		got[e] = sum / float64(n)
	}
	expectClose(t, "epoch_loss", got, c.Train.EpochLoss, tol)
	compareWeights(t, "final", m.Weights(), c.Train.FinalWeights, tol)
}
