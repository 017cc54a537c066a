package models

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gornn/gornn/layers"
)

// TestLoadHostileWiring: a model file (checksums right) whose wiring reads
// what does not exist is a format error, not a panic.
func TestLoadHostileWiring(t *testing.T) {
	lstm := func(opts *layers.LSTMOptions) *layers.LSTM {
		l, err := layers.NewLSTM(3, opts)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	d, err := layers.NewDense(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, dec := Input(4, 2), Input(3, 1)
	_, states := ApplyStates(lstm(nil), enc)
	seq, _ := ApplyStates(lstm(&layers.LSTMOptions{ReturnSequences: true}), dec, states...)
	m, err := NewMulti([]*Symbol{enc, dec}, Apply(d, seq), nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(m.architecture(FormatVersion))
	if err != nil {
		t.Fatal(err)
	}
	tensors, err := nativeTensors(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(craftedFile(t, string(js), tensors, nil)); err != nil {
		t.Fatalf("the unchanged file: %v", err)
	}
	for _, c := range []struct{ from, to string }{
		{`"output":{"layer":2,"index":-1}`, `"output":{"layer":2,"index":0}`}, // a state of a Dense
		{`"output":{"layer":2,"index":-1}`, `"output":{"layer":9,"index":-1}`},
		{`"output":{"layer":2,"index":-1}`, `"output":{"layer":-1,"index":0}`},
		{`{"layer":0,"index":1}`, `{"layer":0,"index":5}`}, // a state the LSTM lacks
		{`{"layer":0,"index":1}`, `{"layer":2,"index":1}`}, // a later layer
		{`"inputs":[{"layer":-1,"index":0}]`, `"inputs":[{"layer":-1,"index":7}]`},
		{`"inputs":[[4,2],[3,1]]`, `"inputs":[[4,2]]`},
		{`"initial_states":[{"layer":0,"index":0},{"layer":0,"index":1}]`, `"initial_states":[{"layer":0,"index":0}]`},
	} {
		bad := strings.Replace(string(js), c.from, c.to, 1)
		if bad == string(js) {
			t.Fatalf("the architecture has no %s: %s", c.from, js)
		}
		if _, err := Load(craftedFile(t, bad, tensors, nil)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", c.to, err)
		}
	}
}

// TestLoadHostileOutputs: a model file of several outputs whose list of
// outputs is malformed is a format error, not a panic.
func TestLoadHostileOutputs(t *testing.T) {
	lstm, err := layers.NewLSTM(3, nil)
	if err != nil {
		t.Fatal(err)
	}
	d1, err := layers.NewDense(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := layers.NewDense(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := Input(4, 2)
	h := Apply(lstm, x)
	m, err := NewMultiOutput([]*Symbol{x}, []*Symbol{Apply(d1, h), Apply(d2, h)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(m.architecture(FormatVersion))
	if err != nil {
		t.Fatal(err)
	}
	tensors, err := nativeTensors(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(craftedFile(t, string(js), tensors, nil))
	if err != nil || got.NumOutputs() != 2 {
		t.Fatalf("the unchanged file: %v", err)
	}
	const outs = `"outputs":[{"layer":1,"index":-1},{"layer":2,"index":-1}]`
	for _, to := range []string{
		`"outputs":[{"layer":1,"index":-1}]`,                                    // one listed
		`"outputs":[{"layer":2,"index":-1},{"layer":1,"index":-1}]`,             // the first is not the output
		`"outputs":[{"layer":1,"index":-1},{"layer":-1,"index":0}]`,             // an input
		`"outputs":[{"layer":1,"index":-1},{"layer":7,"index":-1}]`,             // no such layer
		`"outputs":[{"layer":1,"index":-1},{"layer":2,"index":0}]`,              // a state of a Dense
		`"outputs":[{"layer":1,"index":-1},{"layer":0,"index":4}]`,              // a state the LSTM lacks
		`"outputs":[{"layer":1,"index":-1},{"layer":2,"index":-1},{"layer":9}]`, // more than it has
	} {
		bad := strings.Replace(string(js), outs, to, 1)
		if bad == string(js) {
			t.Fatalf("the architecture has no %s: %s", outs, js)
		}
		if _, err := Load(craftedFile(t, bad, tensors, nil)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", to, err)
		}
	}
}
