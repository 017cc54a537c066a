package trainers_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// ExampleTrainer_Compile times a Fit without its compiling: Compile
// builds the programs of the batch sizes the Fit meets (a full batch of 8
// and the short last one of 4) before the clock starts. The epochs are
// ordered by the caller (FitOptions.Order: a seeded math/rand/v2 shuffle),
// and the progress is a ProgressBar callback writing one line per epoch,
// "Epoch 1/5 - 1ms - loss: 0.1234" (here only each line's epoch is shown:
// the times vary).
func ExampleTrainer_Compile() {
	const n = 20
	xs, ys := make([]float64, 0, n*5), make([]float64, 0, n)
	for i := range n {
		for j := range 5 {
			xs = append(xs, math.Sin(0.4*float64(i+j)))
		}
		ys = append(ys, math.Sin(0.4*float64(i+5)))
	}
	x, err := graph.FromFloat64s(graph.Float32, xs, n, 5, 1)
	if err != nil {
		panic(err)
	}
	y, err := graph.FromFloat64s(graph.Float32, ys, n, 1)
	if err != nil {
		panic(err)
	}
	rnn, err := layers.NewSimpleRNN(8, nil)
	if err != nil {
		panic(err)
	}
	dense, err := layers.NewDense(1, nil)
	if err != nil {
		panic(err)
	}
	model, err := models.NewSequential([]int{5, 1}, []layers.Layer{rnn, dense}, &models.Options{DType: graph.Float32, Seed: 1})
	if err != nil {
		panic(err)
	}
	tr, err := trainers.NewTrainer(model, trainers.MSE(), nil)
	if err != nil {
		panic(err)
	}

	const batch = 8
	fmt.Println("batch sizes:", trainers.BatchSizes(n, batch))
	if err := tr.Compile(trainers.BatchSizes(n, batch)...); err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var progress strings.Builder
	start := time.Now()
	hist, err := tr.Fit(context.Background(), x, y, trainers.FitOptions{
		Epochs:    5,
		BatchSize: batch,
		Order: func(_ int, order []int) {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		},
		Callbacks: []trainers.Callback{&trainers.ProgressBar{Output: &progress, LinePerEpoch: true}},
	})
	if err != nil {
		panic(err)
	}
	took := time.Since(start) // the training alone
	fmt.Println("epochs:", len(hist.Loss()), "steps:", tr.Optimizer().Iterations(), "timed:", took > 0)
	for _, line := range strings.Split(strings.TrimSpace(progress.String()), "\n") {
		epoch, _, _ := strings.Cut(line, " - ")
		fmt.Println(epoch)
	}
	// Output:
	// batch sizes: [8 4]
	// epochs: 5 steps: 15 timed: true
	// Epoch 1/5
	// Epoch 2/5
	// Epoch 3/5
	// Epoch 4/5
	// Epoch 5/5
}
