package models_test

import (
	"encoding/json"
	"errors"
	"fmt"
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

// unplannedResidual is ResidualDense without its optional WeightSpecs and
// Plan (only the Layer methods are promoted): Save and Load learn its
// weights by building a copy.
type unplannedResidual struct{ layers.Layer }

func (unplannedResidual) Kind() string { return "residual_unplanned" }

func (l unplannedResidual) Config() layers.Config {
	c := l.Layer.Config()
	c.Kind = "residual_unplanned"
	return c
}

// torchResidual is ResidualDense with a PyTorch counterpart: a
// torch.nn.Linear(F, F) under the key "linear" (the residual sum and the
// scale are the torch module's forward).
type torchResidual struct{ *ResidualDense }

func (torchResidual) Kind() string { return "residual_torch" }

func (l torchResidual) Config() layers.Config {
	c := l.ResidualDense.Config()
	c.Kind = "residual_torch"
	return c
}

func (l torchResidual) ToTorch(ws []layers.Weight) ([]layers.Weight, error) {
	if len(ws) != 2 || len(ws[0].Shape) != 2 {
		return nil, fmt.Errorf("%w: residual weights", graph.ErrShape)
	}
	f := ws[0].Shape[0]
	return []layers.Weight{
		{Name: "linear.weight", Shape: []int{f, f}, Data: transposeSquare(ws[0].Data, f)},
		{Name: "linear.bias", Shape: []int{f}, Data: slices.Clone(ws[1].Data)},
	}, nil
}

func (l torchResidual) FromTorch(ps []layers.Weight) ([]layers.Weight, error) {
	if len(ps) != 2 || len(ps[0].Shape) != 2 {
		return nil, fmt.Errorf("%w: residual parameters", graph.ErrShape)
	}
	f := ps[0].Shape[0]
	return []layers.Weight{
		{Name: "kernel", Shape: []int{f, f}, Data: transposeSquare(ps[0].Data, f)},
		{Name: "bias", Shape: []int{f}, Data: slices.Clone(ps[1].Data)},
	}, nil
}

func transposeSquare(a []float64, n int) []float64 {
	out := make([]float64, len(a))
	for i := range n {
		for j := range n {
			out[j*n+i] = a[i*n+j]
		}
	}
	return out
}

// decodeResidual decodes ResidualDense's configuration.
func decodeResidual(c layers.Config) (*ResidualDense, error) {
	var o residualOptions
	if err := json.Unmarshal(c.Options, &o); err != nil {
		return nil, fmt.Errorf("%w: %v", layers.ErrConfig, err)
	}
	l, err := NewResidualDense(o.Scale)
	if err != nil {
		return nil, err
	}
	l.name = c.Name
	return l, nil
}

func init() {
	for kind, wrap := range map[string]func(*ResidualDense) layers.Layer{
		"residual_unplanned": func(l *ResidualDense) layers.Layer { return unplannedResidual{l} },
		"residual_torch":     func(l *ResidualDense) layers.Layer { return torchResidual{l} },
	} {
		err := layers.Register(kind, func(c layers.Config) (layers.Layer, error) {
			l, err := decodeResidual(c)
			if err != nil {
				return nil, err
			}
			return wrap(l), nil
		})
		if err != nil {
			panic(err)
		}
	}
}

func newResidualModel(t *testing.T, wrap func(*ResidualDense) layers.Layer, dt graph.DType, seed uint64) *models.Model {
	t.Helper()
	res := must(NewResidualDense(0.25))
	return must(models.NewSequential([]int{6, 3}, []layers.Layer{
		must(layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: true})), wrap(res), must(layers.NewDense(2, nil)),
	}, &models.Options{DType: dt, Seed: seed}))
}

// sameBits reports whether two tensors hold the same values bit for bit.
func sameBits(t *testing.T, a, b *graph.Tensor) bool {
	t.Helper()
	if a64, ok := graph.Float64Data(a); ok {
		b64, ok := graph.Float64Data(b)
		return ok && slices.EqualFunc(a64, b64, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	}
	a32, ok1 := graph.Float32Data(a)
	b32, ok2 := graph.Float32Data(b)
	return ok1 && ok2 && slices.EqualFunc(a32, b32, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestCustomLayerSaveLoad saves and loads models with a registered custom
// layer, with and without its optional WeightSpecs, in both dtypes: same
// architecture, same predictions bit for bit.
func TestCustomLayerSaveLoad(t *testing.T) {
	for name, wrap := range map[string]func(*ResidualDense) layers.Layer{
		"planned":   func(l *ResidualDense) layers.Layer { return l },
		"unplanned": func(l *ResidualDense) layers.Layer { return unplannedResidual{l} },
	} {
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				m := newResidualModel(t, wrap, dt, 5)
				path := filepath.Join(t.TempDir(), "m.safetensors")
				if err := models.Save(m, path); err != nil {
					t.Fatal(err)
				}
				got, err := models.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				if got.Summary() != m.Summary() {
					t.Errorf("summary after Load:\n%s\nwant\n%s", got.Summary(), m.Summary())
				}
				if c := got.Layers()[1].Config(); c.Kind != m.Layers()[1].Kind() || string(c.Options) != `{"scale":0.25}` {
					t.Errorf("loaded configuration %+v", c)
				}
				x := uniformTensor(2, 5, 6, 3)
				if dt == graph.Float64 {
					x = must(graph.FromFloat64s(graph.Float64, graph.Float64s(x), 5, 6, 3))
				}
				if !sameBits(t, must(got.Predict(x)), must(m.Predict(x))) {
					t.Error("the loaded model predicts otherwise")
				}
			})
		}
	}
}

// TestExportTorchNeedsTorchLayout: a layer that is not a
// layers.TorchLayout cannot be exported (a clear error, no file); one that
// is exports and imports back bit for bit.
func TestExportTorchNeedsTorchLayout(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m := newResidualModel(t, func(l *ResidualDense) layers.Layer { return l }, graph.Float32, 1)
	err := models.ExportTorch(m, path, nil)
	if !errors.Is(err, models.ErrModel) || !strings.Contains(err.Error(), "residual_dense") || !strings.Contains(err.Error(), "TorchLayout") {
		t.Errorf("ExportTorch of a layer without a PyTorch mapping: %v, want ErrModel naming the layer and TorchLayout", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused export left a file: %v", err)
	}

	wrap := func(l *ResidualDense) layers.Layer { return torchResidual{l} }
	src := newResidualModel(t, wrap, graph.Float32, 1)
	if err := models.ExportTorch(src, path, nil); err != nil {
		t.Fatal(err)
	}
	dst := newResidualModel(t, wrap, graph.Float32, 2)
	if err := models.ImportTorch(path, dst, nil); err != nil {
		t.Fatal(err)
	}
	for i, lw := range src.Weights() {
		for j, w := range lw.Weights {
			if !slices.Equal(w.Data, dst.Weights()[i].Weights[j].Data) {
				t.Errorf("%s/%s differs after ExportTorch and ImportTorch", lw.Layer, w.Name)
			}
		}
	}
	// The architecture in the file must match: a model whose custom layer
	// has another scale is refused.
	other := must(models.NewSequential([]int{6, 3}, []layers.Layer{
		must(layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: true})), torchResidual{must(NewResidualDense(0.5))}, must(layers.NewDense(2, nil)),
	}, nil))
	if err := models.ImportTorch(path, other, nil); !errors.Is(err, models.ErrFormat) {
		t.Errorf("ImportTorch into a model whose custom layer has other options: %v, want ErrFormat", err)
	}
}
