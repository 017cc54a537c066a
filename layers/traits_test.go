package layers_test

import (
	"errors"
	"testing"

	"github.com/gornn/gornn/layers"
)

// TestTraits: what the built-in layers say of themselves through the
// optional interfaces the models ask (MaskSource, Reverser, TorchStacker).
func TestTraits(t *testing.T) {
	lstm := must(layers.NewLSTM(5, &layers.LSTMOptions{ReturnSequences: true}))
	back := must(layers.NewGRU(3, &layers.GRUOptions{GoBackwards: true}))
	for _, c := range []struct {
		l                 layers.Layer
		makesMask, isMask bool
	}{
		{must(layers.NewDense(2, nil)), false, true},
		{lstm, false, true},
		{must(layers.NewEmbedding(4, 2, nil)), false, true},
		{must(layers.NewEmbedding(4, 2, &layers.EmbeddingOptions{MaskZero: true})), true, true},
		{must(layers.NewMasking(0, nil)), true, true},
		{must(layers.NewSequenceLengths(nil)), true, true},
		{must(layers.NewDropout(0.5, nil)), false, true},
	} {
		s, ok := c.l.(layers.MaskSource)
		if ok != c.isMask || (ok && s.MakesMask() != c.makesMask) {
			t.Errorf("%s: MaskSource %v, MakesMask want %v", c.l.ClassName(), ok, c.makesMask)
		}
	}
	bi := must(layers.NewBidirectional(must(layers.NewLSTM(5, nil)), layers.MergeConcat, nil))
	for _, c := range []struct {
		l    layers.Layer
		back bool
	}{{lstm, false}, {back, true}, {bi, true}} {
		if r, ok := c.l.(layers.Reverser); !ok || r.ReadsBackwards() != c.back {
			t.Errorf("%s: Reverser %v, want ReadsBackwards %v", c.l.Name(), ok, c.back)
		}
	}
	if _, ok := any(must(layers.NewDense(2, nil))).(layers.Reverser); ok {
		t.Error("Dense is a Reverser")
	}

	key := func(l layers.Layer) (string, bool, error) { return l.(layers.TorchStacker).TorchStack() }
	if k, seq, err := key(lstm); k != "lstm/5" || !seq || err != nil {
		t.Errorf("LSTM(5, sequences): %q %v %v", k, seq, err)
	}
	if k, seq, err := key(bi); k != "bidirectional/lstm/5" || seq || err != nil {
		t.Errorf("Bidirectional(LSTM(5)): %q %v %v", k, seq, err)
	}
	if k, _, err := key(must(layers.NewSimpleRNN(5, nil))); k != "simple_rnn/5" || err != nil {
		t.Errorf("SimpleRNN(5): %q %v", k, err)
	}
	sum := must(layers.NewBidirectional(must(layers.NewGRU(3, nil)), layers.MergeSum, nil))
	for _, l := range []layers.Layer{back, sum, &layers.LSTM{}} {
		if _, _, err := key(l); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("%s: TorchStack error %v, want ErrConfig", l.ClassName(), err)
		}
	}
	if _, ok := any(must(layers.NewDense(2, nil))).(layers.TorchStacker); ok {
		t.Error("Dense is a TorchStacker")
	}
}
