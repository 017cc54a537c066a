package models_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// recurrentOf makes a recurrent layer of the given kind.
// The settings are those every recurrent layer has (nil: the defaults).
func recurrentOf(t *testing.T, kind string, units int, opts *layers.RNNOptions) layers.Layer {
	t.Helper()
	var o layers.RNNOptions
	if opts != nil {
		o = *opts
	}
	var l layers.Layer
	var err error
	switch kind {
	case "simple_rnn":
		l, err = layers.NewSimpleRNN(units, &layers.SimpleRNNOptions{Name: o.Name, ReturnSequences: o.ReturnSequences,
			GoBackwards: o.GoBackwards, NoBias: o.NoBias, Dropout: o.Dropout, RecurrentDropout: o.RecurrentDropout})
	case "lstm":
		l, err = layers.NewLSTM(units, &layers.LSTMOptions{Name: o.Name, ReturnSequences: o.ReturnSequences,
			GoBackwards: o.GoBackwards, NoBias: o.NoBias, Dropout: o.Dropout, RecurrentDropout: o.RecurrentDropout})
	case "gru":
		l, err = layers.NewGRU(units, (*layers.GRUOptions)(&o))
	}
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// randomWeights gives every weight of m values in [-0.5, 0.5).
func randomWeights(t *testing.T, m *models.Model, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	ws := m.Weights()
	for i := range ws {
		for j := range ws[i].Weights {
			for k := range ws[i].Weights[j].Data {
				ws[i].Weights[j].Data[k] = r.Float64() - 0.5
			}
		}
	}
	if err := m.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
}

func predict(t *testing.T, m *models.Model, data []float64, shape ...int) []float64 {
	t.Helper()
	x, err := graph.FromFloat64s(graph.Float64, data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	return graph.Float64s(y)
}

// TestMaskedMatchesTruncated: a recurrent layer behind a Masking layer
// gives, for each sample of a padded batch, bit for bit what the layer
// gives on that sample's valid steps alone: the same last state, the same
// outputs at the valid steps and 0 at the padded ones. Fused (3 units)
// and per-gate (40) layers, with and without a bias, both ways.
func TestMaskedMatchesTruncated(t *testing.T) {
	const T, F = 5, 2
	lengths := []int{5, 2, 4, 1}
	r := rand.New(rand.NewPCG(7, 7))
	x := make([]float64, len(lengths)*T*F)
	for i, L := range lengths {
		for s := range L {
			for f := range F {
				x[(i*T+s)*F+f] = r.Float64()*2 - 1
			}
		}
	}
	for _, kind := range []string{"simple_rnn", "lstm", "gru"} {
		for _, units := range []int{3, 40} {
			for _, seq := range []bool{false, true} {
				for _, back := range []bool{false, true} {
					opts := &layers.RNNOptions{ReturnSequences: seq, GoBackwards: back, NoBias: units != 3}
					mask, _ := layers.NewMasking(0, nil)
					m, err := models.NewSequential([]int{T, F}, []layers.Layer{mask, recurrentOf(t, kind, units, opts)}, &models.Options{DType: graph.Float64})
					if err != nil {
						t.Fatal(err)
					}
					randomWeights(t, m, 3)
					got := predict(t, m, x, len(lengths), T, F)
					for i, L := range lengths {
						one, err := models.NewSequential([]int{L, F}, []layers.Layer{recurrentOf(t, kind, units, opts)}, &models.Options{DType: graph.Float64})
						if err != nil {
							t.Fatal(err)
						}
						if err := one.SetWeights(m.Weights()[1:]); err != nil {
							t.Fatal(err)
						}
						want := predict(t, one, x[i*T*F:(i*T+L)*F], 1, L, F)
						if !seq {
							if g := got[i*units : (i+1)*units]; !slices.Equal(g, want) {
								t.Errorf("%s(%d) backwards %v: sample %d (length %d): last state %v, want %v", kind, units, back, i, L, g[:2], want[:2])
							}
							continue
						}
						// Outputs come in visiting order: going backwards,
						// the padded steps come first.
						g := got[i*T*units : (i+1)*T*units]
						valid, pad := g[:L*units], g[L*units:]
						if back {
							valid, pad = g[(T-L)*units:], g[:(T-L)*units]
						}
						if !slices.Equal(valid, want) {
							t.Errorf("%s(%d) sequences, backwards %v: sample %d: valid outputs differ", kind, units, back, i)
						}
						for _, v := range pad {
							if v != 0 {
								t.Errorf("%s(%d) sequences, backwards %v: sample %d: a padded output is %v", kind, units, back, i, v)
								break
							}
						}
					}
				}
			}
		}
	}
}

// TestBidirectionalMerges: each merge mode joins, bit for bit, what the
// forward layer and a go_backwards layer with the backward weights give
// (the backward outputs re-reversed for sequences).
func TestBidirectionalMerges(t *testing.T) {
	const B, T, F, U = 3, 4, 2, 3
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, B*T*F)
	for i := range x {
		x[i] = r.Float64()*2 - 1
	}
	for _, seq := range []bool{false, true} {
		for _, mode := range []layers.MergeMode{layers.MergeConcat, layers.MergeSum, layers.MergeMul, layers.MergeAve} {
			bi, err := layers.NewBidirectional(recurrentOf(t, "gru", U, &layers.RNNOptions{ReturnSequences: seq}), mode, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := models.NewSequential([]int{T, F}, []layers.Layer{bi}, &models.Options{DType: graph.Float64})
			if err != nil {
				t.Fatal(err)
			}
			randomWeights(t, m, 5)
			got := predict(t, m, x, B, T, F)
			ws := m.Weights()[0].Weights
			dir := func(back bool, from []layers.Weight) []float64 {
				one, err := models.NewSequential([]int{T, F}, []layers.Layer{recurrentOf(t, "gru", U, &layers.RNNOptions{ReturnSequences: seq, GoBackwards: back})}, &models.Options{DType: graph.Float64})
				if err != nil {
					t.Fatal(err)
				}
				var lw []layers.Weight
				for _, w := range from {
					w.Name = w.Name[strings.Index(w.Name, "/")+1:]
					lw = append(lw, w)
				}
				if err := one.SetWeights([]models.LayerWeights{{Weights: lw}}); err != nil {
					t.Fatal(err)
				}
				return predict(t, one, x, B, T, F)
			}
			f, bk := dir(false, ws[:3]), dir(true, ws[3:])
			steps := 1
			if seq {
				steps = T
			}
			var want []float64
			for i := range B {
				for s := range steps {
					fs := f[(i*steps+s)*U : (i*steps+s+1)*U]
					bs := bk[(i*steps+steps-1-s)*U : (i*steps+steps-s)*U]
					for k := range U {
						switch mode {
						case layers.MergeSum:
							want = append(want, fs[k]+bs[k])
						case layers.MergeMul:
							want = append(want, fs[k]*bs[k])
						case layers.MergeAve:
							want = append(want, (fs[k]+bs[k])*0.5)
						}
					}
					if mode == layers.MergeConcat {
						want = append(append(want, fs...), bs...)
					}
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, sequences %v: merged outputs differ from the two directions", mode, seq)
			}
		}
	}
}

// TestSaveLoadVocabulary: models with an Embedding (mask_zero), a
// Bidirectional wrapper, go_backwards, relu, a Masking layer and layers
// without a bias save and load with the same configuration, bit-identical
// weights and bit-identical predictions.
func TestSaveLoadVocabulary(t *testing.T) {
	emb, _ := layers.NewEmbedding(7, 3, &layers.EmbeddingOptions{MaskZero: true})
	bi, _ := layers.NewBidirectional(recurrentOf(t, "lstm", 4, &layers.RNNOptions{ReturnSequences: true, NoBias: true}), layers.MergeAve, nil)
	d1, _ := layers.NewDense(2, &layers.DenseOptions{NoBias: true, Activation: layers.Sigmoid})
	mask, _ := layers.NewMasking(-1, nil)
	rnn, _ := layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{Activation: layers.ReLU, GoBackwards: true})
	bi2, _ := layers.NewBidirectional(recurrentOf(t, "gru", 2, nil), layers.MergeConcat, nil)
	d2, _ := layers.NewDense(1, nil)
	cases := []struct {
		name  string
		in    []int
		ls    []layers.Layer
		x     []float64
		shape []int
	}{
		{"embedding_bilstm", []int{4}, []layers.Layer{emb, bi, d1}, []float64{1, 2, 6, 0, 3, 0, 0, 0}, []int{2, 4}},
		{"masking_rnn_bigru", []int{3, 2}, []layers.Layer{mask, bi2, d2}, []float64{0.5, -0.2, 0.1, 0.3, -1, -1, 0.7, 0.1, -1, -1, -1, -1}, []int{2, 3, 2}},
		{"masking_backwards_relu", []int{3, 2}, nil, []float64{0.5, -0.2, 0.1, 0.3, -1, -1}, []int{1, 3, 2}},
	}
	mask2, _ := layers.NewMasking(-1, nil)
	cases[2].ls = []layers.Layer{mask2, rnn}
	for _, c := range cases {
		m, err := models.NewSequential(c.in, c.ls, &models.Options{DType: graph.Float64, Seed: 3})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		randomWeights(t, m, 11)
		path := filepath.Join(t.TempDir(), c.name+".safetensors")
		if err := models.Save(m, path); err != nil {
			t.Fatalf("%s: save: %v", c.name, err)
		}
		got, err := models.Load(path)
		if err != nil {
			t.Fatalf("%s: load: %v", c.name, err)
		}
		for i, l := range got.Layers() {
			if a, b := l.Config(), m.Layers()[i].Config(); !layers.Equivalent(a, b) || a.Name != b.Name {
				t.Errorf("%s: layer %d loads as %+v, saved %+v", c.name, i, a, b)
			}
		}
		for i, lw := range got.Weights() {
			for j, w := range lw.Weights {
				if want := m.Weights()[i].Weights[j]; w.Name != want.Name || !slices.Equal(w.Data, want.Data) {
					t.Errorf("%s: weight %s/%s differs after loading", c.name, lw.Layer, w.Name)
				}
			}
		}
		if a, b := predict(t, got, c.x, c.shape...), predict(t, m, c.x, c.shape...); !slices.Equal(a, b) {
			t.Errorf("%s: predictions differ after loading", c.name)
		}
		if got.Summary() != m.Summary() {
			t.Errorf("%s: summaries differ after loading", c.name)
		}
	}
}

// TestBidirectionalSummary: Keras' row and parameter count for
// Bidirectional(LSTM(4)) on [5, 3]: 2·4·(3·4 + 4·4 + 4) = 256, output
// (None, 8), the name cut at the column as Keras cuts it.
func TestBidirectionalSummary(t *testing.T) {
	bi, _ := layers.NewBidirectional(recurrentOf(t, "lstm", 4, nil), "", nil)
	m, err := models.NewSequential([]int{5, 3}, []layers.Layer{bi}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Summary(), " bidirectional (Bidirectiona  (None, 8)                256") {
		t.Errorf("summary:\n%s", m.Summary())
	}
	if n := m.CountParams(); n != 256 {
		t.Errorf("%d parameters, want 256", n)
	}
	names := []string{}
	for _, p := range m.Params() {
		names = append(names, p.Name())
	}
	if want := "bidirectional/forward_lstm/kernel"; names[0] != want || names[3] != "bidirectional/backward_lstm/kernel" {
		t.Errorf("parameter names %v", names)
	}
}

// TestVocabularyErrors: bad settings and data are errors, not panics.
func TestVocabularyErrors(t *testing.T) {
	dense, _ := layers.NewDense(2, nil)
	named := recurrentOf(t, "lstm", 2, &layers.RNNOptions{Name: "x"})
	for name, f := range map[string]func() error{
		"bidirectional nil": func() error { _, err := layers.NewBidirectional(nil, "", nil); return err },
		"bidirectional typed nil": func() error {
			_, err := layers.NewBidirectional((*layers.LSTM)(nil), "", nil)
			return err
		},
		"bidirectional dense": func() error { _, err := layers.NewBidirectional(dense, "", nil); return err },
		"bidirectional named": func() error { _, err := layers.NewBidirectional(named, "", nil); return err },
		"bidirectional backwards": func() error {
			_, err := layers.NewBidirectional(recurrentOf(t, "gru", 2, &layers.RNNOptions{GoBackwards: true}), "", nil)
			return err
		},
		"bidirectional mode": func() error { _, err := layers.NewBidirectional(recurrentOf(t, "gru", 2, nil), "max", nil); return err },
		"embedding vocab 0":  func() error { _, err := layers.NewEmbedding(0, 2, nil); return err },
		"embedding dim 0":    func() error { _, err := layers.NewEmbedding(5, 0, nil); return err },
		// Settings a layer type lacks do not compile in its options
		// (TestMisuseDoesNotCompile in graph/internal/compiletest); in a configuration they fail.
		"embedding bias": func() error {
			_, err := layers.FromConfig(layers.Config{Kind: "embedding", InputDim: 5, OutputDim: 2, UseBias: new(bool)})
			return err
		},
		"masking NaN": func() error { _, err := layers.NewMasking(math.NaN(), nil); return err },
		"dense go_backwards": func() error {
			_, err := layers.FromConfig(layers.Config{Kind: "dense", Units: 2, GoBackwards: true})
			return err
		},
		"lstm mask_zero": func() error {
			_, err := layers.FromConfig(layers.Config{Kind: "lstm", Units: 2, MaskZero: true})
			return err
		},
		"config without layer": func() error {
			_, err := layers.FromConfig(layers.Config{Kind: "bidirectional"})
			return err
		},
	} {
		if err := f(); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: error %v, want ErrConfig", name, err)
		}
	}

	emb, _ := layers.NewEmbedding(5, 2, nil)
	m, err := models.NewSequential([]int{3}, []layers.Layer{emb}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][]float64{{1, 2, 5}, {1, -1, 2}, {0.5, 1, 2}} {
		x, _ := graph.FromFloat64s(graph.Float64, ids, 1, 3)
		if _, err := m.Predict(x); !errors.Is(err, graph.ErrArgument) {
			t.Errorf("ids %v: error %v, want ErrArgument", ids, err)
		}
		// The ids' rule alone, as a training loop's batches are checked.
		if err := m.CheckInputValues([]*graph.Tensor{x}); !errors.Is(err, graph.ErrArgument) {
			t.Errorf("ids %v: CheckInputValues error %v, want ErrArgument", ids, err)
		}
	}
	good, _ := graph.FromFloat64s(graph.Float64, []float64{0, 4, 2}, 1, 3)
	if err := m.CheckInputValues([]*graph.Tensor{good}); err != nil {
		t.Errorf("ids 0, 4, 2: CheckInputValues error %v", err)
	}
	if err := m.CheckInputValues(nil); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("no inputs: CheckInputValues error %v, want ErrArgument", err)
	}
	if _, err := models.NewSequential([]int{3, 2}, []layers.Layer{must(layers.NewEmbedding(5, 2, nil))}, nil); err == nil {
		t.Error("an embedding on [3, 2] inputs was built")
	}
}

// TestMaskReachesOnlyMaskedLayers: a mask that would reach a layer that
// does not take one (a custom layer), or a loss without an elementwise
// form, is an error when the program is made.
func TestMaskReachesOnlyMaskedLayers(t *testing.T) {
	res, err := NewResidualDense(0.5)
	if err != nil {
		t.Fatal(err)
	}
	mask, _ := layers.NewMasking(0, nil)
	m, err := models.NewSequential([]int{3, 2}, []layers.Layer{mask, res}, &models.Options{DType: graph.Float64})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := graph.FromFloat64s(graph.Float64, make([]float64, 6), 1, 3, 2)
	if _, err := m.Predict(x); !errors.Is(err, models.ErrModel) {
		t.Errorf("a mask into a layer without masking: error %v, want ErrModel", err)
	}
	mask2, _ := layers.NewMasking(0, nil)
	m2, err := models.NewSequential([]int{3, 2}, []layers.Layer{mask2, recurrentOf(t, "gru", 2, &layers.RNNOptions{ReturnSequences: true})}, &models.Options{DType: graph.Float64})
	if err != nil {
		t.Fatal(err)
	}
	mse := func(b *graph.Builder, p, y *graph.Node) *graph.Node { return b.Mean(b.Square(b.Sub(p, y))) }
	if _, err := m2.Program(models.ProgramSpec{Batch: 2, Loss: mse}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("a masked output without Elementwise: error %v, want ErrArgument", err)
	}
}

// TestSequenceLengthsMatchesMasking: lengths given as an input
// (SequenceLengths) mask as a Masking layer does on zero padding, whatever
// the padding holds, bit for bit; lengths outside [1, T] are errors.
func TestSequenceLengthsMatchesMasking(t *testing.T) {
	const T, F = 5, 2
	lengths := []float64{5, 2, 4, 1}
	n := len(lengths)
	r := rand.New(rand.NewPCG(9, 9))
	zero, junk := make([]float64, n*T*F), make([]float64, n*T*F)
	for i, L := range lengths {
		for s := range T {
			for f := range F {
				v := r.Float64()*2 - 1
				k := (i*T+s)*F + f
				junk[k] = v
				if s < int(L) {
					zero[k] = v
				}
			}
		}
	}
	for _, seq := range []bool{false, true} {
		mask, _ := layers.NewMasking(0, nil)
		a := must(models.NewSequential([]int{T, F}, []layers.Layer{mask, recurrentOf(t, "gru", 3, &layers.RNNOptions{ReturnSequences: seq})}, &models.Options{DType: graph.Float64}))
		randomWeights(t, a, 1)
		x, l := models.Input(T, F), models.Input(1)
		h := models.ApplyMerge(must(layers.NewSequenceLengths(nil)), x, l)
		out := models.Apply(recurrentOf(t, "gru", 3, &layers.RNNOptions{ReturnSequences: seq}), h)
		b := must(models.NewMulti([]*models.Symbol{x, l}, out, &models.Options{DType: graph.Float64}))
		ws := b.Weights()
		ws[1].Weights = a.Weights()[1].Weights
		must(0, b.SetWeights(ws))
		want := predict(t, a, zero, n, T, F)
		xs := []*graph.Tensor{must(graph.FromFloat64s(graph.Float64, junk, n, T, F)), must(graph.FromFloat64s(graph.Float64, lengths, n, 1))}
		got := graph.Float64s(must(b.PredictInputs(xs)))
		if !slices.Equal(got, want) {
			t.Errorf("sequences %v: lengths as an input give other predictions than Masking", seq)
		}
		for _, bad := range []float64{0, 6, 2.5} {
			xs[1] = must(graph.FromFloat64s(graph.Float64, []float64{5, bad, 4, 1}, n, 1))
			if _, err := b.PredictInputs(xs); !errors.Is(err, graph.ErrArgument) {
				t.Errorf("length %v: error %v, want ErrArgument", bad, err)
			}
		}
	}
}
