package trainers

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/graph/lru"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// ErrDiverged reports a non-finite loss or gradient during training. The
// step that produced it is not applied.
var ErrDiverged = errors.New("training diverged")

// Trainer trains one model with one loss and optimizer. It compiles a
// training program per batch size on first use (a short last batch gets
// its own) and reuses it; all of them share the model's weights.
//
// A Trainer is not safe for concurrent use, and the model must not be
// used for prediction while a step runs. Make one with NewTrainer (or
// LoadCheckpoint): the methods of a zero Trainer return an error.
type Trainer struct {
	model *models.Model
	loss  Loss
	opt   Optimizer
	train *lru.Cache[int, *trainExec]      // with gradients
	eval  *lru.Cache[int, *graph.Executor] // loss only
	grads []*graph.Tensor                  // the gradient tensors, reused every step
	// params and outShape are the model's parameters and output shape,
	// fetched once: the model's accessors return new copies, and a step
	// allocates nothing.
	params   []*graph.Param
	outShape []int
	// masked is set when the model's output is a masked sequence: its
	// programs give the mask as output 1 (models.ProgramSpec.Mask).
	masked bool
	// outs is set for a model of several outputs (NewTrainerOutputs).
	outs *outputs
}

// NewTrainer returns a trainer. A zero Loss means MSE; a nil optimizer
// means SGD with Keras' defaults. A typed nil optimizer ((*Adam)(nil)), one
// of this package's not made by its constructor, and one already bound to
// another model's parameters (see Optimizer) are errors wrapping
// graph.ErrArgument.
func NewTrainer(m *models.Model, loss Loss, opt Optimizer) (*Trainer, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil model", graph.ErrArgument)
	}
	if loss.build == nil {
		loss = MSE()
	}
	if opt == nil {
		var err error
		if opt, err = NewSGD(nil); err != nil {
			return nil, err
		}
	}
	if err := checkOptimizer(opt, m); err != nil {
		return nil, err
	}
	t := &Trainer{model: m, loss: loss, opt: opt, masked: m.MaskedOutput(), train: lru.New[int, *trainExec](ProgramCacheSize), eval: lru.New[int, *graph.Executor](ProgramCacheSize)}
	if k := m.NumOutputs(); k > 1 {
		losses := make([]Loss, k)
		for i := range losses {
			losses[i] = loss
		}
		t.outs = newOutputs(m, losses, nil)
	}
	return t, nil
}

// binder is implemented by this package's optimizers, which are bound to
// the parameters of their first step.
type binder interface {
	checkBound(params []*graph.Param) error
}

// checkOptimizer returns an error for an optimizer that cannot train m: a
// typed nil, one of this package's not made by its constructor, or one
// bound to another model's parameters.
func checkOptimizer(opt Optimizer, m *models.Model) error {
	if isNil(opt) {
		return fmt.Errorf("%w: optimizer is a nil %T", graph.ErrArgument, opt)
	}
	if ho, ok := opt.(hyperOwner); ok && ho.hyper() == nil {
		return errNotMade
	}
	if b, ok := opt.(binder); ok {
		if err := b.checkBound(m.Params()); err != nil {
			return err
		}
	}
	return nil
}

// usable reports a Trainer that NewTrainer did not make.
func (t *Trainer) usable() error {
	if t == nil || t.model == nil || t.opt == nil || t.loss.build == nil || t.train == nil || t.eval == nil {
		return fmt.Errorf("%w: trainer not made by NewTrainer", graph.ErrArgument)
	}
	return nil
}

// Model returns the model being trained (nil for a nil Trainer).
func (t *Trainer) Model() *models.Model {
	if t == nil {
		return nil
	}
	return t.model
}

// Optimizer returns the trainer's optimizer (nil for a nil Trainer).
func (t *Trainer) Optimizer() Optimizer {
	if t == nil {
		return nil
	}
	return t.opt
}

// Loss returns the trainer's loss (the zero Loss for a nil Trainer).
func (t *Trainer) Loss() Loss {
	if t == nil {
		return Loss{}
	}
	return t.loss
}

// trainExec is a training program's executor and its dropout masks.
type trainExec struct {
	e     *graph.Executor
	noise []layers.NoiseInput
	first int             // the program input of noise[0]
	bufs  []*graph.Tensor // float64, one per mask, refilled every step
}

func (t *Trainer) executor(batch int, grads bool) (*graph.Executor, error) {
	if grads {
		te, err := t.trainExecutor(batch)
		if err != nil {
			return nil, err
		}
		return te.e, nil
	}
	return t.eval.Get(batch, func() (*graph.Executor, error) {
		p, err := t.model.Program(t.spec(batch))
		if err != nil {
			return nil, err
		}
		return p.NewExecutor(), nil
	})
}

// spec returns what the trainer's evaluation programs compile (its
// training programs add Grads and Noise): the loss of every output, and
// the masks of masked outputs for the metrics.
func (t *Trainer) spec(batch int) models.ProgramSpec {
	if t.outs != nil {
		return t.outs.spec(batch)
	}
	return models.ProgramSpec{Batch: batch, Loss: t.loss.Func(), Elementwise: t.loss.Elementwise(), Target: t.loss.TargetShape(t.outputShape()), Mask: true}
}

// trainExecutor returns the training program for a batch size, with its
// dropout masks (a training program: layers.Noise).
func (t *Trainer) trainExecutor(batch int) (*trainExec, error) {
	return t.train.Get(batch, func() (*trainExec, error) { return t.buildTrainExec(batch) })
}

// buildTrainExec compiles the training program for a batch size.
func (t *Trainer) buildTrainExec(batch int) (*trainExec, error) {
	noise := layers.NewNoise()
	spec := t.spec(batch)
	spec.Grads, spec.Noise = true, noise
	p, err := t.model.Program(spec)
	if err != nil {
		return nil, err
	}
	te := &trainExec{e: p.NewExecutor(), noise: noise.Inputs()}
	te.first = p.NumInputs() - len(te.noise)
	for _, n := range te.noise {
		te.bufs = append(te.bufs, graph.NewTensor(graph.Float64, n.Shape...))
	}
	return te, nil
}

// Compile builds the training programs for the given batch sizes now,
// instead of at the first step of each size, and runs each new one once on
// zero inputs, so that those first steps pay neither for compiling nor for
// the first run's allocations: what a timed run leaves out of its clock.
// Nothing is trained: the weights, the optimizer's state and its step count
// stay as they are (an optimizer's first Step still creates its slots, such
// as Adam's moments). Fit, TrainBatch and Step use the programs compiled;
// a size compiled already is skipped.
//
// Fit over n samples in batches of b takes batches of min(b, n) and, when b
// does not divide n and b < n, a last one of n mod b (see BatchSizes).
// Sizes must be positive, and at most ProgramCacheSize distinct ones (a
// trainer keeps no more); otherwise the error wraps graph.ErrArgument and
// nothing is compiled. No sizes compile nothing.
func (t *Trainer) Compile(batchSizes ...int) error {
	if err := t.usable(); err != nil {
		return err
	}
	var sizes []int // distinct, in order
	for _, b := range batchSizes {
		if b <= 0 {
			return fmt.Errorf("%w: compile batch size %d must be positive", graph.ErrArgument, b)
		}
		if !slices.Contains(sizes, b) {
			sizes = append(sizes, b)
		}
		if len(sizes) > ProgramCacheSize {
			return fmt.Errorf("%w: more than %d batch sizes to compile (a trainer keeps %d)", graph.ErrArgument, ProgramCacheSize, ProgramCacheSize)
		}
	}
	for _, b := range sizes {
		built := false
		te, err := t.train.Get(b, func() (*trainExec, error) {
			built = true
			return t.buildTrainExec(b)
		})
		if err != nil {
			return fmt.Errorf("compiling batches of %d: %w", b, err)
		}
		if !built {
			continue
		}
		// The inputs (and the dropout masks) are still the executor's zero
		// buffers; the run's numbers are thrown away, with the gradients
		// read into the trainer's buffers for the first step.
		if err := te.e.Run(); err != nil {
			return fmt.Errorf("compiling batches of %d: first run: %w", b, err)
		}
		if t.grads, err = te.e.GradsInto(t.grads, t.modelParams()); err != nil {
			return fmt.Errorf("compiling batches of %d: first run: %w", b, err)
		}
	}
	return nil
}

// BatchSizes returns the batch sizes Fit trains n samples with in batches
// of batch, in the order it meets them: min(batch, n), then n mod batch
// when that is not 0 and batch < n. It is nil for n or batch below 1.
// Trainer.Compile(BatchSizes(n, batch)...) compiles what such a Fit needs.
func BatchSizes(n, batch int) []int {
	if n < 1 || batch < 1 {
		return nil
	}
	sizes := []int{min(batch, n)}
	if r := n % batch; r != 0 && batch < n {
		sizes = append(sizes, r)
	}
	return sizes
}

// drawNoise fills the dropout masks of te for the next step from a
// generator seeded with the model's seed and the optimizer's step count,
// so that training is reproducible (also across a checkpoint).
func (t *Trainer) drawNoise(te *trainExec) error {
	if len(te.noise) == 0 {
		return nil
	}
	rng := graph.NewRNG(mix(t.model.Seed(), uint64(t.opt.Iterations())))
	for k, n := range te.noise {
		d, _ := graph.Float64Data(te.bufs[k])
		layers.Fill(d, n.Rate, rng)
		if err := te.e.SetInput(te.first+k, te.bufs[k]); err != nil {
			return err
		}
	}
	return nil
}

// mix joins a seed and a step count into one seed (splitmix64's finalizer
// over their combination).
func mix(seed, step uint64) uint64 {
	z := seed ^ (step+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// ProgramCacheSize is how many compiled programs a Trainer keeps for
// training steps, and as many for Evaluate, one per batch size; meeting
// another size drops the least recently used. Fit needs two of each (full
// batches and the short last one).
const ProgramCacheSize = 8

// BatchResult is what one step computed, before the update.
type BatchResult struct {
	Loss float64
	// Pred is the model's prediction for the batch.
	Pred *graph.Tensor
	// Mask, for a model whose output is a masked sequence [n, T, ...]
	// (models.Model.MaskedOutput), is [n, T]: 1 for the valid steps, 0 for
	// the masked ones; nil for other models.
	Mask *graph.Tensor
}

// readMask returns the mask output of a training or evaluation program
// (ProgramSpec.Mask), nil when the model's output is not a sequence.
func (t *Trainer) readMask(e *graph.Executor) (*graph.Tensor, error) {
	if !t.masked {
		return nil, nil
	}
	return e.Output(1)
}

// TrainBatch runs one training step on a batch: forward, loss, gradients
// from the graph, one optimizer update. x and y hold the batch's samples
// ([n, input...] and [n, output...]). On a non-finite loss or gradient it
// returns an error wrapping ErrDiverged and leaves the weights unchanged.
//
// The trainer compiles one program per batch size it meets (for TrainBatch
// and for Evaluate each) and keeps it for later calls, at most
// ProgramCacheSize of each: a caller driving many batch sizes holds a
// bounded number, the least recently used dropped.
func (t *Trainer) TrainBatch(x, y *graph.Tensor) (BatchResult, error) {
	return t.TrainBatchInputs([]*graph.Tensor{x}, y)
}

// TrainBatchInputs is TrainBatch for a model of several inputs
// (models.NewMulti): xs holds the batch of each input, in the model's
// order.
func (t *Trainer) TrainBatchInputs(xs []*graph.Tensor, y *graph.Tensor) (BatchResult, error) {
	if err := t.oneOutput("TrainBatchInputs"); err != nil {
		return BatchResult{}, err
	}
	out, err := t.trainStep(xs, []*graph.Tensor{y}, true, false)
	if err != nil {
		return BatchResult{Loss: out.loss}, err
	}
	return BatchResult{Loss: out.loss, Pred: out.preds[0], Mask: out.masks[0]}, nil
}

// Step is TrainBatch without the copy of the predictions: it returns the
// batch's loss (before the update). Once the program for the batch size
// is compiled, a step allocates next to nothing, which keeps a long
// training loop's memory flat; use it when no metric needs the
// predictions. Errors are TrainBatch's.
func (t *Trainer) Step(x, y *graph.Tensor) (float64, error) {
	return t.StepInputs([]*graph.Tensor{x}, y)
}

// StepInputs is Step for a model of several inputs.
func (t *Trainer) StepInputs(xs []*graph.Tensor, y *graph.Tensor) (float64, error) {
	if err := t.oneOutput("StepInputs"); err != nil {
		return 0, err
	}
	return t.step(xs, []*graph.Tensor{y}, nil, false)
}

// step runs one training step; read, if set, reads the executor after the
// forward pass, before the update. checked says that xs and ys are a
// batch Fit gathered from the data it checked whole (checkXY) before its
// first epoch: their shapes and dtypes are not checked again, nor their
// finiteness, which the executor checks as it takes each input; the
// rules on their values (checkValues) are, since a callback may have
// changed the data.
func (t *Trainer) step(xs, ys []*graph.Tensor, read func(*graph.Executor) error, checked bool) (float64, error) {
	if err := t.usable(); err != nil {
		return 0, err
	}
	if checked {
		if err := t.checkValues(xs, ys); err != nil {
			return 0, err
		}
	} else if err := t.checkXY(xs, ys); err != nil {
		return 0, err
	}
	te, err := t.trainExecutor(xs[0].Dim(0))
	if err != nil {
		return 0, err
	}
	if err := t.drawNoise(te); err != nil {
		return 0, err
	}
	e := te.e
	if err := run(e, xs, ys); err != nil {
		return 0, err
	}
	loss, err := e.Loss()
	if err != nil {
		return 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("%w: loss is %v", ErrDiverged, loss)
	}
	if read != nil {
		if err := read(e); err != nil {
			return 0, err
		}
	}
	params := t.modelParams()
	t.grads, err = e.GradsInto(t.grads, params)
	if err != nil {
		return 0, err
	}
	if err := t.opt.Step(params, t.grads); err != nil {
		if errors.Is(err, ErrNotFiniteGrad) {
			return loss, fmt.Errorf("%w: %w", ErrDiverged, err)
		}
		return 0, err
	}
	return loss, nil
}

// modelParams returns the model's parameters, fetched on first use (a
// model's parameters do not change; the compiled programs hold them too).
func (t *Trainer) modelParams() []*graph.Param {
	if t.params == nil {
		t.params = t.model.Params()
	}
	return t.params
}

// outputShape returns the model's output shape, fetched on first use.
func (t *Trainer) outputShape() []int {
	if t.outShape == nil {
		t.outShape = t.model.OutputShape()
	}
	return t.outShape
}

func run(e *graph.Executor, xs, ys []*graph.Tensor) error {
	for i, x := range xs {
		if err := e.SetInput(i, x); err != nil {
			return err
		}
	}
	for i, y := range ys {
		if err := e.SetInput(len(xs)+i, y); err != nil {
			return err
		}
	}
	return e.Run()
}

// checkXY validates a data set against the model: shapes, dtypes, and
// values finite in the model's dtype (a float64 value beyond float32's
// range is not finite for a float32 model), the error naming the sample.
func (t *Trainer) checkXY(xs, ys []*graph.Tensor) error {
	if t.outs != nil {
		return t.outs.check(t.model, xs, ys)
	}
	if len(ys) != 1 {
		return fmt.Errorf("%w: %d targets for a model of one output", graph.ErrArgument, len(ys))
	}
	y := ys[0]
	if len(xs) == 1 && t.model.NumInputs() == 1 {
		if err := t.model.CheckSamples("x", xs[0]); err != nil {
			return err
		}
	} else if err := t.model.CheckInputs(xs); err != nil {
		return err
	}
	x := xs[0]
	out := t.outputShape()
	if err := models.CheckTensor("y", y, t.loss.TargetShape(out), t.model.DType()); err != nil {
		return err
	}
	if n, ny := x.Dim(0), y.Dim(0); n != ny {
		return fmt.Errorf("%w: x has %d samples, y has %d", graph.ErrShape, n, ny)
	}
	return t.loss.CheckTargets(y, out)
}

// checkValues checks a batch whose shapes checkXY checked before (Fit's)
// for what checkXY checks of the values beyond their finiteness: the
// layers' rules on the inputs (an Embedding's ids) and the loss's on the
// targets (a binary cross-entropy's in [0, 1], a sparse one's labels).
func (t *Trainer) checkValues(xs, ys []*graph.Tensor) error {
	if t.outs != nil {
		return t.outs.check(t.model, xs, ys)
	}
	if err := t.model.CheckInputValues(xs); err != nil {
		return err
	}
	return t.loss.CheckTargets(ys[0], t.outputShape())
}

// Evaluate returns the mean loss and the metrics over x and y, in batches
// of the given size (0 means 32; a size above the number of samples is
// that number), without changing the weights.
func (t *Trainer) Evaluate(x, y *graph.Tensor, batch int, metrics ...Metric) (map[string]float64, error) {
	return t.EvaluateInputs([]*graph.Tensor{x}, y, batch, metrics...)
}

// EvaluateInputs is Evaluate for a model of several inputs.
func (t *Trainer) EvaluateInputs(xs []*graph.Tensor, y *graph.Tensor, batch int, metrics ...Metric) (map[string]float64, error) {
	if err := t.oneOutput("EvaluateInputs"); err != nil {
		return nil, err
	}
	return t.evaluate(xs, []*graph.Tensor{y}, batch, metrics)
}

// evaluate is EvaluateInputs and EvaluateOutputs.
func (t *Trainer) evaluate(xs, ys []*graph.Tensor, batch int, metrics []Metric) (map[string]float64, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	if batch == 0 {
		batch = 32
	}
	if batch < 0 {
		return nil, fmt.Errorf("%w: batch size %d", graph.ErrArgument, batch)
	}
	if err := checkMetrics(metrics); err != nil {
		return nil, err
	}
	if err := t.checkXY(xs, ys); err != nil {
		return nil, err
	}
	n := xs[0].Dim(0)
	batch = min(batch, n) // keeps lo+batch from overflowing
	acc := t.newLogs(metrics)
	xb, yb := make([]*graph.Tensor, len(xs)), make([]*graph.Tensor, len(ys))
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		for i, x := range xs {
			var err error
			if xb[i], err = graph.SampleRange(x, lo, hi); err != nil {
				return nil, err
			}
		}
		for i, y := range ys {
			var err error
			if yb[i], err = graph.SampleRange(y, lo, hi); err != nil {
				return nil, err
			}
		}
		e, err := t.executor(hi-lo, false)
		if err != nil {
			return nil, err
		}
		if err := run(e, xb, yb); err != nil {
			return nil, err
		}
		out, err := t.readOut(e, len(metrics) > 0)
		if err != nil {
			return nil, err
		}
		acc.add(out, hi-lo, yb)
	}
	return acc.logs(""), nil
}

// Samples returns the samples of x at the given indices, in that order, as
// a new tensor: how a caller driving TrainBatch itself makes a batch.
func Samples(x *graph.Tensor, idx []int) (*graph.Tensor, error) {
	if len(idx) == 0 {
		return nil, fmt.Errorf("%w: empty batch", graph.ErrArgument)
	}
	return graph.SampleIndex(x, idx)
}
