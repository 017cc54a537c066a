package trainers_test

import (
	"context"
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
	"github.com/gornn/gornn/trainers"
)

// heads builds a model of one input [6, 2] and two outputs, an LSTM's
// last state read by Dense(1) "reg" and by Dense(1, sigmoid) "cls"; with
// only set (0 or 1) the model of that output alone. Every layer's weights
// come from a generator seeded with its name, so the models agree.
func heads(t *testing.T, only int) *models.Model {
	t.Helper()
	x := models.Input(6, 2)
	h := models.Apply(must(layers.NewLSTM(5, &layers.LSTMOptions{Name: "shared"})), x)
	reg := models.Apply(must(layers.NewDense(1, &layers.DenseOptions{Name: "reg"})), h)
	cls := models.Apply(must(layers.NewDense(1, &layers.DenseOptions{Name: "cls", Activation: layers.Sigmoid})), h)
	var m *models.Model
	switch only {
	case 0:
		m = must(models.NewMulti([]*models.Symbol{x}, reg, &models.Options{DType: graph.Float64}))
	case 1:
		m = must(models.NewMulti([]*models.Symbol{x}, cls, &models.Options{DType: graph.Float64}))
	default:
		m = must(models.NewMultiOutput([]*models.Symbol{x}, []*models.Symbol{reg, cls}, &models.Options{DType: graph.Float64}))
	}
	ws := m.Weights()
	for i := range ws {
		h := fnv.New64a()
		h.Write([]byte(ws[i].Layer))
		r := rand.New(rand.NewPCG(h.Sum64(), 1))
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

// headsData returns n samples: x, the sum of the first feature (reg) and
// whether the second feature's sum is positive (cls).
func headsData(n int) (x, reg, cls *graph.Tensor) {
	r := rand.New(rand.NewPCG(uint64(n), 9))
	xd, rd, cd := make([]float64, n*12), make([]float64, n), make([]float64, n)
	for i := range n {
		var s0, s1 float64
		for t := range 6 {
			a, b := r.Float64()-0.5, r.Float64()-0.5
			xd[i*12+2*t], xd[i*12+2*t+1] = a, b
			s0, s1 = s0+a, s1+b
		}
		rd[i] = s0 / 3
		if s1 > 0 {
			cd[i] = 1
		}
	}
	return must(graph.FromFloat64s(graph.Float64, xd, n, 6, 2)), must(graph.FromFloat64s(graph.Float64, rd, n, 1)),
		must(graph.FromFloat64s(graph.Float64, cd, n, 1))
}

func sgd(t *testing.T, lr float64) trainers.Optimizer {
	t.Helper()
	return must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: lr}))
}

// TestTrainBatchOutputsMatchesOneOutput: with loss weights (1, 0), a step
// of the two-output model moves the shared LSTM and the first head as the
// one-output model's step does, bit for bit, and leaves the second head
// as it was; the step's losses are each output's.
func TestTrainBatchOutputsMatchesOneOutput(t *testing.T) {
	x, reg, cls := headsData(8)
	m, one := heads(t, -1), heads(t, 0)
	before := m.Weights()
	tr := must(trainers.NewTrainerOutputs(m, []trainers.Loss{trainers.MSE(), trainers.BinaryCrossentropy(false)}, []float64{1, 0}, sgd(t, 0.1)))
	r := must(tr.TrainBatchOutputs([]*graph.Tensor{x}, []*graph.Tensor{reg, cls}))
	want := must(must(trainers.NewTrainer(one, trainers.MSE(), sgd(t, 0.1))).TrainBatch(x, reg))
	if r.Loss != want.Loss || r.Losses[0] != want.Loss || len(r.Preds) != 2 || !slices.Equal(graph.Float64s(r.Preds[0]), graph.Float64s(want.Pred)) {
		t.Errorf("loss %v, losses %v; the one-output model's %v", r.Loss, r.Losses, want.Loss)
	}
	got := map[string][]float64{}
	for _, lw := range m.Weights() {
		for _, w := range lw.Weights {
			got[lw.Layer+"/"+w.Name] = w.Data
		}
	}
	for _, lw := range one.Weights() {
		for _, w := range lw.Weights {
			if !slices.Equal(got[lw.Layer+"/"+w.Name], w.Data) {
				t.Errorf("%s/%s differs from the one-output model's after the step", lw.Layer, w.Name)
			}
		}
	}
	for _, lw := range before {
		if lw.Layer != "cls" {
			continue
		}
		for _, w := range lw.Weights {
			if !slices.Equal(got["cls/"+w.Name], w.Data) {
				t.Errorf("cls/%s moved with loss weight 0", w.Name)
			}
		}
	}
}

// TestFitOutputs: FitOutputs trains both heads; each epoch's loss is the
// weighted sum of the outputs' losses, the logs are named after the output
// layers (Keras' "reg_loss", "cls_mae"), and the last validation logs are
// EvaluateOutputs' on the held-out samples.
func TestFitOutputs(t *testing.T) {
	x, reg, cls := headsData(60)
	m := heads(t, -1)
	tr := must(trainers.NewTrainerOutputs(m, []trainers.Loss{trainers.MSE(), trainers.BinaryCrossentropy(false)}, []float64{1, 0.5}, must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.03}))))
	h, err := tr.FitOutputs(context.Background(), []*graph.Tensor{x}, []*graph.Tensor{reg, cls},
		trainers.FitOptions{Epochs: 15, BatchSize: 8, ValidationSplit: 0.25, Metrics: []trainers.Metric{trainers.MetricMAE}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"loss", "reg_loss", "cls_loss", "reg_mae", "cls_mae", "val_loss", "val_reg_loss", "val_cls_loss", "val_reg_mae"} {
		if len(h.Get(k)) != 15 {
			t.Fatalf("history has %d values of %s; keys %v", len(h.Get(k)), k, h.Keys())
		}
	}
	for e := range 15 {
		for _, p := range []string{"", "val_"} {
			total, a, b := h.Get(p + "loss")[e], h.Get(p + "reg_loss")[e], h.Get(p + "cls_loss")[e]
			if math.Abs(total-(a+0.5*b)) > 1e-12 {
				t.Errorf("epoch %d: %sloss %v, %sreg_loss + 0.5 %scls_loss = %v", e, p, total, p, p, a+0.5*b)
			}
		}
	}
	if l := h.Loss(); !(l[14] < 0.5*l[0]) {
		t.Errorf("loss %v does not fall", l)
	}
	vx, vr, vc := must(graph.SampleRange(x, 45, 60)), must(graph.SampleRange(reg, 45, 60)), must(graph.SampleRange(cls, 45, 60))
	logs := must(tr.EvaluateOutputs([]*graph.Tensor{vx}, []*graph.Tensor{vr, vc}, 8, trainers.MetricMAE))
	for k, v := range logs {
		if w := h.Get("val_" + k)[14]; math.Abs(v-w) > 1e-12 {
			t.Errorf("EvaluateOutputs %s = %v, the last val_%s %v", k, v, k, w)
		}
	}
}

// TestFitInputsValidationData: FitInputs validates on explicit data of
// every input (ValidationInputs with ValidationY): its last val_loss is
// EvaluateInputs' on them.
func TestFitInputsValidationData(t *testing.T) {
	a, b := models.Input(4, 1), models.Input(4, 1)
	h := models.Apply(must(layers.NewSimpleRNN(4, nil)), models.ApplyMerge(must(layers.NewConcatenate(nil)), a, b))
	m := must(models.NewMulti([]*models.Symbol{a, b}, models.Apply(must(layers.NewDense(1, nil)), h), &models.Options{DType: graph.Float64, Seed: 2}))
	r := rand.New(rand.NewPCG(3, 3))
	mk := func(n int) ([]*graph.Tensor, *graph.Tensor) {
		xa, xb := randTensor(r, n, 4, 1), randTensor(r, n, 4, 1)
		y := make([]float64, n)
		for i := range n {
			y[i] = graph.Float64s(xa)[i*4+3] - graph.Float64s(xb)[i*4]
		}
		return []*graph.Tensor{xa, xb}, must(graph.FromFloat64s(graph.Float64, y, n, 1))
	}
	xs, y := mk(40)
	vxs, vy := mk(12)
	tr := must(trainers.NewTrainer(m, trainers.MSE(), sgd(t, 0.1)))
	hist, err := tr.FitInputs(context.Background(), xs, y, trainers.FitOptions{Epochs: 3, BatchSize: 16, ValidationInputs: vxs, ValidationY: vy})
	if err != nil {
		t.Fatal(err)
	}
	logs := must(tr.EvaluateInputs(vxs, vy, 16))
	if got := hist.Get("val_loss"); len(got) != 3 || got[2] != logs["loss"] {
		t.Errorf("val_loss %v, EvaluateInputs %v", got, logs["loss"])
	}
	for name, o := range map[string]trainers.FitOptions{
		"ValidationX":       {ValidationX: vxs[0], ValidationY: vy},
		"inputs without y":  {ValidationInputs: vxs},
		"with a split":      {ValidationInputs: vxs, ValidationY: vy, ValidationSplit: 0.2},
		"too few inputs":    {ValidationInputs: vxs[:1], ValidationY: vy},
		"ValidationTargets": {ValidationInputs: vxs, ValidationTargets: []*graph.Tensor{vy}},
	} {
		if _, err := tr.FitInputs(context.Background(), xs, y, o); !errors.Is(err, graph.ErrArgument) && !errors.Is(err, models.ErrModel) {
			t.Errorf("%s: %v, want ErrArgument", name, err)
		}
	}
	if _, err := tr.Fit(context.Background(), xs[0], y, trainers.FitOptions{ValidationInputs: vxs, ValidationY: vy}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("Fit with ValidationInputs: %v, want ErrArgument", err)
	}
}

// TestOutputsErrors: one-target methods refuse a model of several
// outputs, and targets, losses and weights that do not fit it are errors.
func TestOutputsErrors(t *testing.T) {
	x, reg, cls := headsData(6)
	m := heads(t, -1)
	xs, ys := []*graph.Tensor{x}, []*graph.Tensor{reg, cls}
	tr := must(trainers.NewTrainer(m, trainers.MSE(), nil))
	ctx := context.Background()
	for name, err := range map[string]error{
		"TrainBatch":  second(tr.TrainBatch(x, reg)),
		"Step":        second(tr.Step(x, reg)),
		"Evaluate":    second(tr.Evaluate(x, reg, 4)),
		"Fit":         second(tr.Fit(ctx, x, reg, trainers.FitOptions{})),
		"FitInputs":   second(tr.FitInputs(ctx, xs, reg, trainers.FitOptions{})),
		"one target":  second(tr.TrainBatchOutputs(xs, ys[:1])),
		"bad target":  second(tr.TrainBatchOutputs(xs, []*graph.Tensor{reg, x})),
		"ValidationX": second(tr.FitOutputs(ctx, xs, ys, trainers.FitOptions{ValidationX: x, ValidationY: reg})),
		"no targets":  second(tr.FitOutputs(ctx, xs, nil, trainers.FitOptions{})),
		"losses":      second(trainers.NewTrainerOutputs(m, []trainers.Loss{trainers.MSE()}, nil, nil)),
		"weights":     second(trainers.NewTrainerOutputs(m, []trainers.Loss{trainers.MSE(), trainers.MAE()}, []float64{1}, nil)),
		"negative":    second(trainers.NewTrainerOutputs(m, []trainers.Loss{trainers.MSE(), trainers.MAE()}, []float64{1, -2}, nil)),
		"infinite":    second(trainers.NewTrainerOutputs(m, []trainers.Loss{trainers.MSE(), trainers.MAE()}, []float64{math.Inf(1), 1}, nil)),
	} {
		if !errors.Is(err, graph.ErrArgument) && !errors.Is(err, graph.ErrShape) {
			t.Errorf("%s: %v, want ErrArgument or ErrShape", name, err)
		}
	}
	// One loss for every output (NewTrainer) checkpoints; different ones
	// do not.
	dir := t.TempDir()
	if err := trainers.SaveCheckpoint(filepath.Join(dir, "a.ckpt"), tr, 0); err != nil {
		t.Errorf("checkpoint of one loss for both outputs: %v", err)
	}
	back, _, err := trainers.LoadCheckpoint(filepath.Join(dir, "a.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := back.FitOutputs(ctx, xs, ys, trainers.FitOptions{BatchSize: 4}); err != nil || back.Model().NumOutputs() != 2 {
		t.Errorf("the loaded checkpoint does not fit both outputs: %v", err)
	}
	mixed := must(trainers.NewTrainerOutputs(heads(t, -1), []trainers.Loss{trainers.MSE(), trainers.MAE()}, nil, nil))
	if err := trainers.SaveCheckpoint(filepath.Join(dir, "b.ckpt"), mixed, 0); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("checkpoint of two losses: %v, want ErrArgument", err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestTrainerOutputsOneOutput: NewTrainerOutputs on a model of one output
// weights its loss, and the one-output methods take it.
func TestTrainerOutputsOneOutput(t *testing.T) {
	x, reg, _ := headsData(5)
	a, b := heads(t, 0), heads(t, 0)
	ta := must(trainers.NewTrainerOutputs(a, []trainers.Loss{trainers.MSE()}, []float64{2}, sgd(t, 0.05)))
	tb := must(trainers.NewTrainer(b, trainers.MSE(), sgd(t, 0.1)))
	ra, rb := must(ta.TrainBatch(x, reg)), must(tb.TrainBatch(x, reg))
	if math.Abs(ra.Loss-2*rb.Loss) > 1e-15 {
		t.Errorf("weighted loss %v, twice the loss %v", ra.Loss, 2*rb.Loss)
	}
	// 2·MSE at lr 0.05 is MSE at lr 0.1: the same step.
	for i, lw := range a.Weights() {
		for j, w := range lw.Weights {
			if d := maxAbsDiff(w.Data, b.Weights()[i].Weights[j].Data); d > 1e-15 {
				t.Errorf("%s/%s differs by %g", lw.Layer, w.Name, d)
			}
		}
	}
}

func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestOutputsMasked: an output that is a masked sequence keeps its masked
// loss and metrics in a model of two outputs: its loss and MAE are those of
// the model of that output alone, over the valid steps only.
func TestOutputsMasked(t *testing.T) {
	build := func(only int) *models.Model {
		x := models.Input(5, 1)
		h := models.Apply(must(layers.NewMasking(0, nil)), x)
		seq := models.Apply(must(layers.NewLSTM(3, &layers.LSTMOptions{Name: "seq", ReturnSequences: true})), h)
		a := models.Apply(must(layers.NewDense(1, &layers.DenseOptions{Name: "per_step"})), seq)
		b := models.Apply(must(layers.NewDense(1, &layers.DenseOptions{Name: "last"})), models.Apply(must(layers.NewGRU(2, &layers.GRUOptions{Name: "gru"})), seq))
		o := &models.Options{DType: graph.Float64, Seed: 4}
		if only == 0 {
			return must(models.NewMulti([]*models.Symbol{x}, a, o))
		}
		return must(models.NewMultiOutput([]*models.Symbol{x}, []*models.Symbol{a, b}, o))
	}
	m, one := build(-1), build(0)
	byName := map[string][]layers.Weight{}
	for _, lw := range m.Weights() {
		byName[lw.Layer] = lw.Weights
	}
	ws := one.Weights()
	for i := range ws {
		ws[i].Weights = byName[ws[i].Layer]
	}
	if err := one.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	if got := m.MaskedOutputs(); !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("MaskedOutputs %v", got)
	}
	r := rand.New(rand.NewPCG(8, 8))
	x, ya, yb := randTensor(r, 6, 5, 1), randTensor(r, 6, 5, 1), randTensor(r, 6, 1)
	xd := graph.Float64s(x)
	for i := range 6 { // sample i has 5-i/2 valid steps, the rest padded with 0
		for s := 5 - i/2; s < 5; s++ {
			xd[i*5+s] = 0
		}
	}
	x = must(graph.FromFloat64s(graph.Float64, xd, 6, 5, 1))
	tr := must(trainers.NewTrainerOutputs(m, []trainers.Loss{trainers.MSE(), trainers.MSE()}, nil, nil))
	logs := must(tr.EvaluateOutputs([]*graph.Tensor{x}, []*graph.Tensor{ya, yb}, 4, trainers.MetricMAE))
	want := must(must(trainers.NewTrainer(one, trainers.MSE(), nil)).Evaluate(x, ya, 4, trainers.MetricMAE))
	for _, k := range []string{"loss", "mae"} {
		if math.Abs(logs["per_step_"+k]-want[k]) > 1e-15 {
			t.Errorf("per_step_%s %v, the one-output model's %s %v", k, logs["per_step_"+k], k, want[k])
		}
	}
	if math.Abs(logs["loss"]-(logs["per_step_loss"]+logs["last_loss"])) > 1e-15 {
		t.Errorf("loss %v is not the sum of the outputs' %v", logs["loss"], logs)
	}
}

// randTensor returns a float64 tensor of values uniform in [-1, 1).
func randTensor(r *rand.Rand, shape ...int) *graph.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = 2*r.Float64() - 1
	}
	return must(graph.FromFloat64s(graph.Float64, d, shape...))
}
