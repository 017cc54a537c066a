package trainers

import (
	"fmt"
	"math"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// Callback is called by Fit at the start and end of training, of each
// epoch and after each batch. An error stops Fit and is returned. Embed
// NopCallback to implement only some methods. Fit passes its FitState,
// never nil; code calling a callback's methods itself must pass a FitState
// whose Trainer is set.
type Callback interface {
	OnTrainBegin(s *FitState) error
	OnEpochBegin(s *FitState, epoch int) error
	OnBatchEnd(s *FitState, epoch, batch int, logs Logs) error
	OnEpochEnd(s *FitState, epoch int, logs Logs) error
	OnTrainEnd(s *FitState) error
}

// AbortCallback is a Callback that is also told when Fit stops on an
// error once training has begun (a diverged step, a cancelled context, a
// failed validation, another callback's error): Fit then calls
// OnTrainAbort with that error on each of its callbacks that implements
// AbortCallback, in order, before it returns, whichever of their other
// methods it called before. Callbacks that hold something open, as
// ProgressBar holds its bar, close it there.
type AbortCallback interface {
	Callback
	OnTrainAbort(s *FitState, err error)
}

// NopCallback does nothing; embed it in callbacks.
type NopCallback struct{}

// OnTrainBegin does nothing.
func (NopCallback) OnTrainBegin(*FitState) error { return nil }

// OnEpochBegin does nothing.
func (NopCallback) OnEpochBegin(*FitState, int) error { return nil }

// OnBatchEnd does nothing.
func (NopCallback) OnBatchEnd(*FitState, int, int, Logs) error { return nil }

// OnEpochEnd does nothing.
func (NopCallback) OnEpochEnd(*FitState, int, Logs) error { return nil }

// OnTrainEnd does nothing.
func (NopCallback) OnTrainEnd(*FitState) error { return nil }

// CallbackFuncs adapts functions to a Callback; nil fields do nothing.
type CallbackFuncs struct {
	TrainBegin func(s *FitState) error
	EpochBegin func(s *FitState, epoch int) error
	BatchEnd   func(s *FitState, epoch, batch int, logs Logs) error
	EpochEnd   func(s *FitState, epoch int, logs Logs) error
	TrainEnd   func(s *FitState) error
}

var _ Callback = CallbackFuncs{}

// OnTrainBegin calls TrainBegin.
func (c CallbackFuncs) OnTrainBegin(s *FitState) error {
	if c.TrainBegin == nil {
		return nil
	}
	return c.TrainBegin(s)
}

// OnEpochBegin calls EpochBegin.
func (c CallbackFuncs) OnEpochBegin(s *FitState, e int) error {
	if c.EpochBegin == nil {
		return nil
	}
	return c.EpochBegin(s, e)
}

// OnBatchEnd calls BatchEnd.
func (c CallbackFuncs) OnBatchEnd(s *FitState, e, b int, l Logs) error {
	if c.BatchEnd == nil {
		return nil
	}
	return c.BatchEnd(s, e, b, l)
}

// OnEpochEnd calls EpochEnd.
func (c CallbackFuncs) OnEpochEnd(s *FitState, e int, l Logs) error {
	if c.EpochEnd == nil {
		return nil
	}
	return c.EpochEnd(s, e, l)
}

// OnTrainEnd calls TrainEnd.
func (c CallbackFuncs) OnTrainEnd(s *FitState) error {
	if c.TrainEnd == nil {
		return nil
	}
	return c.TrainEnd(s)
}

// errNilCallback is the error of a nil callback's methods.
func errNilCallback(kind string) error {
	return fmt.Errorf("%w: nil *%s callback", graph.ErrArgument, kind)
}

// stateModel returns the model of s, or an error when s holds none (a
// callback called by hand with a nil FitState or one without a Trainer).
func stateModel(s *FitState, kind string) (*models.Model, error) {
	if m := s.Model(); m != nil {
		return m, nil
	}
	return nil, fmt.Errorf("%w: %s called without a FitState holding a trainer", graph.ErrArgument, kind)
}

// stateOptimizer returns the optimizer of s's trainer, or nil.
func stateOptimizer(s *FitState) Optimizer {
	if s == nil {
		return nil
	}
	return s.Trainer.Optimizer()
}

// monitored returns the value of name in logs, defaulting to val_loss when
// present, else loss.
func monitored(name string, logs Logs) (string, float64, bool) {
	if name == "" {
		name = "loss"
		if _, ok := logs["val_loss"]; ok {
			name = "val_loss"
		}
	}
	v, ok := logs[name]
	return name, v, ok
}

// EarlyStopping stops training when a monitored value (to be minimized)
// has not improved by more than MinDelta for Patience epochs, as Keras'
// EarlyStopping: the first monitored value always counts as an
// improvement; after each later epoch that does not improve on the best by
// more than MinDelta a counter grows, an improvement resets it, and
// training stops at the end of the epoch where it reaches Patience (the
// first epoch without improvement when Patience is 0, Keras' default). With
// RestoreBestWeights the model gets the weights of the best epoch back when
// training ends (also when it did not stop early, as Keras 3), but not when
// Fit ends with an error.
//
// The zero value is Keras' default (patience 0, min_delta 0). A negative
// Patience or a negative or NaN MinDelta is an error from OnTrainBegin,
// which Fit returns before training. The state is reset at each Fit call.
type EarlyStopping struct {
	NopCallback
	// Monitor is the log to watch; empty means val_loss when there is
	// validation data, else loss. Epochs whose logs lack it are skipped.
	Monitor string
	// Patience is the number of epochs without improvement after which
	// training stops (≥ 0; 0: the first such epoch).
	Patience int
	// MinDelta is the amount (≥ 0) by which a value must be below the best
	// to count as an improvement (0: any decrease).
	MinDelta float64
	// RestoreBestWeights puts back, when training ends, the weights the
	// model had at the end of the best epoch; false: the last epoch's
	// weights stay.
	RestoreBestWeights bool

	best        float64
	bestEpoch   int
	bestWeights []models.LayerWeights
	wait        int
	// StoppedEpoch is the 0-based epoch after which training stopped, or
	// -1 if it did not stop early.
	StoppedEpoch int
}

// OnTrainBegin checks the settings and resets the callback's state.
func (c *EarlyStopping) OnTrainBegin(*FitState) error {
	if c == nil {
		return errNilCallback("EarlyStopping")
	}
	if c.Patience < 0 {
		return fmt.Errorf("%w: early stopping patience %d is negative", graph.ErrConfig, c.Patience)
	}
	if !(c.MinDelta >= 0) || math.IsInf(c.MinDelta, 0) {
		return fmt.Errorf("%w: early stopping min delta %v must be finite and ≥ 0", graph.ErrConfig, c.MinDelta)
	}
	c.best, c.bestEpoch, c.bestWeights, c.wait, c.StoppedEpoch = math.Inf(1), -1, nil, 0, -1
	return nil
}

// OnEpochBegin does nothing.
func (c *EarlyStopping) OnEpochBegin(*FitState, int) error {
	if c == nil {
		return errNilCallback("EarlyStopping")
	}
	return nil
}

// OnBatchEnd does nothing.
func (c *EarlyStopping) OnBatchEnd(*FitState, int, int, Logs) error {
	if c == nil {
		return errNilCallback("EarlyStopping")
	}
	return nil
}

// OnEpochEnd checks for improvement.
func (c *EarlyStopping) OnEpochEnd(s *FitState, epoch int, logs Logs) error {
	if c == nil {
		return errNilCallback("EarlyStopping")
	}
	if s == nil {
		return fmt.Errorf("%w: EarlyStopping called with a nil FitState", graph.ErrArgument)
	}
	_, v, ok := monitored(c.Monitor, logs)
	if !ok {
		return nil
	}
	// As Keras, the first value is the best so far whatever it is (even
	// +Inf or NaN).
	if c.bestEpoch < 0 || v < c.best-c.MinDelta {
		if c.RestoreBestWeights {
			m, err := stateModel(s, "EarlyStopping")
			if err != nil {
				return err
			}
			c.bestWeights = m.Weights()
		}
		c.best, c.bestEpoch, c.wait = v, epoch, 0
		return nil
	}
	c.wait++
	if c.wait >= c.Patience {
		c.StoppedEpoch = epoch
		s.StopTraining = true
	}
	return nil
}

// OnTrainEnd restores the best weights when asked to.
func (c *EarlyStopping) OnTrainEnd(s *FitState) error {
	if c == nil {
		return errNilCallback("EarlyStopping")
	}
	if c.RestoreBestWeights && c.bestWeights != nil {
		m, err := stateModel(s, "EarlyStopping")
		if err != nil {
			return err
		}
		return m.SetWeights(c.bestWeights)
	}
	return nil
}

// BestEpoch returns the 0-based epoch with the best monitored value, or -1
// before any (and for a nil EarlyStopping).
func (c *EarlyStopping) BestEpoch() int {
	if c == nil {
		return -1
	}
	return c.bestEpoch
}

// DefaultReduceLRFactor is the factor ReduceLROnPlateau uses when Factor is
// 0, Keras' default.
const DefaultReduceLRFactor = 0.1

// ReduceLROnPlateau multiplies the learning rate by Factor when the
// monitored value (to be minimized) has not improved by more than MinDelta
// for Patience epochs, then ignores Cooldown epochs, never going below
// MinLR, as Keras' ReduceLROnPlateau. It fails on an optimizer whose
// learning rate follows a schedule.
//
// Zero values: Factor 0 means Keras' default 0.1 (DefaultReduceLRFactor);
// MinLR 0 and Cooldown 0 are Keras' defaults; Patience 0 reduces the rate
// after every epoch without improvement, and MinDelta 0 counts any decrease
// as an improvement (Keras' defaults are patience 10 and min_delta 1e-4:
// set them to get Keras' behaviour). OnTrainBegin, and so Fit before
// training, returns an error wrapping graph.ErrConfig (a
// graph.ErrArgument) unless
// 0 < Factor < 1 (once defaulted), Patience ≥ 0, Cooldown ≥ 0, and MinDelta
// and MinLR are finite and ≥ 0, and for one of this package's optimizers
// whose learning rate follows a schedule. The state is reset at each Fit
// call.
type ReduceLROnPlateau struct {
	NopCallback
	// Monitor is the log to watch; empty means val_loss when there is
	// validation data, else loss. Epochs whose logs lack it are skipped.
	Monitor string
	// Factor multiplies the learning rate at each reduction, in (0, 1);
	// 0 means 0.1.
	Factor float64
	// Patience is the number of epochs without improvement after which the
	// rate is reduced (≥ 0; 0: the first such epoch).
	Patience int
	// MinDelta is the amount (≥ 0) by which a value must be below the best
	// to count as an improvement (0: any decrease).
	MinDelta float64
	// Cooldown is the number of epochs after a reduction during which
	// epochs without improvement are not counted (≥ 0; 0: none).
	Cooldown int
	// MinLR is the lower bound of the learning rate (≥ 0; 0: none but
	// positivity).
	MinLR float64

	best     float64
	wait     int
	cooldown int
}

// OnTrainBegin checks the settings and resets the callback's state.
func (c *ReduceLROnPlateau) OnTrainBegin(s *FitState) error {
	if c == nil {
		return errNilCallback("ReduceLROnPlateau")
	}
	if ho, ok := stateOptimizer(s).(hyperOwner); ok && !isNil(ho) && ho.hyper() != nil && ho.hyper().schedule != nil {
		return fmt.Errorf("%w: reduce-LR-on-plateau cannot change the learning rate of %s, which follows a schedule",
			graph.ErrArgument, ho.hyper().kind)
	}
	switch f := c.factor(); {
	case !(f > 0 && f < 1):
		return fmt.Errorf("%w: reduce-LR-on-plateau factor %v must be in (0, 1)", graph.ErrConfig, c.Factor)
	case c.Patience < 0:
		return fmt.Errorf("%w: reduce-LR-on-plateau patience %d is negative", graph.ErrConfig, c.Patience)
	case c.Cooldown < 0:
		return fmt.Errorf("%w: reduce-LR-on-plateau cooldown %d is negative", graph.ErrConfig, c.Cooldown)
	case !(c.MinDelta >= 0) || math.IsInf(c.MinDelta, 0):
		return fmt.Errorf("%w: reduce-LR-on-plateau min delta %v must be finite and ≥ 0", graph.ErrConfig, c.MinDelta)
	case !(c.MinLR >= 0) || math.IsInf(c.MinLR, 0):
		return fmt.Errorf("%w: reduce-LR-on-plateau min learning rate %v must be finite and ≥ 0", graph.ErrConfig, c.MinLR)
	}
	c.best, c.wait, c.cooldown = math.Inf(1), 0, 0
	return nil
}

func (c *ReduceLROnPlateau) factor() float64 {
	if c.Factor == 0 {
		return DefaultReduceLRFactor
	}
	return c.Factor
}

// OnEpochBegin does nothing.
func (c *ReduceLROnPlateau) OnEpochBegin(*FitState, int) error {
	if c == nil {
		return errNilCallback("ReduceLROnPlateau")
	}
	return nil
}

// OnBatchEnd does nothing.
func (c *ReduceLROnPlateau) OnBatchEnd(*FitState, int, int, Logs) error {
	if c == nil {
		return errNilCallback("ReduceLROnPlateau")
	}
	return nil
}

// OnTrainEnd does nothing.
func (c *ReduceLROnPlateau) OnTrainEnd(*FitState) error {
	if c == nil {
		return errNilCallback("ReduceLROnPlateau")
	}
	return nil
}

// OnEpochEnd reduces the learning rate on a plateau.
func (c *ReduceLROnPlateau) OnEpochEnd(s *FitState, _ int, logs Logs) error {
	if c == nil {
		return errNilCallback("ReduceLROnPlateau")
	}
	_, v, ok := monitored(c.Monitor, logs)
	if !ok {
		return nil
	}
	if c.cooldown > 0 {
		c.cooldown--
		c.wait = 0
	}
	if v < c.best-c.MinDelta {
		c.best, c.wait = v, 0
		return nil
	}
	if c.cooldown > 0 {
		return nil
	}
	c.wait++
	if c.wait >= c.Patience { // as Keras: after Patience epochs without improvement
		opt := stateOptimizer(s)
		if isNil(opt) {
			return fmt.Errorf("%w: ReduceLROnPlateau called without a FitState holding a trainer", graph.ErrArgument)
		}
		old := opt.LearningRate()
		if lr := math.Max(old*c.factor(), c.MinLR); lr < old {
			if err := opt.SetLearningRate(lr); err != nil {
				return err
			}
			// As Keras, the cooldown starts and the count restarts only
			// when the rate was reduced.
			c.cooldown, c.wait = c.Cooldown, 0
		}
	}
	return nil
}
