package trainers_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// TestDropoutTraining: training with Dropout between stacked layers and
// recurrent dropout is reproducible (the same seeds, the same weights),
// really drops (the weights differ from a run with rate 0), and never
// drops in prediction or evaluation (two predictions agree, and the
// evaluated loss is the one of the predictions).
func TestDropoutTraining(t *testing.T) {
	const n, T = 24, 5
	r := rand.New(rand.NewPCG(4, 4))
	xv, yv := make([]float64, n*T), make([]float64, n)
	for i := range n {
		for s := range T {
			xv[i*T+s] = r.Float64()*2 - 1
		}
		yv[i] = xv[i*T+T-1]
	}
	x := must(graph.FromFloat64s(graph.Float64, xv, n, T, 1))
	y := must(graph.FromFloat64s(graph.Float64, yv, n, 1))
	train := func(rate float64) (*models.Model, *trainers.Trainer) {
		ls := []layers.Layer{
			must(layers.NewLSTM(4, &layers.LSTMOptions{ReturnSequences: true, Dropout: rate, RecurrentDropout: rate})),
			must(layers.NewDropout(rate, nil)),
			must(layers.NewGRU(3, nil)),
			must(layers.NewDense(1, nil)),
		}
		m := must(models.NewSequential([]int{T, 1}, ls, &models.Options{DType: graph.Float64, Seed: 9}))
		tr := must(trainers.NewTrainer(m, trainers.MSE(), must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01}))))
		must(tr.Fit(context.Background(), x, y, trainers.FitOptions{Epochs: 3, BatchSize: 8, Seed: 1}))
		return m, tr
	}
	a, tra := train(0.3)
	b, _ := train(0.3)
	c, _ := train(0)
	same := func(p, q *models.Model) bool {
		for i, lw := range p.Weights() {
			for j, w := range lw.Weights {
				if !slices.Equal(w.Data, q.Weights()[i].Weights[j].Data) {
					return false
				}
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("two runs with the same seeds trained different weights")
	}
	if same(a, c) {
		t.Error("dropout 0.3 trained the same weights as dropout 0")
	}
	p1, p2 := must(a.Predict(x)), must(a.Predict(x))
	if !slices.Equal(graph.Float64s(p1), graph.Float64s(p2)) {
		t.Error("two predictions differ")
	}
	var mse float64
	for i, v := range graph.Float64s(p1) {
		mse += (v - yv[i]) * (v - yv[i])
	}
	mse /= n
	logs := must(tra.Evaluate(x, y, n))
	if d := logs["loss"] - mse; d > 1e-12 || d < -1e-12 {
		t.Errorf("evaluated loss %v, the predictions' %v: evaluation drops", logs["loss"], mse)
	}
}
