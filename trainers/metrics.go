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
)

// String returns the metric's name in logs.
func (m Metric) String() string {
	switch m {
	case MetricMAE:
		return "mae"
	case MetricRMSE:
		return "rmse"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

func checkMetrics(metrics []Metric) error {
	for _, mt := range metrics {
		if mt != MetricMAE && mt != MetricRMSE {
			return fmt.Errorf("%w: unknown metric %v", graph.ErrArgument, mt)
		}
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
}

func newAccumulator(metrics []Metric) *accumulator { return &accumulator{metrics: metrics} }

// add counts a batch of b samples with its loss, and for the metrics its
// predictions (nil when there are no metrics).
func (a *accumulator) add(loss float64, b int, pred, y *graph.Tensor) {
	a.n += b
	a.loss += loss * float64(b)
	if len(a.metrics) == 0 {
		return
	}
	p, t := graph.Float64sView(pred), graph.Float64sView(y)
	n := pred.Shape().TotalSize()
	for i := 0; i < n; i++ {
		e := p.At(i) - t.At(i)
		a.abs += math.Abs(e)
		a.sq += e * e
	}
	a.elems += n
}

func (a *accumulator) mean() float64 { return a.loss / float64(a.n) }

// logs returns the averages under their names, prefixed ("val_").
func (a *accumulator) logs(prefix string) map[string]float64 {
	out := map[string]float64{prefix + "loss": a.mean()}
	for _, m := range a.metrics {
		switch m {
		case MetricMAE:
			out[prefix+"mae"] = a.abs / float64(a.elems)
		case MetricRMSE:
			out[prefix+"rmse"] = math.Sqrt(a.sq / float64(a.elems))
		}
	}
	return out
}
