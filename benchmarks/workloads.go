package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// Seed is the seed of every workload's data, weights and shuffles, as
// SEED in workloads.py (the generators differ, so the numbers do not).
const Seed = 1234

// LearningRate is the SGD learning rate of every training workload.
const LearningRate = 0.01

// PretrainEpochs is how long W5 and W6 train their W1 model, untimed,
// before predicting (PRETRAIN_EPOCHS in workloads.py).
const PretrainEpochs = 20

// ErrUnknown reports a workload id that is not W1..W6.
var ErrUnknown = errors.New("unknown workload")

// Kind is a recurrent layer type.
type Kind int

const (
	// LSTM is layers.LSTM (torch.nn.LSTM).
	LSTM Kind = iota
	// SimpleRNN is layers.SimpleRNN with tanh (torch.nn.RNN).
	SimpleRNN
	// GRU is layers.GRU, Keras' reset_after form (torch.nn.GRU).
	GRU
)

// Kinds lists every Kind, in the order benchmarks report them.
var Kinds = []Kind{SimpleRNN, LSTM, GRU}

// String returns the Keras class name of the layer.
func (k Kind) String() string {
	switch k {
	case LSTM:
		return "LSTM"
	case SimpleRNN:
		return "SimpleRNN"
	case GRU:
		return "GRU"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Layer returns a new, unbuilt recurrent layer of this kind.
func (k Kind) Layer(units int, returnSequences bool) (layers.Layer, error) {
	switch k {
	case LSTM:
		return layers.NewLSTM(units, &layers.LSTMOptions{ReturnSequences: returnSequences})
	case SimpleRNN:
		return layers.NewSimpleRNN(units, &layers.SimpleRNNOptions{ReturnSequences: returnSequences})
	case GRU:
		return layers.NewGRU(units, &layers.GRUOptions{ReturnSequences: returnSequences})
	}
	return nil, fmt.Errorf("%w: layer kind %d", graph.ErrArgument, int(k))
}

// NewRegressor builds Sequential([kind(units, returnSequences), Dense(1)])
// for inputs [steps, 1], float32, with weights from seed.
func NewRegressor(k Kind, units, steps int, returnSequences bool, seed uint64) (*models.Model, error) {
	rnn, err := k.Layer(units, returnSequences)
	if err != nil {
		return nil, err
	}
	head, err := layers.NewDense(1, nil)
	if err != nil {
		return nil, err
	}
	return models.NewSequential([]int{steps, 1}, []layers.Layer{rnn, head}, &models.Options{DType: graph.Float32, Seed: seed})
}

// Options shrink a workload, for tests; the zero value runs it as
// defined, each field at 0 (or below) taking the default it names.
type Options struct {
	// Epochs is the number of training epochs (W1–W3: 500, W4: 3) or of
	// pre-training epochs (W5, W6: PretrainEpochs).
	Epochs int
	// Windows is the number of samples (W4: 1024, W6: 10,000).
	Windows int
	// Steps is the number of time steps per sample (W4: 50).
	Steps int
	// Units is the number of recurrent units (W4: 128).
	Units int
	// Repeats is the number of forecasts (W5: 100).
	Repeats int
	// PredictBatch is W6's batch size; 0 predicts all windows in one call,
	// as workloads.py does by default (its --w6-batch).
	PredictBatch int
	// OnEpoch, if set, is called inside the timed region after each
	// training epoch (1-based) with that epoch's loss, from a
	// trainers.Callback (whose presence makes Fit build each batch's logs).
	// It should be cheap. Nil: nothing is called.
	OnEpoch func(epoch int, loss float64)
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Result is what one run of a workload measured.
type Result struct {
	Workload string
	// Seconds is the wall time of the timed region only: training (W1–W4:
	// Trainer.Fit) or prediction (W5, W6), without model building, data or
	// compiling (Trainer.Compile).
	Seconds float64
	// FinalLoss is the last epoch's loss (the sample-weighted mean of its
	// batch losses, each before its step); NaN for W5 and W6.
	FinalLoss float64
}

// Workload is one of the benchmark workloads.
type Workload struct {
	ID          string
	Description string
	Run         func(Options) (Result, error)
}

// Workloads returns W1..W6, mirrors of benchmarks/pytorch/workloads.py.
func Workloads() []Workload {
	return []Workload{
		{"W1", "LSTM(20, return sequences) + Dense(1) per step; 40 noisy-sine windows of 10; batch 8, shuffled; 500 epochs; SGD 0.01, MSE", func(o Options) (Result, error) { return sineTraining("W1", LSTM, o) }},
		{"W2", "as W1 with SimpleRNN(20, tanh)", func(o Options) (Result, error) { return sineTraining("W2", SimpleRNN, o) }},
		{"W3", "as W1 with GRU(20) (reset_after, like Keras)", func(o Options) (Result, error) { return sineTraining("W3", GRU, o) }},
		{"W4", "LSTM(128) last state + Dense(1); 1,024 random windows of 50 steps; batch 64, shuffled; 3 epochs; SGD 0.01, MSE", W4},
		{"W5", fmt.Sprintf("39-step autoregressive forecast from the first window ([1,10,1]) with a W1 model (pre-trained %d epochs, untimed), repeated 100 times, Predict", PretrainEpochs), W5},
		{"W6", fmt.Sprintf("Predict 10,000 random windows of 10 steps with a W1 model (pre-trained %d epochs, untimed), in one batch", PretrainEpochs), W6},
	}
}

// Lookup returns the workload with the given id.
func Lookup(id string) (Workload, error) {
	for _, w := range Workloads() {
		if w.ID == id {
			return w, nil
		}
	}
	return Workload{}, fmt.Errorf("%w: %q", ErrUnknown, id)
}

// W1 trains LSTM(20, return sequences) + Dense(1) on the noisy sine.
func W1(o Options) (Result, error) { return sineTraining("W1", LSTM, o) }

// W2 is W1 with SimpleRNN(20).
func W2(o Options) (Result, error) { return sineTraining("W2", SimpleRNN, o) }

// W3 is W1 with GRU(20).
func W3(o Options) (Result, error) { return sineTraining("W3", GRU, o) }

func sineTraining(id string, k Kind, o Options) (Result, error) {
	x, y, err := NoisySineWindows(Seed, 50, 10, 0.1)
	if err != nil {
		return Result{}, err
	}
	m, err := NewRegressor(k, 20, 10, true, Seed)
	if err != nil {
		return Result{}, err
	}
	tr, err := NewSGDTrainer(m)
	if err != nil {
		return Result{}, err
	}
	rng := rand.New(rand.NewPCG(Seed, 1))
	secs, loss, err := timedFit(tr, x, y, 8, orDefault(o.Epochs, 500), rng, o.OnEpoch)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", id, err)
	}
	return Result{Workload: id, Seconds: secs, FinalLoss: loss}, nil
}

// W4 trains LSTM(128), last state, + Dense(1) on random windows.
func W4(o Options) (Result, error) {
	n, steps, units := orDefault(o.Windows, 1024), orDefault(o.Steps, 50), orDefault(o.Units, 128)
	rng := rand.New(rand.NewPCG(Seed, 4))
	x := RandomTensor(rng, n, steps, 1)
	y := RandomTensor(rng, n, 1)
	m, err := NewRegressor(LSTM, units, steps, false, Seed)
	if err != nil {
		return Result{}, err
	}
	tr, err := NewSGDTrainer(m)
	if err != nil {
		return Result{}, err
	}
	secs, loss, err := timedFit(tr, x, y, 64, orDefault(o.Epochs, 3), rng, o.OnEpoch)
	if err != nil {
		return Result{}, fmt.Errorf("W4: %w", err)
	}
	return Result{Workload: "W4", Seconds: secs, FinalLoss: loss}, nil
}

// TrainedW1Model returns a W1 model trained, untimed, for the given
// number of epochs, and the windows it was trained on.
func TrainedW1Model(epochs int) (*models.Model, *graph.Tensor, error) {
	x, y, err := NoisySineWindows(Seed, 50, 10, 0.1)
	if err != nil {
		return nil, nil, err
	}
	m, err := NewRegressor(LSTM, 20, 10, true, Seed)
	if err != nil {
		return nil, nil, err
	}
	tr, err := NewSGDTrainer(m)
	if err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(Seed, 1))
	if _, _, err := timedFit(tr, x, y, 8, epochs, rng, nil); err != nil {
		return nil, nil, err
	}
	return m, x, nil
}

// W5 forecasts 39 steps autoregressively from the first window, 100
// times, with Predict on [1, 10, 1].
func W5(o Options) (Result, error) {
	m, x, err := TrainedW1Model(orDefault(o.Epochs, PretrainEpochs))
	if err != nil {
		return Result{}, fmt.Errorf("W5: %w", err)
	}
	first, err := trainers.Samples(x, []int{0})
	if err != nil {
		return Result{}, err
	}
	// Compile the batch-1 program before the clock starts.
	if _, err := m.Predict(first); err != nil {
		return Result{}, fmt.Errorf("W5: %w", err)
	}
	repeats := orDefault(o.Repeats, 100)
	start := time.Now()
	for range repeats {
		if _, err := Forecast(m, first, 39); err != nil {
			return Result{}, fmt.Errorf("W5: %w", err)
		}
	}
	return Result{Workload: "W5", Seconds: time.Since(start).Seconds(), FinalLoss: math.NaN()}, nil
}

// Forecast predicts steps values autoregressively from window [1, T, 1]:
// predict, take the last time step's output as the next value, slide the
// window by one, repeat. The model must return sequences [1, T, 1].
func Forecast(m *models.Model, window *graph.Tensor, steps int) ([]float32, error) {
	w := window.Clone()
	data, ok := graph.Float32Data(w)
	if !ok {
		return nil, fmt.Errorf("%w: window must be float32", graph.ErrArgument)
	}
	out := make([]float32, 0, steps)
	for range steps {
		p, err := m.Predict(w)
		if err != nil {
			return nil, err
		}
		pd, ok := graph.Float32Data(p)
		if !ok || len(pd) == 0 {
			return nil, fmt.Errorf("%w: prediction is not a float32 tensor", graph.ErrGraph)
		}
		next := pd[len(pd)-1]
		out = append(out, next)
		copy(data, data[1:])
		data[len(data)-1] = next
	}
	return out, nil
}

// W6 predicts 10,000 random windows of 10 steps with a pre-trained W1
// model, in one batch by default.
func W6(o Options) (Result, error) {
	m, _, err := TrainedW1Model(orDefault(o.Epochs, PretrainEpochs))
	if err != nil {
		return Result{}, fmt.Errorf("W6: %w", err)
	}
	n := orDefault(o.Windows, 10_000)
	rng := rand.New(rand.NewPCG(Seed+6, 6))
	x := RandomTensor(rng, n, 10, 1)
	batch := orDefault(o.PredictBatch, n)
	// Compile the prediction programs before the clock starts (a full run:
	// there is no way to compile one without running it).
	if _, err := m.PredictBatch(x, batch); err != nil {
		return Result{}, fmt.Errorf("W6: %w", err)
	}
	start := time.Now()
	if _, err := m.PredictBatch(x, batch); err != nil {
		return Result{}, fmt.Errorf("W6: %w", err)
	}
	return Result{Workload: "W6", Seconds: time.Since(start).Seconds(), FinalLoss: math.NaN()}, nil
}

// NewSGDTrainer returns an MSE trainer with SGD(LearningRate).
func NewSGDTrainer(m *models.Model) (*trainers.Trainer, error) {
	opt, err := trainers.NewSGD(&trainers.SGDOptions{LearningRate: LearningRate})
	if err != nil {
		return nil, err
	}
	return trainers.NewTrainer(m, trainers.MSE(), opt)
}

// timedFit compiles the trainer's programs for the batch sizes of the run
// (Trainer.Compile), off the clock, then times fit. It returns the
// training time and the last epoch's loss.
func timedFit(tr *trainers.Trainer, x, y *graph.Tensor, batch, epochs int, rng *rand.Rand, onEpoch func(int, float64)) (float64, float64, error) {
	if err := tr.Compile(trainers.BatchSizes(x.Dim(0), batch)...); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	loss, err := fit(tr, x, y, batch, epochs, rng, onEpoch)
	return time.Since(start).Seconds(), loss, err
}

// fit trains as Keras fit does (shuffle every epoch, keep the last partial
// batch, one step per batch) through Trainer.Fit, the epochs ordered by
// Shuffler(rng), and returns the last epoch's loss: the sample-weighted
// mean of its batch losses, each taken before its step. onEpoch, if set,
// is called after each epoch (1-based) with its loss, from a callback.
func fit(tr *trainers.Trainer, x, y *graph.Tensor, batch, epochs int, rng *rand.Rand, onEpoch func(int, float64)) (float64, error) {
	opts := trainers.FitOptions{Epochs: epochs, BatchSize: batch, Order: Shuffler(rng)}
	if onEpoch != nil {
		opts.Callbacks = []trainers.Callback{trainers.CallbackFuncs{EpochEnd: func(_ *trainers.FitState, epoch int, logs trainers.Logs) error {
			onEpoch(epoch+1, logs["loss"])
			return nil
		}}}
	}
	h, err := tr.Fit(context.Background(), x, y, opts)
	if err != nil {
		return 0, err
	}
	loss := math.NaN()
	if l := h.Loss(); len(l) > 0 {
		loss = l[len(l)-1]
	}
	return loss, nil
}

// Shuffler returns the training workloads' epoch order for
// trainers.FitOptions.Order: each epoch, rng.Shuffle of the identity
// (math/rand/v2's PCG, not Fit's own EpochOrder). NewFloorInput records
// the same draws for the C floor, so that both train on the same batches.
func Shuffler(rng *rand.Rand) func(epoch int, order []int) {
	return func(_ int, order []int) {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
}
