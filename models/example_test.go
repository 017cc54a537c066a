package models_test

import (
	"fmt"
	"log"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// The seed model in the functional style: Input(10, 1) -> SimpleRNN(20,
// return sequences) -> Dense(1), one prediction per time step.
func ExampleNew() {
	rnn, err := layers.NewSimpleRNN(20, &layers.SimpleRNNOptions{ReturnSequences: true})
	if err != nil {
		log.Fatal(err)
	}
	out, err := layers.NewDense(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	in := models.Input(10, 1) // [timesteps, features]
	m, err := models.New(in, models.Apply(out, models.Apply(rnn, in)), &models.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(m.Summary())

	// Three samples [3, 10, 1] in, [3, 10, 1] out.
	x := graph.NewTensor(graph.Float32, 3, 10, 1)
	y, err := m.Predict(x)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("prediction shape:", y.Shape())
	// Output:
	// Model: "model"
	// _________________________________________________________________
	//  Layer (type)                Output Shape              Param #
	// =================================================================
	//  input_1 (InputLayer)        [(None, 10, 1)]           0
	//
	//  simple_rnn (SimpleRNN)      (None, 10, 20)            440
	//
	//  dense (Dense)               (None, 10, 1)             21
	//
	// =================================================================
	// Total params: 461
	// Trainable params: 461
	// Non-trainable params: 0
	// _________________________________________________________________
	// prediction shape: (3, 10, 1)
}

// A Sequential LSTM regressor: the last state of the LSTM feeds one Dense
// unit, so each window of 10 steps gives one value.
func ExampleNewSequential() {
	l, err := layers.NewLSTM(20, nil)
	if err != nil {
		log.Fatal(err)
	}
	d, err := layers.NewDense(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	m, err := models.NewSequential([]int{10, 1}, []layers.Layer{l, d}, &models.Options{Seed: 7})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("output shape:", m.OutputShape())
	fmt.Println("parameters:", m.CountParams())
	for _, p := range m.Params() {
		fmt.Println(p.Name(), p.Shape())
	}
	// Keras layout, as get_weights() gives it.
	for _, w := range m.Weights()[0].Weights {
		fmt.Println("keras", w.Name, w.Shape)
	}
	// Output:
	// output shape: [1]
	// parameters: 1781
	// lstm/kernel [4 1 20]
	// lstm/recurrent_kernel [4 20 20]
	// lstm/bias [4 20]
	// dense/kernel [20 1]
	// dense/bias [1]
	// keras kernel [1 80]
	// keras recurrent_kernel [20 80]
	// keras bias [80]
}
