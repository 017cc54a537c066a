package models_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// Parameter counts Keras reports for input (10, 1).
func TestParamCountsMatchKeras(t *testing.T) {
	cases := []struct {
		name   string
		layers []func() (layers.Layer, error)
		per    []int
		total  int
	}{
		{"SimpleRNN(20)+Dense(1)", []func() (layers.Layer, error){simpleRNN(20, nil), dense(1, nil)}, []int{440, 21}, 461},
		{"LSTM(20)+Dense(1)", []func() (layers.Layer, error){lstm(20, nil), dense(1, nil)}, []int{1760, 21}, 1781},
		{"GRU(20)+Dense(1)", []func() (layers.Layer, error){gru(20, nil), dense(1, nil)}, []int{1380, 21}, 1401},
		{"SimpleRNN(20, seq)+Dense(1)", []func() (layers.Layer, error){simpleRNN(20, &layers.SimpleRNNOptions{ReturnSequences: true}), dense(1, nil)}, []int{440, 21}, 461},
	}
	for _, c := range cases {
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			m := must(models.NewSequential([]int{10, 1}, must(chainLayers(c.layers...)()), &models.Options{DType: dt}))
			for i, l := range m.Layers() {
				n := 0
				for _, p := range l.Params() {
					n += p.Len()
				}
				if n != c.per[i] {
					t.Errorf("%s %v: layer %s has %d parameters, want %d", c.name, dt, l.Name(), n, c.per[i])
				}
				// The Keras-layout weights hold the same number.
				k := 0
				for _, w := range l.Weights() {
					k += len(w.Data)
				}
				if k != c.per[i] {
					t.Errorf("%s %v: layer %s has %d Keras weights, want %d", c.name, dt, l.Name(), k, c.per[i])
				}
			}
			if got := m.CountParams(); got != c.total {
				t.Errorf("%s %v: %d parameters, want %d", c.name, dt, got, c.total)
			}
		}
	}
}

// trimLines drops trailing spaces, as Keras pads its rows to full width.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

const seedSummarySequential = `Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 simple_rnn (SimpleRNN)      (None, 10, 20)            440

 dense (Dense)               (None, 10, 1)             21

=================================================================
Total params: 461
Trainable params: 461
Non-trainable params: 0
_________________________________________________________________
`

const seedSummaryFunctional = `Model: "model"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 input_1 (InputLayer)        [(None, 10, 1)]           0

 simple_rnn (SimpleRNN)      (None, 10, 20)            440

 dense (Dense)               (None, 10, 1)             21

=================================================================
Total params: 461
Trainable params: 461
Non-trainable params: 0
_________________________________________________________________
`

func TestSummaryGolden(t *testing.T) {
	seq := newSeedModel(t, nil)
	if got := trimLines(seq.Summary()); got != seedSummarySequential {
		t.Errorf("Sequential summary:\n%s\nwant:\n%s", got, seedSummarySequential)
	}
	in := models.Input(10, 1)
	out := models.Apply(must(layers.NewDense(1, nil)), models.Apply(must(layers.NewSimpleRNN(20, &layers.SimpleRNNOptions{ReturnSequences: true})), in))
	fn := must(models.New(in, out, nil))
	if got := trimLines(fn.Summary()); got != seedSummaryFunctional {
		t.Errorf("functional summary:\n%s\nwant:\n%s", got, seedSummaryFunctional)
	}
	// Whether the InputLayer row shows depends on how the model was made,
	// not on its name.
	named := must(models.NewSequential([]int{10, 1}, []layers.Layer{must(layers.NewDense(1, nil))}, &models.Options{Name: "my_model"}))
	if s := named.Summary(); strings.Contains(s, "InputLayer") {
		t.Errorf("a renamed Sequential model lists an InputLayer:\n%s", s)
	}
	in2 := models.Input(10, 1)
	fn2 := must(models.New(in2, models.Apply(must(layers.NewDense(1, nil)), in2), &models.Options{Name: "sequential"}))
	if s := fn2.Summary(); !strings.Contains(s, "input_1 (InputLayer)") {
		t.Errorf("a functional model named \"sequential\" lists no InputLayer:\n%s", s)
	}
	for _, m := range []*models.Model{named, fn2} {
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := models.Save(m, path); err != nil {
			t.Fatal(err)
		}
		got := must(models.Load(path))
		if got.Summary() != m.Summary() {
			t.Errorf("loaded summary\n%s\nwant\n%s", got.Summary(), m.Summary())
		}
	}
	// Totals over a thousand get Keras' thousands separator.
	big := must(models.NewSequential([]int{10, 1}, []layers.Layer{must(layers.NewLSTM(20, nil)), must(layers.NewDense(1, nil))}, nil))
	if s := big.Summary(); !strings.Contains(s, "Total params: 1,781\n") || !strings.Contains(s, " lstm (LSTM) ") || !strings.Contains(s, "(None, 20)") {
		t.Errorf("LSTM summary:\n%s", s)
	}
}

// TestSameSeedSameModel checks that the seed alone determines the initial
// weights of a whole model, and that a layer's weights do not depend on
// the layers after it.
func TestSameSeedSameModel(t *testing.T) {
	mk := func(seed uint64, extra bool) *models.Model {
		ls := []layers.Layer{must(layers.NewLSTM(5, &layers.LSTMOptions{ReturnSequences: !extra})), must(layers.NewDense(2, nil))}
		if extra {
			ls = append(ls, must(layers.NewDense(1, nil)))
		}
		return must(models.NewSequential([]int{10, 1}, ls, &models.Options{Seed: seed, DType: graph.Float64}))
	}
	a, b, c := mk(7, false), mk(7, false), mk(8, false)
	if !sameWeights(snapshot(a), snapshot(b)) {
		t.Error("seed 7 gave two different models")
	}
	for i, p := range snapshot(a) {
		if name := a.Params()[i].Name(); !strings.HasSuffix(name, "bias") && slices.Equal(p, snapshot(c)[i]) {
			t.Errorf("%s is the same for seeds 7 and 8", name)
		}
	}
	if a.Seed() != 7 || a.DType() != graph.Float64 || a.Name() != "sequential" {
		t.Errorf("seed %d dtype %v name %q", a.Seed(), a.DType(), a.Name())
	}
	// The first layer's weights do not depend on what follows it.
	d := mk(7, true)
	for i := range 3 {
		if !slices.Equal(snapshot(a)[i], snapshot(d)[i]) {
			t.Errorf("%s changed when a layer was added after it", a.Params()[i].Name())
		}
	}
	// float32 weights are the float64 ones rounded.
	f32 := must(models.NewSequential([]int{10, 1}, []layers.Layer{must(layers.NewLSTM(5, &layers.LSTMOptions{ReturnSequences: true})), must(layers.NewDense(2, nil))}, &models.Options{Seed: 7}))
	for i, p := range snapshot(f32) {
		for k, v := range p {
			if v != float64(float32(snapshot(a)[i][k])) {
				t.Fatalf("%s[%d]: float32 %v, float64 %v", f32.Params()[i].Name(), k, v, snapshot(a)[i][k])
			}
		}
	}
}
