package trainers

import (
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// Loss is a loss function: it builds, in a graph, the scalar loss of a
// batch of predictions against targets, as a mean over every element
// (every sample and step; Keras' default reduction for these losses).
// Targets have the predictions' shape, except for the sparse categorical
// cross-entropy's (TargetShape).
type Loss struct {
	name       string
	delta      float64 // Huber's threshold; 0 for the other losses
	fromLogits bool    // cross-entropies: the predictions are logits
	build      models.LossFunc
	// elem builds the loss of each element, whose mean build is: a
	// masked sequence output averages it over its valid steps.
	elem models.LossFunc
}

// Elementwise returns the graph builder of the loss per element, before
// the mean (shaped like the predictions; for the sparse categorical
// cross-entropy, without their class axis). Models whose output is a
// masked sequence average it over the valid steps only
// (models.ProgramSpec.Elementwise).
func (l Loss) Elementwise() models.LossFunc { return l.elem }

// Names of the classification losses, as Keras names them.
const (
	nameBinaryCE = "binary_crossentropy"
	nameSparseCE = "sparse_categorical_crossentropy"
)

// Name returns the loss's Keras name ("mse", "mae", "huber",
// "binary_crossentropy", "sparse_categorical_crossentropy").
func (l Loss) Name() string { return l.name }

// Delta returns the threshold of a Huber loss, and 0 for the other losses.
func (l Loss) Delta() float64 { return l.delta }

// FromLogits reports whether a cross-entropy takes logits (Keras'
// from_logits=True) rather than probabilities; false for the other
// losses.
func (l Loss) FromLogits() bool { return l.fromLogits }

// String names the loss with its parameter: "mse", "mae",
// "huber(delta=0.5)", "binary_crossentropy(from_logits=true)".
func (l Loss) String() string {
	switch {
	case l.name == "huber":
		return fmt.Sprintf("huber(delta=%v)", l.delta)
	case l.fromLogits:
		return l.name + "(from_logits=true)"
	}
	return l.name
}

// same reports whether two losses compute the same function.
func (l Loss) same(o Loss) bool {
	return l.name == o.name && l.delta == o.delta && l.fromLogits == o.fromLogits
}

// TargetShape returns the shape of one sample's targets for a model whose
// output per sample is out: out itself, except for the sparse categorical
// cross-entropy, whose targets are class indices, out with its last axis
// (the classes) replaced by 1 (Keras' y_true [batch, 1] for an output
// [batch, C]; [batch, T, 1] for [batch, T, C]). For the other losses it
// is out itself, not a copy (no allocation in a training step).
func (l Loss) TargetShape(out []int) []int {
	if l.name == nameSparseCE && len(out) > 0 {
		return append(slices.Clone(out[:len(out)-1]), 1)
	}
	return out
}

// CheckTargets checks targets y [n, TargetShape(out)...] for a model
// whose output per sample is out, beyond their shape: a binary
// cross-entropy's targets lie in [0, 1] (Keras takes soft labels too), a
// sparse categorical cross-entropy's are whole numbers in [0, C), C the
// last axis of out. The error wraps graph.ErrShape for a shape, and
// graph.ErrArgument for a value, naming the sample. Other losses take
// any finite target.
func (l Loss) CheckTargets(y *graph.Tensor, out []int) error {
	if y == nil {
		return fmt.Errorf("%w: y is nil", graph.ErrArgument)
	}
	want := l.TargetShape(out)
	if !samplesOf(y, want) { // not y.Shape(): that copies, every step
		return fmt.Errorf("%w: y has shape %v, the loss %v wants [n %v] for outputs [n %v]", graph.ErrShape, []int(y.Shape()), l, want, out)
	}
	if l.name != nameBinaryCE && l.name != nameSparseCE {
		return nil
	}
	v := graph.Float64sView(y)
	n := y.Len()
	per := max(n/max(y.Dim(0), 1), 1)
	classes := 0
	if len(out) > 0 {
		classes = out[len(out)-1]
	}
	for i := 0; i < n; i++ {
		t := v.At(i)
		switch {
		case l.name == nameBinaryCE && !(t >= 0 && t <= 1):
			return fmt.Errorf("%w: y sample %d: binary cross-entropy target %v outside [0, 1]", graph.ErrArgument, i/per, t)
		case l.name == nameSparseCE && (t != math.Trunc(t) || math.IsInf(t, 0)):
			return fmt.Errorf("%w: y sample %d: sparse label %v is not a class index (a whole number)", graph.ErrArgument, i/per, t)
		case l.name == nameSparseCE && (t < 0 || t >= float64(classes)):
			return fmt.Errorf("%w: y sample %d: label %v outside the %d classes [0, %d)", graph.ErrArgument, i/per, t, classes, classes)
		}
	}
	return nil
}

// Func returns the graph builder of the loss.
func (l Loss) Func() models.LossFunc { return l.build }

// MSE is the mean squared error, mean((pred - y)²), the default loss.
func MSE() Loss {
	return Loss{name: "mse", build: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		return b.Mean(b.Square(b.Sub(pred, y)))
	}, elem: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		return b.Square(b.Sub(pred, y))
	}}
}

// MAE is the mean absolute error, mean(|pred - y|).
func MAE() Loss {
	return Loss{name: "mae", build: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		return b.Mean(b.Abs(b.Sub(pred, y)))
	}, elem: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		return b.Abs(b.Sub(pred, y))
	}}
}

// Huber is the Huber loss with threshold delta (Keras' default 1): for an
// error e, ½e² where |e| ≤ delta, delta·(|e| - ½delta) beyond. It is built
// as ½a² + delta·(|e| - a) with a = min(|e|, delta) = delta - relu(delta - |e|).
func Huber(delta float64) (Loss, error) {
	if !(delta > 0) || delta > 1e300 {
		return Loss{}, fmt.Errorf("%w: huber delta %v must be positive and finite", graph.ErrArgument, delta)
	}
	elem := func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		e := b.Abs(b.Sub(pred, y))
		a := b.AddScalar(b.Neg(b.ReLU(b.AddScalar(b.Neg(e), delta))), delta)
		return b.Add(b.Scale(b.Square(a), 0.5), b.Scale(b.Sub(e, a), delta))
	}
	return Loss{name: "huber", delta: delta, build: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		return b.Mean(elem(b, pred, y))
	}, elem: elem}, nil
}

// Epsilon is Keras' fuzz factor (keras.backend.epsilon()): the
// cross-entropies from probabilities clip them to [Epsilon, 1 - Epsilon].
const Epsilon = 1e-7

// BinaryCrossentropy is Keras' BinaryCrossentropy(from_logits=...) for
// targets y in [0, 1] of the predictions' shape, averaged over every
// element. From probabilities p (a sigmoid output), clipped to
// [Epsilon, 1 - Epsilon] as Keras does:
//
//	-(y·log p + (1 - y)·log(1 - p))
//
// (PyTorch's nn.BCELoss, which clamps log p at -100 instead). From logits
// x, in the numerically stable form of tf.nn.sigmoid_cross_entropy_with_logits
// (PyTorch's nn.BCEWithLogitsLoss):
//
//	max(x, 0) - x·y + log(1 + exp(-|x|))
//
// Keras reads the logits out of a sigmoid output when from_logits is
// false; here the probabilities are what the graph gets, so for a model
// ending in sigmoid prefer a linear output and fromLogits true.
func BinaryCrossentropy(fromLogits bool) Loss {
	return Loss{name: nameBinaryCE, fromLogits: fromLogits, elem: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		if !sameShape(b, nameBinaryCE, pred, y) {
			return nil
		}
		if fromLogits {
			a := b.Abs(pred)
			soft := b.Log(b.AddScalar(b.Exp(b.Neg(a)), 1))
			return b.Add(b.Sub(b.Scale(b.Add(pred, a), 0.5), b.Mul(pred, y)), soft)
		}
		p := clipProb(b, pred)
		return b.Neg(b.Add(b.Mul(y, b.Log(p)), b.Mul(b.OneMinus(y), b.Log(b.OneMinus(p)))))
	}, build: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		if !sameShape(b, nameBinaryCE, pred, y) {
			return nil
		}
		if fromLogits {
			// max(x, 0) as (x + |x|)/2: with |x|' = sign(x), 0 at 0,
			// the gradient at x = 0 is the true σ(0) - y (relu's 0
			// there would give -y).
			a := b.Abs(pred)
			soft := b.Log(b.AddScalar(b.Exp(b.Neg(a)), 1))
			pos := b.Scale(b.Add(pred, a), 0.5)
			return b.Mean(b.Add(b.Sub(pos, b.Mul(pred, y)), soft))
		}
		p := clipProb(b, pred)
		ll := b.Add(b.Mul(y, b.Log(p)), b.Mul(b.OneMinus(y), b.Log(b.OneMinus(p))))
		return b.Neg(b.Mean(ll))
	}}
}

// SparseCategoricalCrossentropy is Keras'
// SparseCategoricalCrossentropy(from_logits=...): predictions [..., C]
// over C classes, targets the class indices [..., 1] (or [...]),
// averaged over every index. From logits z (PyTorch's
// nn.CrossEntropyLoss), -log softmax(z)_y in the stable form
//
//	m + log Σ_k exp(z_k - m) - z_y,  m = max_k z_k;
//
// from probabilities p (a softmax output), as Keras computes it (clip,
// log, then the softmax cross-entropy of the logs), with q = clip(p,
// Epsilon, 1 - Epsilon):
//
//	log Σ_k q_k - log q_y,
//
// which is -log p_y for probabilities that sum to 1 and are not clipped.
// Keras reads the logits out of a softmax output when from_logits is
// false; here the probabilities are what the graph gets, so prefer a
// linear output and fromLogits true. Targets must be whole numbers in
// [0, C) (CheckTargets); the graph itself cannot check them.
func SparseCategoricalCrossentropy(fromLogits bool) Loss {
	return Loss{name: nameSparseCE, fromLogits: fromLogits, build: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		return b.Mean(sparseCE(b, pred, y, fromLogits))
	}, elem: func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		return sparseCE(b, pred, y, fromLogits)
	}}
}

// sameShape fails b unless pred and y have one shape.
func sameShape(b *graph.Builder, loss string, pred, y *graph.Node) bool {
	if b.Err() != nil || pred == nil || y == nil {
		if b.Err() == nil {
			b.Fail(fmt.Errorf("%w: %s of a nil node", graph.ErrArgument, loss))
		}
		return false
	}
	if !slices.Equal(pred.Shape(), y.Shape()) {
		b.Fail(fmt.Errorf("%w: %s: targets %v for predictions %v (want the same shape)", graph.ErrShape, loss, y.Shape(), pred.Shape()))
		return false
	}
	return true
}

// clipProb clips p to [Epsilon, 1 - Epsilon], as Keras' clip_by_value:
// max(p, lo) = p + relu(lo - p), then min(q, hi) = q - relu(q - hi),
// which leave a p inside the range exactly as it is.
func clipProb(b *graph.Builder, p *graph.Node) *graph.Node {
	q := b.Add(p, b.ReLU(b.AddScalar(b.Neg(p), Epsilon)))
	return b.Sub(q, b.ReLU(b.AddScalar(q, -(1-Epsilon))))
}

// sparseCE builds the sparse categorical cross-entropy of pred [..., C]
// against class indices y [..., 1] or [...], per index ([...]). The label's term is picked
// with a one-hot mask made in the graph, relu(1 - |y - k|) for class k,
// which is 1 at k and 0 at every other whole number.
func sparseCE(b *graph.Builder, pred, y *graph.Node, fromLogits bool) *graph.Node {
	if b.Err() != nil {
		return nil
	}
	if pred == nil || y == nil {
		b.Fail(fmt.Errorf("%w: %s of a nil node", graph.ErrArgument, nameSparseCE))
		return nil
	}
	ps, ys := pred.Shape(), y.Shape()
	if len(ps) < 2 {
		b.Fail(fmt.Errorf("%w: %s: predictions %v have no class axis (want [batch, ..., classes])", graph.ErrShape, nameSparseCE, ps))
		return nil
	}
	last := len(ps) - 1
	lead, c := ps[:last], ps[last]
	switch {
	case len(ys) == len(ps) && slices.Equal(ys[:last], lead) && ys[last] == 1:
	case slices.Equal(ys, lead):
		y = b.Reshape(y, append(slices.Clone(lead), 1)...)
	default:
		b.Fail(fmt.Errorf("%w: %s: labels %v for predictions %v of %d classes (want %v of class indices)", graph.ErrShape, nameSparseCE, ys, ps, c, append(slices.Clone(lead), 1)))
		return nil
	}
	hot := make([]*graph.Node, c)
	for k := range hot {
		hot[k] = b.ReLU(b.OneMinus(b.Abs(b.AddScalar(y, -float64(k)))))
	}
	oneHot := b.Concat(last, hot...)
	var z, lse *graph.Node
	if fromLogits {
		z = pred
		m := b.MaxLast(pred) // [..., 1]
		if b.Err() != nil {
			return nil
		}
		sum := b.SumAxis(b.Exp(b.Sub(pred, b.SpreadLast(m, c))), last)
		lse = b.Add(b.Reshape(m, lead...), b.Log(sum))
	} else {
		q := clipProb(b, pred)
		z = b.Log(q)
		lse = b.Log(b.SumAxis(q, last))
	}
	picked := b.SumAxis(b.Mul(z, oneHot), last)
	return b.Sub(lse, picked)
}

// LossByName returns "mse", "mae", "huber" (delta 1),
// "binary_crossentropy" or "sparse_categorical_crossentropy" (from
// probabilities, Keras' default; the constructors take from_logits).
func LossByName(name string) (Loss, error) {
	switch name {
	case nameBinaryCE:
		return BinaryCrossentropy(false), nil
	case nameSparseCE:
		return SparseCategoricalCrossentropy(false), nil
	case "mse", "mean_squared_error":
		return MSE(), nil
	case "mae", "mean_absolute_error":
		return MAE(), nil
	case "huber":
		return Huber(1)
	}
	return Loss{}, fmt.Errorf("%w: unknown loss %q", graph.ErrArgument, name)
}

// samplesOf reports whether x is shaped [n, sample...].
func samplesOf(x *graph.Tensor, sample []int) bool {
	if x.Dims() != len(sample)+1 {
		return false
	}
	for i, d := range sample {
		if x.Dim(i+1) != d {
			return false
		}
	}
	return true
}
