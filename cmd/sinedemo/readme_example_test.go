package main

import (
	"context"
	"fmt"
	"log"
	"math"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// Example_readme is the library example of README.md: the body of its main
// function, statement for statement (TestREADMEExample checks that they
// match), so the README's example is compiled, run and checked.
func Example_readme() {
	// A sine cut into 40 windows of 10 steps; each target is its window
	// shifted one step ahead. Shapes are [batch, time, features].
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

	// Input(10, 1) → LSTM(20, return sequences) → Dense(1), as in Keras.
	lstm, err := layers.NewLSTM(20, &layers.LSTMOptions{ReturnSequences: true})
	if err != nil {
		log.Fatal(err)
	}
	dense, err := layers.NewDense(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	in := models.Input(10, 1)
	m, err := models.New(in, models.Apply(dense, models.Apply(lstm, in)), &models.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(m.Summary())

	// Train with MSE and Adam, then predict.
	opt, err := trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01})
	if err != nil {
		log.Fatal(err)
	}
	hist, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
		Loss: trainers.MSE(), Optimizer: opt, Epochs: 50, BatchSize: 8, Seed: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	loss := hist.Loss()
	fmt.Println("loss fell tenfold:", loss[len(loss)-1] < loss[0]/10)
	pred, err := m.Predict(x)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("predictions:", pred.Shape())
	// Output:
	// Model: "model"
	// _________________________________________________________________
	//  Layer (type)                Output Shape              Param #
	// =================================================================
	//  input_1 (InputLayer)        [(None, 10, 1)]           0
	//
	//  lstm (LSTM)                 (None, 10, 20)            1760
	//
	//  dense (Dense)               (None, 10, 1)             21
	//
	// =================================================================
	// Total params: 1,781
	// Trainable params: 1,781
	// Non-trainable params: 0
	// _________________________________________________________________
	// loss fell tenfold: true
	// predictions: (40, 10, 1)
}
