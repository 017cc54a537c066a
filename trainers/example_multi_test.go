package trainers_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// A covariate model: the series and a known covariate are two inputs,
// joined step by step by Concatenate before the LSTM (Keras'
// Concatenate()([series, covariate])). The target is the series' last
// value plus the covariate's, so that a model without the covariate cannot
// reach it; the two-input model does.
func Example_covariateModel() {
	const n, T = 256, 6
	r := rand.New(rand.NewPCG(1, 2))
	series, cov, y := make([]float64, n*T), make([]float64, n*T), make([]float64, n)
	for i := range n {
		phase := r.Float64() * 2 * math.Pi
		for t := range T {
			series[i*T+t] = math.Sin(phase + 0.5*float64(t))
			cov[i*T+t] = r.Float64() - 0.5
		}
		y[i] = series[i*T+T-1] + cov[i*T+T-1]
	}
	xs, _ := graph.FromFloat64s(graph.Float32, series, n, T, 1)
	xc, _ := graph.FromFloat64s(graph.Float32, cov, n, T, 1)
	yt, _ := graph.FromFloat64s(graph.Float32, y, n, 1)

	fit := func(withCovariate bool) float64 {
		a := models.Input(T, 1)
		inputs, h := []*models.Symbol{a}, a
		if withCovariate {
			c := models.Input(T, 1)
			inputs = append(inputs, c)
			h = models.ApplyMerge(must(layers.NewConcatenate(nil)), a, c)
		}
		h = models.Apply(must(layers.NewLSTM(16, nil)), h)
		out := models.Apply(must(layers.NewDense(1, nil)), h)
		m := must(models.NewMulti(inputs, out, &models.Options{Seed: 3}))
		data := []*graph.Tensor{xs, xc}[:len(inputs)]
		tr := must(trainers.NewTrainer(m, trainers.MSE(), must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01}))))
		if _, err := tr.FitInputs(context.Background(), data, yt, trainers.FitOptions{Epochs: 40, BatchSize: 32, Seed: 4}); err != nil {
			panic(err)
		}
		logs := must(tr.EvaluateInputs(data, yt, 64))
		return logs["loss"]
	}
	without, with := fit(false), fit(true)
	// Without the covariate the error is about its variance (1/12).
	fmt.Println("without the covariate, MSE above 0.05:", without > 0.05)
	fmt.Println("with it, MSE below a hundredth of that:", with < without/100)
	// Output:
	// without the covariate, MSE above 0.05: true
	// with it, MSE below a hundredth of that: true
}

// An encoder–decoder: the encoder LSTM reads the input sequence and hands
// its final states h and c to the decoder LSTM as its initial states
// (Keras' LSTM(return_state=True) and initial_state=[h, c]); the decoder
// reads the target shifted by one step (teacher forcing) and a Dense gives
// each step's value. The task, to output the input reversed, needs the
// encoder's states: the decoder alone sees only the previous target value.
func Example_encoderDecoder() {
	const n, T = 256, 4
	r := rand.New(rand.NewPCG(5, 6))
	src, dec, y := make([]float64, n*T), make([]float64, n*T), make([]float64, n*T)
	for i := range n {
		for t := range T {
			src[i*T+t] = r.Float64()*2 - 1
		}
		for t := range T {
			y[i*T+t] = src[i*T+T-1-t]
			if t > 0 {
				dec[i*T+t] = y[i*T+t-1]
			}
		}
	}
	xs, _ := graph.FromFloat64s(graph.Float32, src, n, T, 1)
	xd, _ := graph.FromFloat64s(graph.Float32, dec, n, T, 1)
	yt, _ := graph.FromFloat64s(graph.Float32, y, n, T, 1)

	encIn, decIn := models.Input(T, 1), models.Input(T, 1)
	_, states := models.ApplyStates(must(layers.NewLSTM(32, nil)), encIn)
	seq, _ := models.ApplyStates(must(layers.NewLSTM(32, &layers.LSTMOptions{ReturnSequences: true})), decIn, states...)
	out := models.Apply(must(layers.NewDense(1, nil)), seq)
	m := must(models.NewMulti([]*models.Symbol{encIn, decIn}, out, &models.Options{Seed: 7}))

	tr := must(trainers.NewTrainer(m, trainers.MSE(), must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01}))))
	data := []*graph.Tensor{xs, xd}
	before := must(tr.EvaluateInputs(data, yt, 64))["loss"]
	if _, err := tr.FitInputs(context.Background(), data, yt, trainers.FitOptions{Epochs: 60, BatchSize: 32, Seed: 8}); err != nil {
		panic(err)
	}
	after := must(tr.EvaluateInputs(data, yt, 64))["loss"]
	fmt.Println("layers:", len(m.Layers()), "inputs:", m.NumInputs())
	fmt.Println("MSE fell below a hundredth:", after < before/100)
	// Output:
	// layers: 3 inputs: 2
	// MSE fell below a hundredth: true
}

// A model of two outputs (Keras' Model(inputs, [next_value, goes_up])):
// one LSTM reads a noisy sine window, and two heads on its last state
// predict the next value (MSE) and whether the series goes up next
// (binary cross-entropy on a sigmoid, weighted 0.5 in the loss minimized:
// Keras' loss_weights). FitOutputs trains both; the logs are named after
// the output layers.
func Example_multiOutput() {
	const n, T = 256, 8
	r := rand.New(rand.NewPCG(5, 6))
	x, next, up := make([]float64, n*T), make([]float64, n), make([]float64, n)
	for i := range n {
		phase := r.Float64() * 2 * math.Pi
		for t := range T {
			x[i*T+t] = math.Sin(phase+0.6*float64(t)) + 0.05*r.NormFloat64()
		}
		next[i] = math.Sin(phase + 0.6*T)
		if next[i] > x[i*T+T-1] {
			up[i] = 1
		}
	}
	xt, _ := graph.FromFloat64s(graph.Float32, x, n, T, 1)
	nt, _ := graph.FromFloat64s(graph.Float32, next, n, 1)
	ut, _ := graph.FromFloat64s(graph.Float32, up, n, 1)

	in := models.Input(T, 1)
	h := models.Apply(must(layers.NewLSTM(16, nil)), in)
	value := models.Apply(must(layers.NewDense(1, &layers.DenseOptions{Name: "next"})), h)
	goesUp := models.Apply(must(layers.NewDense(1, &layers.DenseOptions{Name: "up", Activation: layers.Sigmoid})), h)
	m := must(models.NewMultiOutput([]*models.Symbol{in}, []*models.Symbol{value, goesUp}, &models.Options{Seed: 7}))
	tr := must(trainers.NewTrainerOutputs(m, []trainers.Loss{trainers.MSE(), trainers.BinaryCrossentropy(false)}, []float64{1, 0.5},
		must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01}))))
	xs, ys := []*graph.Tensor{xt}, []*graph.Tensor{nt, ut}
	before := must(tr.EvaluateOutputs(xs, ys, 64, trainers.MetricBinaryAccuracy))
	if _, err := tr.FitOutputs(context.Background(), xs, ys, trainers.FitOptions{Epochs: 30, BatchSize: 32, Seed: 8, ValidationSplit: 0.25}); err != nil {
		panic(err)
	}
	after := must(tr.EvaluateOutputs(xs, ys, 64, trainers.MetricBinaryAccuracy))
	preds := must(m.PredictOutputs(xs))
	fmt.Println("outputs:", m.OutputNames(), "predictions:", len(preds), "of", preds[1].Shape()[0], "samples")
	fmt.Println("next_loss below a tenth of the start:", after["next_loss"] < before["next_loss"]/10)
	fmt.Println("up accuracy above 0.9:", after["up_binary_accuracy"] > 0.9)
	fmt.Println("loss = next_loss + 0.5 up_loss:", math.Abs(after["loss"]-(after["next_loss"]+0.5*after["up_loss"])) < 1e-6)
	// Output:
	// outputs: [next up] predictions: 2 of 256 samples
	// next_loss below a tenth of the start: true
	// up accuracy above 0.9: true
	// loss = next_loss + 0.5 up_loss: true
}
