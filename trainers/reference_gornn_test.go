package trainers_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// This file holds what the reference harness needs for the additions of
// format 2+gornn (testdata/refgen/FORMAT-v2-gornn.md): graph models of
// several inputs, given dropout masks and the output of prediction.

// buildGraph makes a graph model's case with the functional API: every
// layer named case_k, applied to its source, and a recurrent layer with an
// initial_state started from the states it names (ApplyStates), a merge
// layer (concatenate, add) applied to its sources (ApplyMerge).
func buildGraph(t *testing.T, c refCase, dt graph.DType) refModel {
	t.Helper()
	ins := make([]*models.Symbol, len(c.Model.Inputs))
	for i, s := range c.Model.Inputs {
		ins[i] = models.Input(s...)
	}
	n := len(c.Model.Layers)
	outs, states := make([]*models.Symbol, n), make([][]*models.Symbol, n)
	value := func(k int, src refSource) *models.Symbol {
		switch {
		case src.Input != nil && src.Layer == nil && src.State == nil && *src.Input >= 0 && *src.Input < len(ins):
			return ins[*src.Input]
		case src.Layer != nil && src.Input == nil && *src.Layer >= 0 && *src.Layer < k && src.State == nil:
			return outs[*src.Layer]
		case src.Layer != nil && src.Input == nil && *src.Layer >= 0 && *src.Layer < k && *src.State >= 0 && *src.State < len(states[*src.Layer]):
			return states[*src.Layer][*src.State]
		}
		t.Fatalf("layer %d: bad source %+v", k, src)
		return nil
	}
	for k, rl := range c.Model.Layers {
		cfg := rl.config()
		cfg.Name = fmt.Sprintf("case_%d", k)
		l, err := layers.FromConfig(cfg)
		if err != nil {
			t.Fatalf("layer %d: %v", k, err)
		}
		var xs []*models.Symbol
		for _, src := range rl.Inputs {
			xs = append(xs, value(k, src))
		}
		if ml, ok := l.(layers.MergeLayer); ok {
			if len(xs) < 2 {
				t.Fatalf("merge layer %d reads %d sources", k, len(xs))
			}
			outs[k] = models.ApplyMerge(ml, xs...)
			continue
		}
		if len(xs) != 1 {
			t.Fatalf("layer %d reads %d sources; only merge layers read several", k, len(xs))
		}
		var init []*models.Symbol
		if s := rl.InitialState; s != nil {
			switch {
			case s.All != nil:
				if s.All.Layer == nil || *s.All.Layer < 0 || *s.All.Layer >= k || states[*s.All.Layer] == nil {
					t.Fatalf("layer %d: initial_state %+v is no earlier recurrent layer", k, s.All)
				}
				init = states[*s.All.Layer]
			default:
				for _, src := range s.Sources {
					init = append(init, value(k, src))
				}
			}
		}
		if sl, ok := l.(layers.StateLayer); ok {
			outs[k], states[k] = models.ApplyStates(sl, xs[0], init...)
		} else if init != nil {
			t.Fatalf("layer %d (%s) takes no initial state", k, rl.Type)
		} else {
			outs[k] = models.Apply(l, xs[0])
		}
	}
	out := []int{n - 1}
	switch {
	case c.Model.Outputs != nil:
		out = c.Model.Outputs
	case c.Model.Output != nil:
		out = []int{*c.Model.Output}
	}
	var syms []*models.Symbol
	for _, k := range out {
		if k < 0 || k >= n {
			t.Fatalf("output layer %d of %d", k, n)
		}
		syms = append(syms, outs[k])
	}
	m, err := models.NewMultiOutput(ins, syms, &models.Options{DType: dt})
	if err != nil {
		t.Fatal(err)
	}
	r := refModel{m: m, layer: make([]int, n)}
	for i := range r.layer {
		r.layer[i] = -1
	}
	for i, lw := range m.Weights() {
		var k int
		if _, err := fmt.Sscanf(lw.Layer, "case_%d", &k); err != nil || k < 0 || k >= n || r.layer[k] >= 0 {
			t.Fatalf("model layer %d is named %q", i, lw.Layer)
		}
		r.layer[k] = i
	}
	if slices.Contains(r.layer, -1) {
		t.Fatalf("the model has layers %v of the case's %d", r.layer, n)
	}
	r.setWeights(t, c.Weights)
	return r
}

// wiredStates reports whether the case's layer k starts from another
// layer's final states: a program's States give no inputs or outputs for
// it (models.Model.StateLayers), so its final states are checked through
// what reads them (the decoder's output) only.
func wiredStates(c refCase, k string) bool {
	for j, rl := range c.Model.Layers {
		if fmt.Sprint(j) == k {
			return rl.InitialState != nil
		}
	}
	return false
}

// setMasks feeds a program's dropout masks (the last len(noise) of its
// nInputs inputs, in the order the model's layers made them: a Dropout
// layer's, a recurrent layer's input mask then its recurrent mask, a
// Bidirectional layer's forward masks then its backward ones) from the
// case's masks, checking that every mask is fed once with its shape and
// rate.
func setMasks(t *testing.T, c refCase, r refModel, e *graph.Executor, nInputs int, noise []layers.NoiseInput, masks refMasks, dt graph.DType) {
	t.Helper()
	type want struct {
		layer, name string
		rate        float64
	}
	var order []want
	for i := range r.m.Weights() {
		k := r.caseLayer(i)
		if k < 0 {
			continue
		}
		rl, key := c.Model.Layers[k], fmt.Sprint(k)
		switch {
		case rl.Type == "dropout" && rl.Rate > 0:
			order = append(order, want{key, "mask", rl.Rate})
		case rl.Type == "simple_rnn" || rl.Type == "lstm" || rl.Type == "gru":
			if rl.Dropout > 0 {
				order = append(order, want{key, "input", rl.Dropout})
			}
			if rl.RecurrentDropout > 0 {
				order = append(order, want{key, "recurrent", rl.RecurrentDropout})
			}
		case rl.Type == "bidirectional" && rl.Layer != nil:
			// Each direction its own masks, the forward layer's first.
			for _, d := range []string{"forward/", "backward/"} {
				if rl.Layer.Dropout > 0 {
					order = append(order, want{key, d + "input", rl.Layer.Dropout})
				}
				if rl.Layer.RecurrentDropout > 0 {
					order = append(order, want{key, d + "recurrent", rl.Layer.RecurrentDropout})
				}
			}
		}
	}
	held := 0
	for _, m := range masks {
		held += len(m)
	}
	if len(order) != len(noise) || held != len(noise) {
		t.Fatalf("the program draws %d dropout masks, the case's layers %d, the case holds %d", len(noise), len(order), held)
	}
	first := nInputs - len(noise)
	for j, w := range order {
		m, ok := masks[w.layer][w.name]
		if !ok {
			t.Fatalf("no dropout mask %s/%s", w.layer, w.name)
		}
		if !slices.Equal(m.Shape, noise[j].Shape) || noise[j].Rate != w.rate {
			t.Fatalf("dropout mask %s/%s: shape %v rate %v, the program's %v rate %v", w.layer, w.name, m.Shape, w.rate, noise[j].Shape, noise[j].Rate)
		}
		if err := e.SetInput(first+j, tensorOf(t, dt, m)); err != nil {
			t.Fatal(err)
		}
	}
}

// checkInference compares the model's prediction, which drops nothing,
// with the case's inference_output.
func checkInference(t *testing.T, c refCase, r refModel, dt graph.DType, tol float64) {
	t.Helper()
	var xs []*graph.Tensor
	for _, x := range c.inputs() {
		xs = append(xs, tensorOf(t, dt, x))
	}
	pred, err := r.m.PredictInputs(xs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal([]int(pred.Shape()), c.Check.InferenceOutput.Shape) {
		t.Fatalf("inference output shape %v, want %v", pred.Shape(), c.Check.InferenceOutput.Shape)
	}
	expectClose(t, "inference_output", graph.Float64s(pred), c.Check.InferenceOutput.Data, tol)
}
