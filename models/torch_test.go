package models_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

const torchDir = "testdata/torch"

// torchCase is a model cross-checked against PyTorch by
// testdata/torch/check_export.py.
type torchCase struct {
	fileCase
	dt   graph.DType
	seed uint64
	// stacks lists runs of consecutive recurrent layers (by index) that
	// exchange as one PyTorch module of num_layers > 1 (TorchOptions.Stacked).
	stacks [][]int
}

func torchCases() []torchCase {
	return []torchCase{
		{fileCase{"lstm_stack", []int{6, 3}, layersOf(fLSTM(5, &layers.LSTMOptions{ReturnSequences: true}), fLSTM(4, nil), fDense(2, nil))}, graph.Float32, 11, nil},
		{fileCase{"gru_seq", []int{5, 2}, layersOf(fGRU(4, &layers.GRUOptions{ReturnSequences: true}), fDense(3, &layers.DenseOptions{Activation: layers.Tanh}))}, graph.Float32, 12, nil},
		{fileCase{"simple_rnn", []int{4, 3}, layersOf(fSimpleRNN(6, &layers.SimpleRNNOptions{ReturnSequences: true}), fDense(3, &layers.DenseOptions{Activation: layers.ReLU}))}, graph.Float32, 13, nil},
		{fileCase{"lstm_f64", []int{4, 2}, layersOf(fLSTM(3, &layers.LSTMOptions{ReturnSequences: true}), fDense(1, &layers.DenseOptions{Activation: layers.Sigmoid}))}, graph.Float64, 14, nil},
		{fileCase{"gru_f64", []int{3, 2}, layersOf(fGRU(3, nil), fDense(2, nil))}, graph.Float64, 15, nil},
		// PyTorch's stacked and bidirectional modules: nn.LSTM(num_layers=2),
		// nn.GRU(bidirectional=True), nn.LSTM(num_layers=2,
		// bidirectional=True) and nn.RNN(num_layers=3) (keys _l1, _l2,
		// _reverse).
		{fileCase{"lstm_l2", []int{5, 3}, layersOf(fLSTM(4, &layers.LSTMOptions{ReturnSequences: true}), fLSTM(4, nil), fDense(2, nil))}, graph.Float64, 16, [][]int{{0, 1}}},
		{fileCase{"gru_bi_seq", []int{4, 2}, layersOf(fBi(fGRU(3, &layers.GRUOptions{ReturnSequences: true})), fDense(2, &layers.DenseOptions{Activation: layers.Tanh}))}, graph.Float32, 17, nil},
		{fileCase{"lstm_bi_l2", []int{5, 2}, layersOf(fBi(fLSTM(3, &layers.LSTMOptions{ReturnSequences: true})), fBi(fLSTM(3, nil)), fDense(2, nil))}, graph.Float64, 18, [][]int{{0, 1}}},
		{fileCase{"rnn_l3_seq", []int{4, 3}, layersOf(fSimpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: true}), fSimpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: true}), fSimpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: true}), fDense(2, nil))}, graph.Float32, 19, [][]int{{0, 1, 2}}},
	}
}

// fBi wraps a recurrent layer in a Bidirectional (concat, the merge that
// PyTorch's bidirectional modules compute).
func fBi(inner func() (layers.Layer, error)) func() (layers.Layer, error) {
	return func() (layers.Layer, error) {
		l, err := inner()
		if err != nil {
			return nil, err
		}
		return layers.NewBidirectional(l, layers.MergeConcat, nil)
	}
}

// stackNames returns the case's stacks by the names of m's layers.
func (c torchCase) stackNames(m *models.Model) [][]string {
	var out [][]string
	for _, s := range c.stacks {
		var names []string
		for _, i := range s {
			names = append(names, m.Layers()[i].Name())
		}
		out = append(out, names)
	}
	return out
}

// options returns the TorchOptions of the case's stacks for m.
func (c torchCase) options(m *models.Model) *models.TorchOptions {
	return &models.TorchOptions{Stacked: c.stackNames(m)}
}

// tolerance is how far PyTorch's predictions may be from gornn's.
func (c torchCase) tolerance() float64 {
	if c.dt == graph.Float32 {
		return 1e-5
	}
	return 1e-12
}

// torchPredictions is the JSON of go_predictions.json,
// to_torch_check.json and from_torch_predictions.json.
type torchPredictions struct {
	TorchVersion string            `json:"torch_version,omitempty"`
	Cases        []torchPrediction `json:"cases"`
}

type torchPrediction struct {
	Name        string    `json:"name"`
	DType       string    `json:"dtype,omitempty"`
	InputShape  []int     `json:"input_shape,omitempty"`
	Input       []float64 `json:"input,omitempty"`
	OutputShape []int     `json:"output_shape"`
	Predictions []float64 `json:"predictions"`
	MaxAbsDiff  *float64  `json:"max_abs_diff,omitempty"`
	// TorchStacks names the layers that are one PyTorch module
	// (TorchOptions.Stacked), for check_export.py.
	TorchStacks [][]string `json:"torch_stacks,omitempty"`
}

func readTorchPredictions(t *testing.T, name string) map[string]torchPrediction {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(torchDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var p torchPredictions
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string]torchPrediction{}
	for _, c := range p.Cases {
		out[c.Name] = c
	}
	return out
}

// torchInput returns the input of a case: 4 samples from fileInput.
func (c torchCase) input(t testing.TB) *graph.Tensor {
	return fileInput(t, c.dt, 4, c.in)
}

// torchMaxDiff returns the largest difference between got and want, and
// whether their shapes agree.
func torchMaxDiff(t *testing.T, got *graph.Tensor, shape []int, want []float64) float64 {
	t.Helper()
	if !slices.Equal([]int(got.Shape()), shape) {
		t.Fatalf("prediction shape %v, reference %v", got.Shape(), shape)
	}
	g := graph.Float64s(got)
	if len(g) != len(want) {
		t.Fatalf("%d predictions, reference has %d", len(g), len(want))
	}
	// A reference of mostly equal values (a saturated or dead output)
	// would not test the weights.
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(want)))); distinct <= len(want)/4 {
		t.Fatalf("only %d distinct reference values of %d", distinct, len(want))
	}
	d := 0.0
	for i := range g {
		d = math.Max(d, math.Abs(g[i]-want[i]))
	}
	return d
}

// TestWriteTorchFixtures regenerates the Go side of the PyTorch
// cross-check and checks the committed files are up to date; with
// GORNN_UPDATE_TESTDATA set it rewrites them (then run check_export.py, see
// docs/saving.md).
func TestWriteTorchFixtures(t *testing.T) {
	dir, check := models.FixtureDir(t, torchDir)
	var out torchPredictions
	for _, c := range torchCases() {
		m := newFileModel(t, c.fileCase, c.dt, c.seed)
		if err := models.ExportTorch(m, filepath.Join(dir, "to_torch_"+c.name+".safetensors"), c.options(m)); err != nil {
			t.Fatal(err)
		}
		x := c.input(t)
		y, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		out.Cases = append(out.Cases, torchPrediction{Name: c.name, DType: c.dt.String(),
			InputShape: x.Shape(), Input: graph.Float64s(x), OutputShape: y.Shape(), Predictions: graph.Float64s(y), TorchStacks: c.stackNames(m)})
	}
	if dir == torchDir { // updating
		js, err := json.MarshalIndent(out, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "go_predictions.json"), append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		checkGoPredictions(t, out)
	}
	check()
}

// checkGoPredictions compares fresh predictions with the committed
// go_predictions.json. Unlike the other fixtures they are not compared
// byte for byte: float32 predictions differ by an ulp or so between
// processors with AVX2 and FMA and those without (graph/internal/simd),
// and the float64 ones where Go fuses multiply-adds (arm64), so each
// value must agree to within a few ulps of the dtype at the scale of the
// network's values (about 1): 1e-6 in float32, 1e-13 in float64.
func checkGoPredictions(t *testing.T, fresh torchPredictions) {
	t.Helper()
	committed := readTorchPredictions(t, "go_predictions.json")
	if len(committed) != len(fresh.Cases) {
		t.Fatalf("go_predictions.json has %d cases, the generator %d (run with GORNN_UPDATE_TESTDATA=1 to rewrite it)", len(committed), len(fresh.Cases))
	}
	for _, c := range fresh.Cases {
		want, ok := committed[c.Name]
		if !ok || want.DType != c.DType || !slices.Equal(want.InputShape, c.InputShape) || !slices.Equal(want.Input, c.Input) ||
			!slices.Equal(want.OutputShape, c.OutputShape) || len(want.Predictions) != len(c.Predictions) || !reflect.DeepEqual(want.TorchStacks, c.TorchStacks) {
			t.Errorf("go_predictions.json is stale for %s: case, input or shapes differ (run with GORNN_UPDATE_TESTDATA=1 to rewrite it)", c.Name)
			continue
		}
		rel := 1e-13
		if c.DType == graph.Float32.String() {
			rel = 1e-6
		}
		for i, g := range c.Predictions {
			w := want.Predictions[i]
			if math.Abs(g-w) > rel*math.Max(math.Abs(w), 1) {
				t.Errorf("go_predictions.json is stale for %s: prediction %d is %v, committed %v (run with GORNN_UPDATE_TESTDATA=1 to rewrite it)", c.Name, i, g, w)
				break
			}
		}
	}
}

// TestExportTorchMatchesPyTorch: PyTorch, given the files ExportTorch
// writes, predicts what gornn predicts. The export is redone here and must
// equal the committed file that check_export.py ran.
func TestExportTorchMatchesPyTorch(t *testing.T) {
	goPreds := readTorchPredictions(t, "go_predictions.json")
	torchPreds := readTorchPredictions(t, "to_torch_check.json")
	for _, c := range torchCases() {
		t.Run(c.name, func(t *testing.T) {
			m := newFileModel(t, c.fileCase, c.dt, c.seed)
			path := filepath.Join(t.TempDir(), "export.safetensors")
			if err := models.ExportTorch(m, path, c.options(m)); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			committed, err := os.ReadFile(filepath.Join(torchDir, "to_torch_"+c.name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, committed) {
				t.Fatal("ExportTorch no longer writes the committed file: regenerate the fixtures (docs/saving.md)")
			}
			x := c.input(t)
			if gp := goPreds[c.name]; !slices.Equal(gp.Input, graph.Float64s(x)) {
				t.Fatal("the input differs from the one PyTorch ran")
			}
			y, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			ref, ok := torchPreds[c.name]
			if !ok {
				t.Fatalf("no PyTorch predictions for %s", c.name)
			}
			if d := torchMaxDiff(t, y, ref.OutputShape, ref.Predictions); d > c.tolerance() {
				t.Errorf("gornn and PyTorch differ by %g (tolerance %g)", d, c.tolerance())
			}
		})
	}
}

// TestImportTorchMatchesPyTorch: a model given the weights of modules
// made and run by PyTorch predicts what PyTorch predicted.
func TestImportTorchMatchesPyTorch(t *testing.T) {
	torchPreds := readTorchPredictions(t, "from_torch_predictions.json")
	for _, c := range torchCases() {
		t.Run(c.name, func(t *testing.T) {
			m := newFileModel(t, c.fileCase, c.dt, c.seed+100)
			if err := models.ImportTorch(filepath.Join(torchDir, "from_torch_"+c.name+".safetensors"), m, c.options(m)); err != nil {
				t.Fatal(err)
			}
			y, err := m.Predict(c.input(t))
			if err != nil {
				t.Fatal(err)
			}
			ref, ok := torchPreds[c.name]
			if !ok {
				t.Fatalf("no PyTorch predictions for %s", c.name)
			}
			if d := torchMaxDiff(t, y, ref.OutputShape, ref.Predictions); d > c.tolerance() {
				t.Errorf("gornn and PyTorch differ by %g (tolerance %g)", d, c.tolerance())
			}
		})
	}
}

func TestTorchRoundTrip(t *testing.T) {
	for _, c := range fileCases() {
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			t.Run(c.name+"/"+dt.String(), func(t *testing.T) {
				m := newFileModel(t, c, dt, 21)
				path := filepath.Join(t.TempDir(), "torch.safetensors")
				if err := models.ExportTorch(m, path, nil); err != nil {
					t.Fatal(err)
				}
				got := newFileModel(t, c, dt, 22)
				if err := models.ImportTorch(path, got, nil); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Weights(), m.Weights()) {
					t.Error("weights differ after export and import")
				}
				x := fileInput(t, dt, 3, c.in)
				want, err := m.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				y, err := got.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(rawBits(y), rawBits(want)) {
					t.Error("predictions differ after export and import")
				}
			})
		}
	}
}

// readStateDict reads a safetensors file into values and shapes by name.
func readStateDict(t *testing.T, path string) (map[string][]float64, map[string][]uint64, map[string]safetensors.DType) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := safetensors.Deserialize(data)
	if err != nil {
		t.Fatal(err)
	}
	vals, shapes, dtypes := map[string][]float64{}, map[string][]uint64{}, map[string]safetensors.DType{}
	for _, nt := range st.Tensors() {
		v := nt.TensorView
		var out []float64
		switch v.DType() {
		case safetensors.F32:
			for i := 0; i < len(v.Data()); i += 4 {
				out = append(out, float64(math.Float32frombits(binary.LittleEndian.Uint32(v.Data()[i:]))))
			}
		case safetensors.F64:
			for i := 0; i < len(v.Data()); i += 8 {
				out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(v.Data()[i:])))
			}
		}
		vals[nt.Name], shapes[nt.Name], dtypes[nt.Name] = out, v.Shape(), v.DType()
	}
	return vals, shapes, dtypes
}

// writeStateDict writes float32 tensors as a plain PyTorch safetensors
// file: metadata {"format": "pt"} only.
func writeStateDict(t *testing.T, path string, vals map[string][]float64, shapes map[string][]uint64, dt safetensors.DType) {
	t.Helper()
	views := map[string]safetensors.TensorView{}
	for name, v := range vals {
		var raw []byte
		for _, x := range v {
			if dt == safetensors.F32 {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(x)))
			} else {
				raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(x))
			}
		}
		tv, err := safetensors.NewTensorView(dt, shapes[name], raw)
		if err != nil {
			t.Fatal(err)
		}
		views[name] = tv
	}
	data, err := safetensors.Serialize(views, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExportTorchLayout checks the mapping on weights small enough to
// follow by eye: transposes, GRU gates z, r, h -> r, z, n, and biases.
func TestExportTorchLayout(t *testing.T) {
	g, err := layers.NewGRU(1, &layers.GRUOptions{ReturnSequences: true})
	if err != nil {
		t.Fatal(err)
	}
	l, err := layers.NewLSTM(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers.NewDense(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewSequential([]int{2, 1}, []layers.Layer{g, l, d}, &models.Options{DType: graph.Float64})
	if err != nil {
		t.Fatal(err)
	}
	set := []models.LayerWeights{
		{Weights: []layers.Weight{
			{Shape: []int{1, 3}, Data: []float64{1, 2, 3}},             // kernel z, r, h
			{Shape: []int{1, 3}, Data: []float64{4, 5, 6}},             // recurrent z, r, h
			{Shape: []int{2, 3}, Data: []float64{7, 8, 9, 10, 11, 12}}, // input row, recurrent row
		}},
		{Weights: []layers.Weight{
			{Shape: []int{1, 4}, Data: []float64{1, 2, 3, 4}}, // i, f, c, o
			{Shape: []int{1, 4}, Data: []float64{5, 6, 7, 8}},
			{Shape: []int{4}, Data: []float64{9, 10, 11, 12}},
		}},
		{Weights: []layers.Weight{
			{Shape: []int{1, 2}, Data: []float64{1, 2}},
			{Shape: []int{2}, Data: []float64{3, 4}},
		}},
	}
	if err := m.SetWeights(set); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "torch.safetensors")
	if err := models.ExportTorch(m, path, nil); err != nil {
		t.Fatal(err)
	}
	vals, shapes, _ := readStateDict(t, path)
	want := map[string]struct {
		shape []uint64
		data  []float64
	}{
		"gru.weight_ih_l0":  {[]uint64{3, 1}, []float64{2, 1, 3}},
		"gru.weight_hh_l0":  {[]uint64{3, 1}, []float64{5, 4, 6}},
		"gru.bias_ih_l0":    {[]uint64{3}, []float64{8, 7, 9}},
		"gru.bias_hh_l0":    {[]uint64{3}, []float64{11, 10, 12}},
		"lstm.weight_ih_l0": {[]uint64{4, 1}, []float64{1, 2, 3, 4}},
		"lstm.weight_hh_l0": {[]uint64{4, 1}, []float64{5, 6, 7, 8}},
		"lstm.bias_ih_l0":   {[]uint64{4}, []float64{9, 10, 11, 12}},
		"lstm.bias_hh_l0":   {[]uint64{4}, []float64{0, 0, 0, 0}},
		"dense.weight":      {[]uint64{2, 1}, []float64{1, 2}},
		"dense.bias":        {[]uint64{2}, []float64{3, 4}},
	}
	if len(vals) != len(want) {
		t.Errorf("%d tensors, want %d: %v", len(vals), len(want), shapes)
	}
	for name, w := range want {
		if !slices.Equal(shapes[name], w.shape) || !slices.Equal(vals[name], w.data) {
			t.Errorf("%s = %v %v, want %v %v", name, shapes[name], vals[name], w.shape, w.data)
		}
	}

	// Importing sums an LSTM's two biases and keeps a GRU's apart.
	vals["lstm.bias_hh_l0"] = []float64{0.5, 0.25, -1, 2}
	plain := filepath.Join(t.TempDir(), "plain.safetensors")
	writeStateDict(t, plain, vals, shapes, safetensors.F64)
	if err := models.ImportTorch(plain, m, nil); err != nil {
		t.Fatal(err)
	}
	ws := m.Weights()
	if got := ws[1].Weights[2].Data; !slices.Equal(got, []float64{9.5, 10.25, 10, 14}) {
		t.Errorf("LSTM bias %v, want the sums", got)
	}
	if got := ws[0].Weights[2].Data; !slices.Equal(got, []float64{7, 8, 9, 10, 11, 12}) {
		t.Errorf("GRU bias %v, want it unchanged", got)
	}
	if got := ws[0].Weights[0].Data; !slices.Equal(got, []float64{1, 2, 3}) {
		t.Errorf("GRU kernel %v, want it unchanged", got)
	}
}

func TestImportTorchErrors(t *testing.T) {
	c := torchCases()[0]
	src := newFileModel(t, c.fileCase, graph.Float32, 1)
	exported := filepath.Join(t.TempDir(), "export.safetensors")
	if err := models.ExportTorch(src, exported, nil); err != nil {
		t.Fatal(err)
	}
	native := filepath.Join(t.TempDir(), "native.safetensors")
	if err := models.Save(src, native); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.safetensors")
	if err := models.ExportTorch(newFileModel(t, torchCases()[1].fileCase, graph.Float32, 1), other, nil); err != nil {
		t.Fatal(err)
	}
	// A model of the same layer shapes but another option.
	otherOpts := filepath.Join(t.TempDir(), "opts.safetensors")
	alt := newFileModel(t, fileCase{"alt", c.in, layersOf(fLSTM(5, &layers.LSTMOptions{ReturnSequences: true}), fLSTM(4, &layers.LSTMOptions{ReturnSequences: true}), fDense(2, nil))}, graph.Float32, 1)
	if err := models.ExportTorch(alt, otherOpts, nil); err != nil {
		t.Fatal(err)
	}
	vals, shapes, _ := readStateDict(t, exported)
	edited := func(edit func(vals map[string][]float64, shapes map[string][]uint64), dt safetensors.DType) string {
		v, s := map[string][]float64{}, map[string][]uint64{}
		for k := range vals {
			v[k], s[k] = slices.Clone(vals[k]), slices.Clone(shapes[k])
		}
		edit(v, s)
		path := filepath.Join(t.TempDir(), "edited.safetensors")
		writeStateDict(t, path, v, s, dt)
		return path
	}
	flipped := func() string {
		data, err := os.ReadFile(exported)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)-2] ^= 1
		path := filepath.Join(t.TempDir(), "flipped.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}()
	cases := []struct {
		name string
		path string
		want error
	}{
		{"gornn model file", native, models.ErrFormat},
		{"other architecture", other, models.ErrFormat},
		{"other options", otherOpts, models.ErrFormat},
		{"flipped byte", flipped, models.ErrFormat},
		{"missing tensor", edited(func(v map[string][]float64, _ map[string][]uint64) { delete(v, "lstm_1.bias_hh_l0") }, safetensors.F32), models.ErrFormat},
		{"extra tensor", edited(func(v map[string][]float64, s map[string][]uint64) {
			v["lstm.weight_ih_l1"], s["lstm.weight_ih_l1"] = v["lstm.weight_ih_l0"], s["lstm.weight_ih_l0"]
		}, safetensors.F32), models.ErrFormat},
		{"transposed weight", edited(func(_ map[string][]float64, s map[string][]uint64) {
			w := s["dense.weight"]
			s["dense.weight"] = []uint64{w[1], w[0]}
		}, safetensors.F32), graph.ErrShape},
		{"NaN", edited(func(v map[string][]float64, _ map[string][]uint64) { v["lstm.bias_ih_l0"][3] = math.NaN() }, safetensors.F32), graph.ErrNotFinite},
		{"beyond float32", edited(func(v map[string][]float64, _ map[string][]uint64) { v["dense.bias"][0] = 1e39 }, safetensors.F64), graph.ErrNotFinite},
		{"missing file", filepath.Join(t.TempDir(), "none"), os.ErrNotExist},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newFileModel(t, c.fileCase, graph.Float32, 2)
			before := m.Weights()
			err := models.ImportTorch(tc.path, m, nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("ImportTorch: %v, want %v", err, tc.want)
			}
			if !reflect.DeepEqual(m.Weights(), before) {
				t.Error("a failed import changed the weights")
			}
		})
	}
	if err := models.ImportTorch(exported, nil, nil); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("ImportTorch into nil: %v", err)
	}
	if err := models.ExportTorch(nil, exported, nil); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("ExportTorch(nil): %v", err)
	}
	// A float64 file imports into a float32 model (and back) when values fit.
	f64 := edited(func(map[string][]float64, map[string][]uint64) {}, safetensors.F64)
	m := newFileModel(t, c.fileCase, graph.Float32, 3)
	if err := models.ImportTorch(f64, m, nil); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Weights(), src.Weights()) {
		t.Error("float64 file imported into a float32 model differs")
	}
}

func TestExportTorchRejectsDottedNames(t *testing.T) {
	d, err := layers.NewDense(1, &layers.DenseOptions{Name: "head.out"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewSequential([]int{2}, []layers.Layer{d}, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := models.ExportTorch(m, path, nil); !errors.Is(err, models.ErrModel) {
		t.Errorf("ExportTorch with a dotted layer name: %v, want ErrModel", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("a failed export left a file")
	}
}

func ExampleExportTorch() {
	l, _ := layers.NewLSTM(8, nil)
	d, _ := layers.NewDense(1, nil)
	m, _ := models.NewSequential([]int{10, 2}, []layers.Layer{l, d}, &models.Options{Seed: 1})
	dir, err := os.MkdirTemp("", "gornn-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state_dict.safetensors")
	if err := models.ExportTorch(m, path, nil); err != nil {
		fmt.Println(err)
		return
	}
	// The file is a PyTorch state_dict: list its tensors.
	data, _ := os.ReadFile(path)
	st, err := safetensors.Deserialize(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	names := st.Names()
	slices.Sort(names)
	for _, name := range names {
		t, _ := st.Tensor(name)
		fmt.Println(name, t.DType(), t.Shape())
	}
	// Output:
	// dense.bias F32 [1]
	// dense.weight F32 [1 8]
	// lstm.bias_hh_l0 F32 [32]
	// lstm.bias_ih_l0 F32 [32]
	// lstm.weight_hh_l0 F32 [32 8]
	// lstm.weight_ih_l0 F32 [32 2]
}
