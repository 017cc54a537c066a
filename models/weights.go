package models

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// LayerWeights are one layer's weights in Keras layout.
type LayerWeights struct {
	Layer   string
	Weights []layers.Weight
}

// Weights returns a copy of every layer's weights in Keras layout, in layer
// order.
func (m *Model) Weights() []LayerWeights {
	if m == nil {
		return nil
	}
	out := make([]LayerWeights, len(m.layers))
	for i, l := range m.layers {
		out[i] = LayerWeights{Layer: l.Name(), Weights: l.Weights()}
	}
	return out
}

// SetWeights replaces the weights of every layer, given as Weights returns
// them. Everything is checked (layer count and names, weight names, shapes,
// finiteness) before anything is written, so a failed call changes nothing.
func (m *Model) SetWeights(ws []LayerWeights) error {
	if err := m.usable(); err != nil {
		return err
	}
	if len(ws) != len(m.layers) {
		return fmt.Errorf("%w: weights for %d layers, model has %d", graph.ErrShape, len(ws), len(m.layers))
	}
	for i, l := range m.layers {
		if ws[i].Layer != "" && ws[i].Layer != l.Name() {
			return fmt.Errorf("%w: weights %d are for layer %q, want %q", graph.ErrShape, i, ws[i].Layer, l.Name())
		}
		cur := l.Weights()
		if len(ws[i].Weights) != len(cur) {
			return fmt.Errorf("%w: %s: got %d weights, want %d", graph.ErrShape, l.Name(), len(ws[i].Weights), len(cur))
		}
		for j, w := range ws[i].Weights {
			if (w.Name != "" && w.Name != cur[j].Name) || !slices.Equal(w.Shape, cur[j].Shape) || len(w.Data) != len(cur[j].Data) {
				return fmt.Errorf("%w: %s/%s: got %q shape %v with %d values, want shape %v", graph.ErrShape, l.Name(), cur[j].Name, w.Name, w.Shape, len(w.Data), cur[j].Shape)
			}
			for k, v := range w.Data {
				if !m.dt.Finite(v) {
					return fmt.Errorf("%w: %s/%s[%d] = %v is not finite as %v", graph.ErrNotFinite, l.Name(), cur[j].Name, k, v, m.dt)
				}
			}
		}
	}
	for i, l := range m.layers {
		if err := l.SetWeights(ws[i].Weights); err != nil {
			return fmt.Errorf("%s: %w", l.Name(), err)
		}
	}
	return nil
}

// KerasLayout converts tensors shaped like Params (in that order), for
// example gradients, to Keras layout per layer.
func (m *Model) KerasLayout(values []*graph.Tensor) ([]LayerWeights, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	ps := m.Params()
	if len(values) != len(ps) {
		return nil, fmt.Errorf("%w: %d tensors for %d parameters", graph.ErrShape, len(values), len(ps))
	}
	out := make([]LayerWeights, len(m.layers))
	k := 0
	for i, l := range m.layers {
		n := len(l.Params())
		vals := make([][]float64, n)
		for j := range vals {
			vals[j] = graph.Float64s(values[k+j])
		}
		k += n
		ws, err := l.KerasLayout(vals)
		if err != nil {
			return nil, err
		}
		out[i] = LayerWeights{Layer: l.Name(), Weights: ws}
	}
	return out, nil
}
