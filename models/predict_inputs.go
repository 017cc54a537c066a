package models

import (
	"fmt"

	"github.com/gornn/gornn/graph"
)

// PredictInputs is Predict for a model of several inputs (NewMulti): xs
// holds every input's samples, in the model's order, all of the same
// number n ≥ 1; the result is [n, output shape...]. It runs in batches of
// DefaultPredictBatch through the same cached programs as Predict and is
// safe for concurrent use. A model of several outputs predicts with
// PredictOutputs.
func (m *Model) PredictInputs(xs []*graph.Tensor) (*graph.Tensor, error) {
	if err := m.singleOutput("PredictInputs"); err != nil {
		return nil, err
	}
	outs, err := m.predictOutputs(xs)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// PredictOutputs is PredictInputs for a model of any number of outputs
// (NewMultiOutput, Keras' predict returning a list): one tensor per
// output, in the model's order, each [n, output shape...].
func (m *Model) PredictOutputs(xs []*graph.Tensor) ([]*graph.Tensor, error) {
	return m.predictOutputs(xs)
}

// singleOutput refuses a model of several outputs in a method that
// returns one prediction.
func (m *Model) singleOutput(what string) error {
	if k := m.NumOutputs(); k > 1 {
		return fmt.Errorf("%w: %s: %s gives one output, the model has %d (PredictOutputs gives them all)", ErrModel, m.name, what, k)
	}
	return nil
}

func (m *Model) predictOutputs(xs []*graph.Tensor) ([]*graph.Tensor, error) {
	if err := m.usable(); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if err := m.CheckInputs(xs); err != nil {
		return nil, fmt.Errorf("%s: predict: %w", m.name, err)
	}
	n := xs[0].Dim(0)
	shapes := m.OutputShapes()
	outs := make([]*graph.Tensor, len(shapes))
	outPer := make([]int, len(shapes))
	for k, s := range shapes {
		outPer[k] = 1
		for _, d := range s {
			outPer[k] *= d
		}
		var err error
		if outs[k], err = graph.NewTensorChecked(m.dt, append([]int{n}, s...)...); err != nil {
			return nil, fmt.Errorf("%s: predict: %w", m.name, err)
		}
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
		for k := range outs {
			var y *graph.Tensor
			if err == nil {
				y, err = e.Output(k)
			}
			if err == nil {
				copyRows(outs[k], y, lo*outPer[k])
			}
		}
		p.put(e)
		if err != nil {
			return nil, fmt.Errorf("%s: predict: %w", m.name, err)
		}
	}
	return outs, nil
}
