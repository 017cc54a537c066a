package models

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
)

// This file holds the models of several outputs (Keras'
// Model(inputs=[...], outputs=[...])).

// MaxOutputs bounds the outputs of a model.
const MaxOutputs = 64

// NewMultiOutput builds the model computing several outputs from the
// given inputs (Keras' Model(inputs=[...], outputs=[out1, out2])): NewMulti
// with a list of outputs, each a symbol made by a layer (the same symbol
// at most once). Its programs take one target per output and sum the
// outputs' losses (ProgramSpec.Losses, LossWeights); PredictOutputs gives
// one prediction per output, in this order; trainers.NewTrainerOutputs
// trains it. Methods that give one prediction (Predict, PredictInputs)
// refuse such a model; OutputShape is the first output's. A model of one
// output made this way is NewMulti's.
func NewMultiOutput(inputs []*Symbol, outputs []*Symbol, opts *Options) (*Model, error) {
	return newGraph(inputs, outputs, opts)
}

// NumOutputs returns the number of the model's outputs (1 but for models
// made by NewMultiOutput; 0 for a nil model).
func (m *Model) NumOutputs() int {
	if m.usable() != nil {
		return 0
	}
	if m.wiring == nil {
		return 1
	}
	return len(m.wiring.outputs())
}

// OutputShapes returns the shape of one sample of every output, in order.
func (m *Model) OutputShapes() [][]int {
	if m.usable() != nil {
		return nil
	}
	if m.wiring == nil {
		return [][]int{m.OutputShape()}
	}
	var out [][]int
	for _, s := range m.wiring.outputs() {
		out = append(out, slices.Clone(m.sourceShape(s)))
	}
	return out
}

// OutputNames returns, for every output, the name of the layer that
// gives it (Keras' output_names), with "_state_k" after it for a layer's
// final state k.
func (m *Model) OutputNames() []string {
	if m.usable() != nil {
		return nil
	}
	if m.wiring == nil {
		return []string{m.layers[len(m.layers)-1].Name()}
	}
	var out []string
	for _, s := range m.wiring.outputs() {
		name := m.layers[s.Layer].Name()
		if s.Index >= 0 {
			name = fmt.Sprintf("%s_state_%d", name, s.Index)
		}
		out = append(out, name)
	}
	return out
}

// MaskedOutputs reports, for every output, whether it is a masked
// sequence (MaskedOutput for each output).
func (m *Model) MaskedOutputs() []bool {
	k := m.NumOutputs()
	if k == 0 {
		return nil
	}
	out := make([]bool, k)
	if !mayMask(m.layers) {
		return out
	}
	b, err := graph.NewBuilder(m.dt, 1)
	if err != nil {
		return out
	}
	_, masks, _ := m.forwardOutputs(b, m.NewInputs(b), nil, nil)
	if b.Err() != nil || len(masks) != k {
		return out
	}
	for i, mk := range masks {
		out[i] = mk != nil
	}
	return out
}
