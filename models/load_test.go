package models

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// loadTestModel returns a small LSTM(3)+Dense(2) model on inputs [4, 2].
func loadTestModel(t testing.TB, dt graph.DType) *Model {
	t.Helper()
	l, err := layers.NewLSTM(3, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers.NewDense(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewSequential([]int{4, 2}, []layers.Layer{l, d}, &Options{DType: dt, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// savedBytes saves m with saveFile and returns the file's bytes.
func savedBytes(t testing.TB, m *Model, extra map[string]*graph.Tensor, meta map[string]string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := saveFile(path, m, extra, meta); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// rewritten parses a file, lets edit change its tensors and metadata and
// writes it again, checksums recomputed.
func rewritten(t testing.TB, data []byte, edit func(f *stFile)) []byte {
	t.Helper()
	f, err := parseSafetensors(data)
	if err != nil {
		t.Fatal(err)
	}
	edit(&f)
	path := filepath.Join(t.TempDir(), "edited.safetensors")
	if err := writeSafetensors(path, f.tensors, f.meta); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// editArchitecture rewrites the architecture JSON with replace.
func editArchitecture(old, new string) func(f *stFile) {
	return func(f *stFile) { f.meta[metaModel] = strings.Replace(f.meta[metaModel], old, new, 1) }
}

// loadCorruptions are broken variants of a valid file (LSTM(3)+Dense(2),
// float32), each with the sentinels its error must wrap besides ErrFormat.
func loadCorruptions(t testing.TB) []struct {
	name string
	data []byte
	want []error
} {
	base := savedBytes(t, loadTestModel(t, graph.Float32), nil, nil)
	headerLen := binary.LittleEndian.Uint64(base)
	withLen := func(n uint64) []byte {
		out := slices.Clone(base)
		binary.LittleEndian.PutUint64(out, n)
		return out
	}
	flip := func(i int) []byte {
		out := slices.Clone(base)
		out[i] ^= 0x10
		return out
	}
	nan := make([]byte, 4*2)
	binary.LittleEndian.PutUint32(nan, math.Float32bits(float32(math.NaN())))
	return []struct {
		name string
		data []byte
		want []error
	}{
		{"empty", nil, nil},
		{"seven bytes", base[:7], nil},
		{"truncated header", base[:8+headerLen/2], nil},
		{"truncated data", base[:len(base)-1], nil},
		{"one byte more", append(slices.Clone(base), 0), nil},
		{"absurd header length", withLen(1 << 62), nil},
		{"header length past the end", withLen(uint64(len(base))), nil},
		{"flipped header byte", flip(8), nil},
		{"flipped data byte", flip(len(base) - 3), nil},
		{"missing tensor", rewritten(t, base, func(f *stFile) { delete(f.tensors, "lstm/bias") }), nil},
		{"extra tensor", rewritten(t, base, func(f *stFile) { f.tensors["lstm/extra"] = f.tensors["dense/bias"] }), nil},
		{"tensor reshaped", rewritten(t, base, func(f *stFile) {
			k := f.tensors["lstm/kernel"]
			k.shape = []uint64{k.shape[1], k.shape[0]}
			f.tensors["lstm/kernel"] = k
		}), []error{graph.ErrShape}},
		{"units differ from tensors", rewritten(t, base, editArchitecture(`"units":3`, `"units":4`)), []error{graph.ErrShape}},
		{"unknown layer type", rewritten(t, base, editArchitecture(`"type":"lstm"`, `"type":"conv1d"`)), []error{layers.ErrConfig}},
		{"zero units", rewritten(t, base, editArchitecture(`"units":2`, `"units":0`)), []error{layers.ErrConfig}},
		{"unknown activation", rewritten(t, base, editArchitecture(`"linear"`, `"swish"`)), []error{layers.ErrConfig}},
		{"option of another layer type", rewritten(t, base, editArchitecture(`"units":2`, `"units":2,"return_sequences":true`)), []error{layers.ErrConfig}},
		{"newer format version", rewritten(t, base, editArchitecture(`"format_version":2`, `"format_version":3`)), nil},
		{"format version zero", rewritten(t, base, editArchitecture(`"format_version":2`, `"format_version":0`)), nil},
		{"unknown architecture field", rewritten(t, base, editArchitecture(`"seed":5`, `"seed":5,"optimizer":"adam"`)), nil},
		{"unknown dtype", rewritten(t, base, editArchitecture(`"float32"`, `"float16"`)), []error{graph.ErrArgument}},
		{"dtype mismatch", rewritten(t, base, editArchitecture(`"float32"`, `"float64"`)), []error{graph.ErrDType}},
		{"F16 tensor", rewritten(t, base, func(f *stFile) {
			b := f.tensors["dense/bias"]
			b.dtype, b.shape = safetensors.F16, []uint64{4}
			f.tensors["dense/bias"] = b
		}), []error{graph.ErrDType}},
		{"NaN weight", rewritten(t, base, func(f *stFile) {
			f.tensors["dense/bias"] = rawTensor{dtype: safetensors.F32, shape: []uint64{2}, data: nan}
		}), []error{graph.ErrNotFinite}},
		{"repeated layer name", rewritten(t, base, editArchitecture(`"name":"dense"`, `"name":"lstm"`)), nil},
		{"empty model name", rewritten(t, base, editArchitecture(`"name":"sequential"`, `"name":""`)), nil},
		{"no layers", rewritten(t, base, func(f *stFile) {
			f.meta[metaModel] = `{"format_version":1,"name":"m","seed":0,"dtype":"float32","input_shape":[4,2],"layers":[]}`
			f.tensors = map[string]rawTensor{}
		}), nil},
		{"bad input shape", rewritten(t, base, editArchitecture(`"input_shape":[4,2]`, `"input_shape":[4,-2]`)), []error{graph.ErrShape}},
		{"recurrent layer on vectors", rewritten(t, base, editArchitecture(`"input_shape":[4,2]`, `"input_shape":[2]`)), []error{graph.ErrShape}},
		{"no architecture", rewritten(t, base, func(f *stFile) { delete(f.meta, metaModel) }), nil},
		{"architecture not JSON", rewritten(t, base, func(f *stFile) { f.meta[metaModel] = "{" }), nil},
		{"no format", rewritten(t, base, func(f *stFile) { delete(f.meta, metaFormat) }), nil},
		{"PyTorch export", rewritten(t, base, func(f *stFile) { f.meta[metaFormat] = formatTorch }), nil},
		{"other format", rewritten(t, base, func(f *stFile) { f.meta[metaFormat] = "tf" }), nil},
		{"no checksums", func() []byte {
			f, err := parseSafetensors(base)
			if err != nil {
				t.Fatal(err)
			}
			delete(f.meta, metaChecksums)
			raw, err := safetensors.Serialize(f.tensors, f.meta)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}(), nil},
		{"extra tensor listed but missing", rewritten(t, base, func(f *stFile) { f.meta[metaExtraTensors] = `["step"]` }), nil},
		{"extra tensors not JSON", rewritten(t, base, func(f *stFile) { f.meta[metaExtraTensors] = `step` }), nil},
		{"extra tensor is a weight", rewritten(t, base, func(f *stFile) { f.meta[metaExtraTensors] = `["dense/bias"]` }), nil},
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range loadCorruptions(t) {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.safetensors")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Load(path)
			if err == nil || m != nil {
				t.Fatalf("Load = %v, %v; want no model and an error", m, err)
			}
			for _, want := range append([]error{ErrFormat}, c.want...) {
				if !errors.Is(err, want) {
					t.Errorf("error %q does not wrap %q", err, want)
				}
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	m, err := Load(filepath.Join(t.TempDir(), "none.safetensors"))
	if m != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, %v; want fs.ErrNotExist", m, err)
	}
}

func TestLoadErrorMessages(t *testing.T) {
	for name, want := range map[string]string{
		"newer format version": "newer",
		"PyTorch export":       "ImportTorch",
		"flipped data byte":    "corrupt",
		"missing tensor":       `"lstm/bias"`,
		"extra tensor":         `"lstm/extra"`,
	} {
		for _, c := range loadCorruptions(t) {
			if c.name != name {
				continue
			}
			_, err := decodeModelBytes(c.data)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v does not mention %s", name, err, want)
			}
		}
	}
}

func decodeModelBytes(data []byte) (*Model, error) {
	m, _, _, err := decodeModel(data)
	return m, err
}

// TestWeightShapesMatchBuild keeps weightShapes, which Load uses to check
// tensors before building, in step with the layers' Build.
func TestWeightShapesMatchBuild(t *testing.T) {
	yes := true
	cfgs := []layers.Config{
		{Kind: "dense", Units: 3, Activation: "tanh"},
		{Kind: "simple_rnn", Units: 4},
		{Kind: "simple_rnn", Units: 4, ReturnSequences: true},
		{Kind: "lstm", Units: 2, UnitForgetBias: &yes},
		{Kind: "lstm", Units: 2, ReturnSequences: true},
		{Kind: "gru", Units: 5},
		{Kind: "gru", Units: 5, ReturnSequences: true},
	}
	for _, c := range cfgs {
		for _, in := range [][]int{{3}, {6, 3}, {6, 3, 2}} {
			l, err := layers.FromConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.SetName("x"); err != nil {
				t.Fatal(err)
			}
			out, buildErr := l.Build(graph.Float32, in, graph.NewRNG(1))
			ws, wantOut, err := weightShapes(c, in)
			if (buildErr == nil) != (err == nil) {
				t.Errorf("%+v on %v: Build error %v, weightShapes error %v", c, in, buildErr, err)
				continue
			}
			if err != nil {
				continue
			}
			if !slices.Equal(out, wantOut) {
				t.Errorf("%+v on %v: output %v, weightShapes says %v", c, in, out, wantOut)
			}
			built := l.Weights()
			if len(built) != len(ws) {
				t.Fatalf("%+v: %d weights, weightShapes says %d", c, len(built), len(ws))
			}
			for i := range ws {
				if built[i].Name != ws[i].Name || !slices.Equal(built[i].Shape, ws[i].Shape) {
					t.Errorf("%+v on %v: weight %s %v, weightShapes says %s %v", c, in, built[i].Name, built[i].Shape, ws[i].Name, ws[i].Shape)
				}
			}
		}
	}
}

func TestSaveFileExtras(t *testing.T) {
	m := loadTestModel(t, graph.Float32)
	moment, err := graph.FromFloat64s(graph.Float32, []float64{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	step, err := graph.FromFloat64s(graph.Float64, []float64{42}, 1)
	if err != nil {
		t.Fatal(err)
	}
	extra := map[string]*graph.Tensor{"optimizer/lstm/kernel/m": moment, "optimizer/step": step}
	meta := map[string]string{"training": `{"epoch":3}`}
	data := savedBytes(t, m, extra, meta)
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, gotExtra, gotMeta, err := loadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Weights(), m.Weights()) {
		t.Error("weights differ")
	}
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("metadata %v, want %v", gotMeta, meta)
	}
	if len(gotExtra) != len(extra) {
		t.Fatalf("%d extra tensors, want %d", len(gotExtra), len(extra))
	}
	for name, want := range extra {
		g := gotExtra[name]
		if g == nil || g.DType() != want.DType() || !slices.Equal(g.Shape(), want.Shape()) || !slices.Equal(graph.Float64s(g), graph.Float64s(want)) {
			t.Errorf("extra %s = %v, want %v", name, g, want)
		}
	}
	// Load reads the model of a checkpoint.
	if lm, err := Load(path); err != nil || !reflect.DeepEqual(lm.Weights(), m.Weights()) {
		t.Errorf("Load of a file with extras: %v", err)
	}

	bad := []struct {
		name  string
		extra map[string]*graph.Tensor
		meta  map[string]string
	}{
		{"weight name", map[string]*graph.Tensor{"lstm/kernel": moment}, nil},
		{"empty name", map[string]*graph.Tensor{"": moment}, nil},
		{"nil tensor", map[string]*graph.Tensor{"x": nil}, nil},
		{"scalar", map[string]*graph.Tensor{"x": graph.NewTensor(graph.Float32)}, nil},
		{"reserved key", nil, map[string]string{metaModel: "{}"}},
		{"checksums key", nil, map[string]string{metaChecksums: "{}"}},
		{"extras key", nil, map[string]string{metaExtraTensors: "[]"}},
		{"empty key", nil, map[string]string{"": "x"}},
	}
	for _, c := range bad {
		if err := saveFile(filepath.Join(t.TempDir(), "x"), m, c.extra, c.meta); err == nil {
			t.Errorf("%s: saveFile succeeded", c.name)
		}
	}
}

// fuzzSeedsDir holds the committed seed corpus of FuzzLoad.
const fuzzSeedsDir = "testdata/fuzz/FuzzLoad"

// TestWriteFuzzSeeds rewrites the seed corpus when GORNN_UPDATE_TESTDATA is
// set: two valid files and some corruptions of one.
func TestWriteFuzzSeeds(t *testing.T) {
	dir, check := FixtureDir(t, fuzzSeedsDir)
	d, err := layers.NewDense(2, &layers.DenseOptions{Activation: layers.Tanh})
	if err != nil {
		t.Fatal(err)
	}
	dense, err := NewSequential([]int{3}, []layers.Layer{d}, &Options{DType: graph.Float64})
	if err != nil {
		t.Fatal(err)
	}
	g, err := layers.NewGRU(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	gru, err := NewSequential([]int{2, 1}, []layers.Layer{g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{
		"valid_dense_f64": savedBytes(t, dense, nil, nil),
		"valid_gru_f32":   savedBytes(t, gru, nil, nil),
	}
	keep := map[string]bool{"truncated data": true, "absurd header length": true, "flipped header byte": true,
		"flipped data byte": true, "NaN weight": true, "newer format version": true, "unknown layer type": true,
		"dtype mismatch": true, "tensor reshaped": true, "extra tensor": true}
	for _, c := range loadCorruptions(t) {
		if keep[c.name] {
			seeds[strings.ReplaceAll(c.name, " ", "_")] = c.data
		}
	}
	for name, data := range seeds {
		text := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check()
}

// FixtureDir returns the directory a fixture generator writes to: the
// committed one when GORNN_UPDATE_TESTDATA is set, otherwise a temporary
// one. The returned check then compares every file written there with its
// committed copy, so a generator's test fails when a fixture is stale
// instead of being skipped.
func FixtureDir(t *testing.T, committed string) (dir string, check func()) {
	t.Helper()
	if os.Getenv("GORNN_UPDATE_TESTDATA") != "" {
		if err := os.MkdirAll(committed, 0o755); err != nil {
			t.Fatal(err)
		}
		return committed, func() {}
	}
	dir = t.TempDir()
	return dir, func() {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			t.Fatal("the generator wrote no files")
		}
		for _, e := range entries {
			got, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(committed, e.Name()))
			if err != nil {
				t.Errorf("%v (run with GORNN_UPDATE_TESTDATA=1 to write it)", err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s is stale: regenerated it differs (run with GORNN_UPDATE_TESTDATA=1 to rewrite it)", committed, e.Name())
			}
		}
	}
}

func TestFuzzSeedsValid(t *testing.T) {
	for _, name := range []string{"valid_dense_f64", "valid_gru_f32"} {
		text, err := os.ReadFile(filepath.Join(fuzzSeedsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(text), "\n", 3)
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a fuzz corpus file", name)
		}
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeModelBytes([]byte(data)); err != nil {
			t.Errorf("seed %s does not load: %v", name, err)
		}
	}
}

// FuzzLoad checks that Load never panics and returns either a complete
// model holding exactly the file's weights or an error wrapping ErrFormat.
func FuzzLoad(f *testing.F) {
	f.Add(savedBytes(f, loadTestModel(f, graph.Float32), nil, nil))
	path := filepath.Join(f.TempDir(), "m.safetensors")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Load(path)
		if err != nil {
			if m != nil {
				t.Fatal("Load returned a model with an error")
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		// The model holds exactly the file's weights.
		file, err := parseSafetensors(data)
		if err != nil {
			t.Fatalf("Load accepted a file the parser rejects: %v", err)
		}
		got, err := nativeTensors(m)
		if err != nil {
			t.Fatalf("loaded model cannot be encoded: %v", err)
		}
		for name, raw := range got {
			if !bytes.Equal(raw.data, file.tensors[name].data) {
				t.Fatalf("loaded %s differs from the file", name)
			}
		}
		if len(m.Layers()) == 0 || len(m.OutputShape()) == 0 {
			t.Fatal("loaded model has no layers or output")
		}
	})
}
