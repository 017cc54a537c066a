package models_test

import (
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// mae is the mean absolute error written from graph ops.
func mae(b *graph.Builder, p, y *graph.Node) *graph.Node {
	return b.Mean(b.Abs(b.Sub(p, y)))
}

// twoHeads builds a model of one input [5, 2] and two outputs: an LSTM's
// last state read by Dense(1) (output 0) and by Dense(3, tanh) (output 1).
// With single set, it builds the model of output k alone (the same layers
// and names), to compare with.
func twoHeads(t *testing.T, single int) *models.Model {
	t.Helper()
	x := models.Input(5, 2)
	h := models.Apply(must(layers.NewLSTM(4, &layers.LSTMOptions{Name: "shared"})), x)
	a := models.Apply(must(layers.NewDense(1, &layers.DenseOptions{Name: "head_a"})), h)
	b := models.Apply(must(layers.NewDense(3, &layers.DenseOptions{Name: "head_b", Activation: layers.Tanh})), h)
	var m *models.Model
	switch single {
	case 0:
		m = must(models.NewMulti([]*models.Symbol{x}, a, &models.Options{DType: graph.Float64}))
	case 1:
		m = must(models.NewMulti([]*models.Symbol{x}, b, &models.Options{DType: graph.Float64}))
	default:
		m = must(models.NewMultiOutput([]*models.Symbol{x}, []*models.Symbol{a, b}, &models.Options{DType: graph.Float64}))
	}
	// The same weights by layer name, whatever the model: each layer's
	// weights come from a generator seeded with its name.
	ws := m.Weights()
	for i := range ws {
		h := fnv.New64a()
		h.Write([]byte(ws[i].Layer))
		r := rand.New(rand.NewPCG(h.Sum64(), 3))
		for j := range ws[i].Weights {
			for k := range ws[i].Weights[j].Data {
				ws[i].Weights[j].Data[k] = r.Float64() - 0.5
			}
		}
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMultiOutputPredict: a model of two outputs predicts, output by
// output, bit for bit what the model of that output alone predicts.
func TestMultiOutputPredict(t *testing.T) {
	m := twoHeads(t, -1)
	if m.NumOutputs() != 2 || !slices.Equal(m.OutputShapes()[1], []int{3}) || !slices.Equal(m.OutputShape(), []int{1}) {
		t.Fatalf("outputs %d, shapes %v", m.NumOutputs(), m.OutputShapes())
	}
	x := uniformTensor(4, 7, 5, 2)
	outs := must(m.PredictOutputs([]*graph.Tensor{x}))
	for k := range 2 {
		want := must(twoHeads(t, k).Predict(x))
		if !slices.Equal(rawBits(outs[k]), rawBits(want)) {
			t.Errorf("output %d differs from the model of that output alone", k)
		}
	}
	if _, err := m.Predict(x); !errors.Is(err, models.ErrModel) {
		t.Errorf("Predict of a model of two outputs: %v, want ErrModel", err)
	}
	if _, err := m.PredictInputs([]*graph.Tensor{x}); !errors.Is(err, models.ErrModel) {
		t.Errorf("PredictInputs of a model of two outputs: %v, want ErrModel", err)
	}
}

// TestMultiOutputProgram: the loss of a program of two outputs is the
// weighted sum of the outputs' losses (each given as an output with
// OutputLosses), and so are its gradients: the gradients with weights
// (1, 0.5) are those of (1, 0) plus half of those of (0, 1).
func TestMultiOutputProgram(t *testing.T) {
	m := twoHeads(t, -1)
	const n = 6
	x, ya, yb := uniformTensor(1, n, 5, 2), uniformTensor(2, n, 1), uniformTensor(3, n, 3)
	run := func(w []float64) (float64, []float64, [][]float64) {
		p := must(m.Program(models.ProgramSpec{Batch: n, Losses: []models.LossFunc{mse, mae}, LossWeights: w, Grads: true, OutputLosses: true}))
		e := p.NewExecutor()
		for i, in := range []*graph.Tensor{x, ya, yb} {
			if err := e.SetInput(i, in); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		l := must(e.Loss())
		var parts []float64
		for k := range 2 {
			parts = append(parts, graph.Float64s(must(e.Output(2 + k)))[0])
		}
		var gs [][]float64
		for _, g := range must(e.Grads(m.Params())) {
			gs = append(gs, graph.Float64s(g))
		}
		return l, parts, gs
	}
	l, parts, g := run([]float64{1, 0.5})
	// The outputs' losses from the predictions, by hand.
	outs := must(m.PredictOutputs([]*graph.Tensor{x}))
	var sa, sb float64
	for i, v := range graph.Float64s(outs[0]) {
		sa += (v - graph.Float64s(ya)[i]) * (v - graph.Float64s(ya)[i])
	}
	for i, v := range graph.Float64s(outs[1]) {
		sb += math.Abs(v - graph.Float64s(yb)[i])
	}
	sa, sb = sa/n, sb/(3*n)
	if math.Abs(parts[0]-sa) > 1e-14 || math.Abs(parts[1]-sb) > 1e-14 || math.Abs(l-(sa+0.5*sb)) > 1e-14 {
		t.Errorf("loss %v, parts %v; by hand %v, %v, total %v", l, parts, sa, sb, sa+0.5*sb)
	}
	_, _, ga := run([]float64{1, 0})
	_, _, gb := run([]float64{0, 1})
	worst := 0.0
	for i := range g {
		for j := range g[i] {
			worst = math.Max(worst, math.Abs(g[i][j]-(ga[i][j]+0.5*gb[i][j])))
		}
	}
	if worst > 1e-14 {
		t.Errorf("gradients differ from the weighted sum of the outputs' by %g", worst)
	}
	// Output 1's head has no gradient from output 0's loss.
	if hb := ga[len(ga)-1]; slices.ContainsFunc(hb, func(v float64) bool { return v != 0 }) {
		t.Errorf("head_b's bias has a gradient %v from output 0's loss", hb)
	}
}

// TestMultiOutputSaveLoad: a model of two outputs saves and loads with
// both outputs and bit-identical predictions, and round-trips through the
// PyTorch mapping.
func TestMultiOutputSaveLoad(t *testing.T) {
	m := twoHeads(t, -1)
	path := filepath.Join(t.TempDir(), "heads.safetensors")
	if err := models.Save(m, path); err != nil {
		t.Fatal(err)
	}
	got := must(models.Load(path))
	if got.NumOutputs() != 2 || got.Summary() != m.Summary() {
		t.Fatalf("loaded %d outputs, summary:\n%s", got.NumOutputs(), got.Summary())
	}
	x := uniformTensor(9, 3, 5, 2)
	a, b := must(m.PredictOutputs([]*graph.Tensor{x})), must(got.PredictOutputs([]*graph.Tensor{x}))
	for k := range a {
		if !slices.Equal(rawBits(a[k]), rawBits(b[k])) {
			t.Errorf("output %d differs after loading", k)
		}
	}
	// The PyTorch mapping: every layer's tensors, back bit for bit.
	tp := filepath.Join(t.TempDir(), "heads_torch.safetensors")
	if err := models.ExportTorch(m, tp, nil); err != nil {
		t.Fatal(err)
	}
	back := twoHeads(t, -1)
	ws := back.Weights()
	for i := range ws {
		for j := range ws[i].Weights {
			clear(ws[i].Weights[j].Data)
		}
	}
	if err := back.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	if err := models.ImportTorch(tp, back, nil); err != nil {
		t.Fatal(err)
	}
	c := must(back.PredictOutputs([]*graph.Tensor{x}))
	for k := range a {
		if !slices.Equal(rawBits(a[k]), rawBits(c[k])) {
			t.Errorf("output %d differs after ExportTorch and ImportTorch", k)
		}
	}
}

// TestMultiOutputErrors: outputs and program settings that cannot work
// are errors.
func TestMultiOutputErrors(t *testing.T) {
	x := models.Input(5, 2)
	h := models.Apply(must(layers.NewLSTM(4, nil)), x)
	a := models.Apply(must(layers.NewDense(1, nil)), h)
	for name, outs := range map[string][]*models.Symbol{
		"none":     nil,
		"twice":    {a, a},
		"an input": {a, x},
	} {
		if _, err := models.NewMultiOutput([]*models.Symbol{x}, outs, nil); !errors.Is(err, models.ErrModel) {
			t.Errorf("%s: %v, want ErrModel", name, err)
		}
	}
	m := twoHeads(t, -1)
	for name, spec := range map[string]models.ProgramSpec{
		"no loss":         {Batch: 2},
		"one loss of two": {Batch: 2, Losses: []models.LossFunc{mse}},
		"nil loss":        {Batch: 2, Losses: []models.LossFunc{mse, nil}},
		"weights":         {Batch: 2, Loss: mse, LossWeights: []float64{1}},
		"negative weight": {Batch: 2, Loss: mse, LossWeights: []float64{1, -1}},
		"NaN weight":      {Batch: 2, Loss: mse, LossWeights: []float64{math.NaN(), 1}},
		"Target":          {Batch: 2, Loss: mse, Target: []int{1}},
		"Targets":         {Batch: 2, Loss: mse, Targets: [][]int{{1}}},
	} {
		if _, err := m.Program(spec); !errors.Is(err, graph.ErrArgument) {
			t.Errorf("%s: %v, want ErrArgument", name, err)
		}
	}
}
