package layers_test

import (
	"fmt"
	"log"
	"math/rand/v2"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// MGU is a minimal gated unit, a one-gate cousin of the GRU, written from
// graph operations alone to show what a layer needs:
//
//	f   = σ(x_t·W_f + h_{t-1}·U_f + b_f)
//	ĥ   = tanh(x_t·W_h + (f*h_{t-1})·U_h + b_h)
//	h_t = (1-f)*h_{t-1} + f*ĥ,  h_0 = 0
//
// Its weights are kept in its own layout: kernel [2, F, U], recurrent
// kernel [2, U, U] and bias [2, U], gate f then candidate h.
type MGU struct {
	name          string
	units         int
	in            []int
	kernel, rec   *graph.Param
	bias          *graph.Param
	returnHistory bool
}

var _ layers.Layer = (*MGU)(nil)

func (l *MGU) Name() string { return l.name }

func (l *MGU) SetName(name string) error {
	if l.Built() || name == "" {
		return fmt.Errorf("%w: cannot name %q", layers.ErrConfig, name)
	}
	l.name = name
	return nil
}

func (l *MGU) Kind() string      { return "mgu" }
func (l *MGU) ClassName() string { return "MGU" }
func (l *MGU) Built() bool       { return l.kernel != nil }

func (l *MGU) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("%w: %s wants [time, features], got %v", graph.ErrShape, l.name, in)
	}
	f, u := in[1], l.units
	var err error
	if l.kernel, err = graph.NewParam(l.name+"/kernel", dt, []int{2, f, u}, graph.GlorotUniformFans(f, 2*u), rng.Split()); err != nil {
		return nil, err
	}
	if l.rec, err = graph.NewParam(l.name+"/recurrent_kernel", dt, []int{2, u, u}, graph.Orthogonal(2*u, u), rng.Split()); err != nil {
		return nil, err
	}
	if l.bias, err = graph.NewParam(l.name+"/bias", dt, []int{2, u}, graph.Zeros(), rng.Split()); err != nil {
		return nil, err
	}
	l.in = slices.Clone(in)
	if l.returnHistory {
		return []int{in[0], u}, nil
	}
	return []int{u}, nil
}

func (l *MGU) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	wf, wh := b.ParamBlock(l.kernel, 0), b.ParamBlock(l.kernel, 1)
	uf, uh := b.ParamBlock(l.rec, 0), b.ParamBlock(l.rec, 1)
	bf, bh := b.ParamBlock(l.bias, 0), b.ParamBlock(l.bias, 1)
	h := b.Zeros(b.Batch(), l.units)
	var hs []*graph.Node
	for _, xt := range b.Steps(x) {
		f := b.Sigmoid(b.AddBias(b.Add(b.MatMul(xt, wf), b.MatMul(h, uf)), bf))
		cand := b.Tanh(b.AddBias(b.Add(b.MatMul(xt, wh), b.MatMul(b.Mul(f, h), uh)), bh))
		h = b.Add(b.Mul(b.OneMinus(f), h), b.Mul(f, cand))
		hs = append(hs, h)
	}
	if l.returnHistory {
		return b.Stack(hs)
	}
	return h
}

func (l *MGU) Params() []*graph.Param { return []*graph.Param{l.kernel, l.rec, l.bias} }

func (l *MGU) Weights() []layers.Weight {
	var ws []layers.Weight
	for _, p := range l.Params() {
		ws = append(ws, layers.Weight{Name: p.Name()[len(l.name)+1:], Shape: p.Shape(), Data: p.Float64s()})
	}
	return ws
}

func (l *MGU) KerasLayout(values [][]float64) ([]layers.Weight, error) {
	ws := l.Weights()
	if len(values) != len(ws) {
		return nil, fmt.Errorf("%w: %d tensors for %d weights", graph.ErrShape, len(values), len(ws))
	}
	for i := range ws {
		ws[i].Data = slices.Clone(values[i])
	}
	return ws, nil
}

func (l *MGU) SetWeights(ws []layers.Weight) error {
	if len(ws) != 3 {
		return fmt.Errorf("%w: %s needs 3 weights", graph.ErrShape, l.name)
	}
	for i, p := range l.Params() {
		if err := p.SetFloat64s(ws[i].Data); err != nil {
			return err
		}
	}
	return nil
}

func (l *MGU) Config() layers.Config {
	return layers.Config{Kind: "mgu", Name: l.name, Units: l.units, ReturnSequences: l.returnHistory}
}

// A layer written outside this package, from graph operations alone,
// trains like the built-in ones: here an MGU followed by Dense learns the
// mean of a 6-step sequence with plain gradient descent.
func Example_customLayer() {
	out, err := layers.NewDense(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	m, err := models.NewSequential([]int{6, 1}, []layers.Layer{&MGU{units: 8}, out}, &models.Options{DType: graph.Float64, Seed: 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Layers()[0].Name(), m.CountParams())

	// Targets: the mean of each sequence.
	const batch, T = 32, 6
	r := rand.New(rand.NewPCG(1, 2))
	xs, ys := make([]float64, batch*T), make([]float64, batch)
	for i := range batch {
		for t := range T {
			v := 2*r.Float64() - 1
			xs[i*T+t] = v
			ys[i] += v / T
		}
	}
	x, _ := graph.FromFloat64s(graph.Float64, xs, batch, T, 1)
	y, _ := graph.FromFloat64s(graph.Float64, ys, batch, 1)

	mse := func(b *graph.Builder, p, y *graph.Node) *graph.Node { return b.Mean(b.Square(b.Sub(p, y))) }
	prog, err := m.Program(models.ProgramSpec{Batch: batch, Loss: mse, Grads: true})
	if err != nil {
		log.Fatal(err)
	}
	e := prog.NewExecutor()
	if err := e.SetInput(0, x); err != nil {
		log.Fatal(err)
	}
	if err := e.SetInput(1, y); err != nil {
		log.Fatal(err)
	}
	var first, last float64
	for step := range 60 {
		if err := e.Run(); err != nil {
			log.Fatal(err)
		}
		loss, _ := e.Loss()
		if step == 0 {
			first = loss
		}
		last = loss
		grads, err := e.Grads(m.Params())
		if err != nil {
			log.Fatal(err)
		}
		for i, p := range m.Params() {
			w, _ := graph.Float64Data(p.Value()) // shares the parameter's memory
			g, _ := graph.Float64Data(grads[i])
			for k := range w {
				w[k] -= 0.5 * g[k] // in place: every program sees the update
			}
		}
	}
	fmt.Println("loss halved:", last < first/2)
	// Output:
	// mgu 169
	// loss halved: true
}
