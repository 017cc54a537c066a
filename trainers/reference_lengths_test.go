package trainers_test

import (
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// TestReferenceLengthsInput runs the format-2 cases that have lengths a
// second way: the lengths as a model input (layers.SequenceLengths, after
// the embedding when there is one) instead of a mask made from the
// padding, with the padded steps of x filled with junk (3.25, or id 1),
// which the lengths must make irrelevant. Output, loss, every gradient and
// the input gradient, and the training run through TrainBatchInputs, at
// the tolerances of TestReferenceCases.
func TestReferenceLengthsInput(t *testing.T) {
	ran := 0
	for _, path := range referenceFiles(t) {
		c := loadCase(t, path)
		if c.Lengths == nil || c.InitialStates != nil || c.DropoutMasks != nil {
			continue
		}
		ran++
		t.Run(c.Name, func(t *testing.T) {
			for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
				tol := map[graph.DType]float64{graph.Float64: 1e-9, graph.Float32: 1e-4}[dt]
				trainTol := map[graph.DType]float64{graph.Float64: 1e-9, graph.Float32: 1e-3}[dt]
				t.Run(dt.String(), func(t *testing.T) {
					logWorst(t)
					runLengthsInput(t, c, dt, tol, trainTol)
				})
			}
		})
	}
	if ran == 0 {
		t.Fatal("no case with lengths")
	}
}

// lengthsModel builds the case's model with a SequenceLengths layer and
// returns it with, for each of its layers, the case's layer (-1 for the
// SequenceLengths).
func lengthsModel(t *testing.T, c refCase, dt graph.DType) (*models.Model, []int) {
	t.Helper()
	x, l := models.Input(c.Model.InputShape...), models.Input(1)
	h := x
	var ref []int
	for k, rl := range c.Model.Layers {
		lay, err := layers.FromConfig(rl.config())
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 && rl.Type == "embedding" {
			h = models.Apply(lay, h)
			ref = append(ref, 0)
			lay = nil
		}
		if k == 0 {
			h = models.ApplyMerge(must(layers.NewSequenceLengths(nil)), h, l)
			ref = append(ref, -1)
		}
		if lay != nil {
			h = models.Apply(lay, h)
			ref = append(ref, k)
		}
	}
	m, err := models.NewMulti([]*models.Symbol{x, l}, h, &models.Options{DType: dt})
	if err != nil {
		t.Fatal(err)
	}
	cur := m.Weights()
	for i, k := range ref {
		if k < 0 {
			continue
		}
		for j, w := range cur[i].Weights {
			rt := c.Weights[k][w.Name]
			cur[i].Weights[j] = layers.Weight{Name: w.Name, Shape: rt.Shape, Data: rt.Data}
		}
	}
	if err := m.SetWeights(cur); err != nil {
		t.Fatal(err)
	}
	return m, ref
}

// junkPadded returns x with its padded steps set to junk, and the lengths
// [n, 1].
func junkPadded(t *testing.T, c refCase, dt graph.DType) (*graph.Tensor, *graph.Tensor) {
	t.Helper()
	n, steps := c.X.Shape[0], c.X.Shape[1]
	per := len(c.X.Data) / (n * steps)
	junk := 3.25
	if c.Model.Layers[0].Type == "embedding" {
		junk = 1
	}
	data := slices.Clone(c.X.Data)
	ls := make([]float64, n)
	for i, L := range c.Lengths {
		ls[i] = float64(L)
		for s := L; s < steps; s++ {
			for f := range per {
				data[(i*steps+s)*per+f] = junk
			}
		}
	}
	return tensorOf(t, dt, refTensor{Shape: c.X.Shape, Data: data}), tensorOf(t, dt, refTensor{Shape: []int{n, 1}, Data: ls})
}

// byRef keeps the layers of the case (ref ≥ 0), in the case's order.
func byRef(ws []models.LayerWeights, ref []int) []models.LayerWeights {
	var out []models.LayerWeights
	for i, k := range ref {
		if k >= 0 {
			out = append(out, ws[i])
		}
	}
	return out
}

func runLengthsInput(t *testing.T, c refCase, dt graph.DType, tol, trainTol float64) {
	m, ref := lengthsModel(t, c, dt)
	loss := must(trainers.LossByName(c.Loss))
	x, l := junkPadded(t, c, dt)
	n := c.X.Shape[0]
	prog := must(m.Program(models.ProgramSpec{Batch: n, Loss: loss.Func(), Elementwise: loss.Elementwise(), Grads: true, InputGrads: c.Check.InputGrad != nil}))
	e := prog.NewExecutor()
	for i, in := range []*graph.Tensor{x, l, tensorOf(t, dt, c.Y)} {
		must(0, e.SetInput(i, in))
	}
	must(0, e.Run())
	expectClose(t, "output", graph.Float64s(must(e.Output(0))), c.Check.Output.Data, tol)
	expectClose(t, "loss", []float64{must(e.Loss())}, []float64{c.Check.Loss}, tol)
	kg := must(m.KerasLayout(must(e.Grads(m.Params()))))
	compareWeights(t, "grad", byRef(kg, ref), c.Check.Grads, tol)
	if c.Check.InputGrad != nil {
		expectClose(t, "input_grad", graph.Float64s(must(e.InputGrad(0))), c.Check.InputGrad.Data, tol)
	}
	if c.Train == nil {
		return
	}
	tr := must(trainers.NewTrainer(m, loss, refOptimizer(t, c.Train.Optimizer)))
	y := tensorOf(t, dt, c.Y)
	got := make([]float64, c.Train.Epochs)
	for ep, batches := range c.Train.Batches {
		var sum float64
		var cnt int
		for _, idx := range batches {
			xs := []*graph.Tensor{must(trainers.Samples(x, idx)), must(trainers.Samples(l, idx))}
			r, err := tr.TrainBatchInputs(xs, must(trainers.Samples(y, idx)))
			if err != nil {
				t.Fatalf("epoch %d: %v", ep, err)
			}
			sum += r.Loss * float64(len(idx))
			cnt += len(idx)
		}
		got[ep] = sum / float64(cnt)
	}
	expectClose(t, "epoch_loss", got, c.Train.EpochLoss, trainTol)
	compareWeights(t, "final", byRef(m.Weights(), ref), c.Train.FinalWeights, trainTol)
}
