package layers_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// must returns v, panicking on err (a panic fails the test with its
// stack, which points at the call).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// constructor makes a layer of one kind with the given settings (those
// a kind lacks are left out).
type constructor struct {
	kind string
	make func(units int, s settings) (layers.Layer, error)
}

// settings are the layer settings the table tests vary.
type settings struct {
	name             string
	returnSequences  bool // recurrent layers only
	noUnitForgetBias bool // LSTM only
}

var constructors = []constructor{
	{"dense", func(u int, s settings) (layers.Layer, error) {
		return layers.NewDense(u, &layers.DenseOptions{Name: s.name})
	}},
	{"simple_rnn", func(u int, s settings) (layers.Layer, error) {
		return layers.NewSimpleRNN(u, &layers.SimpleRNNOptions{Name: s.name, ReturnSequences: s.returnSequences})
	}},
	{"lstm", func(u int, s settings) (layers.Layer, error) {
		return layers.NewLSTM(u, &layers.LSTMOptions{Name: s.name, ReturnSequences: s.returnSequences, NoUnitForgetBias: s.noUnitForgetBias})
	}},
	{"gru", func(u int, s settings) (layers.Layer, error) {
		return layers.NewGRU(u, &layers.GRUOptions{Name: s.name, ReturnSequences: s.returnSequences})
	}},
}

func TestConstructorsRejectNonPositiveUnits(t *testing.T) {
	for _, c := range constructors {
		for _, u := range []int{0, -1, -128} {
			l, err := c.make(u, settings{})
			if !errors.Is(err, layers.ErrConfig) {
				t.Errorf("%s(%d): error %v, want ErrConfig", c.kind, u, err)
			}
			if l != nil && !isNil(l) {
				t.Errorf("%s(%d): returned a layer with the error", c.kind, u)
			}
		}
		if _, err := c.make(1, settings{}); err != nil {
			t.Errorf("%s(1): %v", c.kind, err)
		}
	}
}

// isNil reports whether l holds a nil pointer of a concrete layer type.
func isNil(l layers.Layer) bool {
	switch v := l.(type) {
	case *layers.Dense:
		return v == nil
	case *layers.SimpleRNN:
		return v == nil
	case *layers.LSTM:
		return v == nil
	case *layers.GRU:
		return v == nil
	}
	return false
}

// TestConstructorsRejectInvalidOptions: the settings a layer has but
// with values out of range fail at construction, wrapping ErrConfig and
// naming the layer type; settings a layer does not have cannot be written
// (TestMisuseDoesNotCompile in graph/internal/compiletest).
func TestConstructorsRejectInvalidOptions(t *testing.T) {
	bad := map[string]func() (layers.Layer, error){
		"dense activation 17": func() (layers.Layer, error) {
			return layers.NewDense(3, &layers.DenseOptions{Activation: layers.Activation(17)})
		},
		"dense activation -1": func() (layers.Layer, error) { return layers.NewDense(3, &layers.DenseOptions{Activation: -1}) },
		"simple_rnn softmax": func() (layers.Layer, error) {
			return layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{Activation: layers.Softmax})
		},
		"simple_rnn activation 9": func() (layers.Layer, error) {
			return layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{Activation: 9})
		},
		"simple_rnn dropout 1": func() (layers.Layer, error) { return layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{Dropout: 1}) },
		"lstm dropout -0.1":    func() (layers.Layer, error) { return layers.NewLSTM(3, &layers.LSTMOptions{Dropout: -0.1}) },
		"lstm recurrent_dropout NaN": func() (layers.Layer, error) {
			return layers.NewLSTM(3, &layers.LSTMOptions{RecurrentDropout: math.NaN()})
		},
		"gru recurrent_dropout 1.5": func() (layers.Layer, error) {
			return layers.NewGRU(3, &layers.GRUOptions{RecurrentDropout: 1.5})
		},
		"embedding output_dim 0": func() (layers.Layer, error) { return layers.NewEmbedding(3, 0, nil) },
		"dropout rate 1":         func() (layers.Layer, error) { return layers.NewDropout(1, nil) },
		"masking NaN":            func() (layers.Layer, error) { return layers.NewMasking(math.NaN(), nil) },
	}
	for name, mk := range bad {
		_, err := mk()
		if !errors.Is(err, layers.ErrConfig) || !errors.Is(err, graph.ErrConfig) {
			t.Errorf("%s: error %v, want ErrConfig", name, err)
		} else if kind, _, _ := strings.Cut(name, " "); !strings.Contains(err.Error(), kind) {
			t.Errorf("%s: error %q does not name the layer type", name, err)
		}
	}
	good := map[string]func() (layers.Layer, error){
		"dense": func() (layers.Layer, error) {
			return layers.NewDense(3, &layers.DenseOptions{Activation: layers.ReLU, Name: "out"})
		},
		"simple_rnn": func() (layers.Layer, error) {
			return layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: true, Name: "r", Activation: layers.ReLU})
		},
		"lstm": func() (layers.Layer, error) { return layers.NewLSTM(3, &layers.LSTMOptions{NoUnitForgetBias: true}) },
		"gru":  func() (layers.Layer, error) { return layers.NewGRU(3, &layers.GRUOptions{ReturnSequences: true}) },
	}
	for name, mk := range good {
		if _, err := mk(); err != nil {
			t.Errorf("%s with valid options: %v", name, err)
		}
	}
}

// TestZeroOptionsAreKerasDefaults: nil options, zero options and the
// explicit defaults make the same layer, with Keras' defaults.
func TestZeroOptionsAreKerasDefaults(t *testing.T) {
	d1, d2 := must(layers.NewDense(2, nil)), must(layers.NewDense(2, &layers.DenseOptions{Activation: layers.Linear}))
	if d1.Activation() != layers.Linear || !d1.UseBias() || !reflect.DeepEqual(d1.Config(), d2.Config()) {
		t.Errorf("Dense defaults: %v %v, %+v vs %+v", d1.Activation(), d1.UseBias(), d1.Config(), d2.Config())
	}
	s := must(layers.NewSimpleRNN(2, &layers.SimpleRNNOptions{}))
	if s.Activation() != layers.Tanh || !s.UseBias() || s.ReturnSequences() || s.GoBackwards() || s.Dropout() != 0 {
		t.Errorf("SimpleRNN defaults: %v %v %v %v %v", s.Activation(), s.UseBias(), s.ReturnSequences(), s.GoBackwards(), s.Dropout())
	}
	if c := s.Config(); c.Activation != "" {
		t.Errorf("SimpleRNN with the default activation saves activation %q, want none", c.Activation)
	}
	if c := must(layers.NewSimpleRNN(2, &layers.SimpleRNNOptions{Activation: layers.Tanh})).Config(); c.Activation != "tanh" {
		t.Errorf("SimpleRNN with an explicit tanh saves activation %q, want tanh", c.Activation)
	}
	l := must(layers.NewLSTM(2, nil))
	if !l.UnitForgetBias() || !l.UseBias() {
		t.Errorf("LSTM defaults: unit_forget_bias %v, use_bias %v", l.UnitForgetBias(), l.UseBias())
	}
	if must(layers.NewLSTM(2, &layers.LSTMOptions{NoUnitForgetBias: true, NoBias: true})).UseBias() {
		t.Error("LSTM NoBias has a bias")
	}
	if e := must(layers.NewEmbedding(4, 2, nil)); e.MaskZero() {
		t.Error("Embedding masks by default")
	}
	if layers.DefaultActivation != 0 || layers.DefaultActivation.String() != "default" {
		t.Errorf("DefaultActivation = %d (%q), want the zero value", layers.DefaultActivation, layers.DefaultActivation)
	}
}

func TestParseActivation(t *testing.T) {
	for _, a := range []layers.Activation{layers.Linear, layers.Tanh, layers.Sigmoid, layers.ReLU, layers.Softmax} {
		got, err := layers.ParseActivation(a.String())
		if err != nil || got != a {
			t.Errorf("ParseActivation(%q) = %v, %v", a.String(), got, err)
		}
	}
	for _, s := range []string{"", "Tanh", "Softmax", "elu", "Activation(7)"} {
		if _, err := layers.ParseActivation(s); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("ParseActivation(%q): error %v, want ErrConfig", s, err)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	rng := graph.NewRNG(1)
	named := func(c constructor) layers.Layer { return must(c.make(4, settings{name: c.kind + "_x"})) }
	for _, c := range constructors {
		recurrent := c.kind != "dense"
		// An unnamed layer cannot be built (its parameters need names).
		if _, err := must(c.make(4, settings{})).Build(graph.Float64, []int{5, 3}, rng); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: build without a name: %v, want ErrConfig", c.kind, err)
		}
		if _, err := named(c).Build(graph.DType(9), []int{5, 3}, rng); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: build with an invalid dtype: %v, want ErrConfig", c.kind, err)
		}
		for _, in := range [][]int{nil, {}, {0, 3}, {5, 0}, {-1, 2}} {
			if _, err := named(c).Build(graph.Float32, in, rng); !errors.Is(err, graph.ErrShape) {
				t.Errorf("%s: build for %v: %v, want ErrShape", c.kind, in, err)
			}
		}
		if recurrent {
			// A recurrent layer needs [time, features]: [units] alone (the
			// output of a layer without return sequences) is an error that
			// names the layer.
			for _, in := range [][]int{{20}, {2, 3, 4}} {
				_, err := named(c).Build(graph.Float32, in, rng)
				if !errors.Is(err, graph.ErrShape) || !strings.Contains(err.Error(), c.kind+"_x") {
					t.Errorf("%s: build for %v: %v, want ErrShape naming the layer", c.kind, in, err)
				}
			}
		}
		l := named(c)
		if _, err := l.Build(graph.Float32, []int{5, 3}, rng); err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		if !l.Built() {
			t.Errorf("%s: not built after Build", c.kind)
		}
		if _, err := l.Build(graph.Float32, []int{5, 3}, rng); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: second Build: %v, want ErrConfig", c.kind, err)
		}
		if err := l.SetName("other"); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: rename after Build: %v, want ErrConfig", c.kind, err)
		}
		if l.Name() != c.kind+"_x" {
			t.Errorf("%s: name changed to %q by a failed rename", c.kind, l.Name())
		}
	}
}

func TestSetNameEmpty(t *testing.T) {
	l := must(layers.NewLSTM(2, nil))
	if err := l.SetName(""); !errors.Is(err, layers.ErrConfig) {
		t.Errorf("SetName(\"\"): %v, want ErrConfig", err)
	}
	if err := l.SetName("enc"); err != nil || l.Name() != "enc" {
		t.Errorf("SetName(\"enc\"): %v, name %q", err, l.Name())
	}
}

func TestUseBeforeBuild(t *testing.T) {
	for _, c := range constructors {
		l := must(c.make(3, settings{name: "l"}))
		if err := l.SetWeights(nil); !errors.Is(err, layers.ErrNotBuilt) {
			t.Errorf("%s: SetWeights before Build: %v, want ErrNotBuilt", c.kind, err)
		}
		if _, err := l.KerasLayout(nil); !errors.Is(err, layers.ErrNotBuilt) {
			t.Errorf("%s: KerasLayout before Build: %v, want ErrNotBuilt", c.kind, err)
		}
		if len(l.Params()) != 0 || len(l.Weights()) != 0 {
			t.Errorf("%s: weights before Build", c.kind)
		}
		b := must(graph.NewBuilder(graph.Float32, 2))
		x := b.SequenceInput("x", 2, 4, 3)
		if y := l.Forward(b, x); y != nil || !errors.Is(b.Err(), layers.ErrNotBuilt) {
			t.Errorf("%s: Forward before Build: node %v, builder error %v, want ErrNotBuilt", c.kind, y, b.Err())
		}
	}
}

func TestForwardRejectsOtherInputShape(t *testing.T) {
	for _, c := range constructors[1:] { // recurrent layers check [batch, T, F]
		l := must(c.make(3, settings{name: "r"}))
		must(l.Build(graph.Float64, []int{4, 3}, graph.NewRNG(1)))
		for _, shape := range [][]int{{2, 5, 3}, {2, 4, 2}} {
			b := must(graph.NewBuilder(graph.Float64, 2))
			x := b.SequenceInput("x", shape...)
			if y := l.Forward(b, x); y != nil || !errors.Is(b.Err(), graph.ErrShape) {
				t.Errorf("%s built for [4 3] on %v: node %v, error %v, want ErrShape", c.kind, shape, y, b.Err())
			}
		}
	}
	d := must(layers.NewDense(2, &layers.DenseOptions{Name: "d"}))
	must(d.Build(graph.Float64, []int{3}, graph.NewRNG(1)))
	b := must(graph.NewBuilder(graph.Float64, 2))
	if y := d.Forward(b, b.Input("x", 2, 4)); y != nil || !errors.Is(b.Err(), graph.ErrShape) {
		t.Errorf("dense built for [3] on [2 4]: node %v, error %v, want ErrShape", y, b.Err())
	}
}

// TestSetWeightsRejectsBadWeights checks that a rejected SetWeights leaves
// every weight as it was.
func TestSetWeightsRejectsBadWeights(t *testing.T) {
	for _, c := range constructors {
		l := must(c.make(3, settings{name: "l"}))
		in := []int{4, 2}
		if c.kind == "dense" {
			in = []int{2}
		}
		must(l.Build(graph.Float64, in, graph.NewRNG(5)))
		orig := l.Weights()
		clone := func() []layers.Weight {
			out := make([]layers.Weight, len(orig))
			for i, w := range orig {
				out[i] = layers.Weight{Name: w.Name, Shape: slices.Clone(w.Shape), Data: slices.Clone(w.Data)}
			}
			return out
		}
		type tc struct {
			what string
			ws   []layers.Weight
			want error
		}
		var cases []tc
		cases = append(cases, tc{"no weights", nil, graph.ErrShape})
		cases = append(cases, tc{"one weight too few", clone()[:len(orig)-1], graph.ErrShape})
		cases = append(cases, tc{"one weight too many", append(clone(), orig[0]), graph.ErrShape})
		ws := clone()
		ws[0].Shape = []int{ws[0].Shape[1], ws[0].Shape[0]} // transposed
		cases = append(cases, tc{"transposed kernel", ws, graph.ErrShape})
		ws = clone()
		ws[len(ws)-1].Data = ws[len(ws)-1].Data[1:]
		cases = append(cases, tc{"short bias data", ws, graph.ErrShape})
		ws = clone()
		ws[0], ws[1] = ws[1], ws[0]
		cases = append(cases, tc{"swapped weights", ws, graph.ErrShape})
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			ws = clone()
			for i := range ws {
				for k := range ws[i].Data {
					ws[i].Data[k] += 0.25 // a valid change everywhere ...
				}
			}
			last := ws[len(ws)-1]
			last.Data[len(last.Data)-1] = bad // ... and one bad value at the very end
			cases = append(cases, tc{"non-finite value", ws, graph.ErrNotFinite})
		}
		for _, k := range cases {
			err := l.SetWeights(k.ws)
			if !errors.Is(err, k.want) {
				t.Errorf("%s: %s: error %v, want %v", c.kind, k.what, err, k.want)
			}
			for i, w := range l.Weights() {
				if !slices.Equal(w.Data, orig[i].Data) {
					t.Errorf("%s: %s: %s changed by a failed SetWeights", c.kind, k.what, w.Name)
				}
			}
		}
		// A valid call does change them.
		ws = clone()
		ws[0].Data[0] += 1
		if err := l.SetWeights(ws); err != nil {
			t.Fatalf("%s: valid SetWeights: %v", c.kind, err)
		}
		if got := l.Weights()[0].Data[0]; got != orig[0].Data[0]+1 {
			t.Errorf("%s: kernel[0] = %v after SetWeights, want %v", c.kind, got, orig[0].Data[0]+1)
		}
	}
}

// TestSetWeightsChecksInTheLayersDType checks finiteness as the values
// will be stored: 1e39 overflows a float32 layer (and must not be half
// written), while a float64 layer takes it.
func TestSetWeightsChecksInTheLayersDType(t *testing.T) {
	for _, c := range constructors {
		in := []int{4, 2}
		if c.kind == "dense" {
			in = []int{2}
		}
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			l := must(c.make(3, settings{name: "l"}))
			must(l.Build(dt, in, graph.NewRNG(5)))
			orig := l.Weights()
			ws := l.Weights()
			for i := range ws {
				for k := range ws[i].Data {
					ws[i].Data[k] += 0.25
				}
			}
			last := ws[len(ws)-1]
			last.Data[len(last.Data)-1] = 1e39
			err := l.SetWeights(ws)
			if dt == graph.Float64 {
				if err != nil {
					t.Errorf("%s %v: SetWeights with 1e39: %v, want it accepted", c.kind, dt, err)
				}
				continue
			}
			if !errors.Is(err, graph.ErrNotFinite) {
				t.Errorf("%s %v: SetWeights with 1e39: %v, want ErrNotFinite", c.kind, dt, err)
			}
			for i, w := range l.Weights() {
				if !slices.Equal(w.Data, orig[i].Data) {
					t.Errorf("%s %v: %s changed by a failed SetWeights", c.kind, dt, w.Name)
				}
			}
		}
	}
}

func TestKerasLayoutRejectsBadValues(t *testing.T) {
	l := must(layers.NewGRU(2, &layers.GRUOptions{Name: "g"}))
	must(l.Build(graph.Float64, []int{3, 2}, graph.NewRNG(1)))
	vals := make([][]float64, len(l.Params()))
	for i, p := range l.Params() {
		vals[i] = p.Float64s()
	}
	if _, err := l.KerasLayout(vals[:2]); !errors.Is(err, graph.ErrShape) {
		t.Errorf("two tensors for three parameters: %v, want ErrShape", err)
	}
	vals[1] = vals[1][1:]
	if _, err := l.KerasLayout(vals); !errors.Is(err, graph.ErrShape) {
		t.Errorf("short tensor: %v, want ErrShape", err)
	}
}

func TestFromConfig(t *testing.T) {
	ufb := false
	for _, c := range []layers.Config{
		{Kind: "dense", Name: "d", Units: 3, Activation: "tanh"},
		{Kind: "dense", Name: "d", Units: 1},
		{Kind: "simple_rnn", Name: "r", Units: 4, ReturnSequences: true},
		{Kind: "lstm", Name: "l", Units: 2, UnitForgetBias: &ufb},
		{Kind: "gru", Name: "g", Units: 5, ReturnSequences: true},
	} {
		l, err := layers.FromConfig(c)
		if err != nil {
			t.Errorf("FromConfig(%+v): %v", c, err)
			continue
		}
		got := l.Config()
		if c.Kind == "dense" && c.Activation == "" {
			c.Activation = "linear"
		}
		if got.Kind != c.Kind || got.Name != c.Name || got.Units != c.Units || got.ReturnSequences != c.ReturnSequences ||
			got.Activation != c.Activation || (c.UnitForgetBias != nil && (got.UnitForgetBias == nil || *got.UnitForgetBias != *c.UnitForgetBias)) {
			t.Errorf("FromConfig(%+v).Config() = %+v", c, got)
		}
	}
	for _, c := range []layers.Config{
		{Kind: "conv1d", Units: 3},
		{Kind: "", Units: 3},
		{Kind: "lstm", Units: 0},
		{Kind: "dense", Units: 2, Activation: "elu"},
		{Kind: "simple_rnn", Units: 2, Activation: "softmax"},
	} {
		if _, err := layers.FromConfig(c); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("FromConfig(%+v): %v, want ErrConfig", c, err)
		}
	}
}

// data64 returns x's values, sharing its memory; x must be a float64
// tensor (a test's own data).
func data64(x *graph.Tensor) []float64 {
	d, ok := graph.Float64Data(x)
	if !ok {
		panic(fmt.Sprintf("data64: %v tensor, want float64", x.DType()))
	}
	return d
}
