package models

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/gornn/gornn/graph"
)

// loaded is what a file loads as: predictions on a fixed input (as bits),
// the architecture, the weights, the extras and the metadata.
type loaded struct {
	preds  []uint64
	arch   architecture
	dt     graph.DType
	ws     []LayerWeights
	extras map[string][]uint64
	shapes map[string][]int
	dtypes map[string]graph.DType
	meta   map[string]string
}

// loadAs decodes data as LoadWith would and describes the result.
func loadAs(t *testing.T, data []byte, x *graph.Tensor) (loaded, error) {
	t.Helper()
	m, extra, meta, err := decodeModel(data)
	if err != nil {
		if m != nil {
			t.Fatal("a model with an error")
		}
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("error %v does not wrap ErrFormat", err)
		}
		return loaded{}, err
	}
	y, err := m.Predict(x)
	if err != nil {
		t.Fatalf("a loaded model does not predict: %v", err)
	}
	l := loaded{preds: bitsOf(graph.Float64s(y)), arch: m.architecture(FormatVersion), dt: m.DType(), ws: m.Weights(),
		extras: map[string][]uint64{}, shapes: map[string][]int{}, dtypes: map[string]graph.DType{}, meta: meta}
	for name, e := range extra {
		l.extras[name] = bitsOf(graph.Float64s(e))
		l.shapes[name] = []int(e.Shape())
		l.dtypes[name], _ = graph.DTypeOf(e)
	}
	return l, nil
}

func bitsOf(v []float64) []uint64 {
	out := make([]uint64, len(v))
	for i, f := range v {
		out[i] = math.Float64bits(f)
	}
	return out
}

// mutationBase is a checkpoint-like file: LSTM(3) + Dense(2, linear),
// float32, with two extra tensors and training metadata.
func mutationBase(t *testing.T) ([]byte, *graph.Tensor) {
	m := loadTestModel(t, graph.Float32)
	mom, err := graph.FromFloat64s(graph.Float32, []float64{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	step, err := graph.FromFloat64s(graph.Float64, []float64{42, 43, 44}, 3)
	if err != nil {
		t.Fatal(err)
	}
	data := savedBytes(t, m, map[string]*graph.Tensor{"optimizer/m": mom, "optimizer/step": step},
		map[string]string{"training": `{"epoch":3,"loss":"mse","optimizer":{"type":"adam","learning_rate":0.001}}`})
	x, err := graph.FromFloat64s(graph.Float32, []float64{0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 0.15, -0.25, 0.35, 0.45, -0.55, 0.65, 0.75}, 2, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	return data, x
}

// byteMutations returns the replacements tried for a header byte: every
// single-bit flip, every other digit for a digit, and a few other letters
// for a letter (so that "linear" may become "linebr", "relu" "rely").
func byteMutations(c byte) []byte {
	var out []byte
	for bit := range 8 {
		out = append(out, c^1<<bit)
	}
	switch {
	case c >= '0' && c <= '9':
		for d := byte('0'); d <= '9'; d++ {
			out = append(out, d)
		}
	case c >= 'a' && c <= 'z':
		out = append(out, 'a'+(c-'a'+1)%26, 'a'+(c-'a'+7)%26, 'a'+(c-'a'+13)%26)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(b byte) bool { return b == c })
}

// TestHeaderMutations changes bytes of a saved file's header, one at a
// time, and whole values (with the tensors' checksums right and the
// header checksum left as it was), and checks that every change Load
// accepts loads exactly the same model: the same predictions, bit for
// bit, the same architecture, weights, extras and metadata.
func TestHeaderMutations(t *testing.T) {
	base, x := mutationBase(t)
	want, err := loadAs(t, base, x)
	if err != nil {
		t.Fatal(err)
	}
	tried, rejected := 0, 0
	try := func(what string, data []byte) {
		tried++
		got, err := loadAs(t, data, x)
		if err != nil {
			rejected++
			return
		}
		if os.Getenv("GORNN_SHOW_ACCEPTED") != "" {
			t.Logf("accepted: %s", what)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: loads as a different model", what)
		}
	}

	// Every byte of the header (and its length).
	n := int(binary.LittleEndian.Uint64(base))
	bytesTried := 0
	for i := range 8 + n {
		for _, b := range byteMutations(base[i]) {
			data := slices.Clone(base)
			data[i] = b
			try(fmt.Sprintf("byte %d: %q to %q", i, base[i], b), data)
			bytesTried++
		}
	}
	byteRejected := rejected

	// Whole values, the JSON kept valid.
	edits := []struct {
		name string
		edit func(f *stFile)
	}{
		{"linear to relu", replaceIn(metaModel, `"linear"`, `"relu"`)},
		{"linear to tanh", replaceIn(metaModel, `"linear"`, `"tanh"`)},
		{"activation dropped", replaceIn(metaModel, `,"activation":"linear"`, ``)},
		{"seed", replaceIn(metaModel, `"seed":5`, `"seed":6`)},
		{"model name", replaceIn(metaModel, `"name":"sequential"`, `"name":"sequentiam"`)},
		{"functional", replaceIn(metaModel, `"seed":5`, `"functional":true,"seed":5`)},
		{"return_sequences", replaceIn(metaModel, `"units":3`, `"units":3,"return_sequences":true`)},
		{"unit_forget_bias", replaceIn(metaModel, `"unit_forget_bias":true`, `"unit_forget_bias":false`)},
		{"version 2 to 1", replaceIn(metaModel, `"format_version":2`, `"format_version":1`)},
		{"training epoch", replaceIn("training", `"epoch":3`, `"epoch":4`)},
		{"training loss", replaceIn("training", `"mse"`, `"mae"`)},
		{"learning rate", replaceIn("training", `0.001`, `0.01`)},
		{"extra_tensors reordered", func(f *stFile) { f.meta[metaExtraTensors] = `["optimizer/step","optimizer/m"]` }},
		{"training removed", func(f *stFile) { delete(f.meta, "training") }},
		{"metadata added", func(f *stFile) { f.meta["notes"] = "x" }},
		{"header checksum removed", func(f *stFile) { delete(f.meta, metaHeaderChecksum) }},
		{"extra reshaped", func(f *stFile) {
			e := f.tensors["optimizer/m"]
			e.shape = []uint64{3, 2}
			f.tensors["optimizer/m"] = e
		}},
		{"extra retyped", func(f *stFile) {
			e := f.tensors["optimizer/m"]
			e.dtype, e.shape = safetensors.F64, []uint64{3}
			f.tensors["optimizer/m"] = e
		}},
		{"extra data swapped", func(f *stFile) {
			a, b := f.tensors["optimizer/m"], f.tensors["lstm/bias"]
			a.data, b.data = b.data[:len(a.data)], a.data
			f.tensors["optimizer/m"] = a
		}},
	}
	for _, e := range edits {
		f, err := parseSafetensors(base)
		if err != nil {
			t.Fatal(err)
		}
		e.edit(&f)
		// The codec alone: nothing recomputed.
		data, err := safetensors.Serialize(f.tensors, f.meta)
		if err != nil {
			t.Fatal(err)
		}
		before := rejected
		try(e.name, data)
		if rejected == before {
			t.Errorf("%s: accepted with a stale header checksum", e.name)
		}
	}
	// A version-1 reader's view: both the version and the checksum gone.
	f, err := parseSafetensors(base)
	if err != nil {
		t.Fatal(err)
	}
	replaceIn(metaModel, `"format_version":2`, `"format_version":1`)(&f)
	delete(f.meta, metaHeaderChecksum)
	data, err := safetensors.Serialize(f.tensors, f.meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadAs(t, data, x); err != nil {
		t.Errorf("the same file as version 1, without a header checksum: %v", err)
	}
	t.Logf("%d mutations tried, %d rejected, %d accepted, each loading the same model; of them %d single-byte changes of the %d-byte header and its length (%d rejected) and %d whole-value edits (%d rejected)",
		tried, rejected, tried-rejected, bytesTried, n, byteRejected, len(edits), rejected-byteRejected)
}

// replaceIn returns an edit replacing old by new in a metadata value.
func replaceIn(key, old, new string) func(f *stFile) {
	return func(f *stFile) {
		if !strings.Contains(f.meta[key], old) {
			panic("no " + old + " in " + f.meta[key])
		}
		f.meta[key] = strings.Replace(f.meta[key], old, new, 1)
	}
}

// TestHeaderChecksumAsDocumented recomputes the header checksum of a saved
// file from its raw header, as docs/saving.md describes it, without the
// package's parser.
func TestHeaderChecksumAsDocumented(t *testing.T) {
	data, _ := mutationBase(t)
	n := binary.LittleEndian.Uint64(data)
	var header map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	if err := json.Unmarshal(header["__metadata__"], &meta); err != nil {
		t.Fatal(err)
	}
	u64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	str := func(s string) []byte { return append(u64(uint64(len(s))), s...) }
	var canon []byte
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != "header_checksum" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		canon = append(append(append(canon, 'M'), str(k)...), str(meta[k])...)
	}
	var names []string
	for k := range header {
		if k != "__metadata__" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		var e struct {
			DType string   `json:"dtype"`
			Shape []uint64 `json:"shape"`
		}
		if err := json.Unmarshal(header[name], &e); err != nil {
			t.Fatal(err)
		}
		canon = append(append(append(canon, 'T'), str(name)...), str(e.DType)...)
		canon = append(canon, u64(uint64(len(e.Shape)))...)
		for _, d := range e.Shape {
			canon = append(canon, u64(d)...)
		}
	}
	sum := sha256.Sum256(canon)
	if got, want := hex.EncodeToString(sum[:]), meta["header_checksum"]; got != want {
		t.Errorf("documented header checksum %s, the file has %s", got, want)
	}
	if !strings.Contains(meta[metaModel], `"format_version":2`) {
		t.Errorf("Save writes %s, want format version 2", meta[metaModel])
	}
}

// TestHeaderChecksumErrors: a version-2 file must have a header checksum,
// and any file that has one must match it.
func TestHeaderChecksumErrors(t *testing.T) {
	base := savedBytes(t, loadTestModel(t, graph.Float32), nil, nil)
	for _, c := range []struct {
		name string
		edit func(f *stFile)
		want string
	}{
		{"missing", func(f *stFile) { delete(f.meta, metaHeaderChecksum) }, "no \"header_checksum\""},
		{"wrong", func(f *stFile) { f.meta[metaHeaderChecksum] = strings.Repeat("0", 64) }, "header is corrupt"},
		{"linear to relu", replaceIn(metaModel, `"linear"`, `"relu"`), "header is corrupt"},
		{"on a version-1 file", func(f *stFile) {
			replaceIn(metaModel, `"format_version":2`, `"format_version":1`)(f)
		}, "header is corrupt"},
	} {
		f, err := parseSafetensors(base)
		if err != nil {
			t.Fatal(err)
		}
		c.edit(&f)
		data, err := safetensors.Serialize(f.tensors, f.meta)
		if err != nil {
			t.Fatal(err)
		}
		_, err = decodeModelBytes(data)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrFormat mentioning %q", c.name, err, c.want)
		}
	}
}

// TestLoadVersion1Files loads files written by gornn's format version 1
// (models/testdata/v1, kept as written, not regenerated) and checks their
// predictions against those recorded when they were saved; saved again,
// they become version-2 files that load the same.
func TestLoadVersion1Files(t *testing.T) {
	js, err := os.ReadFile("testdata/v1/predictions.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		File   string    `json:"file"`
		Input  []float64 `json:"input"`
		Shape  []int     `json:"input_shape"`
		Output []float64 `json:"predictions"`
	}
	if err := json.Unmarshal(js, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 {
		t.Fatalf("%d cases", len(cases))
	}
	for _, c := range cases {
		path := filepath.Join("testdata/v1", c.File)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parseSafetensors(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := f.meta[metaHeaderChecksum]; ok || !strings.Contains(f.meta[metaModel], `"format_version":1`) {
			t.Fatalf("%s is not a version-1 file", path)
		}
		m, x, err := LoadWith(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		in, err := graph.FromFloat64s(m.DType(), c.Input, c.Shape...)
		if err != nil {
			t.Fatal(err)
		}
		y, err := m.Predict(in)
		if err != nil {
			t.Fatal(err)
		}
		// float64 predictions are recorded bit for bit; float32 ones to
		// float32 rounding, since the plain-Go kernels (GORNN_SIMD=off)
		// round sigmoid and tanh differently from the AVX2 ones that
		// recorded them.
		if got := graph.Float64s(y); m.DType() == graph.Float64 && !slices.Equal(bitsOf(got), bitsOf(c.Output)) ||
			m.DType() == graph.Float32 && !within(got, c.Output, 1e-6) {
			t.Errorf("%s predicts %v, recorded %v", path, got, c.Output)
		}
		again := filepath.Join(t.TempDir(), c.File)
		if err := SaveWith(m, again, x); err != nil {
			t.Fatal(err)
		}
		m2, x2, err := LoadWith(again)
		if err != nil {
			t.Fatalf("%s saved again: %v", path, err)
		}
		y2, err := m2.Predict(in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(bitsOf(graph.Float64s(y2)), bitsOf(graph.Float64s(y))) || !reflect.DeepEqual(x2.Meta, x.Meta) || len(x2.Tensors) != len(x.Tensors) {
			t.Errorf("%s saved again as version 2 loads differently", path)
		}
	}
	// The checkpoint's extras and training state.
	_, x, err := LoadWith("testdata/v1/checkpoint_f64.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if x.Meta["training"] != `{"epoch":4,"loss":"mse"}` || len(x.Tensors) != 2 ||
		!slices.Equal(graph.Float64s(x.Tensors["optimizer/dense/bias/m"]), []float64{0.5, -0.25, 0.125}) {
		t.Errorf("the version-1 checkpoint's extras: %v", x)
	}
}

// within reports whether got and want have the same length and every
// element of got is within tol·max(1, |want|) of want's.
func within(got, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			return false
		}
	}
	return true
}
