package models_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// fileCase is an architecture to save, load and export.
type fileCase struct {
	name   string
	in     []int
	layers func() ([]layers.Layer, error)
}

// layersOf builds a layer list from constructors, stopping at the first
// error.
func layersOf(fs ...func() (layers.Layer, error)) func() ([]layers.Layer, error) {
	return func() ([]layers.Layer, error) {
		var ls []layers.Layer
		for _, f := range fs {
			l, err := f()
			if err != nil {
				return nil, err
			}
			ls = append(ls, l)
		}
		return ls, nil
	}
}

func fDense(u int, opts *layers.DenseOptions) func() (layers.Layer, error) {
	return func() (layers.Layer, error) { return layers.NewDense(u, opts) }
}

func fSimpleRNN(u int, opts *layers.SimpleRNNOptions) func() (layers.Layer, error) {
	return func() (layers.Layer, error) { return layers.NewSimpleRNN(u, opts) }
}

func fLSTM(u int, opts *layers.LSTMOptions) func() (layers.Layer, error) {
	return func() (layers.Layer, error) { return layers.NewLSTM(u, opts) }
}

func fGRU(u int, opts *layers.GRUOptions) func() (layers.Layer, error) {
	return func() (layers.Layer, error) { return layers.NewGRU(u, opts) }
}

// fileCases covers every layer type, return_sequences both ways, Dense on
// vectors and on sequences, and a stack of all recurrent types.
func fileCases() []fileCase {
	return []fileCase{
		{"dense_vector", []int{3}, layersOf(fDense(4, &layers.DenseOptions{Activation: layers.Tanh}), fDense(2, nil))},
		{"dense_sequence", []int{5, 3}, layersOf(fDense(2, &layers.DenseOptions{Activation: layers.ReLU}))},
		{"simple_rnn_last", []int{5, 3}, layersOf(fSimpleRNN(4, nil))},
		{"simple_rnn_seq", []int{5, 3}, layersOf(fSimpleRNN(4, &layers.SimpleRNNOptions{ReturnSequences: true}), fDense(1, &layers.DenseOptions{Activation: layers.Sigmoid}))},
		{"lstm_last", []int{4, 2}, layersOf(fLSTM(3, nil), fDense(1, nil))},
		{"lstm_seq", []int{4, 2}, layersOf(fLSTM(3, &layers.LSTMOptions{ReturnSequences: true, NoUnitForgetBias: true}))},
		{"gru_last", []int{4, 3}, layersOf(fGRU(3, nil), fDense(2, nil))},
		{"gru_seq", []int{4, 3}, layersOf(fGRU(3, &layers.GRUOptions{ReturnSequences: true}))},
		{"stacked", []int{6, 2}, layersOf(fLSTM(5, &layers.LSTMOptions{ReturnSequences: true, Name: "encoder"}), fGRU(4, &layers.GRUOptions{ReturnSequences: true}), fSimpleRNN(3, nil), fDense(2, nil))},
	}
}

// newFileModel builds c's model with the given dtype and seed and sets
// every weight, biases included, to values drawn from seed, so that no
// weight is a default.
func newFileModel(t testing.TB, c fileCase, dt graph.DType, seed uint64) *models.Model {
	t.Helper()
	ls, err := c.layers()
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewSequential(c.in, ls, &models.Options{DType: dt, Seed: seed, Name: "m_" + c.name})
	if err != nil {
		t.Fatal(err)
	}
	rng := graph.NewRNG(seed + 1000)
	ws := m.Weights()
	for i := range ws {
		for j := range ws[i].Weights {
			for k := range ws[i].Weights[j].Data {
				ws[i].Weights[j].Data[k] = rng.Float64() - 0.5
			}
		}
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	return m
}

// fileInput returns n samples of the given shape with values from a fixed
// formula, in dtype dt.
func fileInput(t testing.TB, dt graph.DType, n int, sample []int) *graph.Tensor {
	t.Helper()
	shape := append([]int{n}, sample...)
	size := 1
	for _, d := range shape {
		size *= d
	}
	data := make([]float64, size)
	for i := range data {
		data[i] = math.Sin(0.7*float64(i)+0.3) * 0.9
	}
	x, err := graph.FromFloat64s(dt, data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// rawBits returns t's values as their bit patterns, for exact comparison.
func rawBits(t *graph.Tensor) []uint64 {
	if d, ok := graph.Float32Data(t); ok {
		out := make([]uint64, len(d))
		for i, v := range d {
			out[i] = uint64(math.Float32bits(v))
		}
		return out
	}
	if d, ok := graph.Float64Data(t); ok {
		out := make([]uint64, len(d))
		for i, v := range d {
			out[i] = math.Float64bits(v)
		}
		return out
	}
	return nil
}

func configs(m *models.Model) []layers.Config {
	var cs []layers.Config
	for _, l := range m.Layers() {
		cs = append(cs, l.Config())
	}
	return cs
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, c := range fileCases() {
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			t.Run(c.name+"/"+dt.String(), func(t *testing.T) {
				m := newFileModel(t, c, dt, 7)
				path := filepath.Join(t.TempDir(), "model.safetensors")
				if err := models.Save(m, path); err != nil {
					t.Fatal(err)
				}
				got, err := models.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				if got.Name() != m.Name() || got.DType() != dt || got.Seed() != m.Seed() ||
					!slices.Equal(got.InputShape(), m.InputShape()) || !slices.Equal(got.OutputShape(), m.OutputShape()) {
					t.Errorf("loaded %s %v seed %d in %v out %v, want %s %v seed %d in %v out %v",
						got.Name(), got.DType(), got.Seed(), got.InputShape(), got.OutputShape(),
						m.Name(), m.DType(), m.Seed(), m.InputShape(), m.OutputShape())
				}
				if !reflect.DeepEqual(configs(got), configs(m)) {
					t.Errorf("configs %+v, want %+v", configs(got), configs(m))
				}
				if got.Summary() != m.Summary() {
					t.Errorf("summary\n%s\nwant\n%s", got.Summary(), m.Summary())
				}
				for i, p := range got.Params() {
					if want := m.Params()[i]; p.Name() != want.Name() || !slices.Equal(rawBits(p.Value()), rawBits(want.Value())) {
						t.Errorf("param %s differs from %s", p.Name(), want.Name())
					}
				}
				x := fileInput(t, dt, 5, c.in)
				want, err := m.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				y, err := got.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(rawBits(y), rawBits(want)) {
					t.Errorf("predictions differ:\n%v\nwant\n%v", graph.Float64s(y), graph.Float64s(want))
				}
			})
		}
	}
}

// TestSaveLoadFunctional: a model made with New loads as the equivalent
// sequential model under the same name.
func TestSaveLoadFunctional(t *testing.T) {
	l, err := layers.NewGRU(3, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers.NewDense(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := models.Input(4, 2)
	m, err := models.New(in, models.Apply(d, models.Apply(l, in)), &models.Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "f.safetensors")
	if err := models.Save(m, path); err != nil {
		t.Fatal(err)
	}
	got, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary() != m.Summary() {
		t.Errorf("summary\n%s\nwant\n%s", got.Summary(), m.Summary())
	}
	x := fileInput(t, graph.Float32, 2, []int{4, 2})
	want, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	y, err := got.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rawBits(y), rawBits(want)) {
		t.Error("predictions differ")
	}
}

func TestSaveIsDeterministic(t *testing.T) {
	c := fileCases()[len(fileCases())-1]
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		path := filepath.Join(dir, "m.safetensors")
		if err := models.Save(newFileModel(t, c, graph.Float32, 3), path); err != nil {
			t.Fatal(err)
		}
		var err error
		if files[i], err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two saves of the same model differ")
	}
}

func TestSaveKeepsOldFileOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m := newFileModel(t, fileCases()[0], graph.Float64, 1)
	if err := models.Save(m, path); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A NaN weight cannot be set through SetWeights; write it in place.
	bad := newFileModel(t, fileCases()[0], graph.Float64, 2)
	data64(bad.Params()[0].Value())[0] = math.NaN()
	if err := models.Save(bad, path); !errors.Is(err, graph.ErrNotFinite) {
		t.Errorf("Save of a NaN weight: %v, want ErrNotFinite", err)
	}
	now, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(now, old) {
		t.Errorf("the old file changed after a failed Save (%v)", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed Save, want 1 (%v)", len(entries), err)
	}
	if err := models.Save(m, filepath.Join(dir, "missing", "m.safetensors")); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
	if err := models.Save(nil, path); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("Save(nil): %v, want ErrArgument", err)
	}
}

func TestSaveFilePermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := models.Save(newFileModel(t, fileCases()[0], graph.Float32, 1), path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

func ExampleLoad() {
	l, _ := layers.NewLSTM(8, nil)
	d, _ := layers.NewDense(1, nil)
	m, _ := models.NewSequential([]int{10, 2}, []layers.Layer{l, d}, &models.Options{Seed: 1})
	dir, err := os.MkdirTemp("", "gornn-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	if err := models.Save(m, path); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := models.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	x := graph.NewTensor(graph.Float32, 3, 10, 2)
	want, _ := m.Predict(x)
	got, _ := loaded.Predict(x)
	fmt.Println(loaded.Name(), loaded.InputShape(), loaded.OutputShape(), loaded.CountParams())
	fmt.Println("same predictions:", slices.Equal(graph.Float64s(got), graph.Float64s(want)))
	// Output:
	// sequential [10 2] [1] 361
	// same predictions: true
}
