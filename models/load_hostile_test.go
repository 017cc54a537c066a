package models

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// The bound docs/saving.md promises: Load allocates at most
// loadAllocFactor times the file's size plus loadAllocFixed bytes.
const (
	loadAllocFactor = 48
	loadAllocFixed  = 8 << 20
)

// craftedFile writes a model file with the given architecture JSON,
// tensors and extra metadata the way Save would (checksums and header
// checksum right) and returns its path.
func craftedFile(t testing.TB, arch string, tensors map[string]rawTensor, meta map[string]string) string {
	t.Helper()
	if meta == nil {
		meta = map[string]string{}
	}
	meta[metaFormat] = formatNative
	meta[metaModel] = arch
	path := filepath.Join(t.TempDir(), "crafted.safetensors")
	if err := writeSafetensors(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	return path
}

// f32Tensor returns a float32 tensor of the given shape, every value v.
func f32Tensor(v float32, shape ...uint64) rawTensor {
	n := uint64(1)
	for _, d := range shape {
		n *= d
	}
	data := make([]byte, 4*n)
	for i := uint64(0); i < n; i++ {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return rawTensor{dtype: safetensors.F32, shape: shape, data: data}
}

// archJSON returns a version-2 architecture on the given input shape with
// the given layers (JSON objects, comma-separated).
func archJSON(inputShape, layersJSON string) string {
	return fmt.Sprintf(`{"format_version":%d,"name":"crafted","seed":1,"dtype":"float32","input_shape":%s,"layers":[%s]}`, FormatVersion, inputShape, layersJSON)
}

// denseStack is the file: an input of the given rank (every
// dimension 1) and n Dense(1) layers, every tensor present and right.
func denseStack(t testing.TB, rank, n int, nameBytes int) string {
	var shape, ls strings.Builder
	shape.WriteByte('[')
	for i := range rank {
		if i > 0 {
			shape.WriteByte(',')
		}
		shape.WriteByte('1')
	}
	shape.WriteByte(']')
	tensors := map[string]rawTensor{}
	pad := strings.Repeat("x", max(nameBytes-8, 0))
	for i := range n {
		if i > 0 {
			ls.WriteByte(',')
		}
		name := fmt.Sprintf("d%s%07d", pad, i)
		fmt.Fprintf(&ls, `{"type":"dense","name":%q,"units":1,"activation":"linear"}`, name)
		tensors[name+"/kernel"] = f32Tensor(0.5, 1, 1)
		tensors[name+"/bias"] = f32Tensor(0.25, 1)
	}
	return craftedFile(t, archJSON(shape.String(), ls.String()), tensors, nil)
}

// recurrentFile is a legitimate model: one recurrent layer of u units on
// inputs [3, f], float32.
func recurrentFile(t testing.TB, kind string, f, u int) string {
	g := map[string]int{"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
	gu := uint64(g * u)
	bias := f32Tensor(0.01, gu)
	if kind == "gru" {
		bias = f32Tensor(0.01, 2, gu)
	}
	tensors := map[string]rawTensor{
		"r/kernel":           f32Tensor(0.01, uint64(f), gu),
		"r/recurrent_kernel": f32Tensor(0.01, uint64(u), gu),
		"r/bias":             bias,
	}
	return craftedFile(t, archJSON(fmt.Sprintf("[3,%d]", f), fmt.Sprintf(`{"type":%q,"name":"r","units":%d}`, kind, u)), tensors, nil)
}

// tinyModel is the tensors of a Dense(1) model on [1] inputs.
func tinyModel() map[string]rawTensor {
	return map[string]rawTensor{"d/kernel": f32Tensor(0.5, 1, 1), "d/bias": f32Tensor(0.25, 1)}
}

const tinyLayers = `{"type":"dense","name":"d","units":1}`

// manyTensors is a tiny model with n one-element tensors beside it, listed
// as extras (a valid checkpoint) or not (an error found after parsing).
func manyTensors(t testing.TB, n int, listed bool) string {
	tensors := tinyModel()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("x%07d", i)
		tensors[names[i]] = f32Tensor(1, 1)
	}
	meta := map[string]string{}
	if listed {
		meta[metaExtraTensors] = `["` + strings.Join(names, `","`) + `"]`
	}
	return craftedFile(t, archJSON("[1]", tinyLayers), tensors, meta)
}

// rawFile writes a safetensors file with the given header JSON and data,
// with no checks (for headers the writer refuses).
func rawFile(t testing.TB, header string, data []byte) string {
	t.Helper()
	buf := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	buf = append(append(buf, header...), data...)
	path := filepath.Join(t.TempDir(), "raw.safetensors")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// emptyTensors is a header of n empty tensors (and a tiny model).
func emptyTensors(t testing.TB, n int) string {
	var h strings.Builder
	h.WriteString(`{"__metadata__":{"format":"gornn"},"d/kernel":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"d/bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}`)
	for i := range n {
		fmt.Fprintf(&h, `,"e%07d":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}`, i)
	}
	h.WriteByte('}')
	return rawFile(t, h.String(), make([]byte, 8))
}

// longShape is a header whose one tensor has a shape of the given rank.
func longShape(t testing.TB, rank int) string {
	var h strings.Builder
	h.WriteString(`{"t":{"dtype":"F32","shape":[`)
	for i := range rank {
		if i > 0 {
			h.WriteByte(',')
		}
		h.WriteByte('1')
	}
	h.WriteString(`],"data_offsets":[0,4]}}`)
	return rawFile(t, h.String(), make([]byte, 4))
}

// loadAllocated returns the bytes Load(path) allocates and its error.
func loadAllocated(path string) (uint64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := Load(path)
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(m)
	return after.TotalAlloc - before.TotalAlloc, err
}

// TestLoadAllocationBound loads crafted files, hostile and legitimate, and
// checks that each allocates at most the documented multiple of its size
// plus the fixed bound (docs/saving.md, "Limits").
func TestLoadAllocationBound(t *testing.T) {
	if testing.Short() {
		t.Skip("writes files of up to 17 MB")
	}
	const either = 2 // a case that may load or not: only its allocations are checked
	cases := []struct {
		name    string
		path    func(t testing.TB) string
		wantErr int // 0 or 1 (false, true) or either
	}{
		// The files: ranks far beyond MaxRank.
		{"input rank 100000, 1000 Dense(1)", func(t testing.TB) string { return denseStack(t, 100000, 1000, 8) }, 1},
		{"input rank 500000, 2000 Dense(1)", func(t testing.TB) string { return denseStack(t, 500000, 2000, 8) }, 1},
		{"input rank MaxRank, 1000 Dense(1)", func(t testing.TB) string { return denseStack(t, MaxRank, 1000, 8) }, 0},
		{"MaxLayers Dense(1)", func(t testing.TB) string { return denseStack(t, 1, MaxLayers, 8) }, 0},
		{"MaxLayers+1 Dense(1)", func(t testing.TB) string { return denseStack(t, 1, MaxLayers+1, 8) }, 1},
		{"1000 layers named by 2 KB", func(t testing.TB) string { return denseStack(t, 1, 1000, 2048) }, 0},
		{"1e6 empty tensors (over MaxHeaderBytes)", func(t testing.TB) string { return emptyTensors(t, 1000000) }, 1},
		{"200000 empty tensors", func(t testing.TB) string { return emptyTensors(t, 200000) }, 1},
		{"tensor shape of rank 4e6", func(t testing.TB) string { return longShape(t, 4000000) }, 1},
		{"150000 stray one-value tensors", func(t testing.TB) string { return manyTensors(t, 150000, false) }, 1},
		{"150000 one-value extras (a checkpoint)", func(t testing.TB) string { return manyTensors(t, 150000, true) }, 0},
		{"15 MB metadata value", func(t testing.TB) string {
			return craftedFile(t, archJSON("[1]", tinyLayers), tinyModel(), map[string]string{"notes": strings.Repeat("a", 15<<20)})
		}, 0},
		{"15 MB model name", func(t testing.TB) string {
			arch := strings.Replace(archJSON("[1]", tinyLayers), `"crafted"`, `"`+strings.Repeat("n", 15<<20)+`"`, 1)
			return craftedFile(t, arch, tinyModel(), nil)
		}, 0},
		{"input [2147483647, 2147483647]", func(t testing.TB) string {
			return craftedFile(t, archJSON("[2147483647,2147483647]", `{"type":"lstm","name":"r","units":1}`), map[string]rawTensor{}, nil)
		}, 1},
		// Long sequences: the layers may refuse so many values per sample.
		{"LSTM(1) on [2147483647, 1]", func(t testing.TB) string {
			tensors := map[string]rawTensor{"r/kernel": f32Tensor(0.1, 1, 4), "r/recurrent_kernel": f32Tensor(0.1, 1, 4), "r/bias": f32Tensor(0, 4)}
			return craftedFile(t, archJSON("[2147483647,1]", `{"type":"lstm","name":"r","units":1}`), tensors, nil)
		}, either},
		{"Dense(1) on [2147483647, 1]", func(t testing.TB) string {
			return craftedFile(t, archJSON("[2147483647,1]", tinyLayers), tinyModel(), nil)
		}, either},
		{"LSTM(256) on [3, 1]", func(t testing.TB) string { return recurrentFile(t, "lstm", 1, 256) }, 0},
		{"LSTM(256) on [3, 256]", func(t testing.TB) string { return recurrentFile(t, "lstm", 256, 256) }, 0},
		{"GRU(256) on [3, 1]", func(t testing.TB) string { return recurrentFile(t, "gru", 1, 256) }, 0},
		{"SimpleRNN(256) on [3, 1]", func(t testing.TB) string { return recurrentFile(t, "simple_rnn", 1, 256) }, 0},
		{"LSTM(1) on [3, 4096]", func(t testing.TB) string { return recurrentFile(t, "lstm", 4096, 1) }, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.path(t)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			size := uint64(fi.Size())
			got, err := loadAllocated(path)
			if c.wantErr != either && (c.wantErr == 1) != (err != nil) {
				t.Errorf("Load error %v, want an error: %v", err, c.wantErr == 1)
			}
			if err != nil && !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not wrap ErrFormat", err)
			}
			bound := loadAllocFactor*size + loadAllocFixed
			t.Logf("file %d bytes, Load allocated %d bytes (%.1f× the file), error: %v", size, got, float64(got)/float64(size), err)
			if got > bound {
				t.Errorf("Load allocated %d bytes for a %d-byte file, over the documented %d×size + %d = %d", got, size, loadAllocFactor, loadAllocFixed, bound)
			}
		})
	}
}

// TestLoadLimits checks each documented limit at and beyond its value.
func TestLoadLimits(t *testing.T) {
	shape := func(rank int) string { return "[" + strings.Repeat("1,", rank-1) + "1]" }
	for _, c := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"rank MaxRank", mustRead(t, craftedFile(t, archJSON(shape(MaxRank), tinyLayers), tinyModel(), nil)), true},
		{"rank MaxRank+1", mustRead(t, craftedFile(t, archJSON(shape(MaxRank+1), tinyLayers), tinyModel(), nil)), false},
		{"header of MaxHeaderBytes+1", mustRead(t, rawFile(t, `{}`+strings.Repeat(" ", MaxHeaderBytes-1), nil)), false},
		{"header of MaxHeaderBytes", mustRead(t, rawFile(t, `{}`+strings.Repeat(" ", MaxHeaderBytes-2), nil)), false},
		{"tensor of rank MaxRank+1", mustRead(t, rawFile(t, `{"t":{"dtype":"F32","shape":`+shape(MaxRank+1)+`,"data_offsets":[0,4]}}`, make([]byte, 4))), false},
		{"empty tensor", mustRead(t, rawFile(t, `{"t":{"dtype":"F32","shape":[2,0],"data_offsets":[0,0]}}`, nil)), false},
	} {
		_, err := decodeModelBytes(c.data)
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, ErrFormat)) {
			t.Errorf("%s: error %v, want ok=%v (or ErrFormat)", c.name, err, c.ok)
		}
	}
	// The header at the limit parses (and then lacks a format).
	if _, err := parseSafetensors(mustRead(t, rawFile(t, `{}`+strings.Repeat(" ", MaxHeaderBytes-2), nil))); err != nil {
		t.Errorf("a header of MaxHeaderBytes: %v", err)
	}
	// Save refuses what Load would refuse: a header over the limit.
	m := loadTestModel(t, graph.Float32)
	err := saveFile(filepath.Join(t.TempDir(), "big.safetensors"), m, nil, map[string]string{"notes": strings.Repeat("a", MaxHeaderBytes)})
	if !errors.Is(err, ErrModel) {
		t.Errorf("saving a header over MaxHeaderBytes: %v, want ErrModel", err)
	}
	// An input of rank MaxRank+1, and an extra tensor of that rank.
	d, err := layers.NewDense(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	deep := slices.Repeat([]int{1}, MaxRank+1)
	if wide, err := NewSequential(deep, []layers.Layer{d}, nil); err == nil {
		if err := Save(wide, filepath.Join(t.TempDir(), "wide.safetensors")); !errors.Is(err, ErrModel) {
			t.Errorf("saving a model on inputs of rank MaxRank+1: %v, want ErrModel", err)
		}
	}
	x, err := graph.FromFloat64s(graph.Float32, []float64{1}, deep...)
	if err != nil {
		t.Fatal(err)
	}
	err = saveFile(filepath.Join(t.TempDir(), "x.safetensors"), m, map[string]*graph.Tensor{"x": x}, nil)
	if !errors.Is(err, graph.ErrShape) {
		t.Errorf("saving an extra tensor of rank MaxRank+1: %v, want graph.ErrShape", err)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
