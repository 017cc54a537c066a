package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/nlpodyssey/safetensors"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// ErrFormat reports a file that is not a model file this package can read:
// truncated or corrupt, of a newer format version, or whose tensors do not
// fit the architecture it declares. Errors about shapes, dtypes, finiteness
// and layer configurations also wrap graph.ErrShape, graph.ErrDType,
// graph.ErrNotFinite or layers.ErrConfig.
var ErrFormat = errors.New("invalid model file")

// Load reads a model written by Save: it rebuilds the architecture as New
// or NewSequential made it (same name, seed, dtype and layers) and sets the stored
// weights, so the loaded model predicts exactly as the saved one did.
//
// Load returns a model or an error, never a half-built model: every tensor
// is checked (name, dtype, shape, checksum, finiteness) against the
// architecture before the model is built. Tensors a checkpoint lists under
// "extra_tensors" are skipped; any other tensor the architecture has no
// place for is an error. Errors about the file's contents wrap ErrFormat.
func Load(path string) (*Model, error) {
	m, _, _, err := loadFile(path)
	return m, err
}

// loadFile reads a file written by saveFile and returns the model, the
// extra tensors (in their stored dtype) and the metadata entries other than
// those of the model file itself ("format", "model", "checksums",
// "extra_tensors").
func loadFile(path string) (*Model, map[string]*graph.Tensor, map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load: %w", err)
	}
	m, extra, meta, err := decodeModel(data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load %s: %w", path, err)
	}
	return m, extra, meta, nil
}

// decodeModel is loadFile on the file's bytes.
func decodeModel(data []byte) (*Model, map[string]*graph.Tensor, map[string]string, error) {
	f, err := parseSafetensors(data)
	if err != nil {
		return nil, nil, nil, err
	}
	switch format := f.meta[metaFormat]; format {
	case formatNative:
	case formatTorch:
		return nil, nil, nil, fmt.Errorf("%w: this is a PyTorch export (format %q): use ImportTorch", ErrFormat, format)
	case "":
		return nil, nil, nil, fmt.Errorf("%w: no %q metadata: not a gornn model file", ErrFormat, metaFormat)
	default:
		return nil, nil, nil, fmt.Errorf("%w: format %q, want %q", ErrFormat, format, formatNative)
	}
	arch, err := parseArchitecture(f.meta[metaModel])
	if err != nil {
		return nil, nil, nil, err
	}
	if err := f.verifyChecksums(true); err != nil {
		return nil, nil, nil, err
	}
	dt, ls, specs, err := arch.plan()
	if err != nil {
		return nil, nil, nil, err
	}
	extraNames, err := parseExtraNames(f.meta[metaExtraTensors])
	if err != nil {
		return nil, nil, nil, err
	}

	// Check and decode every tensor before building anything.
	used := map[string]bool{}
	ws := make([]LayerWeights, len(specs))
	for i, layer := range specs {
		ws[i].Layer = layer.name
		for _, spec := range layer.weights {
			name := layer.name + "/" + spec.Name
			vals, err := f.floats(name, spec.Shape, stDType(dt))
			if err != nil {
				return nil, nil, nil, err
			}
			used[name] = true
			ws[i].Weights = append(ws[i].Weights, layers.Weight{Name: spec.Name, Shape: spec.Shape, Data: vals})
		}
	}
	extra := map[string]*graph.Tensor{}
	for _, name := range extraNames {
		if used[name] {
			return nil, nil, nil, fmt.Errorf("%w: extra tensor %q is also a weight", ErrFormat, name)
		}
		t, err := f.tensor(name)
		if err != nil {
			return nil, nil, nil, err
		}
		used[name] = true
		extra[name] = t
	}
	if err := f.checkAllUsed(used); err != nil {
		return nil, nil, nil, err
	}

	m, err := newChain(arch.Functional, arch.InputShape, ls, []Option{WithDType(dt), WithSeed(arch.Seed), WithName(arch.Name)})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err := m.SetWeights(ws); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	meta := map[string]string{}
	for k, v := range f.meta {
		if k != metaFormat && k != metaModel && k != metaExtraTensors && k != metaChecksums {
			meta[k] = v
		}
	}
	return m, extra, meta, nil
}

// parseArchitecture decodes the "model" metadata: the format version first,
// so that a newer file is reported as such, then strictly the rest.
func parseArchitecture(js string) (architecture, error) {
	if js == "" {
		return architecture{}, fmt.Errorf("%w: no %q metadata (the architecture)", ErrFormat, metaModel)
	}
	var v struct {
		FormatVersion int `json:"format_version"`
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		return architecture{}, fmt.Errorf("%w: architecture: %w", ErrFormat, err)
	}
	if v.FormatVersion > FormatVersion {
		return architecture{}, fmt.Errorf("%w: format version %d is newer than this reader's (%d)", ErrFormat, v.FormatVersion, FormatVersion)
	}
	if v.FormatVersion < 1 {
		return architecture{}, fmt.Errorf("%w: format version %d (want 1 to %d)", ErrFormat, v.FormatVersion, FormatVersion)
	}
	var a architecture
	dec := json.NewDecoder(bytes.NewReader([]byte(js)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return architecture{}, fmt.Errorf("%w: architecture: %w", ErrFormat, err)
	}
	if dec.More() {
		return architecture{}, fmt.Errorf("%w: architecture: trailing data", ErrFormat)
	}
	return a, nil
}

// layerSpec lists the weights, in Keras layout, that a layer of an
// architecture must have.
type layerSpec struct {
	name    string
	weights []layers.Weight // names and shapes only
}

// plan checks an architecture and returns its dtype, its layers (made by
// layers.FromConfig, not built) and the weights each must have. It works
// from the configurations alone, so a file's tensors are checked before any
// weight is allocated.
func (a architecture) plan() (graph.DType, []layers.Layer, []layerSpec, error) {
	dt, err := graph.ParseDType(a.DType)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if a.Name == "" {
		return 0, nil, nil, fmt.Errorf("%w: empty model name", ErrFormat)
	}
	if len(a.Layers) == 0 {
		return 0, nil, nil, fmt.Errorf("%w: no layers", ErrFormat)
	}
	shape := slices.Clone(a.InputShape)
	if len(shape) == 0 || slices.ContainsFunc(shape, func(d int) bool { return d <= 0 }) {
		return 0, nil, nil, fmt.Errorf("%w: %w: input shape %v", ErrFormat, graph.ErrShape, shape)
	}
	ls := make([]layers.Layer, len(a.Layers))
	specs := make([]layerSpec, len(a.Layers))
	names := map[string]bool{}
	for i, c := range a.Layers {
		if c.Name == "" || names[c.Name] {
			return 0, nil, nil, fmt.Errorf("%w: layer %d: name %q is empty or repeated", ErrFormat, i, c.Name)
		}
		names[c.Name] = true
		if err := checkOptions(c); err != nil {
			return 0, nil, nil, fmt.Errorf("%w: layer %d (%s): %w", ErrFormat, i, c.Name, err)
		}
		l, err := layers.FromConfig(c)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%w: layer %d (%s): %w", ErrFormat, i, c.Name, err)
		}
		ws, out, err := weightShapes(c, shape)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%w: layer %d (%s): %w", ErrFormat, i, c.Name, err)
		}
		ls[i], specs[i], shape = l, layerSpec{name: c.Name, weights: ws}, out
	}
	return dt, ls, specs, nil
}

// checkOptions rejects options that layers.FromConfig would ignore for
// the layer type, so a file never loads as something other than it says.
func checkOptions(c layers.Config) error {
	switch {
	case c.Kind != "dense" && c.Activation != "":
		return fmt.Errorf("%w: %s has no activation option", layers.ErrConfig, c.Kind)
	case c.Kind == "dense" && c.ReturnSequences:
		return fmt.Errorf("%w: dense has no return_sequences option", layers.ErrConfig)
	case c.Kind != "lstm" && c.UnitForgetBias != nil:
		return fmt.Errorf("%w: %s has no unit_forget_bias option", layers.ErrConfig, c.Kind)
	}
	return nil
}

// weightShapes returns the Keras-layout weights of a layer of
// configuration c on inputs of shape in (without batch), and its output
// shape. It mirrors the layers' Build methods; a test keeps them in step.
func weightShapes(c layers.Config, in []int) ([]layers.Weight, []int, error) {
	u := c.Units
	if c.Kind == "dense" {
		f := in[len(in)-1]
		out := append(slices.Clone(in[:len(in)-1]), u)
		return []layers.Weight{{Name: "kernel", Shape: []int{f, u}}, {Name: "bias", Shape: []int{u}}}, out, nil
	}
	gates := map[string]int{"simple_rnn": 1, "lstm": 4, "gru": 3}[c.Kind]
	if gates == 0 {
		return nil, nil, fmt.Errorf("%w: unknown layer type %q", layers.ErrConfig, c.Kind)
	}
	if len(in) != 2 {
		return nil, nil, fmt.Errorf("%w: %s expects inputs [time, features], got %v", graph.ErrShape, c.Kind, in)
	}
	if u > math.MaxInt32 {
		return nil, nil, fmt.Errorf("%w: %d units", layers.ErrConfig, u)
	}
	gu := gates * u
	bias := []int{gu}
	if c.Kind == "gru" {
		bias = []int{2, gu}
	}
	ws := []layers.Weight{
		{Name: "kernel", Shape: []int{in[1], gu}},
		{Name: "recurrent_kernel", Shape: []int{u, gu}},
		{Name: "bias", Shape: bias},
	}
	if c.ReturnSequences {
		return ws, []int{in[0], u}, nil
	}
	return ws, []int{u}, nil
}

// parseExtraNames decodes the "extra_tensors" metadata, if any.
func parseExtraNames(js string) ([]string, error) {
	if js == "" {
		return nil, nil
	}
	var names []string
	if err := json.Unmarshal([]byte(js), &names); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFormat, metaExtraTensors, err)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("%w: %s lists %q twice", ErrFormat, metaExtraTensors, n)
		}
		seen[n] = true
	}
	return names, nil
}

// stFile is a parsed safetensors file.
type stFile struct {
	tensors map[string]rawTensor // views into the file's bytes
	meta    map[string]string
}

// parseSafetensors parses a safetensors file with the codec. Whatever the
// bytes, it returns a file or an error wrapping ErrFormat: a panic in the
// codec is turned into an error here.
func parseSafetensors(data []byte) (f stFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = stFile{}, fmt.Errorf("%w: corrupt safetensors data (%v)", ErrFormat, r)
		}
	}()
	n, md, err := safetensors.ReadMetadata(data)
	if err != nil {
		return stFile{}, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	body := data[8+n:]
	f = stFile{tensors: map[string]rawTensor{}, meta: md.Metadata()}
	if f.meta == nil {
		f.meta = map[string]string{}
	}
	for name, info := range md.Tensors() {
		lo, hi := info.DataOffsets[0], info.DataOffsets[1]
		if lo > hi || hi > uint64(len(body)) {
			return stFile{}, fmt.Errorf("%w: tensor %q: data offsets %v outside the data", ErrFormat, name, info.DataOffsets)
		}
		f.tensors[name] = rawTensor{dtype: info.DType, shape: info.Shape, data: body[lo:hi]}
	}
	return f, nil
}

// verifyChecksums checks the "checksums" metadata against every tensor of
// f, when present (or required).
func (f stFile) verifyChecksums(required bool) error {
	js, ok := f.meta[metaChecksums]
	if !ok {
		if required {
			return fmt.Errorf("%w: no %q metadata", ErrFormat, metaChecksums)
		}
		return nil
	}
	var sums map[string]string
	if err := json.Unmarshal([]byte(js), &sums); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrFormat, metaChecksums, err)
	}
	if len(sums) != len(f.tensors) {
		return fmt.Errorf("%w: %d checksums for %d tensors", ErrFormat, len(sums), len(f.tensors))
	}
	for name, t := range f.tensors {
		want, ok := sums[name]
		if !ok {
			return fmt.Errorf("%w: no checksum for tensor %q", ErrFormat, name)
		}
		if got := checksum(t.data); got != want {
			return fmt.Errorf("%w: tensor %q is corrupt (checksum %s, want %s)", ErrFormat, name, got, want)
		}
	}
	return nil
}

// floats returns the values of tensor name, checking it exists, has the
// given shape, one of the accepted dtypes and finite values.
func (f stFile) floats(name string, shape []int, accept ...safetensors.DType) ([]float64, error) {
	t, ok := f.tensors[name]
	if !ok {
		return nil, fmt.Errorf("%w: missing tensor %q", ErrFormat, name)
	}
	if !slices.Contains(accept, t.dtype) {
		return nil, fmt.Errorf("%w: %w: tensor %q is %v, want %v", ErrFormat, graph.ErrDType, name, t.dtype, accept)
	}
	got, err := t.intShape()
	if err != nil || !slices.Equal(got, shape) {
		return nil, fmt.Errorf("%w: %w: tensor %q has shape %v, the model needs %v", ErrFormat, graph.ErrShape, name, t.shape, shape)
	}
	vals, err := t.float64s()
	if err != nil {
		return nil, fmt.Errorf("%w: tensor %q: %w", ErrFormat, name, err)
	}
	if err := checkFiniteData(name, vals); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return vals, nil
}

// tensor returns tensor name as a graph.Tensor of its stored dtype (float32
// or float64, rank ≥ 1, positive dimensions).
func (f stFile) tensor(name string) (*graph.Tensor, error) {
	t, ok := f.tensors[name]
	if !ok {
		return nil, fmt.Errorf("%w: missing tensor %q", ErrFormat, name)
	}
	dt := graph.Float32
	switch t.dtype {
	case safetensors.F32:
	case safetensors.F64:
		dt = graph.Float64
	default:
		return nil, fmt.Errorf("%w: %w: tensor %q is %v (want F32 or F64)", ErrFormat, graph.ErrDType, name, t.dtype)
	}
	shape, err := t.intShape()
	if err != nil || len(shape) == 0 || slices.Contains(shape, 0) {
		return nil, fmt.Errorf("%w: %w: tensor %q has shape %v (want rank ≥ 1, positive dimensions)", ErrFormat, graph.ErrShape, name, t.shape)
	}
	vals, err := t.float64s()
	if err != nil {
		return nil, fmt.Errorf("%w: tensor %q: %w", ErrFormat, name, err)
	}
	out, err := graph.FromFloat64s(dt, vals, shape...)
	if err != nil {
		return nil, fmt.Errorf("%w: tensor %q: %w", ErrFormat, name, err)
	}
	return out, nil
}

// checkAllUsed returns an error naming a tensor of f not in used.
func (f stFile) checkAllUsed(used map[string]bool) error {
	var stray []string
	for name := range f.tensors {
		if !used[name] {
			stray = append(stray, name)
		}
	}
	if len(stray) > 0 {
		slices.Sort(stray)
		return fmt.Errorf("%w: unexpected tensor %q (%d not part of the model)", ErrFormat, stray[0], len(stray))
	}
	return nil
}

// stDType returns the safetensors dtype of dt.
func stDType(dt graph.DType) safetensors.DType {
	if dt == graph.Float64 {
		return safetensors.F64
	}
	return safetensors.F32
}

// intShape returns t's shape as ints, or an error if a dimension does not
// fit in an int32 (no real weight is that large).
func (t rawTensor) intShape() ([]int, error) {
	out := make([]int, len(t.shape))
	for i, d := range t.shape {
		if d > math.MaxInt32 {
			return nil, fmt.Errorf("%w: dimension %d too large", graph.ErrShape, d)
		}
		out[i] = int(d)
	}
	return out, nil
}

// float64s decodes an F32 or F64 tensor's little-endian values.
func (t rawTensor) float64s() ([]float64, error) {
	n := uint64(1)
	for _, d := range t.shape {
		if d != 0 && n > math.MaxInt32/d {
			return nil, fmt.Errorf("%w: shape %v too large", graph.ErrShape, t.shape)
		}
		n *= d
	}
	switch t.dtype {
	case safetensors.F32:
		if uint64(len(t.data)) != 4*n {
			return nil, fmt.Errorf("%w: %d bytes for %d float32 values", graph.ErrShape, len(t.data), n)
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(t.data[4*i:])))
		}
		return out, nil
	case safetensors.F64:
		if uint64(len(t.data)) != 8*n {
			return nil, fmt.Errorf("%w: %d bytes for %d float64 values", graph.ErrShape, len(t.data), n)
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.data[8*i:]))
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %v values (want F32 or F64)", graph.ErrDType, t.dtype)
}
