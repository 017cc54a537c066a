package layers

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/graph"
)

// Dense is a fully connected layer, y = activation(x·kernel + bias), applied
// to the last axis of its input: on a sequence [batch, time, features] it
// acts on every time step with the same weights, as in Keras.
type Dense struct {
	base
	units      int
	activation Activation
	noBias     bool         // use_bias false
	kernel     *graph.Param // [F, U]
	bias       *graph.Param // [U]; nil without a bias
}

var (
	_ Layer         = (*Dense)(nil)
	_ WeightPlanner = (*Dense)(nil)
	_ TorchLayout   = (*Dense)(nil)
)

// kindDense is Dense's kind, in configurations and files.
const kindDense = "dense"

func init() {
	registerBuiltin(kindDense, func(c Config) (Layer, error) {
		if err := c.noOptions(); err != nil {
			return nil, err
		}
		act, err := c.activation()
		if err != nil {
			return nil, err
		}
		return NewDense(c.Units, &DenseOptions{Name: c.Name, Activation: act, NoBias: c.noBias()})
	})
}

// NewDense returns a Dense layer with the given number of units (1 to
// MaxUnits) and settings (nil: Keras' defaults, a linear layer with a
// bias).
func NewDense(units int, opts *DenseOptions) (*Dense, error) {
	if opts == nil {
		opts = &DenseOptions{}
	}
	if err := checkUnits(kindDense, units); err != nil {
		return nil, err
	}
	act, err := opts.Activation.or(Linear)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kindDense, err)
	}
	return &Dense{base: base{name: opts.Name}, units: units, activation: act, noBias: opts.NoBias}, nil
}

// Units returns the number of output units.
func (l *Dense) Units() int {
	if l == nil {
		return 0
	}
	return l.units
}

// Activation returns the layer's activation.
func (l *Dense) Activation() Activation {
	if l == nil || l.activation == DefaultActivation {
		return Linear
	}
	return l.activation
}

// Kind returns "dense".
func (l *Dense) Kind() string { return kindDense }

// ClassName returns "Dense".
func (l *Dense) ClassName() string { return "Dense" }

// Config returns the layer's configuration.
func (l *Dense) Config() Config {
	if l == nil {
		return Config{Kind: kindDense, Activation: Linear.String()}
	}
	c := Config{Kind: kindDense, Name: l.name, Units: l.units, Activation: l.Activation().String()}
	if l.noBias {
		c.UseBias = new(bool)
	}
	return c
}

// UseBias reports whether the layer has a bias.
func (l *Dense) UseBias() bool { return l != nil && !l.noBias }

// Plan returns the number of weights Build would create for inputs of
// shape in ([..., F]: F·units + units) and the output shape, or Build's
// error for that shape.
func (l *Dense) Plan(in []int) (int, []int, error) {
	if l == nil {
		return 0, nil, fmt.Errorf("%w: nil dense layer", ErrConfig)
	}
	if err := checkUnits(kindDense, l.units); err != nil {
		return 0, nil, fmt.Errorf("%s: %w", l.name, err)
	}
	if err := checkInput(l.name, in, 0); err != nil {
		return 0, nil, err
	}
	var c weightCount
	c.add(in[len(in)-1], l.units)
	if !l.noBias {
		c.add(l.units)
	}
	n, err := c.check(l.name, in)
	if err != nil {
		return 0, nil, err
	}
	return n, append(slices.Clone(in[:len(in)-1]), l.units), nil
}

// WeightSpecs returns kernel [F, units] and bias [units] for inputs
// [..., F], and the output shape [..., units], or Build's error for that
// shape.
func (l *Dense) WeightSpecs(in []int) ([]WeightSpec, []int, error) {
	_, out, err := l.Plan(in)
	if err != nil {
		return nil, nil, err
	}
	specs := []WeightSpec{{Name: "kernel", Shape: []int{in[len(in)-1], l.units}}}
	if !l.noBias {
		specs = append(specs, WeightSpec{Name: "bias", Shape: []int{l.units}})
	}
	return specs, out, nil
}

// Build creates kernel [F, units] (Glorot uniform) and bias [units] (zeros)
// for inputs [..., F].
func (l *Dense) Build(dt graph.DType, in []int, rng *graph.RNG) ([]int, error) {
	if err := l.baseOf().startBuild(dt, rng, kindDense); err != nil {
		return nil, err
	}
	_, out, err := l.Plan(in)
	if err != nil {
		return nil, err
	}
	f := in[len(in)-1]
	k, err := l.newParam("kernel", dt, []int{f, l.units}, graph.GlorotUniform(), rng)
	if err != nil {
		return nil, err
	}
	if l.noBias {
		l.kernel = k
		l.finishBuild(dt, in, k)
		return out, nil
	}
	b, err := l.newParam("bias", dt, []int{l.units}, graph.Zeros(), rng)
	if err != nil {
		return nil, err
	}
	l.kernel, l.bias = k, b
	l.finishBuild(dt, in, k, b)
	return out, nil
}

// Forward returns activation(x·kernel + bias) (nil for a nil builder).
func (l *Dense) Forward(b *graph.Builder, x *graph.Node) *graph.Node {
	if b == nil {
		return nil
	}
	if !l.Built() {
		b.Fail(fmt.Errorf("%w: %s", ErrNotBuilt, l.Name()))
		return nil
	}
	y := b.MatMul(x, b.Param(l.kernel))
	if !l.noBias {
		y = b.AddBias(y, b.Param(l.bias))
	}
	return activate(b, l.activation, y)
}

func activate(b *graph.Builder, a Activation, x *graph.Node) *graph.Node {
	switch a {
	case Tanh:
		return b.Tanh(x)
	case Sigmoid:
		return b.Sigmoid(x)
	case ReLU:
		return b.ReLU(x)
	case Softmax:
		return softmax(b, x)
	}
	return x
}

// softmax is the softmax over the last axis of x, shifted by each row's
// maximum (Keras' form): exp(x - max) / Σ exp(x - max). The shift cancels
// in the value and, the graph being differentiated as built, in the
// gradient (to rounding).
func softmax(b *graph.Builder, x *graph.Node) *graph.Node {
	if b.Err() != nil || x == nil {
		return nil
	}
	shape := x.Shape()
	c := shape[len(shape)-1]
	e := b.Exp(b.Sub(x, b.SpreadLast(b.MaxLast(x), c)))
	s := b.SumAxis(e, len(shape)-1)
	if b.Err() != nil {
		return nil
	}
	return b.Div(e, b.SpreadLast(b.Reshape(s, append(slices.Clone(shape[:len(shape)-1]), 1)...), c))
}

// Weights returns kernel [F, U] and bias [U].
func (l *Dense) Weights() []Weight {
	if !l.Built() {
		return nil
	}
	ws, _ := l.KerasLayout(paramValues(l.params))
	return ws
}

// KerasLayout names values shaped like Params: Dense stores Keras layout.
func (l *Dense) KerasLayout(values [][]float64) ([]Weight, error) {
	if err := checkValues(l.baseOf(), values); err != nil {
		return nil, err
	}
	ws := []Weight{{Name: "kernel", Shape: l.kernel.Shape(), Data: slices.Clone(values[0])}}
	if !l.noBias {
		ws = append(ws, Weight{Name: "bias", Shape: l.bias.Shape(), Data: slices.Clone(values[1])})
	}
	return ws, nil
}

// SetWeights sets kernel and bias.
func (l *Dense) SetWeights(ws []Weight) error {
	if !l.Built() {
		return fmt.Errorf("%w: %s", ErrNotBuilt, l.Name())
	}
	if err := checkWeights(l.name, ws, l.Weights()); err != nil {
		return err
	}
	if l.noBias {
		return setAll(l.name, []*graph.Param{l.kernel}, [][]float64{ws[0].Data})
	}
	return setAll(l.name, []*graph.Param{l.kernel, l.bias}, [][]float64{ws[0].Data, ws[1].Data})
}

// setAll sets every parameter or none: values are checked before any is
// written.
func setAll(layer string, ps []*graph.Param, data [][]float64) error {
	for i, p := range ps {
		if len(data[i]) != p.Len() {
			return fmt.Errorf("%w: %s: %s needs %d values, got %d", graph.ErrShape, layer, p.Name(), p.Len(), len(data[i]))
		}
		for k, v := range data[i] {
			if !p.DType().Finite(v) {
				return fmt.Errorf("%w: %s: %s[%d] = %v is not finite as %v", graph.ErrNotFinite, layer, p.Name(), k, v, p.DType())
			}
		}
	}
	for i, p := range ps {
		if err := p.SetFloat64s(data[i]); err != nil {
			return err
		}
	}
	return nil
}
