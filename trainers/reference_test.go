package trainers_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// refTensor is a tensor of the reference format.
type refTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type refLayer struct {
	Type            string    `json:"type"`
	Units           int       `json:"units"`
	ReturnSequences bool      `json:"return_sequences"`
	Activation      string    `json:"activation"`
	GoBackwards     bool      `json:"go_backwards"`
	UseBias         *bool     `json:"use_bias"`
	MergeMode       string    `json:"merge_mode"`
	Layer           *refLayer `json:"layer"`
	InputDim        int       `json:"input_dim"`
	OutputDim       int       `json:"output_dim"`
	// Format 2+gornn: dropout rates and a graph model's wiring.
	Rate             float64     `json:"rate"`
	Dropout          float64     `json:"dropout"`
	RecurrentDropout float64     `json:"recurrent_dropout"`
	Inputs           []refSource `json:"inputs"`
	InitialState     *refInitial `json:"initial_state"`
}

// refSource is what a layer of a graph model reads (format 2+gornn): a
// model input, a layer's output, or one of a layer's final states.
type refSource struct {
	Input *int `json:"input"`
	Layer *int `json:"layer"`
	State *int `json:"state"`
}

// refInitial is a layer's initial_state: {"layer": j}, all of layer j's
// final states (All), or a list of sources, one per state.
type refInitial struct {
	All     *refSource
	Sources []refSource
}

func (r *refInitial) UnmarshalJSON(raw []byte) error {
	if err := json.Unmarshal(raw, &r.Sources); err == nil {
		return nil
	}
	r.Sources = nil
	return json.Unmarshal(raw, &r.All)
}

// config returns the layer's configuration (format 2 names the settings
// as layers.Config does).
func (rl refLayer) config() layers.Config {
	c := layers.Config{Kind: rl.Type, Units: rl.Units, ReturnSequences: rl.ReturnSequences, Activation: rl.Activation,
		GoBackwards: rl.GoBackwards, UseBias: rl.UseBias, MergeMode: rl.MergeMode, InputDim: rl.InputDim, OutputDim: rl.OutputDim,
		Rate: rl.Rate, Dropout: rl.Dropout, RecurrentDropout: rl.RecurrentDropout}
	if rl.Layer != nil {
		inner := rl.Layer.config()
		c.Layer = &inner
	}
	return c
}

// refWeights is one layer's tensors by name; a bidirectional layer's
// {"forward": {...}, "backward": {...}} is flattened to "forward/kernel",
// ..., as layers.Bidirectional names its weights.
type refWeights map[string]refTensor

func (w *refWeights) UnmarshalJSON(raw []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return err
	}
	*w = refWeights{}
	for k, v := range top {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(v, &probe); err != nil {
			return err
		}
		if _, ok := probe["shape"]; ok {
			var t refTensor
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			(*w)[k] = t
			continue
		}
		var inner refWeights
		if err := json.Unmarshal(v, &inner); err != nil {
			return err
		}
		for ik, t := range inner {
			(*w)[k+"/"+ik] = t
		}
	}
	return nil
}

type refCase struct {
	Format string `json:"format"`
	Name   string `json:"name"`
	Model  struct {
		InputShape []int      `json:"input_shape"`
		Layers     []refLayer `json:"layers"`
		// Format 2+gornn: a graph model's inputs and output layer, or
		// its output layers and their loss weights.
		Inputs      [][]int   `json:"inputs"`
		Output      *int      `json:"output"`
		Outputs     []int     `json:"outputs"`
		LossWeights []float64 `json:"loss_weights"`
	} `json:"model"`
	// Loss is the loss's name; a model of several outputs (format
	// 2+gornn) may give one per output instead, in Losses. Both come from
	// RawLoss, a name or a list of names.
	Loss    string          `json:"-"`
	Losses  []string        `json:"-"`
	RawLoss json.RawMessage `json:"loss"`
	Weights []refWeights    `json:"weights"`
	X       refTensor       `json:"x"`
	Xs      []refTensor     `json:"xs"` // format 2+gornn: the inputs of a graph model
	Y       refTensor       `json:"y"`
	Ys      []refTensor     `json:"ys"` // format 2+gornn: the targets of a model of several outputs
	// Format 2: per-sample lengths and the initial states of layers.
	Lengths       []int                 `json:"lengths"`
	InitialStates map[string]refWeights `json:"initial_states"`
	// Format 2+gornn: the dropout masks of the check batch.
	DropoutMasks refMasks `json:"dropout_masks"`
	Check        struct {
		Output    refTensor    `json:"output"`
		Loss      float64      `json:"loss"`
		Grads     []refWeights `json:"grads"`
		InputGrad *refTensor   `json:"input_grad"`
		// Format 2.
		FinalStates       map[string]refWeights `json:"final_states"`
		InitialStateGrads map[string]refWeights `json:"initial_state_grads"`
		// Format 2+gornn.
		InputGrads      []refTensor `json:"input_grads"`
		InferenceOutput *refTensor  `json:"inference_output"`
		Outputs         []refTensor `json:"outputs"` // several outputs: instead of output
		Losses          []float64   `json:"losses"`  // several outputs: each one's loss
	} `json:"check"`
	Train *refTrain `json:"train"`
}

type refTrain struct {
	Optimizer    map[string]any `json:"optimizer"`
	BatchSize    int            `json:"batch_size"`
	Epochs       int            `json:"epochs"`
	Batches      [][][]int      `json:"batches"`
	EpochLoss    []float64      `json:"epoch_loss"`
	FinalWeights []refWeights   `json:"final_weights"`
	// Format 2+gornn: the dropout masks of every step, by epoch and
	// batch, and for several outputs each one's loss per epoch.
	DropoutMasks      [][]refMasks `json:"dropout_masks"`
	EpochOutputLosses [][]float64  `json:"epoch_output_losses"`
}

// refMasks holds dropout masks by layer ("k") and name: "mask" for a
// dropout layer, "input" and "recurrent" for a recurrent layer.
type refMasks map[string]map[string]refTensor

// LossWeights returns the loss weights of a model of several outputs.
func (c refCase) LossWeights() []float64 { return c.Model.LossWeights }

// graph reports whether the case is a graph model (format 2+gornn).
func (c refCase) graph() bool { return c.Model.Inputs != nil }

// targets returns the case's targets: y, or ys for several outputs.
func (c refCase) targets() []refTensor {
	if c.Model.Outputs != nil {
		return c.Ys
	}
	return []refTensor{c.Y}
}

// outputs returns the case's check outputs: output, or outputs.
func (c refCase) outputs() []refTensor {
	if c.Model.Outputs != nil {
		return c.Check.Outputs
	}
	return []refTensor{c.Check.Output}
}

// lossNames returns the loss of every output.
func (c refCase) lossNames() []string {
	if c.Losses != nil {
		return c.Losses
	}
	names := make([]string, max(1, len(c.Model.Outputs)))
	for i := range names {
		names[i] = c.Loss
	}
	return names
}

// inputs returns the case's inputs: x, or a graph model's xs.
func (c refCase) inputs() []refTensor {
	if c.graph() {
		return c.Xs
	}
	return []refTensor{c.X}
}

// referenceFiles lists the committed cases (format 1 in
// testdata/reference, format 2 in testdata/reference-v2, format 2+gornn,
// generated here, in testdata/reference-gornn) and those of the
// directories of REFERENCE_CASES_DIR (a colon-separated list).
func referenceFiles(t *testing.T) []string {
	var files []string
	for _, dir := range []string{"reference", "reference-v2", "reference-gornn"} {
		more, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(more) == 0 {
			t.Errorf("testdata/%s holds no cases", dir)
		}
		files = append(files, more...)
	}
	for _, dir := range strings.Split(os.Getenv("REFERENCE_CASES_DIR"), ":") {
		if dir == "" {
			continue
		}
		more, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(more) == 0 {
			t.Errorf("REFERENCE_CASES_DIR entry %s holds no cases", dir)
		}
		files = append(files, more...)
	}
	if len(files) == 0 {
		t.Fatal("no reference cases found")
	}
	return files
}

func loadCase(t *testing.T, path string) refCase {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c refCase
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	switch c.Format {
	case "rnn-reference/1", "rnn-reference/2", "rnn-reference/2+gornn":
	default:
		t.Fatalf("%s: unknown format %q", path, c.Format)
	}
	if err := json.Unmarshal(c.RawLoss, &c.Loss); err != nil {
		if c.Format != "rnn-reference/2+gornn" || json.Unmarshal(c.RawLoss, &c.Losses) != nil {
			t.Fatalf("%s: loss %s is not a name (or, for several outputs, a list of names)", path, c.RawLoss)
		}
	}
	if k := len(c.Model.Outputs); k > 0 && (k < 2 || !c.graph() || c.Model.Output != nil || len(c.Ys) != k || len(c.Check.Outputs) != k ||
		len(c.Check.Losses) != k || c.Losses != nil && len(c.Losses) != k || c.LossWeights() != nil && len(c.LossWeights()) != k ||
		c.DropoutMasks != nil || c.Train == nil || len(c.Train.EpochOutputLosses) != c.Train.Epochs) {
		t.Fatalf("%s: several outputs need a graph model, ys, outputs, losses and epoch_output_losses for each, and no dropout masks", path)
	}
	if c.Model.Outputs == nil && (c.Ys != nil || c.Check.Outputs != nil || c.Check.Losses != nil || c.Losses != nil || c.Model.LossWeights != nil) {
		t.Fatalf("%s: fields of several outputs in a case of one", path)
	}
	if c.Format == "rnn-reference/1" && (c.Lengths != nil || c.InitialStates != nil || c.Check.FinalStates != nil) {
		t.Fatalf("%s: format 1 with fields of format 2", path)
	}
	if c.Format != "rnn-reference/2+gornn" && (c.graph() || c.Xs != nil || c.DropoutMasks != nil || c.Check.InputGrads != nil || c.Check.InferenceOutput != nil || (c.Train != nil && c.Train.DropoutMasks != nil)) {
		t.Fatalf("%s: %s with fields of format 2+gornn", path, c.Format)
	}
	if c.graph() != (c.Xs != nil) || c.graph() && (len(c.Xs) != len(c.Model.Inputs) || c.Lengths != nil || c.InitialStates != nil) {
		t.Fatalf("%s: a graph model gives xs (one per input) and no x, lengths or initial_states", path)
	}
	if (c.DropoutMasks != nil) != (c.Train != nil && c.Train.DropoutMasks != nil) {
		t.Fatalf("%s: dropout masks for the check and not for training, or the reverse", path)
	}
	return c
}

// TestReferenceCases runs every PyTorch reference case: its check section
// (forward output, loss, every gradient and the input gradient of the whole
// data as one batch) and its train section, in float64 and float32.
func TestReferenceCases(t *testing.T) {
	for _, path := range referenceFiles(t) {
		c := loadCase(t, path)
		t.Run(c.Name, func(t *testing.T) {
			for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
				tol := map[graph.DType]float64{graph.Float64: 1e-9, graph.Float32: 1e-4}[dt]
				trainTol := map[graph.DType]float64{graph.Float64: 1e-9, graph.Float32: 1e-3}[dt]
				t.Run(dt.String()+"/check", func(t *testing.T) { logWorst(t); runCheck(t, c, dt, tol) })
				if c.Train != nil {
					t.Run(dt.String()+"/train", func(t *testing.T) { logWorst(t); runTrain(t, c, dt, trainTol) })
				}
			}
		})
	}
}

// buildCase makes the case's model with its initial weights. With
// lengths, the mask comes from the data as Keras users give it: a Masking
// layer in front (padded steps hold 0), or mask_zero on the embedding
// (padded ids are 0); checkLengths makes sure that this mask is exactly
// the lengths. A graph model (format 2+gornn) is built with the
// functional API (buildGraph).
func buildCase(t *testing.T, c refCase, dt graph.DType) refModel {
	t.Helper()
	if c.graph() {
		return buildGraph(t, c, dt)
	}
	var ls []layers.Layer
	off := 0
	if c.Lengths != nil {
		checkLengths(t, c)
		if c.Model.Layers[0].Type != "embedding" {
			mask, err := layers.NewMasking(0, nil)
			if err != nil {
				t.Fatal(err)
			}
			ls, off = append(ls, mask), 1
		}
	}
	r := refModel{}
	for i, rl := range c.Model.Layers {
		cfg := rl.config()
		if rl.Type == "embedding" && c.Lengths != nil {
			cfg.MaskZero = true
		}
		l, err := layers.FromConfig(cfg)
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		ls = append(ls, l)
		r.layer = append(r.layer, off+i)
	}
	m, err := models.NewSequential(c.Model.InputShape, ls, &models.Options{DType: dt})
	if err != nil {
		t.Fatal(err)
	}
	r.m = m
	r.setWeights(t, c.Weights)
	return r
}

// refModel is a case's model and where the case's layers are in it:
// layer[k] is the model's index of the case's layer k.
type refModel struct {
	m     *models.Model
	layer []int
}

// caseLayer returns the case's index of the model's layer i, -1 for a
// layer the case does not have (a Masking layer in front).
func (r refModel) caseLayer(i int) int { return slices.Index(r.layer, i) }

// caseWeights picks the case's layers, in the case's order, from one
// LayerWeights per model layer.
func (r refModel) caseWeights(ws []models.LayerWeights) []models.LayerWeights {
	out := make([]models.LayerWeights, len(r.layer))
	for k, i := range r.layer {
		out[k] = ws[i]
	}
	return out
}

// setWeights sets the case's weights ws (one per case layer).
func (r refModel) setWeights(t *testing.T, ws []refWeights) {
	t.Helper()
	cur := r.m.Weights()
	out := make([]models.LayerWeights, len(cur))
	for i := range cur {
		out[i].Weights = []layers.Weight{}
		k := r.caseLayer(i)
		if k < 0 || k >= len(ws) {
			continue
		}
		for _, w := range cur[i].Weights {
			rt := ws[k][w.Name]
			out[i].Weights = append(out[i].Weights, layers.Weight{Name: w.Name, Shape: rt.Shape, Data: rt.Data})
		}
	}
	if err := r.m.SetWeights(out); err != nil {
		t.Fatal(err)
	}
}

// checkLengths checks that the padding of x is what its lengths say: a
// valid step holds a value other than 0 (an id of at least 1), a padded
// step 0 alone, so that the mask made from the data is the lengths.
func checkLengths(t *testing.T, c refCase) {
	t.Helper()
	n, steps := c.X.Shape[0], c.X.Shape[1]
	if len(c.Lengths) != n {
		t.Fatalf("%d lengths for %d samples", len(c.Lengths), n)
	}
	per := len(c.X.Data) / (n * steps)
	for i, L := range c.Lengths {
		if L < 1 || L > steps {
			t.Fatalf("sample %d: length %d outside [1, %d]", i, L, steps)
		}
		for s := range steps {
			zero := true
			for _, v := range c.X.Data[(i*steps+s)*per : (i*steps+s+1)*per] {
				zero = zero && v == 0
			}
			if zero != (s >= L) {
				t.Fatalf("sample %d, step %d: zero %v but length %d: the mask from the data would not be the lengths", i, s, zero, L)
			}
		}
	}
}

func tensorOf(t *testing.T, dt graph.DType, r refTensor) *graph.Tensor {
	t.Helper()
	x, err := graph.FromFloat64s(dt, r.Data, r.Shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// relErr returns ‖got − want‖ / ‖want‖ (or ‖got − want‖ when want is 0).
func relErr(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, n float64
	for i := range want {
		d += (got[i] - want[i]) * (got[i] - want[i])
		n += want[i] * want[i]
	}
	if n == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d / n)
}

// worstErr holds, per subtest, the largest relative error expectClose met,
// logged at its end (go test -v shows the margin to the tolerance).
var worstErr sync.Map

func logWorst(t *testing.T) {
	t.Cleanup(func() {
		if e, ok := worstErr.Load(t.Name()); ok {
			t.Logf("largest relative error: %.3g", e)
		}
	})
}

func expectClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	recordChecked(t, what, got)
	e := relErr(got, want)
	if old, ok := worstErr.Load(t.Name()); !ok || e > old.(float64) || e != e {
		worstErr.Store(t.Name(), e)
	}
	if !(e <= tol) {
		t.Errorf("%s: relative error %.3g > %.0g (got %d values, want %d)", what, e, tol, len(got), len(want))
	}
}

// stateInputs returns, for a program compiled with States, the case's
// initial states of the given samples (nil: all) in the program's order
// (zero for the layers the case gives none), and the keys they stand for.
func stateInputs(t *testing.T, c refCase, r refModel, dt graph.DType, idx []int) ([]*graph.Tensor, []stateKey) {
	t.Helper()
	var ins []*graph.Tensor
	var keys []stateKey
	for _, si := range r.m.StateLayers() {
		k := fmt.Sprint(r.caseLayer(si.Layer))
		kind := ""
		if k, err := strconv.Atoi(k); err == nil && k >= 0 && k < len(c.Model.Layers) {
			kind = c.Model.Layers[k].Type
		}
		for s := range si.States {
			name := stateName(kind, si.States, s)
			keys = append(keys, stateKey{k, name})
			rows := len(idx)
			if idx == nil {
				rows = c.inputs()[0].Shape[0]
			}
			r, ok := c.InitialStates[k][name]
			if !ok {
				ins = append(ins, tensorOf(t, dt, refTensor{Shape: []int{rows, si.Units}, Data: make([]float64, rows*si.Units)}))
				continue
			}
			x := tensorOf(t, dt, r)
			if idx != nil {
				var err error
				if x, err = trainers.Samples(x, idx); err != nil {
					t.Fatal(err)
				}
			}
			ins = append(ins, x)
		}
	}
	return ins, keys
}

type stateKey struct{ layer, state string }

// stateName names state s of a layer of n states as the cases do: h, then
// c for an LSTM; a Bidirectional layer's are forward/h, ..., then
// backward/h, ...
func stateName(kind string, n, s int) string {
	if kind == "bidirectional" {
		return []string{"forward/", "backward/"}[s/(n/2)] + []string{"h", "c"}[s%(n/2)]
	}
	return []string{"h", "c"}[s]
}

// usesStates reports whether the case gives or checks states.
func usesStates(c refCase) bool { return c.InitialStates != nil || c.Check.FinalStates != nil }

// caseLosses returns the loss of every output of the case.
func caseLosses(t *testing.T, c refCase) []trainers.Loss {
	t.Helper()
	var out []trainers.Loss
	for _, name := range c.lossNames() {
		l, err := trainers.LossByName(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

func runCheck(t *testing.T, c refCase, dt graph.DType, tol float64) {
	r := buildCase(t, c, dt)
	m := r.m
	losses := caseLosses(t, c)
	loss := losses[0]
	xs, ys := c.inputs(), c.targets()
	n, nIn, nOut := xs[0].Shape[0], len(xs), len(ys)
	states := usesStates(c)
	inputGrads := c.Check.InputGrad != nil || c.Check.InputGrads != nil || c.Check.InitialStateGrads != nil
	var noise *layers.Noise
	if c.DropoutMasks != nil {
		noise = layers.NewNoise()
	}
	spec := models.ProgramSpec{Batch: n, Loss: loss.Func(), Elementwise: loss.Elementwise(), Grads: true, InputGrads: inputGrads, States: states, Noise: noise}
	if nOut > 1 {
		spec.OutputLosses, spec.LossWeights = true, c.LossWeights()
		for _, l := range losses {
			spec.Losses, spec.Elementwises = append(spec.Losses, l.Func()), append(spec.Elementwises, l.Elementwise())
		}
	}
	prog, err := m.Program(spec)
	if err != nil {
		t.Fatal(err)
	}
	e := prog.NewExecutor()
	for i, x := range xs {
		if err := e.SetInput(i, tensorOf(t, dt, x)); err != nil {
			t.Fatal(err)
		}
	}
	for i, y := range ys {
		if err := e.SetInput(nIn+i, tensorOf(t, dt, y)); err != nil {
			t.Fatal(err)
		}
	}
	var keys []stateKey
	if states {
		var ins []*graph.Tensor
		ins, keys = stateInputs(t, c, r, dt, nil)
		for i, x := range ins {
			if err := e.SetInput(nIn+nOut+i, x); err != nil {
				t.Fatal(err)
			}
		}
	}
	if noise != nil {
		setMasks(t, c, r, e, prog.NumInputs(), noise.Inputs(), c.DropoutMasks, dt)
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	for i, want := range c.outputs() {
		out, err := e.Output(i)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal([]int(out.Shape()), want.Shape) {
			t.Fatalf("output %d shape %v, want %v", i, out.Shape(), want.Shape)
		}
		expectClose(t, fmt.Sprintf("output %d", i), graph.Float64s(out), want.Data, tol)
	}
	l, err := e.Loss()
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "loss", []float64{l}, []float64{c.Check.Loss}, tol)
	if nOut > 1 {
		// After the predictions and the final states, each output's loss.
		var got []float64
		for i := range nOut {
			li, err := e.Output(nOut + len(keys) + i)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, graph.Float64s(li)[0])
		}
		expectClose(t, "losses", got, c.Check.Losses, tol)
	}
	grads, err := e.Grads(m.Params())
	if err != nil {
		t.Fatal(err)
	}
	kg, err := m.KerasLayout(grads)
	if err != nil {
		t.Fatal(err)
	}
	compareWeights(t, "grad", r.caseWeights(kg), c.Check.Grads, tol)
	wantIG := c.Check.InputGrads
	if c.Check.InputGrad != nil {
		wantIG = []refTensor{*c.Check.InputGrad}
	}
	for i, want := range wantIG {
		ig, err := e.InputGrad(i)
		if err != nil {
			t.Fatal(err)
		}
		expectClose(t, fmt.Sprintf("input_grad %d", i), graph.Float64s(ig), want.Data, tol)
	}
	checked := 0
	for i, k := range keys {
		if want, ok := c.Check.FinalStates[k.layer][k.state]; ok {
			got, err := e.Output(nOut + i)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal([]int(got.Shape()), want.Shape) {
				t.Fatalf("final state %v: shape %v, want %v", k, got.Shape(), want.Shape)
			}
			expectClose(t, fmt.Sprintf("final state %s/%s", k.layer, k.state), graph.Float64s(got), want.Data, tol)
			checked++
		}
		if want, ok := c.Check.InitialStateGrads[k.layer][k.state]; ok {
			got, err := e.InputGrad(nIn + nOut + i)
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, fmt.Sprintf("initial state grad %s/%s", k.layer, k.state), graph.Float64s(got), want.Data, tol)
			checked++
		}
	}
	want := 0
	for k, s := range c.Check.FinalStates {
		if !wiredStates(c, k) {
			want += len(s)
		}
	}
	for _, s := range c.Check.InitialStateGrads {
		want += len(s)
	}
	if checked != want {
		t.Errorf("checked %d final states and initial-state gradients of the %d the case holds", checked, want)
	}
	if c.Check.InferenceOutput != nil {
		checkInference(t, c, r, dt, tol)
	}
}

func compareWeights(t *testing.T, what string, got []models.LayerWeights, want []refWeights, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d layers, want %d", what, len(got), len(want))
	}
	for i, lw := range got {
		if len(lw.Weights) != len(want[i]) {
			t.Errorf("%s: layer %d has %d weights, want %d", what, i, len(lw.Weights), len(want[i]))
		}
		for _, w := range lw.Weights {
			r, ok := want[i][w.Name]
			if !ok {
				t.Errorf("%s: layer %d: reference has no %s", what, i, w.Name)
				continue
			}
			if !slices.Equal(w.Shape, r.Shape) {
				t.Errorf("%s %s/%s: shape %v, want %v", what, lw.Layer, w.Name, w.Shape, r.Shape)
				continue
			}
			expectClose(t, fmt.Sprintf("%s %s/%s", what, lw.Layer, w.Name), w.Data, r.Data, tol)
		}
	}
}

// refOptimizer builds the case's optimizer; unknown fields fail the case.
func refOptimizer(t *testing.T, spec map[string]any) trainers.Optimizer {
	t.Helper()
	// One value per field; each optimizer takes those it has, and a field
	// the case's optimizer lacks fails the case.
	var lr, mom, b1, b2, eps, rho, clipNorm, globalClip float64
	var nesterov bool
	name, _ := spec["type"].(string)
	own := map[string][]string{"sgd": {"momentum", "nesterov"}, "adam": {"beta_1", "beta_2", "epsilon"}, "rmsprop": {"rho", "epsilon"}}
	for k, v := range spec {
		switch k {
		case "type", "learning_rate", "clipnorm", "global_clipnorm":
		default:
			if !slices.Contains(own[name], k) {
				t.Fatalf("optimizer field %q is not supported for %q", k, name)
			}
		}
		switch k {
		case "learning_rate":
			lr = v.(float64)
		case "momentum":
			mom = v.(float64)
		case "nesterov":
			nesterov = v.(bool)
		case "beta_1":
			b1 = v.(float64)
		case "beta_2":
			b2 = v.(float64)
		case "epsilon":
			eps = v.(float64)
		case "rho":
			rho = v.(float64)
		case "clipnorm":
			clipNorm = v.(float64)
		case "global_clipnorm":
			globalClip = v.(float64)
		}
	}
	var opt trainers.Optimizer
	var err error
	switch name {
	case "sgd":
		opt, err = trainers.NewSGD(&trainers.SGDOptions{LearningRate: lr, Momentum: mom, Nesterov: nesterov,
			ClipNorm: clipNorm, GlobalClipNorm: globalClip})
	case "adam":
		opt, err = trainers.NewAdam(&trainers.AdamOptions{LearningRate: lr, Beta1: b1, Beta2: b2, Epsilon: eps,
			ClipNorm: clipNorm, GlobalClipNorm: globalClip})
	case "rmsprop":
		opt, err = trainers.NewRMSprop(&trainers.RMSpropOptions{LearningRate: lr, Rho: rho, Epsilon: eps,
			ClipNorm: clipNorm, GlobalClipNorm: globalClip})
	default:
		t.Fatalf("optimizer %q is not supported", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return opt
}

// runTrain replays the case's training run batch by batch through the
// public one-batch step (TrainBatch, or TrainBatchInputs for a graph
// model), or, for a case with initial states (which TrainBatch does not
// take) or given dropout masks (which TrainBatch draws itself), through
// programs with ProgramSpec.States and Noise and the optimizer's Step.
func runTrain(t *testing.T, c refCase, dt graph.DType, tol float64) {
	r := buildCase(t, c, dt)
	m := r.m
	losses := caseLosses(t, c)
	loss := losses[0]
	opt := refOptimizer(t, c.Train.Optimizer)
	tr, err := trainers.NewTrainer(m, loss, opt)
	if len(losses) > 1 {
		tr, err = trainers.NewTrainerOutputs(m, losses, c.LossWeights(), opt)
	}
	if err != nil {
		t.Fatal(err)
	}
	var xs []*graph.Tensor
	for _, x := range c.inputs() {
		xs = append(xs, tensorOf(t, dt, x))
	}
	var ys []*graph.Tensor
	for _, y := range c.targets() {
		ys = append(ys, tensorOf(t, dt, y))
	}
	if len(c.Train.Batches) != c.Train.Epochs || len(c.Train.EpochLoss) != c.Train.Epochs {
		t.Fatalf("case lists %d epochs of batches and %d losses for %d epochs", len(c.Train.Batches), len(c.Train.EpochLoss), c.Train.Epochs)
	}
	if c.Train.DropoutMasks != nil && len(c.Train.DropoutMasks) != c.Train.Epochs {
		t.Fatalf("case lists dropout masks of %d epochs for %d epochs", len(c.Train.DropoutMasks), c.Train.Epochs)
	}
	got := make([]float64, c.Train.Epochs)
	gotParts := make([][]float64, c.Train.Epochs) // several outputs: each one's loss per epoch
	type exec struct {
		e     *graph.Executor
		noise []layers.NoiseInput
		ins   int
	}
	execs := map[int]exec{}
	for e, batches := range c.Train.Batches {
		var sum float64
		var n int
		for j, idx := range batches {
			var xb []*graph.Tensor
			for _, x := range xs {
				b, err := trainers.Samples(x, idx)
				if err != nil {
					t.Fatal(err)
				}
				xb = append(xb, b)
			}
			var yb []*graph.Tensor
			for _, y := range ys {
				b, err := trainers.Samples(y, idx)
				if err != nil {
					t.Fatal(err)
				}
				yb = append(yb, b)
			}
			var l float64
			switch {
			case len(ys) > 1:
				r, err := tr.TrainBatchOutputs(xb, yb)
				if err != nil {
					t.Fatalf("epoch %d: %v", e, err)
				}
				l = r.Loss
				if gotParts[e] == nil {
					gotParts[e] = make([]float64, len(ys))
				}
				for i, li := range r.Losses {
					gotParts[e][i] += li * float64(len(idx))
				}
			case c.InitialStates == nil && c.DropoutMasks == nil && !c.graph():
				r, err := tr.TrainBatch(xb[0], yb[0])
				if err != nil {
					t.Fatalf("epoch %d: %v", e, err)
				}
				l = r.Loss
			case c.InitialStates == nil && c.DropoutMasks == nil:
				r, err := tr.TrainBatchInputs(xb, yb[0])
				if err != nil {
					t.Fatalf("epoch %d: %v", e, err)
				}
				l = r.Loss
			default:
				ex, ok := execs[len(idx)]
				if !ok {
					var noise *layers.Noise
					if c.DropoutMasks != nil {
						noise = layers.NewNoise()
					}
					prog, err := m.Program(models.ProgramSpec{Batch: len(idx), Loss: loss.Func(), Elementwise: loss.Elementwise(), Grads: true, States: c.InitialStates != nil, Noise: noise})
					if err != nil {
						t.Fatal(err)
					}
					ex = exec{e: prog.NewExecutor(), noise: noise.Inputs(), ins: prog.NumInputs()}
					execs[len(idx)] = ex
				}
				ins := append(xb, yb...)
				if c.InitialStates != nil {
					more, _ := stateInputs(t, c, r, dt, idx)
					ins = append(ins, more...)
				}
				for i, in := range ins {
					if err := ex.e.SetInput(i, in); err != nil {
						t.Fatal(err)
					}
				}
				if c.DropoutMasks != nil {
					if len(c.Train.DropoutMasks[e]) != len(batches) {
						t.Fatalf("epoch %d: dropout masks of %d batches for %d", e, len(c.Train.DropoutMasks[e]), len(batches))
					}
					setMasks(t, c, r, ex.e, ex.ins, ex.noise, c.Train.DropoutMasks[e][j], dt)
				}
				if err := ex.e.Run(); err != nil {
					t.Fatal(err)
				}
				if l, err = ex.e.Loss(); err != nil {
					t.Fatal(err)
				}
				grads, err := ex.e.Grads(m.Params())
				if err != nil {
					t.Fatal(err)
				}
				if err := opt.Step(m.Params(), grads); err != nil {
					t.Fatal(err)
				}
			}
			sum += l * float64(len(idx))
			n += len(idx)
		}
		got[e] = sum / float64(n)
	}
	expectClose(t, "epoch_loss", got, c.Train.EpochLoss, tol)
	for e, want := range c.Train.EpochOutputLosses {
		for i := range gotParts[e] {
			gotParts[e][i] /= float64(c.inputs()[0].Shape[0])
		}
		expectClose(t, fmt.Sprintf("epoch %d output losses", e), gotParts[e], want, tol)
	}
	compareWeights(t, "final", r.caseWeights(m.Weights()), c.Train.FinalWeights, tol)
}
