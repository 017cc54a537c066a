package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// ResidualDense is a layer written outside gornn: it adds a learned
// correction to its input,
//
//	y = x + scale·tanh(x·W + b),  W [F, F], b [F],
//
// on the last axis (every time step of a sequence). scale is a setting of
// its own, kept in Config.Options; docs/custom-layers.md walks through it.
type ResidualDense struct {
	name   string
	scale  float64
	kernel *graph.Param // [F, F]
	bias   *graph.Param // [F]
}

// residualOptions are ResidualDense's settings as saved in files.
type residualOptions struct {
	Scale float64 `json:"scale"`
}

// NewResidualDense returns an unbuilt layer; the model names it.
func NewResidualDense(scale float64) (*ResidualDense, error) {
	if math.IsNaN(scale) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("%w: residual_dense: scale %v", layers.ErrConfig, scale)
	}
	return &ResidualDense{scale: scale}, nil
}

// Registering the kind is what lets models.Load rebuild the layer from its
// Config (Keras' register_keras_serializable and from_config).
func init() {
	err := layers.Register("residual_dense", func(c layers.Config) (layers.Layer, error) {
		var o residualOptions
		if err := json.Unmarshal(c.Options, &o); err != nil {
			return nil, fmt.Errorf("%w: options: %v", layers.ErrConfig, err)
		}
		l, err := NewResidualDense(o.Scale)
		if err != nil {
			return nil, err
		}
		l.name = c.Name
		return l, nil
	})
	if err != nil {
		panic(err)
	}
}

var (
	_ layers.Layer         = (*ResidualDense)(nil)
	_ layers.WeightPlanner = (*ResidualDense)(nil) // optional: Load checks files before building
)

func (l *ResidualDense) Name() string      { return l.name }
func (l *ResidualDense) Kind() string      { return "residual_dense" }
func (l *ResidualDense) ClassName() string { return "ResidualDense" }
func (l *ResidualDense) Built() bool       { return l.kernel != nil }

func (l *ResidualDense) SetName(name string) error {
	if l.Built() || name == "" {
		return fmt.Errorf("%w: cannot name %q", layers.ErrConfig, name)
	}
	l.name = name
	return nil
}

// Config is Keras' get_config: what the decoder needs to make the layer
// again.
func (l *ResidualDense) Config() layers.Config {
	opts, _ := json.Marshal(residualOptions{Scale: l.scale})
	return layers.Config{Kind: l.Kind(), Name: l.name, Options: opts}
}

// WeightSpecs names the weights Build will create, from the shape alone.
func (l *ResidualDense) WeightSpecs(in []int) ([]layers.WeightSpec, []int, error) {
	if len(in) == 0 || slices.Min(in) <= 0 {
		return nil, nil, fmt.Errorf("%w: %s: input shape %v", graph.ErrShape, l.name, in)
	}
	f := in[len(in)-1]
	return []layers.WeightSpec{{Name: "kernel", Shape: []int{f, f}}, {Name: "bias", Shape: []int{f}}}, in, nil
}

func (l *ResidualDense) Plan(in []int) (int, []int, error) {
	specs, out, err := l.WeightSpecs(in)
	if err != nil {
		return 0, nil, err
	}
	f := specs[1].Shape[0]
	return f*f + f, out, nil
}

func (l *ResidualDense) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	specs, out, err := l.WeightSpecs(in)
	if err != nil {
		return nil, err
	}
	if l.kernel, err = graph.NewParam(l.name+"/kernel", dt, specs[0].Shape, graph.GlorotUniform(), rng.Split()); err != nil {
		return nil, err
	}
	if l.bias, err = graph.NewParam(l.name+"/bias", dt, specs[1].Shape, graph.Zeros(), rng.Split()); err != nil {
		return nil, err
	}
	return out, nil
}

func (l *ResidualDense) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	h := b.Tanh(b.AddBias(b.MatMul(x, b.Param(l.kernel)), b.Param(l.bias)))
	return b.Add(x, b.Scale(h, l.scale))
}

func (l *ResidualDense) Params() []*graph.Param {
	if !l.Built() {
		return nil
	}
	return []*graph.Param{l.kernel, l.bias}
}

// Weights are stored in Keras layout already: kernel [F, F], bias [F].
func (l *ResidualDense) Weights() []layers.Weight {
	ws, _ := l.KerasLayout([][]float64{l.kernel.Float64s(), l.bias.Float64s()})
	return ws
}

func (l *ResidualDense) KerasLayout(values [][]float64) ([]layers.Weight, error) {
	if !l.Built() || len(values) != 2 {
		return nil, fmt.Errorf("%w: %s: want values for kernel and bias", graph.ErrShape, l.name)
	}
	return []layers.Weight{
		{Name: "kernel", Shape: l.kernel.Shape(), Data: slices.Clone(values[0])},
		{Name: "bias", Shape: l.bias.Shape(), Data: slices.Clone(values[1])},
	}, nil
}

func (l *ResidualDense) SetWeights(ws []layers.Weight) error {
	if !l.Built() || len(ws) != 2 || len(ws[0].Data) != l.kernel.Len() || len(ws[1].Data) != l.bias.Len() {
		return fmt.Errorf("%w: %s: want kernel and bias shaped as built", graph.ErrShape, l.name)
	}
	if err := l.kernel.SetFloat64s(ws[0].Data); err != nil {
		return err
	}
	return l.bias.SetFloat64s(ws[1].Data)
}

// A user-written layer is registered, trained with trainers.Fit beside
// built-in ones, saved and loaded: the loaded model predicts bit for bit
// what the trained one does.
func Example_customLayer() {
	// Windows of 10 steps of a sine; each target is its window one step on.
	s := make([]float64, 50)
	for i := range s {
		s[i] = math.Sin(0.25 * float64(i))
	}
	var xs, ys []float64
	for i := 0; i+10 < len(s); i++ {
		xs = append(xs, s[i:i+10]...)
		ys = append(ys, s[i+1:i+11]...)
	}
	x, err := graph.FromFloat64s(graph.Float32, xs, 40, 10, 1)
	if err != nil {
		log.Fatal(err)
	}
	y, err := graph.FromFloat64s(graph.Float32, ys, 40, 10, 1)
	if err != nil {
		log.Fatal(err)
	}

	lstm, err := layers.NewLSTM(8, &layers.LSTMOptions{ReturnSequences: true})
	if err != nil {
		log.Fatal(err)
	}
	res, err := NewResidualDense(0.5)
	if err != nil {
		log.Fatal(err)
	}
	out, err := layers.NewDense(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	m, err := models.NewSequential([]int{10, 1}, []layers.Layer{lstm, res, out}, &models.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(m.Summary())

	hist, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{Epochs: 30, BatchSize: 8, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	loss := hist.Loss()
	fmt.Println("loss fell:", loss[len(loss)-1] < loss[0])

	dir, err := os.MkdirTemp("", "custom-layer")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	if err := models.Save(m, path); err != nil {
		log.Fatal(err)
	}
	loaded, err := models.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	c := loaded.Layers()[1].Config()
	fmt.Printf("loaded %s %q, options %s\n", loaded.Layers()[1].ClassName(), c.Name, c.Options)

	want, err := m.Predict(x)
	if err != nil {
		log.Fatal(err)
	}
	got, err := loaded.Predict(x)
	if err != nil {
		log.Fatal(err)
	}
	a, _ := graph.Float32Data(want)
	b, _ := graph.Float32Data(got)
	same := len(a) == len(b)
	for i := 0; same && i < len(a); i++ {
		same = math.Float32bits(a[i]) == math.Float32bits(b[i])
	}
	fmt.Println("predictions bit for bit identical:", same)
	// Output:
	// Model: "sequential"
	// _________________________________________________________________
	//  Layer (type)                Output Shape              Param #
	// =================================================================
	//  lstm (LSTM)                 (None, 10, 8)             320
	//
	//  residual_dense (ResidualDen  (None, 10, 8)            72
	//
	//  dense (Dense)               (None, 10, 1)             9
	//
	// =================================================================
	// Total params: 401
	// Trainable params: 401
	// Non-trainable params: 0
	// _________________________________________________________________
	// loss fell: true
	// loaded ResidualDense "residual_dense", options {"scale":0.5}
	// predictions bit for bit identical: true
}
