package layers_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// MGUCell is the minimal gated unit as a cell, with gates f and h:
//
//	f   = σ(x_t·W_f + h_{t-1}·U_f + b_f)
//	ĥ   = tanh(x_t·W_h + (f*h_{t-1})·U_h + b_h)
//	h_t = (1-f)*h_{t-1} + f*ĥ
//
// The layer around it (layers.NewRNN) owns its weights, kernel [F, 2U],
// recurrent_kernel [U, 2U] and bias [2U] in Keras layout, and the loop.
type MGUCell struct{}

func (MGUCell) Spec() layers.CellSpec {
	return layers.CellSpec{Kind: "mgu", ClassName: "MGU", Gates: 2}
}

// Step computes one step. InputGates takes x_t·W + b for both gates in
// one product when the layer is small (fused, like the built-in cells);
// a nil h is the zero initial state, whose terms are left out.
func (MGUCell) Step(w *layers.CellWeights, x *graph.Node, states []*graph.Node) (*graph.Node, []*graph.Node) {
	b, h := w.Builder(), states[0]
	z := w.InputGates(x) // x_t·W_f + b_f, x_t·W_h + b_h
	if h == nil {
		f := b.Sigmoid(z[0])
		h = b.Mul(f, b.Tanh(z[1]))
		return h, []*graph.Node{h}
	}
	f := b.Sigmoid(b.Add(z[0], b.MatMul(h, w.RecurrentKernel(0))))
	cand := b.Tanh(b.Add(z[1], b.MatMul(b.Mul(f, h), w.RecurrentKernel(1))))
	h = b.Add(b.Mul(b.OneMinus(f), h), b.Mul(f, cand))
	return h, []*graph.Node{h}
}

// A cell of one's own, wrapped by layers.NewRNN, trains like the built-in
// layers: here an MGU of 8 units and a Dense learn the mean of 6-step
// sequences with trainers.Fit.
func Example_customCell() {
	mgu, err := layers.NewRNN(MGUCell{}, 8, nil)
	if err != nil {
		log.Fatal(err)
	}
	out, err := layers.NewDense(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	m, err := models.NewSequential([]int{6, 1}, []layers.Layer{mgu, out}, &models.Options{DType: graph.Float64, Seed: 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(m.Summary())

	// Targets: the mean of each sequence.
	const n, T = 64, 6
	r := rand.New(rand.NewPCG(1, 2))
	xs, ys := make([]float64, n*T), make([]float64, n)
	for i := range n {
		for t := range T {
			v := 2*r.Float64() - 1
			xs[i*T+t] = v
			ys[i] += v / T
		}
	}
	x, err := graph.FromFloat64s(graph.Float64, xs, n, T, 1)
	if err != nil {
		log.Fatal(err)
	}
	y, err := graph.FromFloat64s(graph.Float64, ys, n, 1)
	if err != nil {
		log.Fatal(err)
	}
	opt, err := trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01})
	if err != nil {
		log.Fatal(err)
	}
	hist, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
		Loss: trainers.MSE(), Optimizer: opt, Epochs: 30, BatchSize: 16, Seed: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	loss := hist.Loss()
	fmt.Println("epochs:", len(loss))
	fmt.Println("loss fell tenfold:", loss[len(loss)-1] < loss[0]/10)
	for _, w := range mgu.Weights() {
		fmt.Println(w.Name, w.Shape)
	}
	// Output:
	// Model: "sequential"
	// _________________________________________________________________
	//  Layer (type)                Output Shape              Param #
	// =================================================================
	//  mgu (MGU)                   (None, 8)                 160
	//
	//  dense (Dense)               (None, 1)                 9
	//
	// =================================================================
	// Total params: 169
	// Trainable params: 169
	// Non-trainable params: 0
	// _________________________________________________________________
	// epochs: 30
	// loss fell tenfold: true
	// kernel [1 16]
	// recurrent_kernel [8 16]
	// bias [16]
}
