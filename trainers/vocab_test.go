package trainers_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// TestMaskedLossIgnoresPadding: behind a Masking layer the loss is the
// mean over the valid steps only: the targets at padded steps change
// neither the loss nor the step, and the loss is the masked mean of the
// predictions' squared errors.
func TestMaskedLossIgnoresPadding(t *testing.T) {
	const n, T = 4, 5
	lengths := []int{5, 3, 1, 4}
	r := rand.New(rand.NewPCG(2, 3))
	x := make([]float64, n*T)
	y0, y1 := make([]float64, n*T), make([]float64, n*T)
	for i, L := range lengths {
		for s := range T {
			k := i*T + s
			if s < L {
				x[k], y0[k] = r.Float64()+0.1, r.Float64()
				y1[k] = y0[k]
			} else {
				y1[k] = 100 * r.Float64()
			}
		}
	}
	run := func(y []float64) (float64, float64, []models.LayerWeights) {
		mask, _ := layers.NewMasking(0, nil)
		lstm, _ := layers.NewLSTM(3, &layers.LSTMOptions{ReturnSequences: true})
		d, _ := layers.NewDense(1, nil)
		m, err := models.NewSequential([]int{T, 1}, []layers.Layer{mask, lstm, d}, &models.Options{DType: graph.Float64, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		xt, _ := graph.FromFloat64s(graph.Float64, x, n, T, 1)
		yt, _ := graph.FromFloat64s(graph.Float64, y, n, T, 1)
		pred, err := m.Predict(xt)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		cnt := 0
		for i, L := range lengths {
			for s := range L {
				e := graph.Float64s(pred)[i*T+s] - y[i*T+s]
				sum += e * e
				cnt++
			}
		}
		tr, err := trainers.NewTrainer(m, trainers.MSE(), nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.TrainBatch(xt, yt)
		if err != nil {
			t.Fatal(err)
		}
		return res.Loss, sum / float64(cnt), m.Weights()
	}
	l0, want0, w0 := run(y0)
	l1, _, w1 := run(y1)
	if math.Abs(l0-want0) > 1e-14 {
		t.Errorf("loss %v, want the masked mean %v", l0, want0)
	}
	if l0 != l1 {
		t.Errorf("padded targets changed the loss: %v and %v", l0, l1)
	}
	for i := range w0 {
		for j := range w0[i].Weights {
			if !slices.Equal(w0[i].Weights[j].Data, w1[i].Weights[j].Data) {
				t.Errorf("padded targets changed the step of %s/%s", w0[i].Layer, w0[i].Weights[j].Name)
			}
		}
	}
}

// TestMaskedMetrics: metrics of a masked sequence output average over the
// valid steps only, in Evaluate and in Fit's logs.
func TestMaskedMetrics(t *testing.T) {
	const n, T = 5, 4
	lengths := []int{4, 1, 3, 2, 4}
	r := rand.New(rand.NewPCG(6, 1))
	x, y := make([]float64, n*T), make([]float64, n*T)
	for i, L := range lengths {
		for s := range T {
			if s < L {
				x[i*T+s], y[i*T+s] = r.Float64()+0.1, r.Float64()
			} else {
				y[i*T+s] = 50 // padding the metrics must not see
			}
		}
	}
	mask, _ := layers.NewMasking(0, nil)
	gru, _ := layers.NewGRU(3, &layers.GRUOptions{ReturnSequences: true})
	d, _ := layers.NewDense(1, nil)
	m := must(models.NewSequential([]int{T, 1}, []layers.Layer{mask, gru, d}, &models.Options{DType: graph.Float64}))
	xt := must(graph.FromFloat64s(graph.Float64, x, n, T, 1))
	yt := must(graph.FromFloat64s(graph.Float64, y, n, T, 1))
	pred := graph.Float64s(must(m.Predict(xt)))
	var abs, sq float64
	cnt := 0
	for i, L := range lengths {
		for s := range L {
			e := pred[i*T+s] - y[i*T+s]
			abs, sq, cnt = abs+math.Abs(e), sq+e*e, cnt+1
		}
	}
	tr := must(trainers.NewTrainer(m, trainers.MSE(), nil))
	logs := must(tr.Evaluate(xt, yt, 2, trainers.MetricMAE, trainers.MetricRMSE))
	if got, want := logs["mae"], abs/float64(cnt); math.Abs(got-want) > 1e-12 {
		t.Errorf("mae %v, want the masked %v", got, want)
	}
	if got, want := logs["rmse"], math.Sqrt(sq/float64(cnt)); math.Abs(got-want) > 1e-12 {
		t.Errorf("rmse %v, want the masked %v", got, want)
	}
	h := must(tr.Fit(context.Background(), xt, yt, trainers.FitOptions{Epochs: 1, BatchSize: n, NoShuffle: true, Metrics: []trainers.Metric{trainers.MetricMAE}}))
	if got, want := h.Get("mae")[0], abs/float64(cnt); math.Abs(got-want) > 1e-12 {
		t.Errorf("Fit's mae %v, want the masked %v", got, want)
	}
}
