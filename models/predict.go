package models

import (
	"fmt"
	"sync"

	"github.com/gornn/gornn/graph"
)

// DefaultPredictBatch is the batch size Predict uses, as Keras' default.
const DefaultPredictBatch = 32

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
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.predict[batch]; ok {
		return p, nil
	}
	prog, err := m.forwardProgram(batch)
	if err != nil {
		return nil, err
	}
	p := &pooled{prog: prog}
	m.predict[batch] = p
	return p, nil
}

// Predict runs the model on x [n, input shape...] for any n ≥ 1, in
// batches of DefaultPredictBatch, and returns [n, output shape...] in the
// model's dtype. It is safe for concurrent use.
func (m *Model) Predict(x *graph.Tensor) (*graph.Tensor, error) {
	return m.PredictBatch(x, DefaultPredictBatch)
}

// PredictBatch is Predict with a chosen batch size.
//
// The model keeps the forward program it compiles for each batch size it
// meets (the chosen size, and the size of each short last batch) for the
// next call, and never drops them: a server predicting with many
// different batch sizes holds one program per size, each sized to its
// batch.
func (m *Model) PredictBatch(x *graph.Tensor, batch int) (*graph.Tensor, error) {
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
	out := graph.NewTensor(m.dt, append([]int{n}, outShape...)...)
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
func copyRows(dst, src *graph.Tensor, off int) {
	switch d := dst.Data().(type) {
	case []float32:
		copy(d[off:], src.Data().([]float32))
	case []float64:
		copy(d[off:], src.Data().([]float64))
	}
}
