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
// file, for a torch module that holds, under each layer's name, the
// layer's PyTorch counterpart. Each layer maps its own weights
// (layers.TorchLayout); a layer that has no mapping cannot be exported (an
// error wrapping ErrModel, and no file). The built-in layers are a
// torch.nn.RNN, LSTM or GRU (one layer, batch_first=True) or a
// torch.nn.Linear. Their keys are "<layer>.weight_ih_l0" [gU, F],
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
//
// A Bidirectional layer is the module of its inner type with
// bidirectional=True (the backward direction's keys end in "_reverse"),
// and TorchOptions.Stacked maps consecutive recurrent layers to one module
// of num_layers > 1 (keys "_l1", "_l2", ...); opts may be nil.
func ExportTorch(m *Model, path string, opts *TorchOptions) error {
	if err := m.usable(); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	keys, err := torchKeys(m, opts)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	tensors := map[string]rawTensor{}
	for i, l := range m.layers {
		if l.Name() == "" || strings.Contains(l.Name(), ".") {
			return fmt.Errorf("%w: export %s: layer name %q cannot prefix a state_dict key", ErrModel, path, l.Name())
		}
		tl, err := torchLayout(l)
		if err != nil {
			return fmt.Errorf("export %s: %w", path, err)
		}
		ps, err := tl.ToTorch(l.Weights())
		if err != nil {
			return fmt.Errorf("export %s: %s: %w", path, l.Name(), err)
		}
		for _, p := range ps {
			key := keys.key(i, l, p.Name)
			if _, dup := tensors[key]; dup {
				return fmt.Errorf("%w: export %s: two tensors named %q", ErrModel, path, key)
			}
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
// file, named and shaped as ExportTorch writes them: the inverse mapping
// (each layer's layers.TorchLayout), with a SimpleRNN's or LSTM's two
// PyTorch biases summed into the Keras bias and a GRU's kept as the two
// rows of Keras' [2, 3U] bias. Tensors may be float32 or float64 and are
// converted to the model's dtype. The file may come from PyTorch alone
// (metadata {"format": "pt"} or none); if it carries an architecture (as
// ExportTorch writes), its layers must be equivalent to m's
// (layers.Equivalent: same kinds, units and options), and if it carries
// checksums they must match.
//
// Every tensor is checked (present, shaped right, finite, none left over)
// before any weight changes: on error m is unchanged. ImportTorch must not
// run while m is used.
//
// TorchOptions.Stacked reads a module of num_layers > 1 into consecutive
// layers, as ExportTorch writes it; opts may be nil.
func ImportTorch(path string, m *Model, opts *TorchOptions) error {
	if err := m.usable(); err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := importTorch(data, m, opts); err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	return nil
}

func importTorch(data []byte, m *Model, opts *TorchOptions) error {
	keys, err := torchKeys(m, opts)
	if err != nil {
		return err
	}
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
		tl, err := torchLayout(l)
		if err != nil {
			return err
		}
		cur, err := tl.ToTorch(l.Weights())
		if err != nil {
			return fmt.Errorf("%s: %w", l.Name(), err)
		}
		ps := make([]layers.Weight, len(cur))
		for j, p := range cur {
			key := keys.key(i, l, p.Name)
			vals, err := f.floats(key, p.Shape, safetensors.F32, safetensors.F64)
			if err != nil {
				return err
			}
			used[key] = true
			ps[j] = layers.Weight{Name: p.Name, Shape: p.Shape, Data: vals}
		}
		kw, err := tl.FromTorch(ps)
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
		// The file's layer as decoded, so that its defaults are filled in.
		fl, err := layers.FromConfig(a.Layers[i])
		if err != nil {
			return fmt.Errorf("%w: layer %d: %w", ErrFormat, i, err)
		}
		got, want := fl.Config(), l.Config()
		if !layers.Equivalent(got, want) {
			return fmt.Errorf("%w: layer %d is %s of %d units in the file, %s of %d units here (or options differ)",
				ErrFormat, i, got.Kind, got.Units, want.Kind, want.Units)
		}
	}
	return nil
}

// torchLayout returns l's PyTorch mapping, or an error if it has none.
func torchLayout(l layers.Layer) (layers.TorchLayout, error) {
	tl, ok := l.(layers.TorchLayout)
	if !ok {
		return nil, fmt.Errorf("%w: layer %s (%s) has no PyTorch counterpart: it does not implement layers.TorchLayout", ErrModel, l.Name(), l.ClassName())
	}
	return tl, nil
}

// TorchOptions change how ExportTorch and ImportTorch name the tensors;
// the zero value (or nil) maps each layer to a module of its own name.
type TorchOptions struct {
	// Stacked lists groups of layers (by name) to map to one PyTorch
	// module each, of num_layers = the group's size (2 or more), under the
	// first layer's name: layer k's tensors are the module's "_l{k}" ones
	// ("lstm.weight_ih_l1"), as nn.LSTM(num_layers=2) names them. A group's
	// layers are consecutive in the model, all SimpleRNN, all LSTM or all
	// GRU (or all Bidirectional around one of those, with MergeConcat) of
	// one number of units and without go_backwards, every one but the last
	// returning sequences. Nil: no stacks.
	Stacked [][]string
}

// torchNaming gives each layer its module name and its layer index in it.
type torchNaming struct {
	module []string
	index  []int
}

// key returns the state_dict key of parameter p of layer i.
func (n torchNaming) key(i int, l layers.Layer, p string) string {
	if n.module == nil || n.module[i] == "" {
		return l.Name() + "." + p
	}
	return n.module[i] + "." + strings.Replace(p, "_l0", fmt.Sprintf("_l%d", n.index[i]), 1)
}

// torchKeys checks the stacks of opts against m and returns the naming
// they give. Errors wrap ErrModel and graph.ErrConfig.
func torchKeys(m *Model, opts *TorchOptions) (torchNaming, error) {
	var stacks [][]string
	if opts != nil {
		stacks = opts.Stacked
	}
	for _, stack := range stacks {
		if len(stack) < 2 {
			return torchNaming{}, fmt.Errorf("%w: %w: TorchOptions.Stacked: a stack of %d layers (want 2 or more)", ErrModel, graph.ErrConfig, len(stack))
		}
	}
	if len(stacks) == 0 {
		return torchNaming{}, nil
	}
	n := torchNaming{module: make([]string, len(m.layers)), index: make([]int, len(m.layers))}
	pos := map[string]int{}
	for i, l := range m.layers {
		pos[l.Name()] = i
	}
	for _, stack := range stacks {
		first, ok := pos[stack[0]]
		if !ok {
			return torchNaming{}, fmt.Errorf("%w: %w: TorchOptions.Stacked: no layer %q", ErrModel, graph.ErrConfig, stack[0])
		}
		var kind string
		for k, name := range stack {
			i, ok := pos[name]
			if !ok || i != first+k {
				return torchNaming{}, fmt.Errorf("%w: %w: TorchOptions.Stacked: %q is not the layer after %q", ErrModel, graph.ErrConfig, name, stack[max(k-1, 0)])
			}
			if m.wiring != nil && !slices.Equal(m.wiring.Layers[i].Inputs, []source{{Layer: i - 1, Index: -1}}) && k > 0 {
				return torchNaming{}, fmt.Errorf("%w: %w: TorchOptions.Stacked: %q does not read %q alone", ErrModel, graph.ErrConfig, name, stack[k-1])
			}
			if n.module[i] != "" {
				return torchNaming{}, fmt.Errorf("%w: %w: TorchOptions.Stacked: layer %q is in two stacks", ErrModel, graph.ErrConfig, name)
			}
			st, ok := m.layers[i].(layers.TorchStacker)
			if !ok {
				return torchNaming{}, fmt.Errorf("%w: %w: TorchOptions.Stacked: %q is a %s, which PyTorch does not stack", ErrModel, graph.ErrConfig, name, m.layers[i].ClassName())
			}
			key, sequences, err := st.TorchStack()
			switch {
			case err != nil:
				return torchNaming{}, fmt.Errorf("%w: TorchOptions.Stacked: %w", ErrModel, err)
			case k > 0 && key != kind:
				return torchNaming{}, fmt.Errorf("%w: %w: TorchOptions.Stacked: %q is not of the kind and units of %q", ErrModel, graph.ErrConfig, name, stack[0])
			case k < len(stack)-1 && !sequences:
				return torchNaming{}, fmt.Errorf("%w: %w: TorchOptions.Stacked: %q returns its last state only, but feeds %q", ErrModel, graph.ErrConfig, name, stack[k+1])
			}
			kind = key
			n.module[i], n.index[i] = stack[0], k
		}
	}
	return n, nil
}
