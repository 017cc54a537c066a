package layers

import "fmt"

// Option configures a layer at construction.
type Option func(*options) error

type options struct {
	name            string
	returnSequences *bool
	activation      *Activation
	unitForgetBias  *bool
	goBackwards     *bool
	useBias         *bool
	maskZero        *bool
	dropout         *float64
	recDropout      *float64
}

// WithName sets the layer's name (by default the model names it after its
// type: "lstm", "lstm_1", ...). An empty name keeps the default.
func WithName(name string) Option {
	return func(o *options) error { o.name = name; return nil }
}

// WithReturnSequences makes a recurrent layer return the whole sequence
// [batch, time, units] instead of the last state [batch, units].
func WithReturnSequences(on bool) Option {
	return func(o *options) error { o.returnSequences = &on; return nil }
}

// WithActivation sets a Dense layer's activation (default Linear) or a
// SimpleRNN's (default Tanh; Keras' SimpleRNN(activation=...), one of
// Linear, Tanh, Sigmoid and ReLU: Softmax is Dense's only).
func WithActivation(a Activation) Option {
	return func(o *options) error {
		if !a.valid() {
			return fmt.Errorf("%w: unknown activation %v", ErrConfig, a)
		}
		o.activation = &a
		return nil
	}
}

// WithUnitForgetBias sets whether an LSTM's forget-gate bias starts at 1
// (Keras' unit_forget_bias, default true).
func WithUnitForgetBias(on bool) Option {
	return func(o *options) error { o.unitForgetBias = &on; return nil }
}

// WithGoBackwards makes a recurrent layer visit the steps from the last
// to the first (Keras' go_backwards): with return_sequences the outputs
// come in that visiting order, not reversed back.
func WithGoBackwards(on bool) Option {
	return func(o *options) error { o.goBackwards = &on; return nil }
}

// WithUseBias sets whether a Dense or recurrent layer has a bias (Keras'
// use_bias, default true; PyTorch's bias=False is WithUseBias(false)).
func WithUseBias(on bool) Option {
	return func(o *options) error { o.useBias = &on; return nil }
}

// WithMaskZero makes an Embedding mask the steps whose id is 0 (Keras'
// mask_zero): the layers after it skip those steps and the loss leaves
// them out.
func WithMaskZero(on bool) Option {
	return func(o *options) error { o.maskZero = &on; return nil }
}

// WithDropout sets a recurrent layer's dropout of its inputs (Keras'
// dropout, in [0, 1)): in training, one mask per sequence, the same at
// every step, applied to x_t where it enters the gate products.
func WithDropout(rate float64) Option {
	return func(o *options) error {
		if err := checkRate("dropout", rate); err != nil {
			return err
		}
		o.dropout = &rate
		return nil
	}
}

// WithRecurrentDropout sets a recurrent layer's dropout of its recurrent
// state (Keras' recurrent_dropout, in [0, 1)): in training, one mask per
// sequence applied to h_{t-1} where it enters the recurrent products (not
// to the LSTM's c, nor to the GRU's h in its update).
func WithRecurrentDropout(rate float64) Option {
	return func(o *options) error {
		if err := checkRate("recurrent_dropout", rate); err != nil {
			return err
		}
		o.recDropout = &rate
		return nil
	}
}

// optionSet says which of the settings beyond the name a layer type takes.
type optionSet uint8

const (
	takesReturnSequences optionSet = 1 << iota
	takesActivation
	takesUnitForgetBias
	takesGoBackwards
	takesUseBias
	takesMaskZero
	takesDropout

	// takesRecurrent is what every recurrent layer takes.
	takesRecurrent = takesReturnSequences | takesGoBackwards | takesUseBias | takesDropout
)

// applyOptions checks units and applies opts for a layer of the given
// kind, refusing a setting that the kind does not take.
func applyOptions(kind string, units int, takes optionSet, opts []Option) (options, error) {
	var o options
	if err := checkUnits(kind, units); err != nil {
		return o, err
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, fmt.Errorf("%s: %w", kind, err)
		}
	}
	for _, s := range []struct {
		set  bool
		bit  optionSet
		name string
	}{
		{o.returnSequences != nil, takesReturnSequences, "return_sequences"},
		{o.activation != nil, takesActivation, "activation"},
		{o.unitForgetBias != nil, takesUnitForgetBias, "unit_forget_bias"},
		{o.goBackwards != nil, takesGoBackwards, "go_backwards"},
		{o.useBias != nil, takesUseBias, "use_bias"},
		{o.maskZero != nil, takesMaskZero, "mask_zero"},
		{o.dropout != nil || o.recDropout != nil, takesDropout, "dropout"},
	} {
		if s.set && takes&s.bit == 0 {
			return o, fmt.Errorf("%w: %s has no %s option", ErrConfig, kind, s.name)
		}
	}
	return o, nil
}

// Activation is an elementwise function applied by a Dense layer.
type Activation int

const (
	// Linear is the identity (Keras "linear", the default).
	Linear Activation = iota
	// Tanh is the hyperbolic tangent.
	Tanh
	// Sigmoid is the logistic function.
	Sigmoid
	// ReLU is max(x, 0).
	ReLU
	// Softmax is exp(x_i - max x) / Σ_j exp(x_j - max x) over the last
	// axis (Keras "softmax", axis=-1): not elementwise, so Dense's only.
	Softmax
)

var activationNames = [...]string{"linear", "tanh", "sigmoid", "relu", "softmax"}

func (a Activation) valid() bool { return a >= Linear && a <= Softmax }

// String returns the Keras name of the activation.
func (a Activation) String() string {
	if a.valid() {
		return activationNames[a]
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// ParseActivation returns the activation with the given Keras name.
func ParseActivation(s string) (Activation, error) {
	for i, n := range activationNames {
		if n == s {
			return Activation(i), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown activation %q", ErrConfig, s)
}
