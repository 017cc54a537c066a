package trainers

import (
	"math"

	"github.com/gornn/gornn/models"
)

// Callback is called by Fit at the start and end of training, of each
// epoch and after each batch. An error stops Fit and is returned. Embed
// NopCallback to implement only some methods.
type Callback interface {
	OnTrainBegin(s *FitState) error
	OnEpochBegin(s *FitState, epoch int) error
	OnBatchEnd(s *FitState, epoch, batch int, logs Logs) error
	OnEpochEnd(s *FitState, epoch int, logs Logs) error
	OnTrainEnd(s *FitState) error
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
// has not improved by more than MinDelta for Patience epochs. With
// RestoreBestWeights the model gets the weights of the best epoch back when
// training ends.
type EarlyStopping struct {
	NopCallback
	// Monitor is the log to watch; empty means val_loss when there is
	// validation data, else loss.
	Monitor            string
	Patience           int
	MinDelta           float64
	RestoreBestWeights bool

	best        float64
	bestEpoch   int
	bestWeights []models.LayerWeights
	wait        int
	// StoppedEpoch is the 0-based epoch after which training stopped, or
	// -1 if it did not stop early.
	StoppedEpoch int
}

// OnTrainBegin resets the callback's state.
func (c *EarlyStopping) OnTrainBegin(*FitState) error {
	c.best, c.bestEpoch, c.bestWeights, c.wait, c.StoppedEpoch = math.Inf(1), -1, nil, 0, -1
	return nil
}

// OnEpochEnd checks for improvement.
func (c *EarlyStopping) OnEpochEnd(s *FitState, epoch int, logs Logs) error {
	_, v, ok := monitored(c.Monitor, logs)
	if !ok {
		return nil
	}
	if v < c.best-math.Abs(c.MinDelta) {
		c.best, c.bestEpoch, c.wait = v, epoch, 0
		if c.RestoreBestWeights {
			c.bestWeights = s.Model().Weights()
		}
		return nil
	}
	c.wait++
	// As Keras: stop after Patience epochs without improvement (the first
	// one when Patience is 0).
	if c.wait >= c.Patience {
		c.StoppedEpoch = epoch
		s.StopTraining = true
	}
	return nil
}

// OnTrainEnd restores the best weights when asked to.
func (c *EarlyStopping) OnTrainEnd(s *FitState) error {
	if c.RestoreBestWeights && c.bestWeights != nil {
		return s.Model().SetWeights(c.bestWeights)
	}
	return nil
}

// BestEpoch returns the 0-based epoch with the best monitored value.
func (c *EarlyStopping) BestEpoch() int { return c.bestEpoch }

// ReduceLROnPlateau multiplies the learning rate by Factor (default 0.1)
// when the monitored value has not improved by MinDelta for Patience
// epochs, then waits Cooldown epochs, never going below MinLR.
type ReduceLROnPlateau struct {
	NopCallback
	Monitor  string
	Factor   float64
	Patience int
	MinDelta float64
	Cooldown int
	MinLR    float64

	best     float64
	wait     int
	cooldown int
}

// OnTrainBegin resets the callback's state.
func (c *ReduceLROnPlateau) OnTrainBegin(*FitState) error {
	c.best, c.wait, c.cooldown = math.Inf(1), 0, 0
	return nil
}

// OnEpochEnd reduces the learning rate on a plateau.
func (c *ReduceLROnPlateau) OnEpochEnd(s *FitState, _ int, logs Logs) error {
	_, v, ok := monitored(c.Monitor, logs)
	if !ok {
		return nil
	}
	factor := c.Factor
	if factor == 0 {
		factor = 0.1
	}
	if c.cooldown > 0 {
		c.cooldown--
		c.wait = 0
	}
	if v < c.best-math.Abs(c.MinDelta) {
		c.best, c.wait = v, 0
		return nil
	}
	if c.cooldown > 0 {
		return nil
	}
	c.wait++
	if c.wait >= c.Patience { // as Keras: after Patience epochs without improvement
		opt := s.Trainer.Optimizer()
		lr := math.Max(opt.LearningRate()*factor, c.MinLR)
		if lr < opt.LearningRate() {
			if err := opt.SetLearningRate(lr); err != nil {
				return err
			}
		}
		c.cooldown, c.wait = c.Cooldown, 0
	}
	return nil
}
