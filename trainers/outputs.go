package trainers

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// This file holds the training of models of several outputs
// (models.NewMultiOutput): Keras' compile(loss=[...], loss_weights=[...])
// and fit(x, [y1, y2]).

// outputs is what a Trainer of a model of several outputs knows of them.
type outputs struct {
	losses  []Loss
	weights []float64 // nil: all 1
	names   []string  // the logs' prefixes: the output layers' names
	what    []string  // the targets as errors name them: "y 1 (dense_1)"
	shapes  [][]int
	masked  []bool
	nMasked int
}

func newOutputs(m *models.Model, losses []Loss, weights []float64) *outputs {
	o := &outputs{losses: losses, weights: weights, names: m.OutputNames(), shapes: m.OutputShapes(), masked: m.MaskedOutputs()}
	for _, b := range o.masked {
		if b {
			o.nMasked++
		}
	}
	for i, name := range o.names {
		o.what = append(o.what, fmt.Sprintf("y %d (%s)", i, name))
	}
	return o
}

// spec is Trainer.spec for a model of several outputs: each output's
// loss and target shape, the weights, the masks and every output's loss.
func (o *outputs) spec(batch int) models.ProgramSpec {
	k := len(o.losses)
	s := models.ProgramSpec{Batch: batch, Losses: make([]models.LossFunc, k), Elementwises: make([]models.LossFunc, k),
		Targets: make([][]int, k), LossWeights: o.weights, Mask: true, OutputLosses: true}
	for i, l := range o.losses {
		s.Losses[i], s.Elementwises[i], s.Targets[i] = l.Func(), l.Elementwise(), l.TargetShape(o.shapes[i])
	}
	return s
}

// check is Trainer.checkXY for a model of several outputs: one target per
// output, of the shape its loss takes, as many samples as the inputs.
func (o *outputs) check(m *models.Model, xs, ys []*graph.Tensor) error {
	if err := m.CheckInputs(xs); err != nil {
		return err
	}
	if len(ys) != len(o.losses) {
		return fmt.Errorf("%w: %d targets for a model of %d outputs", graph.ErrArgument, len(ys), len(o.losses))
	}
	for i, y := range ys {
		what := o.what[i] // not formatted here: check runs every step
		if err := models.CheckTensor(what, y, o.losses[i].TargetShape(o.shapes[i]), m.DType()); err != nil {
			return err
		}
		if n, ny := xs[0].Dim(0), y.Dim(0); n != ny {
			return fmt.Errorf("%w: x has %d samples, %s has %d", graph.ErrShape, n, what, ny)
		}
		if err := o.losses[i].CheckTargets(y, o.shapes[i]); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// NewTrainerOutputs returns a trainer of a model of several outputs
// (models.NewMultiOutput) with a loss per output (a zero Loss is MSE) and
// their weights in the loss it minimizes, Σ_k weights[k]·loss_k (nil: all
// 1): Keras' compile(loss=[...], loss_weights=[...]). Weights must be
// finite and ≥ 0. NewTrainer on such a model gives every output its one
// loss, as Keras does for a single loss. The trainer's Loss is the first
// output's. Such a trainer trains, evaluates and fits with the ...Outputs
// methods; the one-output methods refuse it (but for a model of one
// output, whose loss it weights), and so does SaveCheckpoint unless every
// output has the same loss and weight 1.
func NewTrainerOutputs(m *models.Model, losses []Loss, weights []float64, opt Optimizer) (*Trainer, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil model", graph.ErrArgument)
	}
	k := m.NumOutputs()
	if len(losses) != k {
		return nil, fmt.Errorf("%w: %d losses for a model of %d outputs", graph.ErrArgument, len(losses), k)
	}
	if weights != nil && len(weights) != k {
		return nil, fmt.Errorf("%w: %d loss weights for a model of %d outputs", graph.ErrArgument, len(weights), k)
	}
	for i, w := range weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("%w: loss weight %d is %v (want finite and ≥ 0)", graph.ErrArgument, i, w)
		}
	}
	t, err := NewTrainer(m, losses[0], opt)
	if err != nil {
		return nil, err
	}
	ls := make([]Loss, k)
	for i, l := range losses {
		if l.build == nil {
			l = MSE()
		}
		ls[i] = l
	}
	t.loss = ls[0]
	if t.outs == nil { // NewTrainer made none for a model of one output
		t.outs = newOutputs(m, ls, nil)
	}
	t.outs.losses, t.outs.weights = ls, slices.Clone(weights)
	return t, nil
}

// oneOutput refuses a model of several outputs in a method of one target.
func (t *Trainer) oneOutput(what string) error {
	if t != nil && t.outs != nil && len(t.outs.losses) > 1 {
		return fmt.Errorf("%w: %s takes one target; the model has %d outputs (use the ...Outputs methods)", graph.ErrArgument, what, len(t.outs.losses))
	}
	return nil
}

// uniformLosses reports whether every output has the first output's loss
// and weight 1 (what NewTrainer makes, and a checkpoint restores).
func (t *Trainer) uniformLosses() bool {
	if t.outs == nil {
		return true
	}
	for i, l := range t.outs.losses {
		if !l.same(t.loss) || t.outs.weights != nil && t.outs.weights[i] != 1 {
			return false
		}
	}
	return true
}

// batchOut is what a training step or an evaluation run gave: the loss,
// each output's loss (a model of several outputs) and, when asked for,
// the predictions and the masks of masked outputs (nil for the others).
type batchOut struct {
	loss   float64
	losses []float64
	preds  []*graph.Tensor
	masks  []*graph.Tensor
}

// readOut reads a run of a training or evaluation program: its loss, the
// outputs' losses, and with preds the predictions and masks.
func (t *Trainer) readOut(e *graph.Executor, preds bool) (batchOut, error) {
	var out batchOut
	var err error
	if out.loss, err = e.Loss(); err != nil {
		return out, err
	}
	k := 1
	if t.outs != nil {
		k = len(t.outs.losses)
		for i := range k {
			l, err := e.Output(k + t.outs.nMasked + i)
			if err != nil {
				return out, err
			}
			out.losses = append(out.losses, graph.Float64s(l)[0])
		}
	}
	if !preds {
		return out, nil
	}
	out.preds, out.masks = make([]*graph.Tensor, k), make([]*graph.Tensor, k)
	for i := range k {
		if out.preds[i], err = e.Output(i); err != nil {
			return out, err
		}
	}
	if t.outs == nil {
		out.masks[0], err = t.readMask(e)
		return out, err
	}
	j := k
	for i, masked := range t.outs.masked {
		if masked {
			if out.masks[i], err = e.Output(j); err != nil {
				return out, err
			}
			j++
		}
	}
	return out, nil
}

// trainStep runs one training step and reads what it gave (readOut);
// checked is step's.
func (t *Trainer) trainStep(xs, ys []*graph.Tensor, preds, checked bool) (batchOut, error) {
	if err := t.usable(); err != nil {
		return batchOut{}, err
	}
	if t.outs == nil && !preds {
		// Nothing to read: spare the copies (and the closure).
		loss, err := t.step(xs, ys, nil, checked)
		return batchOut{loss: loss}, err
	}
	var out batchOut
	loss, err := t.step(xs, ys, func(e *graph.Executor) (err error) {
		out, err = t.readOut(e, preds)
		return err
	}, checked)
	out.loss = loss
	return out, err
}

// logAcc averages the logs of a run of batches: the loss and the metrics
// of a model of one output, or, of several, the loss and under each output
// layer's name its loss and metrics ("dense_loss", "dense_1_mae"), as
// Keras names them.
type logAcc struct {
	total *accumulator
	outs  []*accumulator
	names []string
}

func (t *Trainer) newLogs(metrics []Metric) *logAcc {
	if t.outs == nil {
		return &logAcc{total: newAccumulator(metrics)}
	}
	a := &logAcc{total: newAccumulator(nil), names: t.outs.names}
	for range t.outs.losses {
		a.outs = append(a.outs, newAccumulator(metrics))
	}
	return a
}

// add counts a batch of n samples of targets ys.
func (a *logAcc) add(o batchOut, n int, ys []*graph.Tensor) {
	if a.outs == nil {
		var pred, mask *graph.Tensor
		if o.preds != nil {
			pred, mask = o.preds[0], o.masks[0]
		}
		a.total.add(o.loss, n, pred, ys[0], mask)
		return
	}
	a.total.add(o.loss, n, nil, nil, nil)
	for i, acc := range a.outs {
		var pred, mask *graph.Tensor
		if o.preds != nil {
			pred, mask = o.preds[i], o.masks[i]
		}
		acc.add(o.losses[i], n, pred, ys[i], mask)
	}
}

func (a *logAcc) mean() float64 { return a.total.mean() }

func (a *logAcc) logs(prefix string) map[string]float64 {
	out := a.total.logs(prefix)
	for i, acc := range a.outs {
		for k, v := range acc.logs(prefix + a.names[i] + "_") {
			out[k] = v
		}
	}
	return out
}

// OutputsResult is what TrainBatchOutputs computed, before the update.
type OutputsResult struct {
	// Loss is the loss minimized: the outputs' losses, weighted, summed.
	Loss float64
	// Losses are the outputs' own losses, unweighted.
	Losses []float64
	// Preds are the model's predictions for the batch, one per output.
	Preds []*graph.Tensor
	// Masks are, for each output that is a masked sequence, its mask
	// [n, T] (1 for the valid steps); nil for the other outputs.
	Masks []*graph.Tensor
}

// TrainBatchOutputs is TrainBatchInputs for a model of several outputs:
// ys holds the batch's targets of each output, in the model's order.
func (t *Trainer) TrainBatchOutputs(xs, ys []*graph.Tensor) (OutputsResult, error) {
	out, err := t.trainStep(xs, ys, true, false)
	return OutputsResult{Loss: out.loss, Losses: out.losses, Preds: out.preds, Masks: out.masks}, err
}

// EvaluateOutputs is EvaluateInputs for a model of several outputs: the
// logs hold "loss" (the weighted sum) and, under each output layer's name,
// its loss and metrics ("dense_loss", "dense_1_mae").
func (t *Trainer) EvaluateOutputs(xs, ys []*graph.Tensor, batch int, metrics ...Metric) (map[string]float64, error) {
	return t.evaluate(xs, ys, batch, metrics)
}

// FitOutputs is FitInputs for a model of several outputs (Keras' fit(x,
// [y1, y2])): ys holds every output's targets, in the model's order. The
// logs are EvaluateOutputs'; validation takes opts.ValidationSplit (the
// last part of every input and target) or opts.ValidationInputs with
// opts.ValidationTargets; ValidationX and ValidationY are refused.
func (t *Trainer) FitOutputs(ctx context.Context, xs, ys []*graph.Tensor, opts FitOptions) (*History, error) {
	if opts.ValidationX != nil || opts.ValidationY != nil {
		return nil, fmt.Errorf("%w: FitOutputs takes ValidationInputs and ValidationTargets, not ValidationX and ValidationY", graph.ErrArgument)
	}
	if len(xs) == 0 || len(ys) == 0 {
		return nil, fmt.Errorf("%w: no inputs or no targets", graph.ErrArgument)
	}
	return t.fit(ctx, xs, ys, opts)
}
