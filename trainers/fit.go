package trainers

import (
	"context"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sort"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// DefaultBatchSize is Fit's batch size when none is given, as in Keras.
const DefaultBatchSize = 32

// FitOptions configure Fit. The zero value trains one epoch of batches of
// 32, shuffled with seed 0, with MSE and SGD(0.01), silently.
type FitOptions struct {
	// Loss defaults to MSE (the zero Loss).
	Loss Loss
	// Optimizer defaults (nil) to SGD with Keras' defaults.
	Optimizer Optimizer
	// Epochs is the number of the last epoch to train (default 1); with
	// InitialEpoch it works as in Keras: epochs InitialEpoch..Epochs-1 run.
	Epochs int
	// InitialEpoch is the epoch to start at, to resume a run (0: the
	// first).
	InitialEpoch int
	// BatchSize defaults to 32. The last batch of an epoch may be smaller;
	// it is trained, not dropped. A size above the number of training
	// samples is that number (one batch per epoch), as in Keras.
	BatchSize int
	// NoShuffle keeps the samples in order; by default each epoch visits
	// them in a random order drawn from Seed and the epoch number
	// (EpochOrder).
	NoShuffle bool
	// Seed makes shuffling reproducible (0 is a seed like any other).
	Seed uint64
	// Order, if set, orders each epoch's samples instead (Seed is then
	// unused; NoShuffle must be unset): at the start of every epoch Fit
	// fills order with 0, 1, ..., n-1, n the number of training samples,
	// calls Order, which permutes it in place, and takes the batches in the
	// order it leaves. Anything but a permutation of those n indices stops
	// Fit with an error wrapping graph.ErrArgument. Fit calls it once per
	// epoch, the epochs in order, so a stateful generator (one
	// math/rand/v2.Rand shuffling every epoch) gives a reproducible run, but
	// a resumed one (InitialEpoch) sees the epochs' orders again only if
	// Order draws them from the epoch number.
	Order func(epoch int, order []int)
	// ValidationSplit holds out this fraction of the samples, taken from
	// the tail before any shuffling (as Keras), for val_loss (0: no
	// validation split).
	ValidationSplit float64
	// ValidationX and ValidationY are explicit validation data (nil:
	// none); they cannot be combined with ValidationSplit.
	ValidationX, ValidationY *graph.Tensor
	// ValidationInputs are explicit validation data of every input, for
	// FitInputs (with ValidationY) and FitOutputs (with
	// ValidationTargets, one per output), Keras' validation_data=([x1,
	// x2], y); nil: none. They take the place of ValidationX and cannot be
	// combined with it or with ValidationSplit.
	ValidationInputs, ValidationTargets []*graph.Tensor
	// Metrics are reported per epoch besides the loss (and for the
	// validation data with a "val_" prefix); nil: the loss only.
	Metrics []Metric
	// Callbacks are called at the start and end of training, epochs and
	// batches, in order; nil: none.
	Callbacks []Callback
	// Verbose is 0 for silence, 1 for a live progress bar with the loss
	// and ETA, 2 for one line per epoch: a ProgressBar callback, run ahead
	// of Callbacks.
	Verbose int
	// Output receives the progress (default os.Stdout when Verbose > 0):
	// the ProgressBar's Output.
	Output io.Writer
}

// Logs are the named values of an epoch or batch ("loss", "val_loss",
// "mae", ...).
type Logs map[string]float64

// History records the logs of every epoch Fit ran.
type History struct {
	// Epochs are the 0-based numbers of the epochs run.
	Epochs []int
	// Values maps each log name to its value per epoch.
	Values map[string][]float64
}

// Loss returns the training loss per epoch.
func (h *History) Loss() []float64 { return h.Get("loss") }

// Get returns the values recorded under name per epoch. Like the other
// methods of History it may be called on a nil History (what Fit returns
// with an error for bad arguments), which holds nothing.
func (h *History) Get(name string) []float64 {
	if h == nil {
		return nil
	}
	return h.Values[name]
}

// Keys returns the recorded names, sorted.
func (h *History) Keys() []string {
	if h == nil {
		return nil
	}
	keys := make([]string, 0, len(h.Values))
	for k := range h.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (h *History) add(epoch int, logs Logs) {
	h.Epochs = append(h.Epochs, epoch)
	for k, v := range logs {
		h.Values[k] = append(h.Values[k], v)
	}
}

// FitState is what callbacks see and may change during Fit.
type FitState struct {
	Trainer *Trainer
	// Epochs is the total number of epochs of the run.
	Epochs int
	// Batches is the number of batches per epoch.
	Batches int
	// History so far.
	History *History
	// StopTraining ends Fit after the current epoch when set.
	StopTraining bool
}

// Model returns the model being trained (nil for a nil FitState or one
// without a Trainer).
func (s *FitState) Model() *models.Model {
	if s == nil {
		return nil
	}
	return s.Trainer.Model()
}

// Fit trains model on x [n, input...] and y [n, output...] with the loss
// and optimizer of opts, and returns the History. See Trainer.Fit.
func Fit(ctx context.Context, m *models.Model, x, y *graph.Tensor, opts FitOptions) (*History, error) {
	t, err := NewTrainer(m, opts.Loss, opts.Optimizer)
	if err != nil {
		return nil, err
	}
	opts.Optimizer = nil // the trainer's (not compared: it may be of a type == panics on)
	return t.Fit(ctx, x, y, opts)
}

// Fit trains for opts.Epochs epochs with the trainer's loss and optimizer
// (opts.Loss and opts.Optimizer must be unset or the same; a Huber loss
// with another delta is another loss).
//
// Bad input is an error before anything runs. A non-finite loss or
// gradient stops training with an error wrapping ErrDiverged that names the
// epoch and batch; the weights are those of the last finite step.
// Cancelling ctx stops between batches. In both cases the History of the
// epochs completed so far is returned with the error.
func (t *Trainer) Fit(ctx context.Context, x, y *graph.Tensor, opts FitOptions) (*History, error) {
	if err := t.oneOutput("Fit"); err != nil {
		return nil, err
	}
	if opts.ValidationInputs != nil || opts.ValidationTargets != nil {
		return nil, fmt.Errorf("%w: Fit takes ValidationX and ValidationY (ValidationInputs and ValidationTargets are FitInputs' and FitOutputs')", graph.ErrArgument)
	}
	opts.ValidationInputs, opts.ValidationTargets = oneOrNone(opts.ValidationX), oneOrNone(opts.ValidationY)
	return t.fit(ctx, []*graph.Tensor{x}, []*graph.Tensor{y}, opts)
}

// oneOrNone returns [x], or nil for a nil x.
func oneOrNone(x *graph.Tensor) []*graph.Tensor {
	if x == nil {
		return nil
	}
	return []*graph.Tensor{x}
}

// FitInputs is Fit for a model of several inputs (models.NewMulti): xs
// holds every input's samples, in the model's order, all of the same
// number. Validation takes opts.ValidationSplit (the last part of every
// input), or opts.ValidationInputs (every input) with opts.ValidationY;
// opts.ValidationX, a single tensor, is refused.
func (t *Trainer) FitInputs(ctx context.Context, xs []*graph.Tensor, y *graph.Tensor, opts FitOptions) (*History, error) {
	if err := t.oneOutput("FitInputs"); err != nil {
		return nil, err
	}
	if opts.ValidationX != nil || opts.ValidationTargets != nil {
		return nil, fmt.Errorf("%w: FitInputs takes ValidationInputs and ValidationY, not ValidationX or ValidationTargets", graph.ErrArgument)
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("%w: no inputs", graph.ErrArgument)
	}
	opts.ValidationTargets = oneOrNone(opts.ValidationY)
	return t.fit(ctx, xs, []*graph.Tensor{y}, opts)
}

// fit is Fit, FitInputs and FitOutputs: the validation data are in
// opts.ValidationInputs and ValidationTargets.
func (t *Trainer) fit(ctx context.Context, xs, ys []*graph.Tensor, opts FitOptions) (hist *History, err error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.Optimizer != nil && !sameOptimizer(opts.Optimizer, t.opt) {
		return nil, fmt.Errorf("%w: options name another optimizer than the trainer's", graph.ErrArgument)
	}
	if opts.Loss.build != nil && !opts.Loss.same(t.loss) {
		return nil, fmt.Errorf("%w: options name loss %v, the trainer's is %v", graph.ErrArgument, opts.Loss, t.loss)
	}
	if opts.Epochs == 0 {
		opts.Epochs = 1
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	switch {
	case opts.Epochs < 0:
		return nil, fmt.Errorf("%w: epochs %d is negative", graph.ErrArgument, opts.Epochs)
	case opts.InitialEpoch < 0 || opts.InitialEpoch > opts.Epochs:
		return nil, fmt.Errorf("%w: initial epoch %d outside [0, %d]", graph.ErrArgument, opts.InitialEpoch, opts.Epochs)
	case opts.BatchSize < 0:
		return nil, fmt.Errorf("%w: batch size %d must be positive", graph.ErrArgument, opts.BatchSize)
	case !(opts.ValidationSplit >= 0 && opts.ValidationSplit < 1):
		return nil, fmt.Errorf("%w: validation split %v outside [0, 1)", graph.ErrArgument, opts.ValidationSplit)
	case opts.ValidationSplit > 0 && (opts.ValidationInputs != nil || opts.ValidationTargets != nil):
		return nil, fmt.Errorf("%w: give a validation split or validation data, not both", graph.ErrArgument)
	case (opts.ValidationInputs == nil) != (opts.ValidationTargets == nil):
		return nil, fmt.Errorf("%w: validation data needs both x and y", graph.ErrArgument)
	case opts.Verbose < 0 || opts.Verbose > 2:
		return nil, fmt.Errorf("%w: verbose %d (want 0, 1 or 2)", graph.ErrArgument, opts.Verbose)
	case opts.Order != nil && opts.NoShuffle:
		return nil, fmt.Errorf("%w: give an epoch order or NoShuffle, not both", graph.ErrArgument)
	}
	for i, cb := range opts.Callbacks {
		if isNil(cb) {
			return nil, fmt.Errorf("%w: callback %d is a nil %T", graph.ErrArgument, i, cb)
		}
	}
	callbacks := opts.Callbacks
	if opts.Verbose > 0 {
		bar := &ProgressBar{Output: opts.Output, LinePerEpoch: opts.Verbose == 2}
		callbacks = append([]Callback{bar}, callbacks...)
	}
	if err := checkOptimizer(t.opt, t.model); err != nil {
		return nil, err
	}
	if err := checkMetrics(opts.Metrics); err != nil {
		return nil, err
	}
	xs, ys = slices.Clone(xs), slices.Clone(ys)
	for _, d := range [][]*graph.Tensor{xs, ys} {
		for _, x := range d {
			if x == nil || x.Dims() == 0 || x.Dim(0) == 0 {
				return nil, fmt.Errorf("%w: no training data", graph.ErrArgument)
			}
		}
	}
	if err := t.checkXY(xs, ys); err != nil {
		return nil, err
	}
	vxs, vys := opts.ValidationInputs, opts.ValidationTargets
	n := xs[0].Dim(0)
	if opts.ValidationSplit > 0 {
		split := int(float64(n) * (1 - opts.ValidationSplit))
		if split < 1 || split >= n {
			return nil, fmt.Errorf("%w: validation split %v of %d samples leaves an empty part", graph.ErrArgument, opts.ValidationSplit, n)
		}
		var err error
		vxs, vys = make([]*graph.Tensor, len(xs)), make([]*graph.Tensor, len(ys))
		for _, d := range []struct{ all, val []*graph.Tensor }{{xs, vxs}, {ys, vys}} {
			for i, x := range d.all {
				if err == nil {
					d.val[i], err = graph.SampleRange(x, split, n)
				}
				if err == nil {
					d.all[i], err = graph.SampleRange(x, 0, split)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		n = split
	}
	if n > MaxSamples {
		return nil, fmt.Errorf("%w: %d training samples, more than %d", graph.ErrArgument, n, MaxSamples)
	}
	if vxs != nil {
		if err := t.checkXY(vxs, vys); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
	}
	// As Keras, a batch larger than the data is all of it; this also keeps
	// the batch arithmetic below from overflowing.
	opts.BatchSize = min(opts.BatchSize, n)
	batches := (n + opts.BatchSize - 1) / opts.BatchSize
	hist = &History{Values: map[string][]float64{}}
	state := &FitState{Trainer: t, Epochs: opts.Epochs, Batches: batches, History: hist}
	defer func() {
		if err != nil {
			for _, cb := range callbacks {
				if a, ok := cb.(AbortCallback); ok {
					a.OnTrainAbort(state, err)
				}
			}
		}
	}()
	for _, cb := range callbacks {
		if err := cb.OnTrainBegin(state); err != nil {
			return hist, err
		}
	}
	bufs := map[int][]*graph.Tensor{} // reused batch tensors (inputs, then targets), by batch size
	var order []int
	var seen []bool // for checking opts.Order's permutations
	for epoch := opts.InitialEpoch; epoch < opts.Epochs && !state.StopTraining; epoch++ {
		if err := ctx.Err(); err != nil {
			return hist, err
		}
		for _, cb := range callbacks {
			if err := cb.OnEpochBegin(state, epoch); err != nil {
				return hist, err
			}
		}
		if opts.Order != nil {
			if order == nil {
				order, seen = make([]int, n), make([]bool, n)
			}
			if err := callerOrder(opts.Order, epoch, order, seen); err != nil {
				return hist, err
			}
		} else if order, err = EpochOrder(n, opts.Seed, epoch, !opts.NoShuffle); err != nil {
			return hist, err
		}
		acc := t.newLogs(opts.Metrics)
		for b := 0; b < batches; b++ {
			if err := ctx.Err(); err != nil {
				return hist, fmt.Errorf("epoch %d, batch %d: %w", epoch+1, b+1, err)
			}
			idx := order[b*opts.BatchSize : min((b+1)*opts.BatchSize, n)]
			// The batch tensors are reused (one set per batch size).
			buf := bufs[len(idx)]
			if buf == nil {
				buf = make([]*graph.Tensor, len(xs)+len(ys))
				bufs[len(idx)] = buf
			}
			for i, x := range xs {
				if buf[i], err = graph.SampleIndexInto(buf[i], x, idx); err != nil {
					return hist, err
				}
			}
			for i, y := range ys {
				if buf[len(xs)+i], err = graph.SampleIndexInto(buf[len(xs)+i], y, idx); err != nil {
					return hist, err
				}
			}
			xb, yb := buf[:len(xs)], buf[len(xs):]
			// Without metrics nothing reads the predictions: their copy is
			// skipped.
			r, err := t.trainStep(xb, yb, len(opts.Metrics) > 0, true)
			if err != nil {
				return hist, fmt.Errorf("epoch %d, batch %d: %w", epoch+1, b+1, err)
			}
			acc.add(r, len(idx), yb)
			if len(callbacks) == 0 {
				continue // no one reads the batch's logs: spare their map
			}
			logs := Logs{"loss": acc.mean()}
			for _, cb := range callbacks {
				if err := cb.OnBatchEnd(state, epoch, b, logs); err != nil {
					return hist, err
				}
			}
		}
		logs := Logs(acc.logs(""))
		if vxs != nil {
			vl, err := t.evaluate(vxs, vys, opts.BatchSize, opts.Metrics)
			if err != nil {
				return hist, fmt.Errorf("epoch %d: validation: %w", epoch+1, err)
			}
			if v := vl["loss"]; math.IsNaN(v) || math.IsInf(v, 0) {
				return hist, fmt.Errorf("epoch %d: validation: %w: val_loss is %v", epoch+1, ErrDiverged, v)
			}
			for k, v := range vl {
				logs["val_"+k] = v
			}
		}
		hist.add(epoch, logs)
		for _, cb := range callbacks {
			if err := cb.OnEpochEnd(state, epoch, logs); err != nil {
				return hist, err
			}
		}
	}
	for _, cb := range callbacks {
		if err := cb.OnTrainEnd(state); err != nil {
			return hist, err
		}
	}
	return hist, nil
}

// sameOptimizer reports whether a and b are the same optimizer, without
// the panic of == on values of a type that is not comparable.
func sameOptimizer(a, b Optimizer) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta != nil && ta.Comparable() && a == b
}

// callerOrder fills order with 0..n-1, lets f permute it for the epoch
// and checks that it did (seen is scratch space of n flags).
func callerOrder(f func(epoch int, order []int), epoch int, order []int, seen []bool) error {
	for i := range order {
		order[i] = i
	}
	clear(seen)
	f(epoch, order)
	for _, k := range order {
		if k < 0 || k >= len(order) || seen[k] {
			return fmt.Errorf("%w: epoch %d: the order is not a permutation of the %d training samples (index %d)", graph.ErrArgument, epoch+1, len(order), k)
		}
		seen[k] = true
	}
	return nil
}

// MaxSamples is the largest number of samples EpochOrder orders, and so
// Fit trains on (2³¹-1; the order alone then takes 16 GiB).
const MaxSamples = math.MaxInt32

// EpochOrder returns the order in which Fit visits n samples in an epoch:
// a permutation drawn from seed and epoch when shuffle is set, so a resumed
// run sees the same batches as an uninterrupted one. A negative n or epoch,
// or n above MaxSamples, is an error wrapping graph.ErrArgument.
func EpochOrder(n int, seed uint64, epoch int, shuffle bool) ([]int, error) {
	if n < 0 || epoch < 0 {
		return nil, fmt.Errorf("%w: epoch order of %d samples at epoch %d", graph.ErrArgument, n, epoch)
	}
	if n > MaxSamples {
		return nil, fmt.Errorf("%w: epoch order of %d samples, more than %d", graph.ErrArgument, n, MaxSamples)
	}
	if !shuffle {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order, nil
	}
	return graph.NewRNG(seed ^ (uint64(epoch)+1)*0x9e3779b97f4a7c15).Perm(n), nil
}
