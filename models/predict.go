package models

import (
	"fmt"
	"sync"

	"github.com/gornn/gornn/graph"
)

// DefaultPredictBatch is the batch size Predict uses, as Keras' default.
const DefaultPredictBatch = 32

// PredictCacheSize is how many compiled forward programs a model keeps for
// Predict, one per batch size; meeting another size drops the least
// recently used. Predict with a fixed batch size needs two (full batches
// and the short last one).
const PredictCacheSize = 8

// pooled is a compiled forward program with a pool of executors, so that
// concurrent predictions never share node values.
type pooled struct {
	prog *graph.Program
	pool sync.Pool
}

func (p *pooled) get() *graph.Executor {
	if e, ok := p.pool.Get().(*graph.Executor); ok {
		return e
	}
	return p.prog.NewExecutor()
}

// forward returns the cached forward program for a batch size, compiling
// it on first use.
func (m *Model) forward(batch int) (*pooled, error) {
	return m.predict.Get(batch, func() (*pooled, error) {
		prog, err := m.forwardProgram(batch)
		if err != nil {
			return nil, err
		}
		return &pooled{prog: prog}, nil
	})
}

// usable reports a nil or zero Model (not made by New, NewSequential or
// Load) as an error instead of letting a method panic on it.
func (m *Model) usable() error {
	if m == nil {
		return fmt.Errorf("%w: %w: nil model", ErrModel, graph.ErrArgument)
	}
	if len(m.layers) == 0 || len(m.shapes) != len(m.layers) {
		return fmt.Errorf("%w: %w: model has no layers (make models with New, NewSequential or Load)", ErrModel, graph.ErrArgument)
	}
	return nil
}

// Predict runs the model on x [n, input shape...] for any n ≥ 1, in
// batches of DefaultPredictBatch, and returns [n, output shape...] in the
// model's dtype. It is safe for concurrent use.
func (m *Model) Predict(x *graph.Tensor) (*graph.Tensor, error) {
	return m.PredictBatch(x, DefaultPredictBatch)
}

// PredictBatch is Predict with a chosen batch size.
//
// The model keeps the forward programs it compiles for the batch sizes it
// meets (the chosen size, and the size of each short last batch) for the
// next calls, at most PredictCacheSize of them: the least recently used is
// dropped, so a server meeting many batch sizes holds a bounded number.
func (m *Model) PredictBatch(x *graph.Tensor, batch int) (*graph.Tensor, error) {
	if err := m.usable(); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if batch <= 0 {
		return nil, fmt.Errorf("%w: batch size %d must be positive", graph.ErrArgument, batch)
	}
	if err := m.CheckSamples("x", x); err != nil {
		return nil, fmt.Errorf("%s: predict: %w", m.name, err)
	}
	if x.IsView() {
		x = x.Materialize().(*graph.Tensor)
	}
	n := x.Shape()[0]
	outShape := m.OutputShape()
	outPer := 1
	for _, d := range outShape {
		outPer *= d
	}
	out, err := graph.NewTensorChecked(m.dt, append([]int{n}, outShape...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: predict: %w", m.name, err)
	}
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		p, err := m.forward(hi - lo)
		if err != nil {
			return nil, fmt.Errorf("%s: predict: %w", m.name, err)
		}
		chunk, err := graph.SampleRange(x, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("%s: predict: %w", m.name, err)
		}
		e := p.get()
		err = e.SetInput(0, chunk)
		if err == nil {
			err = e.Run()
		}
		var y *graph.Tensor
		if err == nil {
			y, err = e.Output(0)
		}
		p.pool.Put(e)
		if err != nil {
			return nil, fmt.Errorf("%s: predict: %w", m.name, err)
		}
		copyRows(out, y, lo*outPer)
	}
	return out, nil
}

// copyRows copies src's data into dst's from flat offset off (same dtype).
// It reads both through graph's accessors, never Dense.Data: src is dead
// after this call, and Data's uintptr-built slice let the collector free
// its memory mid-call (wrong answers and "found pointer to free object"
// under concurrent Predict).
func copyRows(dst, src *graph.Tensor, off int) {
	if d, ok := graph.Float32Data(dst); ok {
		s, _ := graph.Float32Data(src)
		copy(d[off:], s)
		return
	}
	if d, ok := graph.Float64Data(dst); ok {
		s, _ := graph.Float64Data(src)
		copy(d[off:], s)
	}
}
