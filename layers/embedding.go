package layers

import (
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
)

// Embedding maps token ids to vectors, as Keras' Embedding(input_dim,
// output_dim) and PyTorch's nn.Embedding: for inputs [batch, T] of whole
// numbers in [0, input_dim), output (i, t) is row x[i, t] of embeddings
// [input_dim, output_dim], so the output is [batch, T, output_dim]. With
// MaskZero (Keras' mask_zero) id 0 is padding: the steps holding
// it are masked for the layers after it and for the loss.
//
// The ids come into the graph as numbers; each is turned into its one-hot
// row relu(1 - |id - v|) over v = 0..input_dim-1 (exact for whole numbers)
// and multiplied by the embeddings, so the embeddings' gradient comes from
// Grad: dense, zero in the rows of ids that reach no valid step. The
// one-hot product costs batch·T·input_dim·output_dim per step, fine for
// the vocabularies of sequence models of this size. The ids themselves
// have a zero gradient.
type Embedding struct {
	base
	inputDim, outputDim int
	maskZero            bool
	embeddings          *graph.Param // [V, D]
}

var (
	_ Layer         = (*Embedding)(nil)
	_ WeightPlanner = (*Embedding)(nil)
	_ MaskedLayer   = (*Embedding)(nil)
	_ InputChecker  = (*Embedding)(nil)
	_ TorchLayout   = (*Embedding)(nil)
)

// An InputChecker checks a model's input data beyond its shape and
// finiteness; models check the data of their first layer with it (an
// Embedding's ids must be whole numbers in its vocabulary).
type InputChecker interface {
	CheckInput(x *graph.Tensor) error
}

const kindEmbedding = "embedding"

// MaxVocabulary bounds an Embedding's input_dim: the one-hot rows it makes
// per step are input_dim wide.
const MaxVocabulary = 1 << 20

func init() {
	registerBuiltin(kindEmbedding, func(c Config) (Layer, error) {
		if len(c.Options) > 0 || c.Units != 0 || c.ReturnSequences || c.Activation != "" || c.UnitForgetBias != nil || c.GoBackwards || c.UseBias != nil || c.MergeMode != "" || c.Layer != nil || c.MaskValue != nil {
			return nil, fmt.Errorf("%w: an embedding takes input_dim, output_dim, mask_zero and name only", ErrConfig)
		}
		return NewEmbedding(c.InputDim, c.OutputDim, &EmbeddingOptions{Name: c.Name, MaskZero: c.MaskZero})
	})
}

// NewEmbedding returns an Embedding of vocabulary inputDim (1 to
// MaxVocabulary) and vectors of outputDim (1 to MaxUnits), with the given
// settings (nil: Keras' defaults, no mask). Its embeddings start uniform
// in [-0.05, 0.05], Keras' default.
func NewEmbedding(inputDim, outputDim int, opts *EmbeddingOptions) (*Embedding, error) {
	if inputDim <= 0 || inputDim > MaxVocabulary {
		return nil, fmt.Errorf("%w: %s: input_dim %d must be in [1, %d]", ErrConfig, kindEmbedding, inputDim, MaxVocabulary)
	}
	if err := checkUnits(kindEmbedding, outputDim); err != nil {
		return nil, err
	}
	l := &Embedding{inputDim: inputDim, outputDim: outputDim}
	if opts != nil {
		l.name, l.maskZero = opts.Name, opts.MaskZero
	}
	return l, nil
}

// InputDim returns the vocabulary size.
func (l *Embedding) InputDim() int {
	if l == nil {
		return 0
	}
	return l.inputDim
}

// OutputDim returns the size of the vectors.
func (l *Embedding) OutputDim() int {
	if l == nil {
		return 0
	}
	return l.outputDim
}

// MaskZero reports whether id 0 masks its step.
func (l *Embedding) MaskZero() bool { return l != nil && l.maskZero }

// Kind returns "embedding".
func (l *Embedding) Kind() string { return kindEmbedding }

// ClassName returns "Embedding".
func (l *Embedding) ClassName() string { return "Embedding" }

// Config returns the layer's configuration.
func (l *Embedding) Config() Config {
	if l == nil {
		return Config{Kind: kindEmbedding}
	}
	return Config{Kind: kindEmbedding, Name: l.name, InputDim: l.inputDim, OutputDim: l.outputDim, MaskZero: l.maskZero}
}

func (l *Embedding) baseOf() *base {
	if l == nil {
		return nil
	}
	return &l.base
}

// Name returns the layer's name.
func (l *Embedding) Name() string { return l.baseOf().Name() }

// SetName names the layer; it fails once the layer is built.
func (l *Embedding) SetName(name string) error { return l.baseOf().SetName(name) }

// Built reports whether Build succeeded.
func (l *Embedding) Built() bool { return l.baseOf().Built() }

// Params returns the embeddings.
func (l *Embedding) Params() []*graph.Param { return l.baseOf().Params() }

// Plan returns input_dim·output_dim and the output [T, output_dim] for
// inputs [T] of ids.
func (l *Embedding) Plan(in []int) (int, []int, error) {
	if l == nil || l.inputDim <= 0 || l.outputDim <= 0 {
		return 0, nil, fmt.Errorf("%w: %s is not configured (use NewEmbedding)", ErrConfig, kindEmbedding)
	}
	if err := checkInput(l.name, in, 1); err != nil {
		return 0, nil, fmt.Errorf("%w (an embedding reads [time] ids per sample)", err)
	}
	if in[0] > MaxTimeSteps {
		return 0, nil, fmt.Errorf("%w: %s: %d steps, more than MaxTimeSteps (%d)", ErrConfig, l.name, in[0], MaxTimeSteps)
	}
	var c weightCount
	c.add(l.inputDim, l.outputDim)
	n, err := c.check(l.name, in)
	if err != nil {
		return 0, nil, err
	}
	return n, []int{in[0], l.outputDim}, nil
}

// WeightSpecs returns embeddings [input_dim, output_dim].
func (l *Embedding) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	_, out, err := l.Plan(in)
	if err != nil {
		return nil, nil, err
	}
	return []WeightSpec{{Name: "embeddings", Shape: []int{l.inputDim, l.outputDim}}}, out, nil
}

// Build creates the embeddings, uniform in [-0.05, 0.05].
func (l *Embedding) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	if err := l.baseOf().startBuild(dt, rng, kindEmbedding); err != nil {
		return nil, err
	}
	_, out, err := l.Plan(in)
	if err != nil {
		return nil, err
	}
	e, err := l.newParam("embeddings", dt, []int{l.inputDim, l.outputDim}, graph.InitFunc(func(r *graph.RNG, shape []int) ([]float64, error) {
		v := make([]float64, shape[0]*shape[1])
		for i := range v {
			v[i] = (2*r.Float64() - 1) * 0.05
		}
		return v, nil
	}), rng)
	if err != nil {
		return nil, err
	}
	l.embeddings = e
	l.finishBuild(dt, in, e)
	return out, nil
}

// Forward looks the ids x [batch, T] up.
func (l *Embedding) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	out, _ := l.ForwardMasked(b, x, nil)
	return out
}

// ForwardMasked looks the ids x [batch, T] up and, with mask_zero, masks
// the steps of id 0 (an incoming mask is combined with it).
func (l *Embedding) ForwardMasked(b *graph.Builder, x *graph.Node, mask *Mask) (*graph.Node, *Mask) {
	if b == nil {
		return nil, nil
	}
	if !l.Built() {
		b.Fail(fmt.Errorf("%w: %s", ErrNotBuilt, l.Name()))
		return nil, nil
	}
	if s := x.Shape(); len(s) != 2 || s[1] != l.in[0] {
		b.Fail(fmt.Errorf("%w: %s built for ids [batch %v] got %v", graph.ErrShape, l.name, l.in, s))
		return nil, nil
	}
	n, t, v := b.Batch()*l.in[0], l.in[0], l.inputDim
	ids := b.Reshape(x, n, 1)
	// id - v for every v as one product, [id, -1]·[[1 ... 1], [0 ... V-1]]
	// (exact for whole numbers), then the one-hot rows relu(1 - |id - v|),
	// [n, V].
	grid := make([]float64, 2*v)
	for i := range v {
		grid[i], grid[v+i] = 1, float64(i)
	}
	diff := b.MatMul(b.Concat(1, ids, b.Full(-1, n, 1)), b.Constant(grid, 2, v))
	hot := b.ReLU(b.OneMinus(b.Abs(diff)))
	out := b.Reshape(b.MatMul(hot, b.Param(l.embeddings)), b.Batch(), t, l.outputDim)
	if !l.maskZero || b.Err() != nil {
		return out, mask
	}
	// min(id, 1) = id - relu(id - 1): 0 for id 0, 1 for every other id.
	valid := b.Sub(x, b.ReLU(b.AddScalar(x, -1)))
	steps := make([]*graph.Node, t)
	for i := range steps {
		steps[i] = b.Slice(valid, 1, i, i+1)
		if mask != nil && i < mask.Len() {
			steps[i] = b.Mul(steps[i], mask.steps[i])
		}
	}
	if b.Err() != nil {
		return nil, nil
	}
	return out, NewMask(steps)
}

// CheckInput checks that x holds whole-number ids in [0, input_dim).
func (l *Embedding) CheckInput(x *graph.Tensor) error {
	if l == nil {
		return fmt.Errorf("%w: nil embedding layer", ErrConfig)
	}
	if x == nil {
		return fmt.Errorf("%w: nil ids", graph.ErrArgument)
	}
	v := graph.Float64sView(x)
	n := x.Len()
	per := max(1, n/max(1, x.Dim(0)))
	for i := range n {
		id := v.At(i)
		if id != math.Trunc(id) || id < 0 || id >= float64(l.inputDim) {
			return fmt.Errorf("%w: %s: sample %d: id %v is not a whole number in [0, %d)", graph.ErrArgument, l.name, i/per, id, l.inputDim)
		}
	}
	return nil
}

// Weights returns embeddings [input_dim, output_dim].
func (l *Embedding) Weights() []Weight {
	if !l.Built() {
		return nil
	}
	ws, _ := l.KerasLayout(paramValues(l.params))
	return ws
}

// KerasLayout names values shaped like Params.
func (l *Embedding) KerasLayout(values [][]float64) ([]Weight, error) {
	if err := checkValues(l.baseOf(), values); err != nil {
		return nil, err
	}
	return []Weight{{Name: "embeddings", Shape: []int{l.inputDim, l.outputDim}, Data: slices.Clone(values[0])}}, nil
}

// SetWeights sets the embeddings.
func (l *Embedding) SetWeights(ws []Weight) error {
	if !l.Built() {
		return fmt.Errorf("%w: %s", ErrNotBuilt, l.Name())
	}
	if err := checkWeights(l.name, ws, l.Weights()); err != nil {
		return err
	}
	return setAll(l.name, []*graph.Param{l.embeddings}, [][]float64{ws[0].Data})
}

// ToTorch returns nn.Embedding's weight [input_dim, output_dim], the
// embeddings as they are.
func (l *Embedding) ToTorch(ws []Weight) ([]Weight, error) {
	if l == nil || len(ws) != 1 || !slices.Equal(ws[0].Shape, []int{l.inputDim, l.outputDim}) || len(ws[0].Data) != l.inputDim*l.outputDim {
		return nil, fmt.Errorf("%w: %s: embedding weights must be embeddings [%d, %d]", graph.ErrShape, l.Name(), l.InputDim(), l.OutputDim())
	}
	return []Weight{{Name: "weight", Shape: slices.Clone(ws[0].Shape), Data: slices.Clone(ws[0].Data)}}, nil
}

// FromTorch reads nn.Embedding's weight [input_dim, output_dim].
func (l *Embedding) FromTorch(ps []Weight) ([]Weight, error) {
	if l == nil || len(ps) != 1 || !slices.Equal(ps[0].Shape, []int{l.inputDim, l.outputDim}) || len(ps[0].Data) != l.inputDim*l.outputDim {
		return nil, fmt.Errorf("%w: %s: nn.Embedding parameters must be weight [%d, %d]", graph.ErrShape, l.Name(), l.InputDim(), l.OutputDim())
	}
	return []Weight{{Name: "embeddings", Shape: slices.Clone(ps[0].Shape), Data: slices.Clone(ps[0].Data)}}, nil
}
