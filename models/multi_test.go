package models_test

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

func randTensor(r *rand.Rand, shape ...int) *graph.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = r.Float64()*2 - 1
	}
	x, _ := graph.FromFloat64s(graph.Float64, v, shape...)
	return x
}

// encoderDecoder returns encoder LSTM → decoder LSTM (from the encoder's
// final states) → Dense, and a Concatenate of a covariate before the
// decoder.
func encoderDecoder(t *testing.T) *models.Model {
	t.Helper()
	enc, dec, cov := models.Input(5, 2), models.Input(3, 1), models.Input(3, 2)
	_, states := models.ApplyStates(must(layers.NewLSTM(4, nil)), enc)
	joined := models.ApplyMerge(must(layers.NewConcatenate(nil)), dec, cov)
	seq, _ := models.ApplyStates(must(layers.NewLSTM(4, &layers.LSTMOptions{ReturnSequences: true})), joined, states...)
	out := models.Apply(must(layers.NewDense(1, nil)), seq)
	m, err := models.NewMulti([]*models.Symbol{enc, dec, cov}, out, &models.Options{DType: graph.Float64, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEncoderDecoderWiring: the graph model computes, bit for bit, the
// encoder run alone (its final states read through ProgramSpec.States)
// followed by the decoder run from those states.
func TestEncoderDecoderWiring(t *testing.T) {
	m := encoderDecoder(t)
	randomWeights(t, m, 9)
	r := rand.New(rand.NewPCG(3, 3))
	xe, xd, xc := randTensor(r, 2, 5, 2), randTensor(r, 2, 3, 1), randTensor(r, 2, 3, 2)
	got, err := m.PredictInputs([]*graph.Tensor{xe, xd, xc})
	if err != nil {
		t.Fatal(err)
	}
	ls := m.Layers() // lstm (encoder), concatenate, lstm_1 (decoder), dense
	if len(ls) != 4 {
		t.Fatalf("%d layers", len(ls))
	}
	mse := func(b *graph.Builder, p, y *graph.Node) *graph.Node { return b.Mean(b.Square(b.Sub(p, y))) }
	// The encoder alone, with the same weights.
	enc := must(models.NewSequential([]int{5, 2}, []layers.Layer{must(layers.NewLSTM(4, nil))}, &models.Options{DType: graph.Float64}))
	must(0, enc.SetWeights(m.Weights()[:1]))
	p := must(enc.Program(models.ProgramSpec{Batch: 2, Loss: mse, States: true}))
	e := p.NewExecutor()
	must(0, e.SetInput(0, xe))
	must(0, e.Run())
	h, c := must(e.Output(1)), must(e.Output(2))
	// The decoder from those states, on the joined inputs.
	joined := make([]float64, 0, 2*3*3)
	d, cv := graph.Float64s(xd), graph.Float64s(xc)
	for i := range 6 {
		joined = append(joined, d[i], cv[2*i], cv[2*i+1])
	}
	dec := must(models.NewSequential([]int{3, 3}, []layers.Layer{must(layers.NewLSTM(4, &layers.LSTMOptions{ReturnSequences: true})), must(layers.NewDense(1, nil))}, &models.Options{DType: graph.Float64}))
	dw := m.Weights()[2:]
	for i := range dw {
		dw[i].Layer = "" // lstm_1 and dense here, lstm and dense there
	}
	must(0, dec.SetWeights(dw))
	p = must(dec.Program(models.ProgramSpec{Batch: 2, Loss: mse, States: true}))
	e = p.NewExecutor()
	must(0, e.SetInput(0, must(graph.FromFloat64s(graph.Float64, joined, 2, 3, 3))))
	must(0, e.SetInput(2, h))
	must(0, e.SetInput(3, c))
	must(0, e.Run())
	want := graph.Float64s(must(e.Output(0)))
	if !slices.Equal(graph.Float64s(got), want) {
		t.Errorf("the graph model gives %v, the encoder then the decoder %v", graph.Float64s(got), want)
	}
	if sl := m.StateLayers(); len(sl) != 1 || sl[0].Layer != 0 {
		t.Errorf("StateLayers %+v: want the encoder only (the decoder's states are wired)", sl)
	}
}

// TestMultiSaveLoad: a graph model saves and loads with its wiring, the
// same weights and bit-identical predictions.
func TestMultiSaveLoad(t *testing.T) {
	m := encoderDecoder(t)
	randomWeights(t, m, 4)
	path := filepath.Join(t.TempDir(), "encdec.safetensors")
	if err := models.Save(m, path); err != nil {
		t.Fatal(err)
	}
	got, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	xs := []*graph.Tensor{randTensor(r, 3, 5, 2), randTensor(r, 3, 3, 1), randTensor(r, 3, 3, 2)}
	a, b := must(m.PredictInputs(xs)), must(got.PredictInputs(xs))
	if !slices.Equal(graph.Float64s(a), graph.Float64s(b)) {
		t.Error("predictions differ after loading")
	}
	if got.Summary() != m.Summary() || got.NumInputs() != 3 {
		t.Errorf("loaded summary:\n%s\nsaved:\n%s", got.Summary(), m.Summary())
	}
}

// TestMultiErrors: graph models that cannot be built, and data that does
// not fit them, are errors.
func TestMultiErrors(t *testing.T) {
	a, b := models.Input(4, 2), models.Input(4, 3)
	lstm := must(layers.NewLSTM(3, nil))
	shared := must(layers.NewDense(2, nil))
	cases := map[string]func() error{
		"unlisted input": func() error {
			_, err := models.NewMulti([]*models.Symbol{a}, models.ApplyMerge(must(layers.NewConcatenate(nil)), a, b), nil)
			return err
		},
		"one merged symbol": func() error {
			_, err := models.NewMulti([]*models.Symbol{a}, models.ApplyMerge(must(layers.NewAdd(nil)), a), nil)
			return err
		},
		"add of two shapes": func() error {
			_, err := models.NewMulti([]*models.Symbol{a, b}, models.ApplyMerge(must(layers.NewAdd(nil)), a, b), nil)
			return err
		},
		"shared layer": func() error {
			x := models.Apply(shared, a)
			_, err := models.NewMulti([]*models.Symbol{a}, models.Apply(shared, x), nil)
			return err
		},
		"initial state count": func() error {
			s := models.Input(3)
			out, _ := models.ApplyStates(lstm, a, s)
			_, err := models.NewMulti([]*models.Symbol{a, s}, out, nil)
			return err
		},
		"initial state shape": func() error {
			h, c := models.Input(2), models.Input(2)
			out, _ := models.ApplyStates(must(layers.NewLSTM(3, nil)), a, h, c)
			_, err := models.NewMulti([]*models.Symbol{a, h, c}, out, nil)
			return err
		},
		"input listed twice": func() error {
			_, err := models.NewMulti([]*models.Symbol{a, a}, models.Apply(must(layers.NewDense(1, nil)), a), nil)
			return err
		},
		"no layers": func() error { _, err := models.NewMulti([]*models.Symbol{a}, a, nil); return err },
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	m := encoderDecoder(t)
	r := rand.New(rand.NewPCG(1, 1))
	if _, err := m.Predict(randTensor(r, 2, 5, 2)); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("Predict of one input for three: %v", err)
	}
	if _, err := m.PredictInputs([]*graph.Tensor{randTensor(r, 2, 5, 2), randTensor(r, 3, 3, 1), randTensor(r, 2, 3, 2)}); !errors.Is(err, graph.ErrShape) {
		t.Errorf("inputs of 2 and 3 samples: %v", err)
	}
	if _, err := m.PredictInputs([]*graph.Tensor{randTensor(r, 2, 5, 2), randTensor(r, 2, 3, 1)}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("two inputs for three: %v", err)
	}
}
