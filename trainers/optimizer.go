package trainers

import (
	"errors"
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
	// gbuf and wbuf hold the gradients and weights of a step as float64,
	// kept from step to step to spare allocations.
	gbuf, wbuf [][]float64
}

// buffers returns n float64 buffers from *bufs, growing it as needed.
func buffers(bufs *[][]float64, n int) [][]float64 {
	for len(*bufs) < n {
		*bufs = append(*bufs, nil)
	}
	return (*bufs)[:n]
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

// ErrNotFiniteGrad reports a NaN or infinite gradient; no weight changed.
var ErrNotFiniteGrad = errors.New("gradient is not finite")

// prepare checks the gradients, applies clipping and returns them as
// float64 slices.
func (o *base) prepare(params []*graph.Param, grads []*graph.Tensor) ([][]float64, error) {
	if len(params) != len(grads) {
		return nil, fmt.Errorf("%w: %d gradients for %d parameters", graph.ErrShape, len(grads), len(params))
	}
	gs := buffers(&o.gbuf, len(grads))
	var global float64
	for i, g := range grads {
		if params[i] == nil {
			return nil, fmt.Errorf("%w: parameter %d is nil", graph.ErrArgument, i)
		}
		if g == nil || g.Shape().TotalSize() != params[i].Len() {
			return nil, fmt.Errorf("%w: gradient of %s does not match it", graph.ErrShape, params[i].Name())
		}
		gs[i] = graph.AppendFloat64s(gs[i][:0], g)
		var sq float64
		for _, v := range gs[i] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: %s", ErrNotFiniteGrad, params[i].Name())
			}
			sq += v * v
		}
		if c := o.h.clip.norm; c > 0 {
			if n := math.Sqrt(sq); n > c {
				scale(gs[i], c/n)
			}
		}
		global += sq
	}
	if c := o.h.clip.global; c > 0 {
		if n := math.Sqrt(global); n > c {
			for _, g := range gs {
				scale(g, c/n)
			}
		}
	}
	if c := o.h.clip.value; c > 0 {
		for _, g := range gs {
			for j, v := range g {
				g[j] = math.Max(-c, math.Min(c, v))
			}
		}
	}
	return gs, nil
}

func scale(v []float64, c float64) {
	for i := range v {
		v[i] *= c
	}
}

// update applies f to every parameter's values and writes them back;
// f gets the parameter, its values and its gradient.
func (o *base) update(params []*graph.Param, gs [][]float64, f func(p *graph.Param, w, g []float64) error) error {
	ws := buffers(&o.wbuf, len(params))
	for i, p := range params {
		ws[i] = graph.AppendFloat64s(ws[i][:0], p.Value())
		if err := f(p, ws[i], gs[i]); err != nil {
			return err
		}
	}
	for i, p := range params {
		f32 := p.DType() == graph.Float32
		for _, v := range ws[i] {
			// A float32 parameter stores float32(v): a value beyond its
			// range would become an infinity there.
			if math.IsNaN(v) || math.IsInf(v, 0) || (f32 && math.IsInf(float64(float32(v)), 0)) {
				return fmt.Errorf("%w: the update of %s is not finite", ErrNotFiniteGrad, p.Name())
			}
		}
	}
	for i, p := range params {
		if err := p.SetFloat64s(ws[i]); err != nil {
			return err
		}
	}
	return nil
}

// saveSlots copies the slot vectors a step is about to change, so that a
// step whose update turns out not finite can put them back.
func saveSlots(groups ...[][]float64) [][]float64 {
	var out [][]float64
	for _, g := range groups {
		for _, s := range g {
			out = append(out, slices.Clone(s))
		}
	}
	return out
}

// restoreSlots puts back the values saved by saveSlots.
func restoreSlots(saved [][]float64, groups ...[][]float64) {
	k := 0
	for _, g := range groups {
		for _, s := range g {
			copy(s, saved[k])
			k++
		}
	}
}

// apply is one optimizer step: it checks and clips the gradients, gets
// each parameter's named slots (created at zero), runs rule on every
// parameter's values, gradient and slots, and commits the new weights, the
// slots and the step count only if every new weight is finite; otherwise
// nothing changes and the error wraps ErrNotFiniteGrad.
func (o *base) apply(params []*graph.Param, grads []*graph.Tensor, names []string, rule func(w, g []float64, slots [][]float64)) error {
	if err := o.checkBound(params); err != nil {
		return err
	}
	gs, err := o.prepare(params, grads)
	if err != nil {
		return err
	}
	if o.bound == nil {
		o.bound = slices.Clone(params)
	}
	// Slots are fetched before any weight is written, so a failure leaves
	// the weights as they were; groups[n][i] is slot n of parameter i.
	groups := make([][][]float64, len(names))
	for n, name := range names {
		groups[n] = make([][]float64, len(params))
		for i, p := range params {
			if groups[n][i], err = o.slot(p, name); err != nil {
				return err
			}
		}
	}
	saved := saveSlots(groups...)
	k := 0
	s := make([][]float64, len(names))
	err = o.update(params, gs, func(_ *graph.Param, w, g []float64) error {
		for n := range names {
			s[n] = groups[n][k]
		}
		k++
		rule(w, g, s)
		return nil
	})
	if err != nil {
		restoreSlots(saved, groups...)
		return err
	}
	o.iter++
	return nil
}

func unknownOptimizer(name string) error {
	return fmt.Errorf("%w: unknown optimizer %q (want sgd, adam or rmsprop)", graph.ErrArgument, name)
}
