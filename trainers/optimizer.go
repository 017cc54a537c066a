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
// slots are keyed by them); a gradient may be a view.
type Optimizer interface {
	// Name returns the Keras name ("sgd", "adam", "rmsprop").
	Name() string
	// Step applies one update: grads[i] is the gradient of params[i].
	// The Trainer reuses the gradient tensors for its next step, so Step
	// must not keep them (or views of them) after it returns.
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
		return fmt.Errorf("%w: exponential decay needs initial > 0, decay steps > 0 and rate > 0, got %+v", graph.ErrArgument, s)
	}
	return nil
}

// OptimizerOption sets a hyperparameter. Options an optimizer does not
// have are errors, not silently ignored.
type OptimizerOption func(*hyper) error

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
	set      map[string]bool
}

type clipping struct {
	value, norm, global float64 // 0: off
}

func option(name string, f func(h *hyper) error) OptimizerOption {
	return func(h *hyper) error {
		h.set[name] = true
		return f(h)
	}
}

func positive(name string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("%w: %s must be positive and finite, got %v", graph.ErrArgument, name, v)
	}
	return nil
}

func unit(name string, v float64) error {
	if !(v >= 0 && v < 1) {
		return fmt.Errorf("%w: %s must be in [0, 1), got %v", graph.ErrArgument, name, v)
	}
	return nil
}

// WithLearningRate sets a constant learning rate (> 0).
func WithLearningRate(lr float64) OptimizerOption {
	return option("learning_rate", func(h *hyper) error { h.lr = lr; return positive("learning rate", lr) })
}

// WithSchedule makes the learning rate follow s. An ExponentialDecay is
// validated here; a *ExponentialDecay is copied (later changes to it do
// not change the optimizer's schedule), so that it is saved in checkpoints
// like an ExponentialDecay. A nil s, or a nil pointer, is an error.
func WithSchedule(s Schedule) OptimizerOption {
	return option("schedule", func(h *hyper) error {
		if isNil(s) {
			return fmt.Errorf("%w: nil schedule", graph.ErrArgument)
		}
		if e, ok := s.(*ExponentialDecay); ok {
			s = *e
		}
		if e, ok := s.(ExponentialDecay); ok {
			if err := e.validate(); err != nil {
				return err
			}
		}
		h.schedule = s
		return nil
	})
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

// WithMomentum sets SGD's momentum in [0, 1).
func WithMomentum(m float64) OptimizerOption {
	return option("momentum", func(h *hyper) error { h.momentum = m; return unit("momentum", m) })
}

// WithNesterov turns on Nesterov momentum for SGD.
func WithNesterov(on bool) OptimizerOption {
	return option("nesterov", func(h *hyper) error { h.nesterov = on; return nil })
}

// WithBeta1 sets Adam's first-moment decay in [0, 1).
func WithBeta1(b float64) OptimizerOption {
	return option("beta_1", func(h *hyper) error { h.beta1 = b; return unit("beta_1", b) })
}

// WithBeta2 sets Adam's second-moment decay in [0, 1).
func WithBeta2(b float64) OptimizerOption {
	return option("beta_2", func(h *hyper) error { h.beta2 = b; return unit("beta_2", b) })
}

// WithEpsilon sets the fuzz factor of Adam and RMSprop (> 0).
func WithEpsilon(e float64) OptimizerOption {
	return option("epsilon", func(h *hyper) error { h.epsilon = e; return positive("epsilon", e) })
}

// WithRho sets RMSprop's decay in [0, 1).
func WithRho(r float64) OptimizerOption {
	return option("rho", func(h *hyper) error { h.rho = r; return unit("rho", r) })
}

// WithClipValue clips every gradient element to [-v, v].
func WithClipValue(v float64) OptimizerOption {
	return option("clipvalue", func(h *hyper) error { h.clip.value = v; return positive("clip value", v) })
}

// WithClipNorm rescales each parameter's gradient whose L2 norm exceeds n.
func WithClipNorm(n float64) OptimizerOption {
	return option("clipnorm", func(h *hyper) error { h.clip.norm = n; return positive("clip norm", n) })
}

// WithGlobalClipNorm rescales all gradients together when their joint L2
// norm exceeds n.
func WithGlobalClipNorm(n float64) OptimizerOption {
	return option("global_clipnorm", func(h *hyper) error { h.clip.global = n; return positive("global clip norm", n) })
}

var allowed = map[string][]string{
	"sgd":     {"momentum", "nesterov"},
	"adam":    {"beta_1", "beta_2", "epsilon"},
	"rmsprop": {"rho", "epsilon"},
}

func newHyper(kind string, lr float64, opts []OptimizerOption) (*hyper, error) {
	h := &hyper{kind: kind, lr: lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, rho: 0.9, set: map[string]bool{}}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(h); err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
	}
	ok := map[string]bool{"learning_rate": true, "schedule": true, "clipvalue": true, "clipnorm": true, "global_clipnorm": true}
	for _, k := range allowed[kind] {
		ok[k] = true
	}
	for k := range h.set {
		if !ok[k] {
			return nil, fmt.Errorf("%w: %s has no %s option", graph.ErrArgument, kind, k)
		}
	}
	if h.set["learning_rate"] && h.set["schedule"] {
		return nil, fmt.Errorf("%w: %s: set a learning rate or a schedule, not both", graph.ErrArgument, kind)
	}
	n := 0
	for _, k := range []string{"clipvalue", "clipnorm", "global_clipnorm"} {
		if h.set[k] {
			n++
		}
	}
	if n > 1 {
		return nil, fmt.Errorf("%w: %s: only one of clipvalue, clipnorm and global_clipnorm may be set", graph.ErrArgument, kind)
	}
	if h.nesterov && h.momentum == 0 {
		return nil, fmt.Errorf("%w: sgd: nesterov needs a momentum > 0", graph.ErrArgument)
	}
	return h, nil
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
	return fmt.Errorf("%w: unknown optimizer %q (want sgd, adam or rmsprop)", graph.ErrArgument, name)
}
