package models

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/nlpodyssey/safetensors"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// ExportTorch writes m's weights as a PyTorch state_dict in a safetensors
// file, for a torch module that holds, under each layer's name, a
// torch.nn.RNN, LSTM or GRU (one layer, batch_first=True) or a
// torch.nn.Linear. The keys are "<layer>.weight_ih_l0" [gU, F],
// "<layer>.weight_hh_l0" [gU, U], "<layer>.bias_ih_l0" and
// "<layer>.bias_hh_l0" [gU] for recurrent layers (g gates of U units) and
// "<layer>.weight" [U, F] and "<layer>.bias" [U] for Dense: the Keras
// kernels transposed, GRU gates reordered from Keras' z, r, h to PyTorch's
// r, z, n, and the recurrent bias zero for SimpleRNN and LSTM (whose single
// Keras bias becomes bias_ih). LSTM gates i, f, c, o are PyTorch's i, f, g,
// o. Tensors have the model's dtype; the metadata holds {"format": "pt"},
// the architecture and the checksums, as in Save. Dense activations are not part of a
// state_dict: the torch side applies them. The file is written atomically.
// Layer names must not contain a dot. docs/saving.md has the table.
func ExportTorch(m *Model, path string) error {
	if err := m.usable(); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	tensors := map[string]rawTensor{}
	for _, l := range m.layers {
		if l.Name() == "" || strings.Contains(l.Name(), ".") {
			return fmt.Errorf("%w: export %s: layer name %q cannot prefix a state_dict key", ErrModel, path, l.Name())
		}
		ps, err := toTorch(l.Kind(), l.Weights())
		if err != nil {
			return fmt.Errorf("export %s: %s: %w", path, l.Name(), err)
		}
		for _, p := range ps {
			key := l.Name() + "." + p.Name
			if err := checkFiniteData(key, p.Data); err != nil {
				return fmt.Errorf("export %s: %w", path, err)
			}
			tensors[key] = encodeFloats(m.dt, p.Shape, p.Data)
		}
	}
	meta, err := modelMetadata(m, formatTorch)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	return writeSafetensors(path, tensors, meta)
}

// ImportTorch sets m's weights from a PyTorch state_dict in a safetensors
// file, named and shaped as ExportTorch writes them: the inverse mapping,
// with a SimpleRNN's or LSTM's two PyTorch biases summed into the Keras
// bias and a GRU's kept as the two rows of Keras' [2, 3U] bias. Tensors may
// be float32 or float64 and are converted to the model's dtype. The file
// may come from PyTorch alone (metadata {"format": "pt"} or none); if it
// carries an architecture (as ExportTorch writes), its layer types, units
// and options must match m's, and if it carries checksums they must match.
//
// Every tensor is checked (present, shaped right, finite, none left over)
// before any weight changes: on error m is unchanged. ImportTorch must not
// run while m is used.
func ImportTorch(path string, m *Model) error {
	if err := m.usable(); err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := importTorch(data, m); err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	return nil
}

func importTorch(data []byte, m *Model) error {
	f, err := parseSafetensors(data)
	if err != nil {
		return err
	}
	switch format := f.meta[metaFormat]; format {
	case formatTorch, "":
	case formatNative:
		return fmt.Errorf("%w: this is a gornn model file: use Load", ErrFormat)
	default:
		return fmt.Errorf("%w: format %q, want %q", ErrFormat, format, formatTorch)
	}
	if err := f.verifyChecksums(false); err != nil {
		return err
	}
	if js, ok := f.meta[metaModel]; ok {
		if err := checkSameArchitecture(js, m); err != nil {
			return err
		}
	}
	used := map[string]bool{}
	ws := make([]LayerWeights, len(m.layers))
	for i, l := range m.layers {
		cur, err := toTorch(l.Kind(), l.Weights())
		if err != nil {
			return fmt.Errorf("%s: %w", l.Name(), err)
		}
		vals := make([][]float64, len(cur))
		for j, p := range cur {
			key := l.Name() + "." + p.Name
			vals[j], err = f.floats(key, p.Shape, safetensors.F32, safetensors.F64)
			if err != nil {
				return err
			}
			used[key] = true
		}
		kw, err := fromTorch(l.Kind(), l.Weights(), vals)
		if err != nil {
			return fmt.Errorf("%s: %w", l.Name(), err)
		}
		ws[i] = LayerWeights{Layer: l.Name(), Weights: kw}
	}
	if err := f.checkAllUsed(used); err != nil {
		return err
	}
	return m.SetWeights(ws)
}

// checkSameArchitecture compares the architecture stored in a file with
// m's: same layer types, units and options, in order.
func checkSameArchitecture(js string, m *Model) error {
	a, err := parseArchitecture(js)
	if err != nil {
		return err
	}
	if len(a.Layers) != len(m.layers) {
		return fmt.Errorf("%w: the file's model has %d layers, this one %d", ErrFormat, len(a.Layers), len(m.layers))
	}
	for i, l := range m.layers {
		got, want := a.Layers[i], l.Config()
		got.Name, want.Name = "", ""
		if got.Kind == "dense" && got.Activation == "" {
			got.Activation = layers.Linear.String()
		}
		if got.Kind == "lstm" && got.UnitForgetBias == nil {
			got.UnitForgetBias = want.UnitForgetBias
		}
		// unit_forget_bias only sets the initial bias: not compared.
		got.UnitForgetBias, want.UnitForgetBias = nil, nil
		if got != want {
			return fmt.Errorf("%w: layer %d is %s of %d units in the file, %s of %d units here (or options differ)",
				ErrFormat, i, got.Kind, got.Units, want.Kind, want.Units)
		}
	}
	return nil
}

// torchGRUOrder maps PyTorch's GRU gate blocks (r, z, n) to Keras' (z, r,
// h): PyTorch block k is Keras block torchGRUOrder[k].
var torchGRUOrder = []int{1, 0, 2}

// gateOrder returns, for a layer type, its number of gates and the Keras
// block of each PyTorch gate block.
func gateOrder(kind string) (int, []int, error) {
	switch kind {
	case "simple_rnn":
		return 1, []int{0}, nil
	case "lstm":
		return 4, []int{0, 1, 2, 3}, nil
	case "gru":
		return 3, torchGRUOrder, nil
	}
	return 0, nil, fmt.Errorf("%w: layer type %q has no PyTorch counterpart here", ErrModel, kind)
}

// toTorch converts a layer's Keras weights to its PyTorch parameters, in
// state_dict order.
func toTorch(kind string, ws []layers.Weight) ([]layers.Weight, error) {
	if kind == "dense" {
		if len(ws) != 2 || len(ws[0].Shape) != 2 {
			return nil, fmt.Errorf("%w: dense weights %v", graph.ErrShape, ws)
		}
		f, u := ws[0].Shape[0], ws[0].Shape[1]
		return []layers.Weight{
			{Name: "weight", Shape: []int{u, f}, Data: transpose(ws[0].Data, f, u)},
			{Name: "bias", Shape: []int{u}, Data: slices.Clone(ws[1].Data)},
		}, nil
	}
	g, order, err := gateOrder(kind)
	if err != nil {
		return nil, err
	}
	if len(ws) != 3 || len(ws[0].Shape) != 2 || len(ws[1].Shape) != 2 {
		return nil, fmt.Errorf("%w: %s weights", graph.ErrShape, kind)
	}
	f, gu := ws[0].Shape[0], ws[0].Shape[1]
	u := gu / g
	wih := reorder(transpose(ws[0].Data, f, gu), u*f, order)
	whh := reorder(transpose(ws[1].Data, u, gu), u*u, order)
	var bih, bhh []float64
	if kind == "gru" {
		bih = reorder(ws[2].Data[:gu], u, order)
		bhh = reorder(ws[2].Data[gu:], u, order)
	} else {
		bih, bhh = slices.Clone(ws[2].Data), make([]float64, gu)
	}
	return []layers.Weight{
		{Name: "weight_ih_l0", Shape: []int{gu, f}, Data: wih},
		{Name: "weight_hh_l0", Shape: []int{gu, u}, Data: whh},
		{Name: "bias_ih_l0", Shape: []int{gu}, Data: bih},
		{Name: "bias_hh_l0", Shape: []int{gu}, Data: bhh},
	}, nil
}

// fromTorch converts PyTorch parameter values (in toTorch's order and
// shapes) to Keras weights shaped like cur, the layer's current weights.
func fromTorch(kind string, cur []layers.Weight, vals [][]float64) ([]layers.Weight, error) {
	if kind == "dense" {
		f, u := cur[0].Shape[0], cur[0].Shape[1]
		return []layers.Weight{
			{Name: "kernel", Shape: cur[0].Shape, Data: transpose(vals[0], u, f)},
			{Name: "bias", Shape: cur[1].Shape, Data: slices.Clone(vals[1])},
		}, nil
	}
	g, order, err := gateOrder(kind)
	if err != nil {
		return nil, err
	}
	inv := make([]int, len(order))
	for k, j := range order {
		inv[j] = k
	}
	f, gu := cur[0].Shape[0], cur[0].Shape[1]
	u := gu / g
	var bias []float64
	if kind == "gru" {
		bias = append(reorder(vals[2], u, inv), reorder(vals[3], u, inv)...)
	} else {
		bias = make([]float64, gu)
		for i := range bias {
			bias[i] = vals[2][i] + vals[3][i]
		}
	}
	return []layers.Weight{
		{Name: "kernel", Shape: cur[0].Shape, Data: transpose(reorder(vals[0], u*f, inv), gu, f)},
		{Name: "recurrent_kernel", Shape: cur[1].Shape, Data: transpose(reorder(vals[1], u*u, inv), gu, u)},
		{Name: "bias", Shape: cur[2].Shape, Data: bias},
	}, nil
}

// transpose returns the transpose of the row-major rows×cols matrix a.
func transpose(a []float64, rows, cols int) []float64 {
	out := make([]float64, len(a))
	for i := range rows {
		for j := range cols {
			out[j*rows+i] = a[i*cols+j]
		}
	}
	return out
}

// reorder returns a's blocks of n values rearranged: block k of the result
// is block order[k] of a.
func reorder(a []float64, n int, order []int) []float64 {
	out := make([]float64, 0, len(a))
	for _, j := range order {
		out = append(out, a[j*n:(j+1)*n]...)
	}
	return out
}
