package models

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/nlpodyssey/safetensors"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models/atomicfile"
)

// FormatVersion is the version of the model file format that Save writes
// and Load reads. Load rejects files of a newer version and reads every
// older one. Version 2 added the "header_checksum" metadata, which Load
// requires in files of version 2 and later.
const FormatVersion = 2

// torchFormatVersion is the format_version of the architecture that
// ExportTorch writes: PyTorch exports carry no header checksum, so they are
// still version 1 files (and byte for byte what gornn wrote before).
const torchFormatVersion = 1

// Keys of a model file's safetensors __metadata__ (a string-to-string map).
const (
	// metaFormat says what the file holds: formatNative ("gornn") for Save,
	// formatTorch ("pt", as Hugging Face tools write) for ExportTorch.
	metaFormat = "format"
	// metaModel holds the architecture as JSON (see architecture).
	metaModel = "model"
	// metaChecksums maps every tensor's name to the CRC-32 (IEEE) of its
	// bytes, as 8 hex digits, so that a flipped bit is caught on loading.
	metaChecksums = "checksums"
	// metaExtraTensors lists, as a JSON array, the tensors stored beside
	// the weights by saveFile (optimizer state, for example).
	metaExtraTensors = "extra_tensors"
	// metaHeaderChecksum is the SHA-256 of the rest of the header (every
	// other metadata entry and every tensor's name, dtype and shape), as 64
	// hex digits: see headerChecksum. Save writes it from format version 2.
	metaHeaderChecksum = "header_checksum"

	formatNative = "gornn"
	formatTorch  = "pt"
)

// filePerm is the permission of files written by Save and ExportTorch.
const filePerm = 0o644

// architecture is the JSON stored under the "model" metadata key: all that
// is needed to rebuild a model before its weights are set.
type architecture struct {
	FormatVersion int    `json:"format_version"`
	Name          string `json:"name"`
	// Functional is set for models made with New (absent means
	// NewSequential): it only changes what Summary shows.
	Functional bool            `json:"functional,omitempty"`
	Seed       uint64          `json:"seed"`
	DType      string          `json:"dtype"`
	InputShape []int           `json:"input_shape"`
	Layers     []layers.Config `json:"layers"`
	// Wiring holds a graph model's inputs and connections (NewMulti);
	// absent for a chain.
	Wiring *wiring `json:"wiring,omitempty"`
}

// architecture returns m's architecture, marked with the given format
// version.
func (m *Model) architecture(version int) architecture {
	a := architecture{
		FormatVersion: version,
		Name:          m.name,
		Functional:    m.functional,
		Seed:          m.seed,
		DType:         m.dt.String(),
		InputShape:    slices.Clone(m.inShape),
		Wiring:        m.wiring,
	}
	for _, l := range m.layers {
		a.Layers = append(a.Layers, l.Config())
	}
	return a
}

// Save writes m to path as one safetensors file: every weight in Keras
// layout under its hierarchical name ("lstm/kernel", "dense/bias") in the
// model's dtype, and the architecture as JSON in the metadata, so that
// Load rebuilds the same model. The file is replaced atomically: readers see
// the old file or the new one, never a partial write. A model whose
// weights are not all finite is not saved (an error wrapping
// graph.ErrNotFinite). Save reads the weights: it must not run while they
// change (training). docs/saving.md describes the format.
//
// Every layer's kind must be registered (layers.Register; the built-in
// ones are), and the layer its Config decodes to must have the weights the
// layer has: otherwise Save returns an error wrapping ErrModel and writes
// nothing. docs/custom-layers.md shows a layer of one's own saved and
// loaded.
func Save(m *Model, path string) error {
	return saveFile(path, m, nil, nil)
}

// saveFile is Save with extra tensors and metadata stored beside the
// weights, for checkpoints. The extra tensors (float32 or float64, rank at
// least 1) are stored under their own names, which must not collide with a
// weight's; their names are listed under the "extra_tensors" metadata key,
// so Load knows they are not stray data. extraMeta must not use the keys
// "format", "model", "checksums", "extra_tensors" or "header_checksum";
// "training" is left for trainer state. loadFile returns both.
func saveFile(path string, m *Model, extra map[string]*graph.Tensor, extraMeta map[string]string) error {
	if err := m.usable(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := checkLoadable(m); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tensors, err := nativeTensors(m)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	meta, err := modelMetadata(m, formatNative)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	names := make([]string, 0, len(extra))
	for name, t := range extra {
		if _, ok := tensors[name]; ok || name == "" || name == "__metadata__" {
			return fmt.Errorf("%w: save %s: extra tensor name %q is empty, reserved or a weight's", graph.ErrArgument, path, name)
		}
		raw, err := encodeTensor(t)
		if err != nil {
			return fmt.Errorf("save %s: extra tensor %q: %w", path, name, err)
		}
		tensors[name] = raw
		names = append(names, name)
	}
	if len(names) > 0 {
		slices.Sort(names)
		js, err := json.Marshal(names)
		if err != nil {
			return fmt.Errorf("save %s: %w", path, err)
		}
		meta[metaExtraTensors] = string(js)
	}
	for k, v := range extraMeta {
		if _, ok := meta[k]; ok || k == "" || k == metaExtraTensors || k == metaChecksums || k == metaHeaderChecksum {
			return fmt.Errorf("%w: save %s: metadata key %q is empty or reserved", graph.ErrArgument, path, k)
		}
		meta[k] = v
	}
	return writeSafetensors(path, tensors, meta)
}

// checkLoadable refuses to save what Load could not rebuild: a layer kind
// that is not registered (layers.Register), or a configuration that does
// not give the layer the weights it has.
func checkLoadable(m *Model) error {
	_, _, specs, err := m.architecture(FormatVersion).plan()
	if err != nil {
		return fmt.Errorf("%w: Load could not rebuild this model: %w", ErrModel, err)
	}
	for i, lw := range m.Weights() {
		want := specs[i].weights
		ok := len(want) == len(lw.Weights)
		for j := 0; ok && j < len(want); j++ {
			ok = want[j].Name == lw.Weights[j].Name && slices.Equal(want[j].Shape, lw.Weights[j].Shape)
		}
		if !ok {
			return fmt.Errorf("%w: Load could not rebuild this model: layer %s's configuration does not give it the weights it has", ErrModel, lw.Layer)
		}
	}
	return nil
}

// nativeTensors returns m's weights in Keras layout, named
// "<layer>/<weight>", encoded in the model's dtype.
func nativeTensors(m *Model) (map[string]rawTensor, error) {
	out := map[string]rawTensor{}
	for _, lw := range m.Weights() {
		for _, w := range lw.Weights {
			name := lw.Layer + "/" + w.Name
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("%w: two weights are named %q", ErrModel, name)
			}
			if err := checkFiniteData(name, w.Data); err != nil {
				return nil, err
			}
			out[name] = encodeFloats(m.dt, w.Shape, w.Data)
		}
	}
	return out, nil
}

// modelMetadata returns the metadata every file written here carries: the
// architecture is marked with FormatVersion in model files and with
// torchFormatVersion in PyTorch exports.
func modelMetadata(m *Model, format string) (map[string]string, error) {
	version := FormatVersion
	if format == formatTorch {
		version = torchFormatVersion
	}
	js, err := json.Marshal(m.architecture(version))
	if err != nil {
		return nil, err
	}
	return map[string]string{metaFormat: format, metaModel: string(js)}, nil
}

// writeSafetensors atomically writes tensors and metadata, with the
// tensors' checksums added, to path with the safetensors codec. A model
// file (format "gornn") also gets its header checksum; any stale one in
// meta is replaced or, for other formats, dropped. meta is changed in
// place. A header larger than MaxHeaderBytes, which Load would refuse, is
// an error and nothing is written.
func writeSafetensors(path string, tensors map[string]rawTensor, meta map[string]string) error {
	sums := make(map[string]string, len(tensors))
	for name, t := range tensors {
		sums[name] = checksum(t.data)
	}
	js, err := json.Marshal(sums)
	if err != nil {
		return err
	}
	meta[metaChecksums] = string(js)
	delete(meta, metaHeaderChecksum)
	if meta[metaFormat] == formatNative {
		meta[metaHeaderChecksum] = headerChecksum(meta, tensors)
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		return safetensors.SerializeToWriter(tensors, meta, &headerLimit{w: w})
	}, filePerm)
}

// headerLimit passes writes through to w, failing once the first 8 bytes
// (a safetensors file's header length) announce a header larger than
// MaxHeaderBytes.
type headerLimit struct {
	w    io.Writer
	head []byte // the first bytes written, until there are 8
}

func (h *headerLimit) Write(p []byte) (int, error) {
	if len(h.head) < 8 {
		k := min(8-len(h.head), len(p))
		h.head = append(h.head, p[:k]...)
		if len(h.head) == 8 {
			if n := binary.LittleEndian.Uint64(h.head); n > MaxHeaderBytes {
				return 0, fmt.Errorf("%w: the file's header would take %d bytes, over MaxHeaderBytes (%d) that Load accepts", ErrModel, n, MaxHeaderBytes)
			}
		}
	}
	return h.w.Write(p)
}

// headerChecksum returns the header checksum of a file with these
// metadata and tensors: the SHA-256, as 64 lowercase hex digits, of
//
//   - for every metadata entry but "header_checksum", in increasing byte
//     order of keys: the byte 'M', the key's length as a little-endian
//     uint64, the key, the value's length (uint64 LE), the value;
//   - then for every tensor, in increasing byte order of names: the byte
//     'T', the name's length (uint64 LE), the name, the length of the
//     dtype's name (uint64 LE), the dtype's name ("F32"), the rank (uint64
//     LE) and each dimension (uint64 LE).
//
// It covers every byte of the header that Load gives a meaning to except
// the tensors' data offsets: their data is covered by the CRC-32s of the
// "checksums" entry, keyed by name, which this checksum covers in turn.
func headerChecksum(meta map[string]string, tensors map[string]rawTensor) string {
	h := &headerHash{h: sha256.New()}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if k == metaHeaderChecksum {
			continue
		}
		h.tag('M')
		h.string(k)
		h.string(meta[k])
	}
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		t := tensors[name]
		h.tag('T')
		h.string(name)
		h.string(dtypeName(t.dtype))
		h.uint(uint64(len(t.shape)))
		for _, d := range t.shape {
			h.uint(d)
		}
	}
	return hex.EncodeToString(h.h.Sum(nil))
}

// headerHash feeds headerChecksum's canonical bytes to a hash, through a
// buffer (so that a long string is not copied whole).
type headerHash struct {
	h   hash.Hash
	buf [512]byte
}

func (h *headerHash) tag(b byte) {
	h.buf[0] = b
	h.h.Write(h.buf[:1])
}

// string writes s preceded by its length.
func (h *headerHash) string(s string) {
	h.uint(uint64(len(s)))
	for len(s) > 0 {
		n := copy(h.buf[:], s)
		h.h.Write(h.buf[:n])
		s = s[n:]
	}
}

// uint writes v as 8 little-endian bytes.
func (h *headerHash) uint(v uint64) {
	binary.LittleEndian.PutUint64(h.buf[:8], v)
	h.h.Write(h.buf[:8])
}

// dtypeName is dt's safetensors name, without the codec's panic on an
// invalid value.
func dtypeName(dt safetensors.DType) string {
	if dt > safetensors.U64 {
		return fmt.Sprintf("dtype(%d)", dt)
	}
	return dt.String()
}

// checksum returns the CRC-32 (IEEE) of data as 8 hex digits.
func checksum(data []byte) string {
	return fmt.Sprintf("%08x", crc32.ChecksumIEEE(data))
}

// rawTensor is one tensor as stored in a safetensors file: dtype, shape and
// little-endian bytes. It implements safetensors.View for writing.
type rawTensor struct {
	dtype safetensors.DType
	shape []uint64
	data  []byte
}

func (t rawTensor) DType() safetensors.DType { return t.dtype }
func (t rawTensor) Shape() []uint64          { return t.shape }
func (t rawTensor) Data() []byte             { return t.data }
func (t rawTensor) DataLen() uint64          { return uint64(len(t.data)) }

// encodeFloats encodes data (row-major, of the given shape) as float32 or
// float64 little-endian values.
func encodeFloats(dt graph.DType, shape []int, data []float64) rawTensor {
	t := rawTensor{dtype: stDType(dt), shape: make([]uint64, len(shape))}
	for i, d := range shape {
		t.shape[i] = uint64(d)
	}
	if dt == graph.Float32 {
		t.data = make([]byte, 4*len(data))
		for i, v := range data {
			binary.LittleEndian.PutUint32(t.data[4*i:], math.Float32bits(float32(v)))
		}
		return t
	}
	t.data = make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(t.data[8*i:], math.Float64bits(v))
	}
	return t
}

// encodeTensor encodes a float32 or float64 tensor of rank at least 1 with
// positive dimensions, values copied as they are.
func encodeTensor(t *graph.Tensor) (rawTensor, error) {
	if t == nil {
		return rawTensor{}, fmt.Errorf("%w: nil tensor", graph.ErrArgument)
	}
	dt, err := graph.DTypeOf(t)
	if err != nil {
		return rawTensor{}, err
	}
	shape := t.Shape()
	if len(shape) == 0 || len(shape) > MaxRank || slices.ContainsFunc(shape, func(d int) bool { return d <= 0 }) {
		return rawTensor{}, fmt.Errorf("%w: shape %v (want rank 1 to MaxRank (%d), positive dimensions)", graph.ErrShape, shape, MaxRank)
	}
	data := graph.Float64s(t)
	if len(data) != t.Len() {
		return rawTensor{}, fmt.Errorf("%w: %d values for shape %v", graph.ErrShape, len(data), shape)
	}
	return encodeFloats(dt, shape, data), nil
}

// checkFiniteData returns an error wrapping graph.ErrNotFinite naming the
// first NaN or infinity of data.
func checkFiniteData(name string, data []float64) error {
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s[%d] = %v", graph.ErrNotFinite, name, i, v)
		}
	}
	return nil
}
