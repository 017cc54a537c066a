package models_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// torchModule runs a PyTorch nn.LSTM or nn.GRU (batch_first=True, the
// given num_layers and directions) from its state_dict entries under
// prefix, written from PyTorch's documented equations (gates i, f, g, o;
// r, z, n with b_hn inside r·(...)), on x [B, T, F]. It returns the
// output [B, T, dirs·U] of the last layer and h_n [layers·dirs][B·U].
func torchModule(t *testing.T, kind string, sd map[string][]float64, prefix string, nl, dirs int, x []float64, B, T, F, U int) ([]float64, [][]float64) {
	t.Helper()
	g := map[string]int{"lstm": 4, "gru": 3}[kind]
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	in, width := x, F
	var hn [][]float64
	for l := range nl {
		out := make([]float64, B*T*dirs*U)
		for d := range dirs {
			suffix := fmt.Sprintf("_l%d", l)
			if d == 1 {
				suffix += "_reverse"
			}
			get := func(name string) []float64 {
				v, ok := sd[prefix+"."+name+suffix]
				if !ok {
					t.Fatalf("state_dict has no %s.%s%s", prefix, name, suffix)
				}
				return v
			}
			wih, whh, bih, bhh := get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")
			h, c := make([]float64, B*U), make([]float64, B*U)
			for s := range T {
				step := s
				if d == 1 {
					step = T - 1 - s
				}
				for i := range B {
					a, r := make([]float64, g*U), make([]float64, g*U) // W_ih x + b_ih, W_hh h + b_hh
					for row := range g * U {
						a[row], r[row] = bih[row], bhh[row]
						for f := range width {
							a[row] += wih[row*width+f] * in[(i*T+step)*width+f]
						}
						for j := range U {
							r[row] += whh[row*U+j] * h[i*U+j]
						}
					}
					for u := range U {
						k := i*U + u
						if kind == "lstm" {
							ig, fg := sig(a[u]+r[u]), sig(a[U+u]+r[U+u])
							gg, og := math.Tanh(a[2*U+u]+r[2*U+u]), sig(a[3*U+u]+r[3*U+u])
							c[k] = fg*c[k] + ig*gg
							a[u] = og * math.Tanh(c[k]) // the new h, kept until the row is done
							continue
						}
						rg, zg := sig(a[u]+r[u]), sig(a[U+u]+r[U+u])
						ng := math.Tanh(a[2*U+u] + rg*r[2*U+u])
						a[u] = (1-zg)*ng + zg*h[k]
					}
					for u := range U {
						out[((i*T+step)*dirs+d)*U+u] = a[u]
					}
				}
				for i := range B {
					for u := range U {
						h[i*U+u] = out[((i*T+step)*dirs+d)*U+u]
					}
				}
			}
			hn = append(hn, h)
		}
		in, width = out, dirs*U
	}
	return in, hn
}

// TestTorchStackedAndBidirectional: consecutive LSTMs export as one
// nn.LSTM(num_layers=2) and consecutive Bidirectional GRUs as one
// nn.GRU(num_layers=2, bidirectional=True) (keys _l1 and _reverse); what
// PyTorch's equations compute from that state_dict is what the model
// predicts, and importing it into another model of the same layers gives
// the same weights bit for bit.
func TestTorchStackedAndBidirectional(t *testing.T) {
	const B, T, F, U = 2, 4, 3, 3
	r := rand.New(rand.NewPCG(12, 12))
	x := randTensor(r, B, T, F)
	for _, kind := range []string{"lstm", "gru"} {
		for _, bi := range []bool{false, true} {
			mk := func(seed uint64) *models.Model {
				var ls []layers.Layer
				for k := range 2 {
					l := recurrentOf(t, kind, U, &layers.RNNOptions{ReturnSequences: k == 0})
					if bi {
						l = must(layers.NewBidirectional(l, layers.MergeConcat, nil))
					}
					ls = append(ls, l)
				}
				ls = append(ls, must(layers.NewDense(2, nil)))
				return must(models.NewSequential([]int{T, F}, ls, &models.Options{DType: graph.Float64, Seed: seed}))
			}
			m := mk(1)
			randomWeights(t, m, 2)
			names := []string{m.Layers()[0].Name(), m.Layers()[1].Name()}
			path := filepath.Join(t.TempDir(), "stack.safetensors")
			must(0, models.ExportTorch(m, path, &models.TorchOptions{Stacked: [][]string{names}}))
			sd, shapes, _ := readStateDict(t, path)
			dirs := 1
			if bi {
				dirs = 2
			}
			g := map[string]int{"lstm": 4, "gru": 3}[kind]
			key := names[0] + ".weight_ih_l1"
			if bi {
				key += "_reverse"
			}
			if s := shapes[key]; !slices.Equal(s, []uint64{uint64(g * U), uint64(dirs * U)}) {
				t.Errorf("%s bidirectional %v: %s has shape %v", kind, bi, key, s)
			}
			_, hn := torchModule(t, kind, sd, names[0], 2, dirs, graph.Float64s(x), B, T, F, U)
			// The last layer's final states, directions joined: the
			// Dense's input.
			last := make([]float64, 0, B*dirs*U)
			for i := range B {
				for d := range dirs {
					last = append(last, hn[len(hn)-dirs+d][i*U:(i+1)*U]...)
				}
			}
			dw, db := sd["dense.weight"], sd["dense.bias"]
			var want []float64
			for i := range B {
				for o := range 2 {
					v := db[o]
					for j := range dirs * U {
						v += dw[o*dirs*U+j] * last[i*dirs*U+j]
					}
					want = append(want, v)
				}
			}
			if d := maxDiff(predict(t, m, graph.Float64s(x), B, T, F), want); d > 1e-12 {
				t.Errorf("%s bidirectional %v: PyTorch's equations on the export differ from the predictions by %g", kind, bi, d)
			}
			back := mk(5)
			must(0, models.ImportTorch(path, back, &models.TorchOptions{Stacked: [][]string{{back.Layers()[0].Name(), back.Layers()[1].Name()}}}))
			for i, lw := range back.Weights() {
				for j, w := range lw.Weights {
					if !slices.Equal(w.Data, m.Weights()[i].Weights[j].Data) {
						t.Errorf("%s bidirectional %v: %s/%s differs after the round trip", kind, bi, lw.Layer, w.Name)
					}
				}
			}
			if err := models.ImportTorch(path, mk(6), nil); err == nil {
				t.Errorf("%s bidirectional %v: the stacked file imports without TorchOptions.Stacked", kind, bi)
			}
		}
	}
}

// TestTorchStackedErrors: stacks PyTorch cannot hold are refused.
func TestTorchStackedErrors(t *testing.T) {
	mk := func(ls ...layers.Layer) *models.Model {
		return must(models.NewSequential([]int{4, 2}, ls, &models.Options{DType: graph.Float64}))
	}
	path := filepath.Join(t.TempDir(), "x.safetensors")
	cases := map[string]struct {
		m     *models.Model
		names []string
	}{
		"last state feeds": {mk(recurrentOf(t, "lstm", 3, nil), must(layers.NewDense(1, nil))), []string{"lstm", "dense"}},
		"kinds differ":     {mk(recurrentOf(t, "lstm", 3, &layers.RNNOptions{ReturnSequences: true}), recurrentOf(t, "gru", 3, nil)), []string{"lstm", "gru"}},
		"units differ":     {mk(recurrentOf(t, "lstm", 3, &layers.RNNOptions{ReturnSequences: true}), recurrentOf(t, "lstm", 2, nil)), []string{"lstm", "lstm_1"}},
		"not consecutive":  {mk(recurrentOf(t, "gru", 3, &layers.RNNOptions{ReturnSequences: true}), must(layers.NewDropout(0.1, nil)), recurrentOf(t, "gru", 3, nil)), []string{"gru", "gru_1"}},
		"one layer":        {mk(recurrentOf(t, "gru", 3, nil)), []string{"gru"}},
		"unknown":          {mk(recurrentOf(t, "gru", 3, nil)), []string{"gru", "nope"}},
	}
	for name, c := range cases {
		if err := models.ExportTorch(c.m, path, &models.TorchOptions{Stacked: [][]string{c.names}}); !errors.Is(err, graph.ErrConfig) || !errors.Is(err, models.ErrModel) {
			t.Errorf("%s: %v, want ErrModel and graph.ErrConfig", name, err)
		}
	}
}
