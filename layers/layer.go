package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
)

// Layer is a building block of a model: it owns named parameters and adds
// its computation to a graph.
//
// The life of a layer: construct it (its settings are validated), name it (the
// model names layers it is given without one), Build it for an input shape
// (this creates its weights), then call Forward on any number of graphs,
// one per batch size, all sharing the same weights.
type Layer interface {
	// Name returns the layer's name, the prefix of its parameter names.
	Name() string
	// SetName names the layer; it fails once the layer is built.
	SetName(name string) error
	// Kind returns the layer's type in snake case, as in the reference
	// cases and saved files ("lstm"): the kind its decoder is registered
	// under (Register). Keras' class name is ClassName.
	Kind() string
	// ClassName returns the Keras class name ("LSTM") for summaries.
	ClassName() string
	// Build creates the weights for inputs of shape in (without the batch
	// axis) and returns the output shape (without the batch axis).
	Build(dt graph.DType, in []int, rng *graph.RNG) (out []int, err error)
	// Built reports whether Build succeeded.
	Built() bool
	// Forward adds the layer to b's graph, reading x [batch, in...].
	Forward(b *graph.Builder, x *graph.Node) *graph.Node
	// Params returns the trainable parameters in a stable order.
	Params() []*graph.Param
	// Weights returns copies of the weights in Keras layout, in the order
	// Keras' get_weights gives them.
	Weights() []Weight
	// KerasLayout converts values shaped like Params (for example their
	// gradients) to Keras layout, named and ordered like Weights.
	KerasLayout(values [][]float64) ([]Weight, error)
	// SetWeights replaces the weights, given in Keras layout and in the
	// order of Weights; shapes are checked.
	SetWeights(ws []Weight) error
	// Config returns the settings needed to construct the layer again
	// (Keras' get_config), with Kind set: FromConfig makes the layer from
	// it.
	Config() Config
}

// Weight is one weight tensor in Keras layout.
type Weight struct {
	Name  string // "kernel", "recurrent_kernel" or "bias"
	Shape []int
	Data  []float64 // row-major
}

// Config describes a layer completely enough to rebuild it, as saved in
// model files: Keras' get_config. Kind names the decoder registered for
// the layer's type (Register), which turns the Config back into a layer
// (FromConfig). The built-in layers use the named fields; a layer of one's
// own may use them too, and keeps any other settings in Options.
type Config struct {
	Kind            string `json:"type"`
	Name            string `json:"name,omitempty"`
	Units           int    `json:"units"`
	ReturnSequences bool   `json:"return_sequences,omitempty"`
	Activation      string `json:"activation,omitempty"`
	UnitForgetBias  *bool  `json:"unit_forget_bias,omitempty"`
	// GoBackwards is a recurrent layer's go_backwards.
	GoBackwards bool `json:"go_backwards,omitempty"`
	// UseBias is false for a layer without a bias (nil: Keras' default,
	// a bias).
	UseBias *bool `json:"use_bias,omitempty"`
	// MergeMode and Layer describe a Bidirectional wrapper: how the two
	// directions are merged ("concat", "sum", "mul", "ave") and the
	// wrapped layer (whose GoBackwards is false).
	MergeMode string  `json:"merge_mode,omitempty"`
	Layer     *Config `json:"layer,omitempty"`
	// InputDim and OutputDim are an Embedding's vocabulary size and
	// vector size; MaskZero its mask_zero.
	InputDim  int  `json:"input_dim,omitempty"`
	OutputDim int  `json:"output_dim,omitempty"`
	MaskZero  bool `json:"mask_zero,omitempty"`
	// MaskValue is a Masking layer's mask_value.
	MaskValue *float64 `json:"mask_value,omitempty"`
	// Rate is a Dropout layer's rate; Dropout and RecurrentDropout a
	// recurrent layer's dropout of its inputs and of its recurrent state.
	Rate             float64 `json:"rate,omitempty"`
	Dropout          float64 `json:"dropout,omitempty"`
	RecurrentDropout float64 `json:"recurrent_dropout,omitempty"`
	// Options holds a custom layer's other settings as a JSON value of its
	// own design (an object, typically), stored as it is. The built-in
	// layers have none and refuse it.
	Options json.RawMessage `json:"options,omitempty"`
}

// Errors of this package, for errors.Is; shape errors wrap graph.ErrShape.
var (
	// ErrConfig reports an invalid layer setting or configuration. It is
	// graph.ErrConfig, the sentinel of every configuration error in gornn
	// (and so a graph.ErrArgument as well).
	ErrConfig = graph.ErrConfig
	// ErrNotBuilt reports use of a layer's weights before Build.
	ErrNotBuilt = errors.New("layer is not built")
)

// base holds what every layer has: a name, a build state and parameters.
type base struct {
	name   string
	built  bool
	dt     graph.DType
	in     []int
	params []*graph.Param
}

// The methods of base are safe on a nil *base: the layer types' own
// methods (methods.go) pass nil for a nil layer.

func (l *base) Name() string {
	if l == nil {
		return ""
	}
	return l.name
}

func (l *base) SetName(name string) error {
	if l == nil {
		return fmt.Errorf("%w: nil layer", ErrConfig)
	}
	if l.built {
		return fmt.Errorf("%w: %s: cannot rename a built layer", ErrConfig, l.name)
	}
	if name == "" {
		return fmt.Errorf("%w: empty layer name", ErrConfig)
	}
	l.name = name
	return nil
}

func (l *base) Built() bool { return l != nil && l.built }

func (l *base) Params() []*graph.Param {
	if l == nil {
		return nil
	}
	return slices.Clone(l.params)
}

// startBuild checks the preconditions of Build that do not depend on the
// input shape.
func (l *base) startBuild(dt graph.DType, rng *graph.RNG, what string) error {
	if l == nil {
		return fmt.Errorf("%w: Build on a nil %s layer", ErrConfig, what)
	}
	if l.built {
		return fmt.Errorf("%w: %s is already built", ErrConfig, l.name)
	}
	if l.name == "" {
		return fmt.Errorf("%w: %s layer has no name", ErrConfig, what)
	}
	if !dt.Valid() {
		return fmt.Errorf("%w: %s: invalid dtype %v", ErrConfig, l.name, dt)
	}
	if rng == nil {
		return fmt.Errorf("%w: %s: Build needs an RNG, got nil (%w)", ErrConfig, l.name, graph.ErrArgument)
	}
	return nil
}

func (l *base) finishBuild(dt graph.DType, in []int, params ...*graph.Param) {
	l.dt, l.in, l.params, l.built = dt, slices.Clone(in), params, true
}

// newParam creates the parameter name/suffix.
func (l *base) newParam(suffix string, dt graph.DType, shape []int, init graph.Initializer, rng *graph.RNG) (*graph.Param, error) {
	return graph.NewParam(l.name+"/"+suffix, dt, shape, init, rng.Split())
}

// checkWeights checks ws against the expected names and shapes.
func checkWeights(layer string, ws []Weight, want []Weight) error {
	if len(ws) != len(want) {
		return fmt.Errorf("%w: %s: got %d weights, want %d", graph.ErrShape, layer, len(ws), len(want))
	}
	for i, w := range ws {
		if w.Name != "" && w.Name != want[i].Name {
			return fmt.Errorf("%w: %s: weight %d is %q, want %q", graph.ErrShape, layer, i, w.Name, want[i].Name)
		}
		if !slices.Equal(w.Shape, want[i].Shape) || len(w.Data) != len(want[i].Data) {
			return fmt.Errorf("%w: %s: %s has shape %v (%d values), want %v", graph.ErrShape, layer, want[i].Name, w.Shape, len(w.Data), want[i].Shape)
		}
	}
	return nil
}

// paramValues returns copies of the parameters' values.
func paramValues(ps []*graph.Param) [][]float64 {
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = p.Float64s()
	}
	return out
}

// checkValues checks values are shaped like the layer's parameters.
func checkValues(l *base, values [][]float64) error {
	if !l.Built() {
		return fmt.Errorf("%w: %s", ErrNotBuilt, l.Name())
	}
	if len(values) != len(l.params) {
		return fmt.Errorf("%w: %s: %d tensors for %d parameters", graph.ErrShape, l.name, len(values), len(l.params))
	}
	for i, p := range l.params {
		if len(values[i]) != p.Len() {
			return fmt.Errorf("%w: %s: %d values, want %d", graph.ErrShape, p.Name(), len(values[i]), p.Len())
		}
	}
	return nil
}
