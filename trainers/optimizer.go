package trainers

import (
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/gornn/gornn/graph"
)

// Optimizer updates parameters in place from their gradients, with Keras'
// update rules. An optimizer keeps per-parameter state (momentum, moments)
// keyed by parameter name, so it serves one model: this package's
// optimizers are bound to the parameters of their first step, and a step
// with other parameters (another model's) is an error wrapping
// graph.ErrArgument instead of silently sharing the state.
//
// This package's optimizers update the weights in place, in the
// parameters' own memory and dtype: each weight is widened to float64,
// updated there and rounded back, which gives the same numbers as a float64
// copy of the weights would. Their slots are float64 vectors of each
// parameter's size, reused from step to step, so a step allocates nothing
// once the slots exist. A step first checks every gradient and every
// would-be new weight (finite in the parameter's dtype) and writes nothing
// unless all are. The parameters of a step must have distinct names (the
// slots are keyed by them); a gradient may share the memory of a larger
// tensor (graph.SampleRange).
type Optimizer interface {
	// Name returns the Keras name ("sgd", "adam", "rmsprop").
	Name() string
	// Step applies one update: grads[i] is the gradient of params[i].
	// The Trainer reuses the gradient tensors for its next step, so Step
	// must not keep them (or their data) after it returns.
	Step(params []*graph.Param, grads []*graph.Tensor) error
	// LearningRate returns the learning rate the next step will use.
	LearningRate() float64
	// SetLearningRate replaces a constant learning rate; it fails when the
	// rate comes from a schedule.
	SetLearningRate(lr float64) error
	// Iterations returns the number of steps taken.
	Iterations() int
	// State returns a copy of the optimizer's state, for checkpoints.
	State() OptimizerState
	// SetState restores a state returned by State.
	SetState(s OptimizerState) error
}

// OptimizerState is an optimizer's mutable state: the step count, the
// current learning rate and named slot vectors ("lstm/kernel/m").
type OptimizerState struct {
	Iterations   int
	LearningRate float64
	Slots        map[string][]float64
}

// Schedule gives the learning rate for a 0-based step count. A rate that
// is not positive and finite (0, negative, NaN, infinite) is an error
// wrapping graph.ErrArgument from the step that would use it, before
// anything changes.
type Schedule interface {
	Rate(step int) float64
}

// ExponentialDecay is Keras' schedule: Initial · DecayRate^(step/DecaySteps),
// with the exponent floored when Staircase is set.
type ExponentialDecay struct {
	Initial    float64
	DecaySteps int
	DecayRate  float64
	Staircase  bool
}

// Rate returns the learning rate at step.
func (s ExponentialDecay) Rate(step int) float64 {
	p := float64(step) / float64(s.DecaySteps)
	if s.Staircase {
		p = math.Floor(p)
	}
	return s.Initial * math.Pow(s.DecayRate, p)
}

func (s ExponentialDecay) validate() error {
	if !(s.Initial > 0) || s.DecaySteps <= 0 || !(s.DecayRate > 0) || math.IsInf(s.Initial, 0) || math.IsInf(s.DecayRate, 0) {
		return fmt.Errorf("%w: exponential decay needs initial > 0, decay steps > 0 and rate > 0, got %+v", graph.ErrConfig, s)
	}
	return nil
}

// SGDOptions are SGD's hyperparameters. The zero value (or nil) is
// Keras' SGD(): every field left at zero takes the default it names.
type SGDOptions struct {
	// LearningRate is a constant learning rate (> 0); 0: 0.01. Give it
	// or Schedule, not both.
	LearningRate float64
	// Schedule makes the learning rate follow a schedule; nil: the
	// constant LearningRate. An ExponentialDecay is checked here; a
	// *ExponentialDecay is copied (later changes to it do not reach the
	// optimizer), so that checkpoints can save it.
	Schedule Schedule
	// Momentum in [0, 1); 0: plain SGD, w -= lr·g.
	Momentum float64
	// Nesterov turns on Nesterov momentum (it needs a Momentum > 0);
	// false: classical momentum.
	Nesterov bool
	// ClipValue, ClipNorm and GlobalClipNorm clip the gradients (at most
	// one of them; each > 0; 0: off): ClipValue clamps every element to
	// [-v, v], ClipNorm rescales each parameter's gradient whose L2 norm
	// exceeds it, GlobalClipNorm all gradients together when their joint
	// norm does (Keras' clipvalue, clipnorm, global_clipnorm).
	ClipValue, ClipNorm, GlobalClipNorm float64
}

// AdamOptions are Adam's hyperparameters. The zero value (or nil) is
// Keras' Adam(): every field left at zero takes the default it names, so
// a β of exactly 0 cannot be asked for.
type AdamOptions struct {
	// LearningRate is a constant learning rate (> 0); 0: 0.001. Give it
	// or Schedule, not both.
	LearningRate float64
	// Schedule makes the learning rate follow a schedule, as in
	// SGDOptions; nil: the constant LearningRate.
	Schedule Schedule
	// Beta1 is the first moment's decay in (0, 1); 0: 0.9.
	Beta1 float64
	// Beta2 is the second moment's decay in (0, 1); 0: 0.999.
	Beta2 float64
	// Epsilon is the fuzz factor (> 0); 0: 1e-7 (Keras'; PyTorch's is
	// 1e-8).
	Epsilon float64
	// ClipValue, ClipNorm and GlobalClipNorm clip the gradients, as in
	// SGDOptions (at most one; 0: off).
	ClipValue, ClipNorm, GlobalClipNorm float64
}

// RMSpropOptions are RMSprop's hyperparameters. The zero value (or nil)
// is Keras' RMSprop(): every field left at zero takes the default it
// names.
type RMSpropOptions struct {
	// LearningRate is a constant learning rate (> 0); 0: 0.001. Give it
	// or Schedule, not both.
	LearningRate float64
	// Schedule makes the learning rate follow a schedule, as in
	// SGDOptions; nil: the constant LearningRate.
	Schedule Schedule
	// Rho is the decay of the average of squared gradients in (0, 1);
	// 0: 0.9.
	Rho float64
	// Epsilon is the fuzz factor (> 0); 0: 1e-7.
	Epsilon float64
	// ClipValue, ClipNorm and GlobalClipNorm clip the gradients, as in
	// SGDOptions (at most one; 0: off).
	ClipValue, ClipNorm, GlobalClipNorm float64
}

// OptimizerOptions are the hyperparameters every optimizer has, for
// NewOptimizer; the zero value (or nil) is the named optimizer's Keras
// defaults. The fields mean what SGDOptions' do; LearningRate 0 is the
// named optimizer's default rate.
type OptimizerOptions struct {
	// LearningRate is a constant learning rate (> 0); 0: the optimizer's
	// default (sgd 0.01, adam and rmsprop 0.001).
	LearningRate float64
	// Schedule makes the learning rate follow a schedule; nil: constant.
	Schedule Schedule
	// ClipValue, ClipNorm and GlobalClipNorm clip the gradients (at most
	// one; 0: off).
	ClipValue, ClipNorm, GlobalClipNorm float64
}

// hyper holds an optimizer's hyperparameters, defaults filled in.
type hyper struct {
	kind     string
	lr       float64
	schedule Schedule
	momentum float64
	nesterov bool
	beta1    float64
	beta2    float64
	epsilon  float64
	rho      float64
	clip     clipping
}

type clipping struct {
	value, norm, global float64 // 0: off
}

// orDefault returns v, or def for 0.
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// newHyper returns the hyperparameters of a kind of optimizer with the
// common ones given (lr 0: def) and the kind's own already filled in,
// checked. Errors wrap graph.ErrConfig and name the kind.
func newHyper(h hyper, def float64, lrGiven bool) (*hyper, error) {
	if lrGiven && h.schedule != nil {
		return nil, fmt.Errorf("%w: %s: set a learning rate or a schedule, not both", graph.ErrConfig, h.kind)
	}
	h.lr = orDefault(h.lr, def) // kept beside a schedule, as State reports it
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", h.kind, err)
	}
	return &h, nil
}

// check checks complete hyperparameters (copying a *ExponentialDecay
// schedule). Errors wrap graph.ErrConfig.
func (h *hyper) check() error {
	if h.schedule != nil {
		if isNil(h.schedule) {
			return fmt.Errorf("%w: nil schedule", graph.ErrConfig)
		}
		if e, ok := h.schedule.(*ExponentialDecay); ok {
			h.schedule = *e
		}
		if e, ok := h.schedule.(ExponentialDecay); ok {
			if err := e.validate(); err != nil {
				return err
			}
		}
	} else if err := positive("learning rate", h.lr); err != nil {
		return err
	}
	switch h.kind {
	case "sgd":
		if err := unit("momentum", h.momentum); err != nil {
			return err
		}
		if h.nesterov && h.momentum == 0 {
			return fmt.Errorf("%w: nesterov needs a momentum > 0", graph.ErrConfig)
		}
	case "adam":
		if err := unit("beta_1", h.beta1); err != nil {
			return err
		}
		if err := unit("beta_2", h.beta2); err != nil {
			return err
		}
		if err := positive("epsilon", h.epsilon); err != nil {
			return err
		}
	case "rmsprop":
		if err := unit("rho", h.rho); err != nil {
			return err
		}
		if err := positive("epsilon", h.epsilon); err != nil {
			return err
		}
	default:
		return unknownOptimizer(h.kind)
	}
	n := 0
	for _, c := range []struct {
		name string
		v    float64
	}{{"clipvalue", h.clip.value}, {"clipnorm", h.clip.norm}, {"global_clipnorm", h.clip.global}} {
		if c.v == 0 {
			continue
		}
		if err := positive(c.name, c.v); err != nil {
			return err
		}
		n++
	}
	if n > 1 {
		return fmt.Errorf("%w: only one of clipvalue, clipnorm and global_clipnorm may be set", graph.ErrConfig)
	}
	return nil
}

func positive(name string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("%w: %s must be positive and finite, got %v", graph.ErrConfig, name, v)
	}
	return nil
}

func unit(name string, v float64) error {
	if !(v >= 0 && v < 1) {
		return fmt.Errorf("%w: %s must be in [0, 1), got %v", graph.ErrConfig, name, v)
	}
	return nil
}

// isNil reports a nil interface value or one holding a nil pointer, map,
// slice, channel or function (a typed nil), whose methods would panic.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch r := reflect.ValueOf(v); r.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return r.IsNil()
	}
	return false
}

// base is the machinery all optimizers share: hyperparameters, step count,
// slots and gradient clipping. Its methods accept a nil *base and one not
// made by a constructor (h nil): the queries return zero values, the
// others an error.
type base struct {
	h     *hyper
	iter  int
	slots map[string][]float64
	// bound are the parameters of the first step: later steps must update
	// the same ones (the slots are keyed by parameter name, which another
	// model may share).
	bound []*graph.Param
	// state caches the slot vectors of the bound parameters, those of
	// parameter i at [i*k, (i+1)*k) for k slots per parameter, so that a
	// step does not look them up by name; SetState drops it.
	state [][]float64
	// scales holds each parameter's gradient scale (clipnorm,
	// global_clipnorm) during a step, kept to spare an allocation.
	scales []float64
	// next32 and next64 hold, by parameter, plain SGD's new weights
	// until every parameter's are known to be finite (sgdStep).
	next32 [][]float32
	next64 [][]float64
}

// errNotMade is the error of an optimizer's methods on a nil optimizer or
// one not made by a constructor.
var errNotMade = fmt.Errorf("%w: optimizer not made by NewSGD, NewAdam, NewRMSprop or NewOptimizer", graph.ErrArgument)

// ready returns errNotMade for a nil optimizer or one not made by a
// constructor.
func (o *base) ready() error {
	if o == nil || o.h == nil {
		return errNotMade
	}
	return nil
}

func (o *base) Name() string {
	if o == nil || o.h == nil {
		return ""
	}
	return o.h.kind
}

func (o *base) LearningRate() float64 {
	if o == nil || o.h == nil {
		return 0
	}
	if o.h.schedule != nil {
		return o.h.schedule.Rate(o.iter)
	}
	return o.h.lr
}

// rate returns the learning rate of the next step, or an error wrapping
// graph.ErrArgument if it is not positive and finite (a schedule's).
func (o *base) rate() (float64, error) {
	lr := o.LearningRate()
	if !(lr > 0) || math.IsInf(lr, 0) {
		return 0, fmt.Errorf("%w: %s: the learning rate schedule gives %v at step %d (want a positive, finite rate)",
			graph.ErrArgument, o.h.kind, lr, o.iter)
	}
	return lr, nil
}

func (o *base) SetLearningRate(lr float64) error {
	if o == nil || o.h == nil {
		return errNotMade
	}
	if o.h.schedule != nil {
		return fmt.Errorf("%w: %s: learning rate follows a schedule", graph.ErrArgument, o.h.kind)
	}
	if err := positive("learning rate", lr); err != nil {
		return err
	}
	o.h.lr = lr
	return nil
}

func (o *base) Iterations() int {
	if o == nil {
		return 0
	}
	return o.iter
}

func (o *base) State() OptimizerState {
	s := OptimizerState{Slots: map[string][]float64{}}
	if o == nil || o.h == nil {
		return s
	}
	s.Iterations, s.LearningRate = o.iter, o.h.lr
	for k, v := range o.slots {
		s.Slots[k] = append([]float64(nil), v...)
	}
	return s
}

func (o *base) SetState(s OptimizerState) error {
	if o == nil || o.h == nil {
		return errNotMade
	}
	if s.Iterations < 0 {
		return fmt.Errorf("%w: negative iterations %d", graph.ErrArgument, s.Iterations)
	}
	if o.h.schedule == nil {
		if err := positive("learning rate", s.LearningRate); err != nil {
			return err
		}
		o.h.lr = s.LearningRate
	}
	o.iter = s.Iterations
	o.state = nil // the cached slot vectors are the replaced ones
	o.slots = map[string][]float64{}
	for k, v := range s.Slots {
		o.slots[k] = append([]float64(nil), v...)
	}
	return nil
}

// checkBound returns an error wrapping graph.ErrArgument unless params are
// the parameters the optimizer is bound to, or it is not bound yet.
func (o *base) checkBound(params []*graph.Param) error {
	if o == nil || o.bound == nil || slices.Equal(o.bound, params) {
		return nil
	}
	return fmt.Errorf("%w: %s: the optimizer's state belongs to the parameters of another model "+
		"(it was first stepped with %d parameters, not these %d); use one optimizer per model",
		graph.ErrArgument, o.h.kind, len(o.bound), len(params))
}

// slot returns the named state vector of p, creating it at zero.
func (o *base) slot(p *graph.Param, name string) ([]float64, error) {
	if o.slots == nil {
		o.slots = map[string][]float64{}
	}
	key := p.Name() + "/" + name
	s, ok := o.slots[key]
	if !ok {
		s = make([]float64, p.Len())
		o.slots[key] = s
	}
	if len(s) != p.Len() {
		return nil, fmt.Errorf("%w: optimizer slot %s has %d values for %d", graph.ErrShape, key, len(s), p.Len())
	}
	return s, nil
}

func unknownOptimizer(name string) error {
	return fmt.Errorf("%w: unknown optimizer %q (want sgd, adam or rmsprop)", graph.ErrConfig, name)
}
