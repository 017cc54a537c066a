package trainers_test

import (
	"context"
	"fmt"
	"math"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// Example trains a small LSTM to predict the next value of a sine from a
// window of 10 values, then predicts one window.
func Example() {
	const window, n = 10, 64
	xs, ys := make([]float64, 0, n*window), make([]float64, 0, n)
	for i := range n {
		for j := range window {
			xs = append(xs, math.Sin(0.3*float64(i+j)))
		}
		ys = append(ys, math.Sin(0.3*float64(i+window)))
	}
	x, err := graph.FromFloat64s(graph.Float32, xs, n, window, 1) // [batch, time, features]
	if err != nil {
		panic(err)
	}
	y, err := graph.FromFloat64s(graph.Float32, ys, n, 1)
	if err != nil {
		panic(err)
	}

	lstm, err := layers.NewLSTM(8, nil)
	if err != nil {
		panic(err)
	}
	dense, err := layers.NewDense(1, nil)
	if err != nil {
		panic(err)
	}
	model, err := models.NewSequential([]int{window, 1}, []layers.Layer{lstm, dense}, &models.Options{Seed: 1})
	if err != nil {
		panic(err)
	}

	adam, err := trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01})
	if err != nil {
		panic(err)
	}
	hist, err := trainers.Fit(context.Background(), model, x, y, trainers.FitOptions{
		Optimizer:       adam,
		Epochs:          10,
		BatchSize:       16,
		Seed:            7,
		ValidationSplit: 0.25,
	})
	if err != nil {
		panic(err)
	}
	loss := hist.Loss()
	fmt.Println("epochs:", len(loss))
	fmt.Println("final loss below first:", loss[len(loss)-1] < loss[0])

	one, err := trainers.Samples(x, []int{0})
	if err != nil {
		panic(err)
	}
	pred, err := model.Predict(one)
	if err != nil {
		panic(err)
	}
	fmt.Println("prediction shape:", []int(pred.Shape()))
	// Output:
	// epochs: 10
	// final loss below first: true
	// prediction shape: [1 1]
}
