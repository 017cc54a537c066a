package models_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// TestBidirectionalStates: Bidirectional(LSTM) from given initial states
// (forward h, c, then backward h, c, Keras' order) returning its final
// states (return_state) gives, bit for bit, what a forward LSTM and a
// go_backwards LSTM with the same weights give from those states: the
// merged last states and the four final states.
func TestBidirectionalStates(t *testing.T) {
	const T, F, U, n = 5, 3, 4, 6
	opts := &models.Options{DType: graph.Float64}
	// The Bidirectional model: x and four states in, its output and final
	// states out.
	x := models.Input(T, F)
	init := []*models.Symbol{models.Input(U), models.Input(U), models.Input(U), models.Input(U)}
	bi := must(layers.NewBidirectional(must(layers.NewLSTM(U, nil)), layers.MergeConcat, &layers.BidirectionalOptions{Name: "bi"}))
	out, states := models.ApplyStates(bi, x, init...)
	if len(states) != 4 || bi.States() != 4 || bi.Units() != U {
		t.Fatalf("%d final states, States %d, Units %d", len(states), bi.States(), bi.Units())
	}
	m := must(models.NewMultiOutput(append([]*models.Symbol{x}, init...), append([]*models.Symbol{out}, states...), opts))
	// The same from two LSTMs.
	x2 := models.Input(T, F)
	init2 := []*models.Symbol{models.Input(U), models.Input(U), models.Input(U), models.Input(U)}
	fo, fs := models.ApplyStates(must(layers.NewLSTM(U, &layers.LSTMOptions{Name: "f"})), x2, init2[:2]...)
	bo, bs := models.ApplyStates(must(layers.NewLSTM(U, &layers.LSTMOptions{Name: "b", GoBackwards: true})), x2, init2[2:]...)
	joined := models.ApplyMerge(must(layers.NewConcatenate(nil)), fo, bo)
	two := must(models.NewMultiOutput(append([]*models.Symbol{x2}, init2...), append([]*models.Symbol{joined}, append(fs, bs...)...), opts))
	randomWeights(t, m, 11)
	ws := m.Weights()[0].Weights // forward/..., then backward/...
	var tw []models.LayerWeights
	for _, lw := range two.Weights() {
		var mine []layers.Weight
		for _, w := range lw.Weights {
			prefix := map[string]string{"f": "forward/", "b": "backward/"}[lw.Layer]
			for _, bw := range ws {
				if bw.Name == prefix+w.Name {
					mine = append(mine, layers.Weight{Name: w.Name, Shape: bw.Shape, Data: bw.Data})
				}
			}
		}
		tw = append(tw, models.LayerWeights{Layer: lw.Layer, Weights: mine})
	}
	if err := two.SetWeights(tw); err != nil {
		t.Fatal(err)
	}
	xs := []*graph.Tensor{uniformTensor(1, n, T, F), uniformTensor(2, n, U), uniformTensor(3, n, U), uniformTensor(4, n, U), uniformTensor(5, n, U)}
	got, want := must(m.PredictOutputs(xs)), must(two.PredictOutputs(xs))
	for k := range got {
		if !slices.Equal(rawBits(got[k]), rawBits(want[k])) {
			t.Errorf("output %d (%s) differs from the two LSTMs'", k, m.OutputNames()[k])
		}
	}
	// Zero initial states are the states' absence.
	zeros := graph.NewTensor(graph.Float64, n, U)
	p := must(m.PredictOutputs([]*graph.Tensor{xs[0], zeros, zeros, zeros, zeros}))
	plain := must(models.NewSequential([]int{T, F}, []layers.Layer{must(layers.NewBidirectional(must(layers.NewLSTM(U, nil)), layers.MergeConcat, nil))}, opts))
	if err := plain.SetWeights([]models.LayerWeights{{Weights: ws}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rawBits(p[0]), rawBits(must(plain.Predict(xs[0])))) {
		t.Error("zero initial states differ from none")
	}
	// A Bidirectional layer is one of a model's StateLayers: four states.
	if si := plain.StateLayers(); len(si) != 1 || si[0].States != 4 || si[0].Units != U {
		t.Errorf("StateLayers %+v", si)
	}
	// Half the states is an error.
	_, bad := models.ApplyStates(must(layers.NewBidirectional(must(layers.NewGRU(U, nil)), layers.MergeSum, nil)), x, init[:1]...)
	if bad != nil {
		t.Error("a Bidirectional GRU took one initial state")
	}
	_, err := models.NewMulti([]*models.Symbol{x}, models.Apply(must(layers.NewDense(1, nil)), func() *models.Symbol {
		o, _ := models.ApplyStates(must(layers.NewBidirectional(must(layers.NewGRU(U, nil)), layers.MergeSum, nil)), x, init[:1]...)
		return o
	}()), opts)
	if !errors.Is(err, models.ErrModel) {
		t.Errorf("one initial state for a Bidirectional GRU: %v, want ErrModel", err)
	}
}
