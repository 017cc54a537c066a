package models

import (
	"fmt"

	"github.com/gornn/gornn/graph"
)

// PredictInputs is Predict for a model of several inputs (NewMulti): xs
// holds every input's samples, in the model's order, all of the same
// number n ≥ 1; the result is [n, output shape...]. It runs in batches of
// DefaultPredictBatch through the same cached programs as Predict and is
// safe for concurrent use.
func (m *Model) PredictInputs(xs []*graph.Tensor) (*graph.Tensor, error) {
	if err := m.usable(); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if err := m.CheckInputs(xs); err != nil {
		return nil, fmt.Errorf("%s: predict: %w", m.name, err)
	}
	xs = append([]*graph.Tensor(nil), xs...)
	for i, x := range xs {
		if x.IsView() {
			xs[i] = x.Materialize().(*graph.Tensor)
		}
	}
	n := xs[0].Shape()[0]
	outShape := m.OutputShape()
	outPer := 1
	for _, d := range outShape {
		outPer *= d
	}
	out, err := graph.NewTensorChecked(m.dt, append([]int{n}, outShape...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: predict: %w", m.name, err)
	}
	const batch = DefaultPredictBatch
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		p, err := m.forward(hi - lo)
		if err != nil {
			return nil, fmt.Errorf("%s: predict: %w", m.name, err)
		}
		e := p.get()
		for i, x := range xs {
			var chunk *graph.Tensor
			if chunk, err = graph.SampleRange(x, lo, hi); err == nil {
				err = e.SetInput(i, chunk)
			}
			if err != nil {
				break
			}
		}
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
