package models_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

func TestRecurrentAfterLastStateIsAnError(t *testing.T) {
	// LSTM without return sequences gives [batch, units]: a second LSTM
	// has no time axis to read. The error names the layer.
	for _, second := range []func() (layers.Layer, error){lstm(4, nil), gru(4, nil), simpleRNN(4, nil)} {
		first := must(layers.NewLSTM(4, nil))
		l2 := must(second())
		_, err := models.NewSequential([]int{10, 1}, []layers.Layer{first, l2}, nil)
		if !errors.Is(err, graph.ErrShape) {
			t.Fatalf("LSTM then %s: %v, want ErrShape", l2.Kind(), err)
		}
		want := l2.Kind() // the second layer is named after its kind
		if l2.Kind() == "lstm" {
			want = "lstm_1"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name layer %s", err, want)
		}
	}
	// The same through the functional API, with a chosen name.
	in := models.Input(10, 1)
	h := models.Apply(must(layers.NewLSTM(4, nil)), in)
	out := models.Apply(must(layers.NewLSTM(4, &layers.LSTMOptions{Name: "decoder"})), h)
	if _, err := models.New(in, out, nil); !errors.Is(err, graph.ErrShape) || !strings.Contains(err.Error(), "decoder") {
		t.Errorf("functional LSTM then LSTM: %v, want ErrShape naming decoder", err)
	}
	// With return sequences it is fine, and Dense after the last state too.
	ok := []layers.Layer{must(layers.NewLSTM(4, &layers.LSTMOptions{ReturnSequences: true})), must(layers.NewLSTM(4, nil)), must(layers.NewDense(1, nil))}
	m, err := models.NewSequential([]int{10, 1}, ok, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.OutputShape(); !slices.Equal(got, []int{1}) {
		t.Errorf("output shape %v, want [1]", got)
	}
}

func TestModelDefinitionErrors(t *testing.T) {
	newL := func() layers.Layer { return must(layers.NewSimpleRNN(3, nil)) }
	cases := []struct {
		name string
		make func() (*models.Model, error)
		want error
	}{
		{"input with a zero dim", func() (*models.Model, error) {
			in := models.Input(10, 0)
			return models.New(in, models.Apply(newL(), in), nil)
		}, models.ErrModel},
		{"input without dims", func() (*models.Model, error) {
			in := models.Input()
			return models.New(in, models.Apply(newL(), in), nil)
		}, models.ErrModel},
		{"input with a negative dim", func() (*models.Model, error) {
			in := models.Input(-1, 1)
			return models.New(in, models.Apply(newL(), in), nil)
		}, models.ErrModel},
		{"sequential with a zero dim", func() (*models.Model, error) {
			return models.NewSequential([]int{0, 1}, []layers.Layer{newL()}, nil)
		}, models.ErrModel},
		{"nil layer", func() (*models.Model, error) {
			in := models.Input(10, 1)
			return models.New(in, models.Apply(nil, in), nil)
		}, models.ErrModel},
		{"typed nil layer", func() (*models.Model, error) {
			in := models.Input(10, 1)
			var l *layers.LSTM
			return models.New(in, models.Apply(l, in), nil)
		}, models.ErrModel},
		{"nil layer in a sequential list", func() (*models.Model, error) {
			return models.NewSequential([]int{10, 1}, []layers.Layer{newL(), nil}, nil)
		}, models.ErrModel},
		{"nil tensors", func() (*models.Model, error) { return models.New(nil, nil, nil) }, models.ErrModel},
		{"layer applied twice", func() (*models.Model, error) {
			in := models.Input(10, 1)
			l := must(layers.NewSimpleRNN(1, &layers.SimpleRNNOptions{ReturnSequences: true}))
			return models.New(in, models.Apply(l, models.Apply(l, in)), nil)
		}, models.ErrModel},
		{"layer twice in a sequential list", func() (*models.Model, error) {
			l := must(layers.NewDense(3, nil))
			return models.NewSequential([]int{3}, []layers.Layer{l, l}, nil)
		}, models.ErrModel},
		{"layer of another model", func() (*models.Model, error) {
			l := must(layers.NewDense(3, nil))
			must(models.NewSequential([]int{3}, []layers.Layer{l}, nil))
			return models.NewSequential([]int{3}, []layers.Layer{l}, nil)
		}, models.ErrModel},
		{"output from another input", func() (*models.Model, error) {
			a, b := models.Input(10, 1), models.Input(10, 1)
			return models.New(a, models.Apply(newL(), b), nil)
		}, models.ErrModel},
		{"input that is not an Input", func() (*models.Model, error) {
			in := models.Input(10, 1)
			h := models.Apply(must(layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: true})), in)
			return models.New(h, models.Apply(newL(), h), nil)
		}, models.ErrModel},
		{"output is the input", func() (*models.Model, error) {
			in := models.Input(10, 1)
			return models.New(in, in, nil)
		}, models.ErrModel},
		{"no layers", func() (*models.Model, error) { return models.NewSequential([]int{10, 1}, nil, nil) }, models.ErrModel},
		{"two layers with one name", func() (*models.Model, error) {
			return models.NewSequential([]int{4}, []layers.Layer{
				must(layers.NewDense(3, &layers.DenseOptions{Name: "d"})), must(layers.NewDense(3, &layers.DenseOptions{Name: "d"})),
			}, nil)
		}, models.ErrModel},
		{"invalid dtype", func() (*models.Model, error) {
			return models.NewSequential([]int{4}, []layers.Layer{must(layers.NewDense(3, nil))}, &models.Options{DType: graph.DType(4)})
		}, graph.ErrConfig},
		{"recurrent layer on flat samples", func() (*models.Model, error) {
			return models.NewSequential([]int{4}, []layers.Layer{newL()}, nil)
		}, graph.ErrShape},
	}
	for _, c := range cases {
		m, err := c.make()
		if !errors.Is(err, c.want) || m != nil {
			t.Errorf("%s: model %v, error %v; want nil and %v", c.name, m, err, c.want)
		}
	}
	if _, err := models.NewSequential([]int{4}, []layers.Layer{must(layers.NewDense(3, nil))}, &models.Options{DType: 9}); !errors.Is(err, models.ErrModel) {
		t.Errorf("invalid dtype: %v, want ErrModel too", err)
	}
	// The zero Options (or nil) are the defaults: the kind's name, float32.
	for _, o := range []*models.Options{nil, {}} {
		seq := must(models.NewSequential([]int{4}, []layers.Layer{must(layers.NewDense(3, nil))}, o))
		in := models.Input(4)
		fn := must(models.New(in, models.Apply(must(layers.NewDense(3, nil)), in), o))
		if seq.Name() != "sequential" || fn.Name() != "model" || seq.DType() != graph.Float32 {
			t.Errorf("defaults %v: names %q and %q, dtype %v", o, seq.Name(), fn.Name(), seq.DType())
		}
	}
}

func TestDefaultLayerNames(t *testing.T) {
	ls := []layers.Layer{
		must(layers.NewLSTM(2, &layers.LSTMOptions{ReturnSequences: true})),
		must(layers.NewLSTM(2, &layers.LSTMOptions{ReturnSequences: true, Name: "lstm_1"})),
		must(layers.NewLSTM(2, nil)),
		must(layers.NewDense(1, nil)),
	}
	m := must(models.NewSequential([]int{5, 1}, ls, nil))
	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.Name())
	}
	// "lstm_1" is taken by the user, so the third LSTM gets "lstm_2".
	if want := []string{"lstm", "lstm_1", "lstm_2", "dense"}; !slices.Equal(names, want) {
		t.Errorf("layer names %v, want %v", names, want)
	}
	var params []string
	for _, p := range m.Params() {
		params = append(params, p.Name())
	}
	if params[0] != "lstm/kernel" || params[len(params)-1] != "dense/bias" || len(params) != 11 {
		t.Errorf("parameter names %v", params)
	}
}

// snapshot returns a deep copy of a model's weights.
func snapshot(m *models.Model) [][]float64 {
	var out [][]float64
	for _, p := range m.Params() {
		out = append(out, p.Float64s())
	}
	return out
}

func sameWeights(a, b [][]float64) bool {
	return slices.EqualFunc(a, b, func(x, y []float64) bool { return slices.Equal(x, y) })
}

func TestModelSetWeightsIsAllOrNothing(t *testing.T) {
	m := must(models.NewSequential([]int{6, 2}, []layers.Layer{
		must(layers.NewGRU(3, &layers.GRUOptions{ReturnSequences: true})), must(layers.NewLSTM(2, nil)), must(layers.NewDense(1, nil)),
	}, &models.Options{DType: graph.Float64, Seed: 1}))
	orig := snapshot(m)
	fresh := func() []models.LayerWeights {
		ws := m.Weights()
		// Change every value, so that a partial write would show.
		for i := range ws {
			for j := range ws[i].Weights {
				for k := range ws[i].Weights[j].Data {
					ws[i].Weights[j].Data[k] += 0.5
				}
			}
		}
		return ws
	}
	type tc struct {
		name string
		edit func([]models.LayerWeights) []models.LayerWeights
		want error
	}
	cases := []tc{
		{"one layer too few", func(ws []models.LayerWeights) []models.LayerWeights { return ws[:2] }, graph.ErrShape},
		{"one layer too many", func(ws []models.LayerWeights) []models.LayerWeights { return append(ws, ws[2]) }, graph.ErrShape},
		{"layers swapped", func(ws []models.LayerWeights) []models.LayerWeights {
			ws[0], ws[1] = ws[1], ws[0]
			return ws
		}, graph.ErrShape},
		{"wrong layer name", func(ws []models.LayerWeights) []models.LayerWeights { ws[2].Layer = "dense_9"; return ws }, graph.ErrShape},
		{"weight missing", func(ws []models.LayerWeights) []models.LayerWeights {
			ws[2].Weights = ws[2].Weights[:1]
			return ws
		}, graph.ErrShape},
		{"wrong weight name", func(ws []models.LayerWeights) []models.LayerWeights {
			ws[1].Weights[0].Name = "recurrent_kernel"
			return ws
		}, graph.ErrShape},
		{"GRU bias flattened", func(ws []models.LayerWeights) []models.LayerWeights {
			ws[0].Weights[2].Shape = []int{18}
			return ws
		}, graph.ErrShape},
		{"short data", func(ws []models.LayerWeights) []models.LayerWeights {
			ws[1].Weights[1].Data = ws[1].Weights[1].Data[:3]
			return ws
		}, graph.ErrShape},
		{"NaN in the last weight", func(ws []models.LayerWeights) []models.LayerWeights {
			d := ws[2].Weights[1].Data
			d[len(d)-1] = math.NaN()
			return ws
		}, graph.ErrNotFinite},
		{"+Inf in the last layer's kernel", func(ws []models.LayerWeights) []models.LayerWeights {
			ws[2].Weights[0].Data[0] = math.Inf(1)
			return ws
		}, graph.ErrNotFinite},
	}
	for _, c := range cases {
		if err := m.SetWeights(c.edit(fresh())); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if !sameWeights(snapshot(m), orig) {
			t.Fatalf("%s: a failed SetWeights changed the weights", c.name)
		}
	}
	// The check is made in the model's dtype: 1e39 is a finite float64 but
	// overflows float32, so a float32 model refuses it before writing
	// anything, and a float64 model takes the largest finite values.
	m32 := must(models.NewSequential([]int{6, 2}, []layers.Layer{
		must(layers.NewLSTM(2, nil)), must(layers.NewDense(1, nil)),
	}, &models.Options{Seed: 1}))
	orig32 := snapshot(m32)
	ws32 := m32.Weights()
	for i := range ws32 {
		for j := range ws32[i].Weights {
			for k := range ws32[i].Weights[j].Data {
				ws32[i].Weights[j].Data[k] += 0.5
			}
		}
	}
	ws32[1].Weights[1].Data[0] = 1e39
	if err := m32.SetWeights(ws32); !errors.Is(err, graph.ErrNotFinite) {
		t.Errorf("float32 model, weight 1e39: %v, want ErrNotFinite", err)
	}
	if !sameWeights(snapshot(m32), orig32) {
		t.Fatal("float32 model: a failed SetWeights changed the weights")
	}
	before := m.Weights()
	big := fresh()
	big[2].Weights[1].Data[0] = math.MaxFloat64
	if err := m.SetWeights(big); err != nil {
		t.Errorf("float64 model, weight MaxFloat64: %v, want it accepted", err)
	}
	if err := m.SetWeights(before); err != nil {
		t.Fatal(err)
	}

	// Unnamed layer entries are accepted, and a valid call writes.
	ws := fresh()
	for i := range ws {
		ws[i].Layer = ""
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	if sameWeights(snapshot(m), orig) {
		t.Fatal("a valid SetWeights changed nothing")
	}
	back := m.Weights()
	for i := range back {
		for j := range back[i].Weights {
			if !slices.Equal(back[i].Weights[j].Data, ws[i].Weights[j].Data) {
				t.Errorf("%s/%s not read back as written", back[i].Layer, back[i].Weights[j].Name)
			}
		}
	}
}

func TestPredictErrors(t *testing.T) {
	m := newSeedModel(t, &models.Options{DType: graph.Float64})
	nan := uniformTensor(1, 8, 10, 1)
	data64(nan)[5*10+3] = math.NaN() // sample 5, step 3
	inf := uniformTensor(1, 40, 10, 1)
	data64(inf)[37*10+9] = math.Inf(-1) // sample 37, in the second batch of 32
	empty := graph.NewTensor(graph.Float64, 0, 10, 1)
	// An integer tensor cannot be made through graph's API (its refusal is
	// tested at graph's seam); a zero Tensor is the closest a caller gets.
	cases := []struct {
		name  string
		x     *graph.Tensor
		batch int
		want  error
		says  string
	}{
		{"nil", nil, 32, graph.ErrArgument, ""},
		{"empty", empty, 32, graph.ErrArgument, "no samples"},
		{"one sample without batch axis", uniformTensor(1, 10, 1), 32, graph.ErrShape, ""},
		{"features 2", uniformTensor(1, 4, 10, 2), 32, graph.ErrShape, ""},
		{"time 9", uniformTensor(1, 4, 9, 1), 32, graph.ErrShape, ""},
		{"transposed", uniformTensor(1, 4, 1, 10), 32, graph.ErrShape, ""},
		{"flat", uniformTensor(1, 40), 32, graph.ErrShape, ""},
		{"NaN", nan, 32, graph.ErrNotFinite, "sample 5"},
		{"-Inf", inf, 32, graph.ErrNotFinite, "sample 37"},
		{"zero Tensor", &graph.Tensor{}, 32, graph.ErrArgument, ""},
		{"batch 0", uniformTensor(1, 4, 10, 1), 0, graph.ErrArgument, ""},
		{"batch -1", uniformTensor(1, 4, 10, 1), -1, graph.ErrArgument, ""},
	}
	for _, c := range cases {
		y, err := m.PredictBatch(c.x, c.batch)
		if !errors.Is(err, c.want) || y != nil {
			t.Errorf("%s: result %v, error %v; want nil and %v", c.name, y, err, c.want)
			continue
		}
		if c.says != "" && !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.says)
		}
	}
	if _, err := m.Predict(nan); !errors.Is(err, graph.ErrNotFinite) {
		t.Errorf("Predict with NaN: %v", err)
	}
}

func TestProgramErrors(t *testing.T) {
	m := newSeedModel(t, nil)
	if _, err := m.Program(models.ProgramSpec{Batch: 4, Loss: nil, Grads: true}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("nil loss: %v, want ErrArgument", err)
	}
	for _, batch := range []int{0, -2} {
		if _, err := m.Program(models.ProgramSpec{Batch: batch, Loss: mse, Grads: true}); !errors.Is(err, graph.ErrArgument) {
			t.Errorf("batch %d: %v, want ErrArgument", batch, err)
		}
	}
	notScalar := func(b *graph.Builder, p, y *graph.Node) *graph.Node { return b.Sub(p, y) }
	if _, err := m.Program(models.ProgramSpec{Batch: 4, Loss: notScalar, Grads: true}); !errors.Is(err, graph.ErrShape) {
		t.Errorf("loss that is not a scalar: %v, want ErrShape", err)
	}
	wrongShape := func(b *graph.Builder, p, y *graph.Node) *graph.Node { return b.Mean(b.Sub(p, b.Full(0, 4, 10, 2))) }
	if _, err := m.Program(models.ProgramSpec{Batch: 4, Loss: wrongShape, Grads: true}); !errors.Is(err, graph.ErrShape) {
		t.Errorf("loss on other shapes: %v, want ErrShape", err)
	}
	if _, err := m.KerasLayout(nil); !errors.Is(err, graph.ErrShape) {
		t.Errorf("KerasLayout(nil): %v, want ErrShape", err)
	}
	p := must(m.Program(models.ProgramSpec{Batch: 4, Loss: mse}))
	e := p.NewExecutor()
	if err := e.SetInput(1, uniformTensor(1, 4, 10, 2)); !errors.Is(err, graph.ErrShape) {
		t.Errorf("target of the wrong shape: %v, want ErrShape", err)
	}
	if _, err := e.Grads(m.Params()); err == nil {
		t.Error("Grads before a run of a program without gradients succeeded")
	}
}

// customLayer stands for a user's own layer type.
type customLayer struct{ layers.Layer }

func TestApplyTypedNilCustomLayer(t *testing.T) {
	var l *customLayer
	out := models.Apply(l, models.Input(3, 1))
	if !errors.Is(out.Err(), models.ErrModel) {
		t.Errorf("Apply(nil *customLayer): %v, want ErrModel", out.Err())
	}
}

// renamedLayer is a user's layer type built on Dense: Load cannot rebuild it.
type renamedLayer struct{ layers.Layer }

func (l renamedLayer) Kind() string { return "mine" }
func (l renamedLayer) Config() layers.Config {
	c := l.Layer.Config()
	c.Kind = "mine"
	return c
}

// lyingLayer's configuration does not match its weights.
type lyingLayer struct{ layers.Layer }

func (l lyingLayer) Config() layers.Config {
	c := l.Layer.Config()
	c.Units++
	return c
}

// TestSaveRefusesWhatLoadCannotRebuild checks that Save fails, writing
// nothing, for a model Load would reject.
func TestSaveRefusesWhatLoadCannotRebuild(t *testing.T) {
	for _, wrap := range []func(layers.Layer) layers.Layer{
		func(l layers.Layer) layers.Layer { return renamedLayer{l} },
		func(l layers.Layer) layers.Layer { return lyingLayer{l} },
	} {
		m := must(models.NewSequential([]int{3, 2}, []layers.Layer{
			must(layers.NewLSTM(2, nil)), wrap(must(layers.NewDense(1, nil))),
		}, nil))
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := models.Save(m, path); !errors.Is(err, models.ErrModel) {
			t.Errorf("Save of a model Load cannot rebuild: %v, want ErrModel", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused Save left a file: %v", err)
		}
	}
}
