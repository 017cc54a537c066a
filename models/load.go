package models

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Limits of the files Load (and ImportTorch) reads, so that no file makes
// them allocate more than a bounded multiple of its size; Save refuses a
// model beyond them. docs/saving.md has the details and the bound.
const (
	// MaxHeaderBytes bounds the JSON header of a safetensors file (its
	// tensors' descriptions and the metadata): 16 MiB.
	MaxHeaderBytes = 16 << 20
	// MaxRank bounds the rank of a model's input sample (the batch axis
	// not counted) and of every tensor in a file.
	MaxRank = 8
	// MaxLayers bounds the number of layers of a model in a file.
	MaxLayers = 10000
)

// Load reads a model written by Save: it rebuilds the architecture as New
// or NewSequential made it (same name, seed, dtype and layers) and sets the stored
// weights, so the loaded model predicts exactly as the saved one did.
//
// Load returns a model or an error, never a half-built model: the header
// is checked against its checksum (files of format version 2 on), and every
// tensor (name, dtype, shape, checksum, finiteness) against the
// architecture before the model is built. Tensors a checkpoint lists under
// "extra_tensors" are skipped; any other tensor the architecture has no
// place for is an error. Errors about the file's contents wrap ErrFormat.
// Files beyond MaxHeaderBytes, MaxRank or MaxLayers are refused, so that
// Load allocates at most a bounded multiple of the file's size
// (docs/saving.md, "Limits").
func Load(path string) (*Model, error) {
	m, _, _, err := loadFile(path)
	return m, err
}

// loadFile reads a file written by saveFile and returns the model, the
// extra tensors (in their stored dtype) and the metadata entries other than
// those of the model file itself ("format", "model", "checksums",
// "extra_tensors", "header_checksum").
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
	// The version first, so that a newer file is reported as such even if
	// it is checksummed in a way this reader does not know.
	version, err := formatVersion(f.meta[metaModel])
	if err != nil {
		return nil, nil, nil, err
	}
	if _, ok := f.meta[metaHeaderChecksum]; !ok && version >= 2 {
		return nil, nil, nil, fmt.Errorf("%w: no %q metadata (required from format version 2; this file says %d)", ErrFormat, metaHeaderChecksum, version)
	}
	if err := f.verifyChecksums(true); err != nil {
		return nil, nil, nil, err
	}
	arch, err := parseArchitecture(f.meta[metaModel])
	if err != nil {
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
	used := make(map[string]bool, len(f.tensors))
	ws := make([]LayerWeights, len(specs))
	for i, layer := range specs {
		ws[i].Layer = layer.name
		ws[i].Weights = make([]layers.Weight, 0, len(layer.weights))
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
	extra := make(map[string]*graph.Tensor, len(extraNames))
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

	if arch.Name == "" {
		return nil, nil, nil, fmt.Errorf("%w: %w: empty model name", ErrFormat, ErrModel)
	}
	mopts := &Options{DType: dt, Seed: arch.Seed, Name: arch.Name}
	var m *Model
	if arch.Wiring != nil {
		m, err = build(arch.Name, true, arch.Wiring.Inputs, ls, arch.Wiring, mopts)
	} else {
		m, err = newChain(arch.Functional, arch.InputShape, ls, mopts)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err := m.SetWeights(ws); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	meta := map[string]string{}
	for k, v := range f.meta {
		if k != metaFormat && k != metaModel && k != metaExtraTensors && k != metaChecksums && k != metaHeaderChecksum {
			meta[k] = v
		}
	}
	return m, extra, meta, nil
}

// formatVersion returns the format version of the "model" metadata,
// checking that this reader knows it.
func formatVersion(js string) (int, error) {
	v, err := peekArchitecture([]byte(js))
	return v.FormatVersion, err
}

// archPeek is what is read of an architecture before it is decoded: its
// version, and the lengths of its arrays.
type archPeek struct {
	FormatVersion int      `json:"format_version"`
	InputShape    arrayLen `json:"input_shape"`
	Layers        arrayLen `json:"layers"`
}

// arrayLen decodes a JSON array as its number of elements, storing none.
type arrayLen int

func (n *arrayLen) UnmarshalJSON(b []byte) error {
	*n = arrayLen(jsonArrayLen(b))
	return nil
}

// peekArchitecture reads the architecture's version, which this reader
// must know, and the lengths of its arrays.
func peekArchitecture(js []byte) (archPeek, error) {
	if len(js) == 0 {
		return archPeek{}, fmt.Errorf("%w: no %q metadata (the architecture)", ErrFormat, metaModel)
	}
	var v archPeek
	if err := json.Unmarshal(js, &v); err != nil {
		return archPeek{}, fmt.Errorf("%w: architecture: %w", ErrFormat, err)
	}
	if v.FormatVersion > FormatVersion {
		return archPeek{}, fmt.Errorf("%w: format version %d is newer than this reader's (%d)", ErrFormat, v.FormatVersion, FormatVersion)
	}
	if v.FormatVersion < 1 {
		return archPeek{}, fmt.Errorf("%w: format version %d (want 1 to %d)", ErrFormat, v.FormatVersion, FormatVersion)
	}
	return v, nil
}

// parseArchitecture decodes the "model" metadata: the format version first,
// so that a newer file is reported as such, and the limits on the input's
// rank and on the number of layers before those arrays are decoded; then
// strictly the rest.
func parseArchitecture(js string) (architecture, error) {
	b := []byte(js)
	v, err := peekArchitecture(b)
	if err != nil {
		return architecture{}, err
	}
	if v.InputShape > MaxRank {
		return architecture{}, fmt.Errorf("%w: %w: input shape of rank %d (want 1 to MaxRank, %d)", ErrFormat, graph.ErrShape, v.InputShape, MaxRank)
	}
	if v.Layers > MaxLayers {
		return architecture{}, fmt.Errorf("%w: %d layers, over MaxLayers (%d)", ErrFormat, v.Layers, MaxLayers)
	}
	var a architecture
	dec := json.NewDecoder(bytes.NewReader(b))
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
	weights []layers.WeightSpec
}

// plan checks an architecture and returns its dtype, its layers (made by
// layers.FromConfig, not built) and the weights each must have. It works
// from the configurations alone for layers that are layers.WeightPlanners
// (all the built-in ones), so a file's tensors are checked before any
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
	if len(a.Layers) > MaxLayers {
		return 0, nil, nil, fmt.Errorf("%w: %d layers, over MaxLayers (%d)", ErrFormat, len(a.Layers), MaxLayers)
	}
	if err := checkInputShape(a.InputShape); err != nil {
		return 0, nil, nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	shape := slices.Clone(a.InputShape)
	var outs [][]int // each layer's output shape
	if a.Wiring != nil {
		if err := a.checkWiring(); err != nil {
			return 0, nil, nil, err
		}
	}
	ls := make([]layers.Layer, len(a.Layers))
	specs := make([]layerSpec, len(a.Layers))
	names := map[string]bool{}
	for i, c := range a.Layers {
		if c.Name == "" || names[c.Name] {
			return 0, nil, nil, fmt.Errorf("%w: layer %d: name %q is empty or repeated", ErrFormat, i, c.Name)
		}
		names[c.Name] = true
		l, err := layers.FromConfig(c)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%w: layer %d (%s): %w", ErrFormat, i, c.Name, err)
		}
		var ws []layers.WeightSpec
		var out []int
		if a.Wiring != nil {
			ws, out, err = a.wiredSpecs(i, l, c, dt, ls[:i], outs)
		} else {
			ws, out, err = weightSpecs(l, c, dt, shape)
		}
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%w: layer %d (%s): %w", ErrFormat, i, c.Name, err)
		}
		ls[i], specs[i], shape = l, layerSpec{name: c.Name, weights: ws}, out
		outs = append(outs, out)
	}
	return dt, ls, specs, nil
}

// checkInputShape checks the shape of a model's input sample: rank 1 to
// MaxRank, positive dimensions, at most math.MaxInt32 values in all.
func checkInputShape(shape []int) error {
	if len(shape) == 0 || len(shape) > MaxRank {
		return fmt.Errorf("%w: input shape of rank %d (want 1 to MaxRank, %d)", graph.ErrShape, len(shape), MaxRank)
	}
	n := 1
	for _, d := range shape {
		if d <= 0 || d > math.MaxInt32/n {
			return fmt.Errorf("%w: input shape %v (want positive dimensions, at most %d values in all)", graph.ErrShape, shape, math.MaxInt32)
		}
		n *= d
	}
	return nil
}

// weightSpecs returns the Keras-layout weights that l, decoded from c and
// not built, will have on inputs of shape in (without batch), and its
// output shape: from the layer itself if it is a layers.WeightPlanner,
// otherwise by building a second layer decoded from c (with a fixed seed)
// and reading its weights.
func weightSpecs(l layers.Layer, c layers.Config, dt graph.DType, in []int) ([]layers.WeightSpec, []int, error) {
	if p, ok := l.(layers.WeightPlanner); ok {
		return p.WeightSpecs(slices.Clone(in))
	}
	probe, err := layers.FromConfig(c)
	if err != nil {
		return nil, nil, err
	}
	if probe.Name() == "" {
		if err := probe.SetName(c.Kind); err != nil {
			return nil, nil, err
		}
	}
	out, err := probe.Build(dt, slices.Clone(in), graph.NewRNG(0))
	if err != nil {
		return nil, nil, err
	}
	ws := probe.Weights()
	specs := make([]layers.WeightSpec, len(ws))
	for i, w := range ws {
		specs[i] = layers.WeightSpec{Name: w.Name, Shape: w.Shape}
	}
	return specs, out, nil
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

// stEntry is a tensor's entry in a safetensors header; nil fields are
// missing ones.
type stEntry struct {
	DType       *string    `json:"dtype"`
	Shape       *stShape   `json:"shape"`
	DataOffsets *stOffsets `json:"data_offsets"`
}

// stShape is a tensor's shape in a header, decoded only if its rank is
// at most MaxRank: a longer array is refused before any dimension is
// stored.
type stShape []uint64

func (s *stShape) UnmarshalJSON(b []byte) error {
	if n := jsonArrayLen(b); n > MaxRank {
		return fmt.Errorf("%w: rank %d, over MaxRank (%d)", graph.ErrShape, n, MaxRank)
	}
	return json.Unmarshal(b, (*[]uint64)(s))
}

// stOffsets is a tensor's data offsets in a header, likewise decoded only
// if there are two.
type stOffsets []uint64

func (o *stOffsets) UnmarshalJSON(b []byte) error {
	if n := jsonArrayLen(b); n != 2 {
		return fmt.Errorf("%d data offsets, want 2", n)
	}
	return json.Unmarshal(b, (*[]uint64)(o))
}

// jsonArrayLen returns the number of elements of the JSON array b (valid
// JSON), or -1 if b is not an array. It allocates nothing.
func jsonArrayLen(b []byte) int {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '[' {
		return -1
	}
	commas, depth, inString, escaped := 0, 0, false, false
	for i, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				if len(bytes.TrimSpace(b[1:i])) == 0 {
					return 0
				}
				return commas + 1
			}
		case ',':
			if depth == 1 {
				commas++
			}
		}
	}
	return commas + 1
}

// placedTensor is a tensor of a header with its place in the data.
type placedTensor struct {
	name   string
	t      rawTensor // without data
	lo, hi uint64
}

// parseSafetensors parses a safetensors file: an 8-byte little-endian
// header length, a JSON header (at most MaxHeaderBytes) mapping each
// tensor's name to its dtype, shape (at most MaxRank dimensions, at least
// one element) and data offsets, and "__metadata__" to a map of strings,
// then the tensors' data, contiguous, in the order of their offsets, and
// nothing after. Whatever the bytes, it returns a file or an error wrapping
// ErrFormat, and allocates a small multiple of the header's size: the
// header is read in one pass, entry by entry, and each entry is checked as
// soon as it is read.
func parseSafetensors(data []byte) (f stFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = stFile{}, fmt.Errorf("%w: corrupt safetensors data (%v)", ErrFormat, r)
		}
	}()
	if len(data) < 8 {
		return stFile{}, fmt.Errorf("%w: %d bytes: too short for a safetensors file", ErrFormat, len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderBytes {
		return stFile{}, fmt.Errorf("%w: header of %d bytes, over MaxHeaderBytes (%d)", ErrFormat, n, MaxHeaderBytes)
	}
	if n > uint64(len(data)-8) {
		return stFile{}, fmt.Errorf("%w: header of %d bytes past the end of the %d-byte file", ErrFormat, n, len(data))
	}
	header, body := data[8:8+n], data[8+n:]
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return stFile{}, fmt.Errorf("%w: header is not a JSON object", ErrFormat)
	}
	var placed []placedTensor
	var meta map[string]string
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return stFile{}, fmt.Errorf("%w: header: %w", ErrFormat, err)
		}
		name, ok := tok.(string)
		if !ok {
			return stFile{}, fmt.Errorf("%w: header: key %v is not a string", ErrFormat, tok)
		}
		if name == "__metadata__" {
			if seenMeta {
				return stFile{}, fmt.Errorf("%w: header: two __metadata__ entries", ErrFormat)
			}
			seenMeta = true
			if err := dec.Decode(&meta); err != nil {
				return stFile{}, fmt.Errorf("%w: header: __metadata__: %w", ErrFormat, err)
			}
			continue
		}
		var e stEntry
		if err := dec.Decode(&e); err != nil {
			return stFile{}, fmt.Errorf("%w: header: tensor %q: %w", ErrFormat, name, err)
		}
		p, err := e.check(name)
		if err != nil {
			return stFile{}, fmt.Errorf("%w: header: tensor %q: %w", ErrFormat, name, err)
		}
		placed = append(placed, p)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return stFile{}, fmt.Errorf("%w: header: %w", ErrFormat, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return stFile{}, fmt.Errorf("%w: header: data after the JSON object", ErrFormat)
	}
	// The data: contiguous, in the order of the offsets, up to the end.
	slices.SortStableFunc(placed, func(a, b placedTensor) int { return cmp.Compare(a.lo, b.lo) })
	f = stFile{tensors: make(map[string]rawTensor, len(placed)), meta: meta}
	if f.meta == nil {
		f.meta = map[string]string{}
	}
	end := uint64(0)
	for _, p := range placed {
		if p.lo != end || p.hi > uint64(len(body)) {
			return stFile{}, fmt.Errorf("%w: tensor %q: data offsets [%d, %d] do not follow the previous tensor's (at %d) within the %d bytes of data", ErrFormat, p.name, p.lo, p.hi, end, len(body))
		}
		if _, dup := f.tensors[p.name]; dup {
			return stFile{}, fmt.Errorf("%w: header: tensor %q appears twice", ErrFormat, p.name)
		}
		p.t.data = body[p.lo:p.hi:p.hi]
		f.tensors[p.name] = p.t
		end = p.hi
	}
	if end != uint64(len(body)) {
		return stFile{}, fmt.Errorf("%w: %d bytes after the last tensor's data", ErrFormat, uint64(len(body))-end)
	}
	return f, nil
}

// check checks a header entry and returns the tensor it describes.
func (e stEntry) check(name string) (placedTensor, error) {
	if e.DType == nil || e.Shape == nil || e.DataOffsets == nil {
		return placedTensor{}, errors.New("want dtype, shape and data_offsets")
	}
	dt, err := safetensors.ParseDType(*e.DType)
	if err != nil {
		return placedTensor{}, err
	}
	shape := []uint64(*e.Shape)
	size := dt.Size()
	for _, d := range shape {
		if d == 0 {
			return placedTensor{}, fmt.Errorf("%w: shape %v: no elements (a model file has no empty tensors)", graph.ErrShape, shape)
		}
		if size > math.MaxInt64/d {
			return placedTensor{}, fmt.Errorf("%w: shape %v too large", graph.ErrShape, shape)
		}
		size *= d
	}
	off := *e.DataOffsets
	if len(off) != 2 || off[0] > off[1] || off[1]-off[0] != size {
		return placedTensor{}, fmt.Errorf("data offsets %v, want 2 offsets %d bytes apart", off, size)
	}
	return placedTensor{name: name, t: rawTensor{dtype: dt, shape: shape}, lo: off[0], hi: off[1]}, nil
}

// verifyChecksums checks the "checksums" metadata against every tensor of
// f, when present (or required), and the "header_checksum" metadata when
// present.
func (f stFile) verifyChecksums(required bool) error {
	if want, ok := f.meta[metaHeaderChecksum]; ok {
		if got := headerChecksum(f.meta, f.tensors); got != want {
			return fmt.Errorf("%w: the header is corrupt (%s %.16s…, want %.16s…)", ErrFormat, metaHeaderChecksum, got, want)
		}
	}
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
