package trainers

import (
	"fmt"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// Loss is a loss function: it builds, in a graph, the scalar loss of a
// batch of predictions against targets of the same shape, as a mean over
// every element (Keras' default reduction for these losses).
type Loss struct {
	name  string
	delta float64 // Huber's threshold; 0 for the other losses
	build models.LossFunc
}

// Name returns the loss's Keras name ("mse", "mae", "huber").
func (l Loss) Name() string { return l.name }

// Delta returns the threshold of a Huber loss, and 0 for the other losses.
func (l Loss) Delta() float64 { return l.delta }

// String names the loss with its parameter: "mse", "mae", "huber(delta=0.5)".
func (l Loss) String() string {
	if l.name == "huber" {
		return fmt.Sprintf("huber(delta=%v)", l.delta)
	}
	return l.name
}

// same reports whether two losses compute the same function.
func (l Loss) same(o Loss) bool { return l.name == o.name && l.delta == o.delta }

// Func returns the graph builder of the loss.
func (l Loss) Func() models.LossFunc { return l.build }

// MSE is the mean squared error, mean((pred - y)²), the default loss.
func MSE() Loss {
	return Loss{name: "mse", build: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		return b.Mean(b.Square(b.Sub(pred, y)))
	}}
}

// MAE is the mean absolute error, mean(|pred - y|).
func MAE() Loss {
	return Loss{name: "mae", build: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		return b.Mean(b.Abs(b.Sub(pred, y)))
	}}
}

// Huber is the Huber loss with threshold delta (Keras' default 1): for an
// error e, ½e² where |e| ≤ delta, delta·(|e| - ½delta) beyond. It is built
// as ½a² + delta·(|e| - a) with a = min(|e|, delta) = delta - relu(delta - |e|).
func Huber(delta float64) (Loss, error) {
	if !(delta > 0) || delta > 1e300 {
		return Loss{}, fmt.Errorf("%w: huber delta %v must be positive and finite", graph.ErrArgument, delta)
	}
	return Loss{name: "huber", delta: delta, build: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		e := b.Abs(b.Sub(pred, y))
		a := b.AddScalar(b.Neg(b.ReLU(b.AddScalar(b.Neg(e), delta))), delta)
		return b.Mean(b.Add(b.Scale(b.Square(a), 0.5), b.Scale(b.Sub(e, a), delta)))
	}}, nil
}

// LossByName returns "mse", "mae" or "huber" (delta 1).
func LossByName(name string) (Loss, error) {
	switch name {
	case "mse", "mean_squared_error":
		return MSE(), nil
	case "mae", "mean_absolute_error":
		return MAE(), nil
	case "huber":
		return Huber(1)
	}
	return Loss{}, fmt.Errorf("%w: unknown loss %q", graph.ErrArgument, name)
}
