package trainers

import (
	"fmt"
	"math"

	"github.com/gornn/gornn/graph"
)

// SGD is stochastic gradient descent with optional (Nesterov) momentum,
// with Keras' rule: without momentum w -= lr·g; with momentum
// v = momentum·v - lr·g, then w += v, or w += momentum·v - lr·g with
// Nesterov.
type SGD struct{ base }

var _ Optimizer = (*SGD)(nil)

// NewSGD returns SGD with the given hyperparameters (nil: Keras'
// defaults, learning rate 0.01 and no momentum). Values out of range,
// Nesterov without momentum, two clipping options or a learning rate with
// a schedule are errors wrapping graph.ErrConfig.
func NewSGD(opts *SGDOptions) (*SGD, error) {
	if opts == nil {
		opts = &SGDOptions{}
	}
	h, err := newHyper(hyper{kind: "sgd", lr: opts.LearningRate, schedule: opts.Schedule,
		momentum: opts.Momentum, nesterov: opts.Nesterov,
		clip: clipping{opts.ClipValue, opts.ClipNorm, opts.GlobalClipNorm}}, 0.01, opts.LearningRate != 0)
	if err != nil {
		return nil, err
	}
	return &SGD{base{h: h}}, nil
}

// Step applies one update. A learning rate from a schedule that is not
// positive and finite is an error, and nothing changes.
func (o *SGD) Step(params []*graph.Param, grads []*graph.Tensor) error {
	if err := o.b().ready(); err != nil {
		return err
	}
	lr, err := o.rate()
	if err != nil {
		return err
	}
	r := rule{kind: ruleSGD, lr: lr, mom: o.h.momentum}
	switch {
	case o.h.momentum > 0 && o.h.nesterov:
		r.kind = ruleNesterov
	case o.h.momentum > 0:
		r.kind = ruleMomentum
	}
	return o.apply(params, grads, &r)
}

// The methods of SGD below are SGD's own (not promoted from base) so
// that a nil *SGD returns zero values or an error instead of panicking.

func (o *SGD) b() *base {
	if o == nil {
		return nil
	}
	return &o.base
}

// Name returns "sgd" ("" for a nil or zero SGD).
func (o *SGD) Name() string { return o.b().Name() }

// LearningRate returns the learning rate of the next step.
func (o *SGD) LearningRate() float64 { return o.b().LearningRate() }

// SetLearningRate replaces a constant learning rate.
func (o *SGD) SetLearningRate(lr float64) error { return o.b().SetLearningRate(lr) }

// Iterations returns the number of steps taken.
func (o *SGD) Iterations() int { return o.b().Iterations() }

// State returns a copy of the optimizer's state.
func (o *SGD) State() OptimizerState { return o.b().State() }

// SetState restores a state returned by State.
func (o *SGD) SetState(s OptimizerState) error { return o.b().SetState(s) }

func (o *SGD) hyper() *hyper { return o.b().hyper() }

func (o *SGD) checkBound(params []*graph.Param) error { return o.b().checkBound(params) }

// Adam is Adam with Keras' rule: m += (g-m)(1-β1), v += (g²-v)(1-β2),
// w -= lr·√(1-β2^t)/(1-β1^t) · m/(√v + ε).
type Adam struct{ base }

var _ Optimizer = (*Adam)(nil)

// NewAdam returns Adam with the given hyperparameters (nil: Keras'
// defaults, learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7). Values out of
// range, two clipping options or a learning rate with a schedule are
// errors wrapping graph.ErrConfig.
func NewAdam(opts *AdamOptions) (*Adam, error) {
	if opts == nil {
		opts = &AdamOptions{}
	}
	h, err := newHyper(hyper{kind: "adam", lr: opts.LearningRate, schedule: opts.Schedule,
		beta1: orDefault(opts.Beta1, 0.9), beta2: orDefault(opts.Beta2, 0.999), epsilon: orDefault(opts.Epsilon, 1e-7),
		clip: clipping{opts.ClipValue, opts.ClipNorm, opts.GlobalClipNorm}}, 0.001, opts.LearningRate != 0)
	if err != nil {
		return nil, err
	}
	return &Adam{base{h: h}}, nil
}

// Step applies one update. A learning rate from a schedule that is not
// positive and finite is an error, and nothing changes.
func (o *Adam) Step(params []*graph.Param, grads []*graph.Tensor) error {
	if err := o.b().ready(); err != nil {
		return err
	}
	lr, err := o.rate()
	if err != nil {
		return err
	}
	t := float64(o.iter + 1)
	b1, b2 := o.h.beta1, o.h.beta2
	r := rule{kind: ruleAdam, lr: lr, b1: b1, b2: b2, eps: o.h.epsilon,
		alpha: lr * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t))}
	return o.apply(params, grads, &r)
}

// The methods of Adam below are Adam's own (not promoted from base) so
// that a nil *Adam returns zero values or an error instead of panicking.

func (o *Adam) b() *base {
	if o == nil {
		return nil
	}
	return &o.base
}

// Name returns "adam" ("" for a nil or zero Adam).
func (o *Adam) Name() string { return o.b().Name() }

// LearningRate returns the learning rate of the next step.
func (o *Adam) LearningRate() float64 { return o.b().LearningRate() }

// SetLearningRate replaces a constant learning rate.
func (o *Adam) SetLearningRate(lr float64) error { return o.b().SetLearningRate(lr) }

// Iterations returns the number of steps taken.
func (o *Adam) Iterations() int { return o.b().Iterations() }

// State returns a copy of the optimizer's state.
func (o *Adam) State() OptimizerState { return o.b().State() }

// SetState restores a state returned by State.
func (o *Adam) SetState(s OptimizerState) error { return o.b().SetState(s) }

func (o *Adam) hyper() *hyper { return o.b().hyper() }

func (o *Adam) checkBound(params []*graph.Param) error { return o.b().checkBound(params) }

// RMSprop keeps a moving average of squared gradients:
// v = ρ·v + (1-ρ)·g², w -= lr·g/(√v + ε). (The reference cases, computed
// with PyTorch, put ε outside the square root as here; Keras 3 puts it
// inside. The difference only shows for gradients near √ε.)
type RMSprop struct{ base }

var _ Optimizer = (*RMSprop)(nil)

// NewRMSprop returns RMSprop with the given hyperparameters (nil: Keras'
// defaults, learning rate 0.001, ρ 0.9, ε 1e-7). Values out of range, two
// clipping options or a learning rate with a schedule are errors wrapping
// graph.ErrConfig.
func NewRMSprop(opts *RMSpropOptions) (*RMSprop, error) {
	if opts == nil {
		opts = &RMSpropOptions{}
	}
	h, err := newHyper(hyper{kind: "rmsprop", lr: opts.LearningRate, schedule: opts.Schedule,
		rho: orDefault(opts.Rho, 0.9), epsilon: orDefault(opts.Epsilon, 1e-7),
		clip: clipping{opts.ClipValue, opts.ClipNorm, opts.GlobalClipNorm}}, 0.001, opts.LearningRate != 0)
	if err != nil {
		return nil, err
	}
	return &RMSprop{base{h: h}}, nil
}

// Step applies one update. A learning rate from a schedule that is not
// positive and finite is an error, and nothing changes.
func (o *RMSprop) Step(params []*graph.Param, grads []*graph.Tensor) error {
	if err := o.b().ready(); err != nil {
		return err
	}
	lr, err := o.rate()
	if err != nil {
		return err
	}
	r := rule{kind: ruleRMSprop, lr: lr, rho: o.h.rho, eps: o.h.epsilon}
	return o.apply(params, grads, &r)
}

// The methods of RMSprop below are RMSprop's own (not promoted from base) so
// that a nil *RMSprop returns zero values or an error instead of panicking.

func (o *RMSprop) b() *base {
	if o == nil {
		return nil
	}
	return &o.base
}

// Name returns "rmsprop" ("" for a nil or zero RMSprop).
func (o *RMSprop) Name() string { return o.b().Name() }

// LearningRate returns the learning rate of the next step.
func (o *RMSprop) LearningRate() float64 { return o.b().LearningRate() }

// SetLearningRate replaces a constant learning rate.
func (o *RMSprop) SetLearningRate(lr float64) error { return o.b().SetLearningRate(lr) }

// Iterations returns the number of steps taken.
func (o *RMSprop) Iterations() int { return o.b().Iterations() }

// State returns a copy of the optimizer's state.
func (o *RMSprop) State() OptimizerState { return o.b().State() }

// SetState restores a state returned by State.
func (o *RMSprop) SetState(s OptimizerState) error { return o.b().SetState(s) }

func (o *RMSprop) hyper() *hyper { return o.b().hyper() }

func (o *RMSprop) checkBound(params []*graph.Param) error { return o.b().checkBound(params) }

// NewOptimizer returns the optimizer with the given Keras name ("sgd",
// "adam", "rmsprop") and the hyperparameters all of them have (nil: the
// named optimizer's Keras defaults). An unknown name is an error wrapping
// graph.ErrConfig.
func NewOptimizer(name string, opts *OptimizerOptions) (Optimizer, error) {
	var o OptimizerOptions
	if opts != nil {
		o = *opts
	}
	switch name {
	case "sgd":
		return NewSGD(&SGDOptions{LearningRate: o.LearningRate, Schedule: o.Schedule,
			ClipValue: o.ClipValue, ClipNorm: o.ClipNorm, GlobalClipNorm: o.GlobalClipNorm})
	case "adam":
		return NewAdam(&AdamOptions{LearningRate: o.LearningRate, Schedule: o.Schedule,
			ClipValue: o.ClipValue, ClipNorm: o.ClipNorm, GlobalClipNorm: o.GlobalClipNorm})
	case "rmsprop":
		return NewRMSprop(&RMSpropOptions{LearningRate: o.LearningRate, Schedule: o.Schedule,
			ClipValue: o.ClipValue, ClipNorm: o.ClipNorm, GlobalClipNorm: o.GlobalClipNorm})
	}
	return nil, unknownOptimizer(name)
}

// newOf returns the optimizer of kind h.kind with exactly the
// hyperparameters h (no defaults filled in), checked: a checkpoint's.
func newOf(h hyper) (Optimizer, error) {
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", h.kind, err)
	}
	switch h.kind {
	case "sgd":
		return &SGD{base{h: &h}}, nil
	case "adam":
		return &Adam{base{h: &h}}, nil
	}
	return &RMSprop{base{h: &h}}, nil // check refused other kinds
}
