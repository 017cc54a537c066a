package models

import (
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// weightShapes returns the Keras-layout weights (names and shapes) of a
// layer of configuration c on inputs of shape in (without batch), and its
// output shape, as Load checks a file's tensors against them.
func weightShapes(c layers.Config, in []int) ([]layers.Weight, []int, error) {
	l, err := layers.FromConfig(c)
	if err != nil {
		return nil, nil, err
	}
	specs, out, err := weightSpecs(l, c, graph.Float32, in)
	if err != nil {
		return nil, nil, err
	}
	ws := make([]layers.Weight, len(specs))
	for i, s := range specs {
		ws[i] = layers.Weight{Name: s.Name, Shape: s.Shape}
	}
	return ws, out, nil
}
