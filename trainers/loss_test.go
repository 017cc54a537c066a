package trainers_test

import (
	"math"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// identityModel is Dense(1) on one input with kernel 1 and bias 0, so its
// prediction is its input: losses can be checked on chosen errors.
func identityModel(t *testing.T, dt graph.DType) *models.Model {
	t.Helper()
	d := must(layers.NewDense(1, nil))
	m := must(models.NewSequential([]int{1}, []layers.Layer{d}, &models.Options{DType: dt}))
	ws := m.Weights()
	for i := range ws[0].Weights {
		w := &ws[0].Weights[i]
		if w.Name == "kernel" {
			w.Data = []float64{1}
		} else {
			w.Data = []float64{0}
		}
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	return m
}

// predYZ returns predictions 1, -1, 4 against targets 0.5, 1, 1: errors
// 0.5, -2, 3.
func predYZ(dt graph.DType) (x, y *graph.Tensor) {
	return must(graph.FromFloat64s(dt, []float64{1, -1, 4}, 3, 1)), must(graph.FromFloat64s(dt, []float64{0.5, 1, 1}, 3, 1))
}

// TestLosses checks each loss on errors 0.5, -2 and 3, worked out by
// hand; Huber's quadratic and linear regimes both occur.
func TestLosses(t *testing.T) {
	huber := func(d float64) trainers.Loss { return must(trainers.Huber(d)) }
	cases := []struct {
		name string
		loss trainers.Loss
		want float64
	}{
		// (0.25 + 4 + 9) / 3
		{"mse", trainers.MSE(), 13.25 / 3},
		// (0.5 + 2 + 3) / 3
		{"mae", trainers.MAE(), 5.5 / 3},
		// δ 1: 0.125 (quadratic), 2 - 0.5, 3 - 0.5 (linear)
		{"huber", huber(1), (0.125 + 1.5 + 2.5) / 3},
		// δ 2.5: 0.125, 2 (quadratic), 2.5·(3 - 1.25) (linear)
		{"huber_2.5", huber(2.5), (0.125 + 2 + 4.375) / 3},
		// δ 10: all quadratic, half the MSE
		{"huber_10", huber(10), 13.25 / 6},
	}
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		tol := map[graph.DType]float64{graph.Float64: 1e-15, graph.Float32: 1e-6}[dt]
		x, y := predYZ(dt)
		for _, c := range cases {
			tr := must(trainers.NewTrainer(identityModel(t, dt), c.loss, nil))
			logs := must(tr.Evaluate(x, y, 0))
			if !closeTo(logs["loss"], c.want, tol) {
				t.Errorf("%v %s: loss %.17g, want %.17g", dt, c.name, logs["loss"], c.want)
			}
		}
	}
}

// TestLossByName checks the names LossByName knows.
func TestLossByName(t *testing.T) {
	for name, want := range map[string]string{
		"mse": "mse", "mean_squared_error": "mse", "mae": "mae", "mean_absolute_error": "mae", "huber": "huber",
	} {
		l, err := trainers.LossByName(name)
		if err != nil || l.Name() != want || l.Func() == nil {
			t.Errorf("%s: %v, %q", name, err, l.Name())
		}
	}
	for _, name := range []string{"", "MSE", "crossentropy"} {
		if _, err := trainers.LossByName(name); err == nil {
			t.Errorf("%q accepted", name)
		}
	}
	for _, d := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := trainers.Huber(d); err == nil {
			t.Errorf("Huber(%v) accepted", d)
		}
	}
	// LossByName("huber") has delta 1.
	x, y := predYZ(graph.Float64)
	tr := must(trainers.NewTrainer(identityModel(t, graph.Float64), must(trainers.LossByName("huber")), nil))
	if l := must(tr.Evaluate(x, y, 0))["loss"]; !closeTo(l, 4.125/3, 1e-15) {
		t.Errorf("huber by name: %v", l)
	}
	// A zero Loss is MSE.
	tr = must(trainers.NewTrainer(identityModel(t, graph.Float64), trainers.Loss{}, nil))
	if tr.Loss().Name() != "mse" || tr.Optimizer().Name() != "sgd" {
		t.Errorf("defaults: %s, %s", tr.Loss().Name(), tr.Optimizer().Name())
	}
}

// TestMetrics checks mae and rmse on a known prediction.
func TestMetrics(t *testing.T) {
	x, y := predYZ(graph.Float64)
	tr := must(trainers.NewTrainer(identityModel(t, graph.Float64), trainers.MAE(), nil))
	for _, batch := range []int{1, 2, 3} {
		logs := must(tr.Evaluate(x, y, batch, trainers.MetricMAE, trainers.MetricRMSE))
		if !closeTo(logs["mae"], 5.5/3, 1e-15) || !closeTo(logs["loss"], 5.5/3, 1e-15) {
			t.Errorf("batch %d: mae %v, loss %v, want %v", batch, logs["mae"], logs["loss"], 5.5/3)
		}
		if !closeTo(logs["rmse"], math.Sqrt(13.25/3), 1e-15) {
			t.Errorf("batch %d: rmse %v, want %v", batch, logs["rmse"], math.Sqrt(13.25/3))
		}
		if len(logs) != 3 {
			t.Errorf("logs %v", logs)
		}
	}
	if trainers.MetricMAE.String() != "mae" || trainers.MetricRMSE.String() != "rmse" {
		t.Error("metric names")
	}
}

// TestEvaluate checks that Evaluate is the mean of the per-sample losses
// whatever the batch size, leaves the weights alone, and reads views.
func TestEvaluate(t *testing.T) {
	x, y := rnnData(t, graph.Float64, 11)
	m := rnnModel(t, graph.Float64, 8)
	tr := must(trainers.NewTrainer(m, trainers.MSE(), nil))
	pred := graph.Float64s(must(m.Predict(x)))
	var want float64
	for i, v := range graph.Float64s(y) {
		want += (pred[i] - v) * (pred[i] - v)
	}
	want /= 11
	before := flatWeights(m)
	for _, batch := range []int{0, 1, 4, 11, 50} {
		l := must(tr.Evaluate(x, y, batch))["loss"]
		if !closeTo(l, want, 1e-13) {
			t.Errorf("batch %d: loss %.17g, want %.17g", batch, l, want)
		}
	}
	if !slices.Equal(before, flatWeights(m)) {
		t.Error("Evaluate changed the weights")
	}
	// The last samples, sharing x's and y's memory, read those samples.
	xv := must(graph.SampleRange(x, 5, 11))
	yv := must(graph.SampleRange(y, 5, 11))
	got := must(tr.Evaluate(xv, yv, 4))["loss"]
	ref := must(tr.Evaluate(rows(t, x, 5, 11), rows(t, y, 5, 11), 4))["loss"]
	if got != ref {
		t.Errorf("on a part: %v, on a copy: %v", got, ref)
	}
}
