package trainers

import (
	"fmt"
	"math"

	"github.com/gornn/gornn/graph"
)

// Metric is a quantity reported per epoch besides the loss.
type Metric int

const (
	// MetricMAE is the mean absolute error, "mae".
	MetricMAE Metric = iota + 1
	// MetricRMSE is the root mean squared error, "rmse".
	MetricRMSE
	// MetricBinaryAccuracy is Keras' BinaryAccuracy (threshold 0.5) on
	// probabilities, "binary_accuracy": the fraction of elements where
	// (p > 0.5) equals the target (0 or 1; any other target never does).
	MetricBinaryAccuracy
	// MetricBinaryAccuracyLogits is BinaryAccuracy(threshold=0) for a
	// model whose outputs are logits (a BinaryCrossentropy(true) model):
	// logit x > 0 is p > 0.5. It is logged as "binary_accuracy" too, so
	// it may not be asked for with MetricBinaryAccuracy.
	MetricBinaryAccuracyLogits
	// MetricSparseCategoricalAccuracy is Keras'
	// SparseCategoricalAccuracy, "sparse_categorical_accuracy": the
	// fraction of samples (and steps) whose class of highest score (the
	// first on ties) is the label. The same for probabilities and
	// logits.
	MetricSparseCategoricalAccuracy
)

// String returns the metric's name in logs.
func (m Metric) String() string {
	switch m {
	case MetricMAE:
		return "mae"
	case MetricRMSE:
		return "rmse"
	case MetricBinaryAccuracy, MetricBinaryAccuracyLogits:
		return "binary_accuracy"
	case MetricSparseCategoricalAccuracy:
		return "sparse_categorical_accuracy"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

func checkMetrics(metrics []Metric) error {
	binary := 0
	for _, mt := range metrics {
		switch mt {
		case MetricMAE, MetricRMSE, MetricSparseCategoricalAccuracy:
		case MetricBinaryAccuracy, MetricBinaryAccuracyLogits:
			binary |= 1 << (mt - MetricBinaryAccuracy)
		default:
			return fmt.Errorf("%w: unknown metric %v", graph.ErrArgument, mt)
		}
	}
	if binary == 3 {
		return fmt.Errorf("%w: MetricBinaryAccuracy and MetricBinaryAccuracyLogits are both logged as binary_accuracy: ask for one", graph.ErrArgument)
	}
	return nil
}

// accumulator averages losses and metrics over batches, weighting each by
// its sample count, as Keras does.
type accumulator struct {
	metrics []Metric
	n       int     // samples
	elems   int     // output elements
	loss    float64 // sum of batch loss × batch size
	abs     float64 // sum of |error|
	sq      float64 // sum of error²
	// Accuracies: elements (binary) or labels (sparse) counted, and how
	// many of them were right. A sparse accuracy on targets that are not
	// one label per row of scores is NaN (mismatched counts).
	binRight, binN  int
	catRight, catN  int
	catMismatch     bool
	errMismatch     bool
	threshold       float64
	binary, sparse  bool
	absOrSquaredErr bool
}

func newAccumulator(metrics []Metric) *accumulator {
	a := &accumulator{metrics: metrics}
	for _, m := range metrics {
		switch m {
		case MetricMAE, MetricRMSE:
			a.absOrSquaredErr = true
		case MetricBinaryAccuracy:
			a.binary, a.threshold = true, 0.5
		case MetricBinaryAccuracyLogits:
			a.binary, a.threshold = true, 0
		case MetricSparseCategoricalAccuracy:
			a.sparse = true
		}
	}
	return a
}

// add counts a batch of b samples with its loss, and for the metrics its
// predictions (nil when there are no metrics) and, for a sequence output,
// the mask of its steps [b, T] (nil: every step counts): the metrics
// leave the masked steps out, as the loss does.
func (a *accumulator) add(loss float64, b int, pred, y, mask *graph.Tensor) {
	a.n += b
	a.loss += loss * float64(b)
	if len(a.metrics) == 0 {
		return
	}
	p, t := graph.Float64sView(pred), graph.Float64sView(y)
	n, ny := pred.Len(), y.Len()
	// keep reports whether element i of a tensor of size total counts.
	keep := func(int, int) bool { return true }
	if mask != nil {
		mv, steps := graph.Float64sView(mask), mask.Len()
		keep = func(i, total int) bool { return mv.At(i/max(total/steps, 1)) != 0 }
	}
	if a.absOrSquaredErr || a.binary {
		if n != ny {
			a.errMismatch = true
		} else {
			for i := 0; i < n; i++ {
				if !keep(i, n) {
					continue
				}
				pi, ti := p.At(i), t.At(i)
				e := pi - ti
				a.abs += math.Abs(e)
				a.sq += e * e
				if a.binary {
					hit := 0.0
					if pi > a.threshold {
						hit = 1
					}
					if hit == ti {
						a.binRight++
					}
				}
				a.elems++
				a.binN++
			}
		}
	}
	if a.sparse {
		c := 1 // classes: the last axis
		if pred.Dims() > 0 {
			c = pred.Dim(pred.Dims() - 1)
		}
		right, rows, ok := sparseHits(p, t, pred.Len(), c, ny, keep)
		a.catRight += right
		a.catN += rows
		a.catMismatch = a.catMismatch || !ok
	}
}

// sparseHits counts the rows of scores p (size values of shape [..., c])
// whose first highest score is at the index t holds for that row; t must
// hold one label per row (ny of them).
func sparseHits(p, t graph.FloatView, size, c, ny int, keep func(i, total int) bool) (right, rows int, ok bool) {
	all := size / max(c, 1)
	if ny != all || c < 1 {
		return 0, 0, false
	}
	for r := 0; r < all; r++ {
		if !keep(r, all) {
			continue
		}
		rows++
		best := 0
		for k := 1; k < c; k++ {
			if p.At(r*c+k) > p.At(r*c+best) {
				best = k
			}
		}
		if float64(best) == t.At(r) {
			right++
		}
	}
	return right, rows, true
}

func (a *accumulator) mean() float64 { return a.loss / float64(a.n) }

// logs returns the averages under their names, prefixed ("val_").
func (a *accumulator) logs(prefix string) map[string]float64 {
	out := map[string]float64{prefix + "loss": a.mean()}
	ratio := func(num float64, den int, bad bool) float64 {
		if bad || den == 0 {
			return math.NaN()
		}
		return num / float64(den)
	}
	for _, m := range a.metrics {
		switch m {
		case MetricMAE:
			out[prefix+"mae"] = ratio(a.abs, a.elems, a.errMismatch)
		case MetricRMSE:
			out[prefix+"rmse"] = math.Sqrt(ratio(a.sq, a.elems, a.errMismatch))
		case MetricBinaryAccuracy, MetricBinaryAccuracyLogits:
			out[prefix+"binary_accuracy"] = ratio(float64(a.binRight), a.binN, a.errMismatch)
		case MetricSparseCategoricalAccuracy:
			out[prefix+"sparse_categorical_accuracy"] = ratio(float64(a.catRight), a.catN, a.catMismatch)
		}
	}
	return out
}
