package trainers

import (
	"math"

	"github.com/gornn/gornn/graph"
)

// SGD is stochastic gradient descent with optional (Nesterov) momentum,
// with Keras' rule: without momentum w -= lr·g; with momentum
// v = momentum·v - lr·g, then w += v, or w += momentum·v - lr·g with
// Nesterov.
type SGD struct{ base }

var _ Optimizer = (*SGD)(nil)

// NewSGD returns SGD with Keras' defaults (learning rate 0.01, momentum 0).
// Options: WithLearningRate or WithSchedule, WithMomentum, WithNesterov,
// and one clipping option.
func NewSGD(opts ...OptimizerOption) (*SGD, error) {
	h, err := newHyper("sgd", 0.01, opts)
	if err != nil {
		return nil, err
	}
	return &SGD{base{h: h}}, nil
}

// Step applies one update.
func (o *SGD) Step(params []*graph.Param, grads []*graph.Tensor) error {
	lr, mom := o.LearningRate(), o.h.momentum
	var names []string
	if mom > 0 {
		names = []string{"momentum"}
	}
	return o.apply(params, grads, names, func(w, g []float64, s [][]float64) {
		for j := range w {
			switch {
			case mom == 0:
				w[j] -= lr * g[j]
			case o.h.nesterov:
				v := s[0]
				v[j] = mom*v[j] - lr*g[j]
				w[j] += mom*v[j] - lr*g[j]
			default:
				v := s[0]
				v[j] = mom*v[j] - lr*g[j]
				w[j] += v[j]
			}
		}
	})
}

// Adam is Adam with Keras' rule: m += (g-m)(1-β1), v += (g²-v)(1-β2),
// w -= lr·√(1-β2^t)/(1-β1^t) · m/(√v + ε).
type Adam struct{ base }

var _ Optimizer = (*Adam)(nil)

// NewAdam returns Adam with Keras' defaults (learning rate 0.001, β1 0.9,
// β2 0.999, ε 1e-7). Options: WithLearningRate or WithSchedule, WithBeta1,
// WithBeta2, WithEpsilon, and one clipping option.
func NewAdam(opts ...OptimizerOption) (*Adam, error) {
	h, err := newHyper("adam", 0.001, opts)
	if err != nil {
		return nil, err
	}
	return &Adam{base{h: h}}, nil
}

// Step applies one update.
func (o *Adam) Step(params []*graph.Param, grads []*graph.Tensor) error {
	t := float64(o.iter + 1)
	b1, b2, eps := o.h.beta1, o.h.beta2, o.h.epsilon
	alpha := o.LearningRate() * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t))
	return o.apply(params, grads, []string{"m", "v"}, func(w, g []float64, s [][]float64) {
		m, v := s[0], s[1]
		for j := range w {
			m[j] += (g[j] - m[j]) * (1 - b1)
			v[j] += (g[j]*g[j] - v[j]) * (1 - b2)
			w[j] -= alpha * m[j] / (math.Sqrt(v[j]) + eps)
		}
	})
}

// RMSprop keeps a moving average of squared gradients:
// v = ρ·v + (1-ρ)·g², w -= lr·g/(√v + ε). (The reference cases, computed
// with PyTorch, put ε outside the square root as here; Keras 3 puts it
// inside. The difference only shows for gradients near √ε.)
type RMSprop struct{ base }

var _ Optimizer = (*RMSprop)(nil)

// NewRMSprop returns RMSprop with Keras' defaults (learning rate 0.001,
// ρ 0.9, ε 1e-7). Options: WithLearningRate or WithSchedule, WithRho,
// WithEpsilon, and one clipping option.
func NewRMSprop(opts ...OptimizerOption) (*RMSprop, error) {
	h, err := newHyper("rmsprop", 0.001, opts)
	if err != nil {
		return nil, err
	}
	return &RMSprop{base{h: h}}, nil
}

// Step applies one update.
func (o *RMSprop) Step(params []*graph.Param, grads []*graph.Tensor) error {
	lr, rho, eps := o.LearningRate(), o.h.rho, o.h.epsilon
	return o.apply(params, grads, []string{"velocity"}, func(w, g []float64, s [][]float64) {
		v := s[0]
		for j := range w {
			v[j] = rho*v[j] + (1-rho)*g[j]*g[j]
			w[j] -= lr * g[j] / (math.Sqrt(v[j]) + eps)
		}
	})
}

// NewOptimizer returns the optimizer with the given Keras name and options.
func NewOptimizer(name string, opts ...OptimizerOption) (Optimizer, error) {
	switch name {
	case "sgd":
		return NewSGD(opts...)
	case "adam":
		return NewAdam(opts...)
	case "rmsprop":
		return NewRMSprop(opts...)
	}
	return nil, unknownOptimizer(name)
}
