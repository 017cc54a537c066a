package layers

import "fmt"

// The options structs of the constructors: nil, or a zero field, is
// Keras' default (the package documentation's Configuration section).

// DenseOptions are a Dense layer's settings; the zero value (or nil) is
// Keras' Dense(units).
type DenseOptions struct {
	// Name is the layer's name; "" lets the model name it after its kind
	// ("dense", "dense_1", ...).
	Name string
	// Activation is applied to x·kernel + bias; the zero value,
	// DefaultActivation, is Linear. Softmax is over the last axis.
	Activation Activation
	// NoBias leaves the bias out (Keras' use_bias=False); false: a bias.
	NoBias bool
}

// SimpleRNNOptions are a SimpleRNN layer's settings; the zero value (or
// nil) is Keras' SimpleRNN(units).
type SimpleRNNOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
	// Activation is the state's activation: the zero value,
	// DefaultActivation, is Tanh; Linear, Sigmoid and ReLU are the others
	// (Softmax is Dense's only).
	Activation Activation
	// ReturnSequences returns every step [batch, time, units] instead of
	// the last [batch, units]; false: the last.
	ReturnSequences bool
	// GoBackwards visits the steps from the last to the first (Keras'
	// go_backwards): with ReturnSequences the outputs come in that
	// visiting order, not reversed back. False: first to last.
	GoBackwards bool
	// NoBias leaves the bias out (use_bias=False); false: a bias.
	NoBias bool
	// Dropout is the rate in [0, 1) of the dropout of the inputs (Keras'
	// dropout): in training, one mask per sequence, the same at every step,
	// applied to x_t where it enters the gate products. 0: none.
	Dropout float64
	// RecurrentDropout is the rate in [0, 1) of the dropout of the
	// recurrent state (recurrent_dropout): one mask per sequence applied
	// to h_{t-1} where it enters the recurrent products. 0: none.
	RecurrentDropout float64
}

// LSTMOptions are an LSTM layer's settings; the zero value (or nil) is
// Keras' LSTM(units). The fields shared with SimpleRNNOptions mean the
// same.
type LSTMOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
	// ReturnSequences returns every step; false: the last.
	ReturnSequences bool
	// GoBackwards visits the steps last to first; false: first to last.
	GoBackwards bool
	// NoBias leaves the bias out (use_bias=False); false: a bias.
	NoBias bool
	// Dropout is the rate in [0, 1) of the inputs' dropout; 0: none.
	Dropout float64
	// RecurrentDropout is the rate in [0, 1) of the recurrent state's
	// dropout (not of the cell state c); 0: none.
	RecurrentDropout float64
	// NoUnitForgetBias starts the forget gate's bias at 0 like the others
	// (Keras' unit_forget_bias=False); false: at 1.
	NoUnitForgetBias bool
}

// GRUOptions are a GRU layer's settings; the zero value (or nil) is
// Keras' GRU(units) (reset_after, the only variant). The fields mean what
// SimpleRNNOptions' do.
type GRUOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
	// ReturnSequences returns every step; false: the last.
	ReturnSequences bool
	// GoBackwards visits the steps last to first; false: first to last.
	GoBackwards bool
	// NoBias leaves the bias out (use_bias=False); false: a bias.
	NoBias bool
	// Dropout is the rate in [0, 1) of the inputs' dropout; 0: none.
	Dropout float64
	// RecurrentDropout is the rate in [0, 1) of the recurrent state's
	// dropout (not of h in the update); 0: none.
	RecurrentDropout float64
}

// RNNOptions are the settings of an RNN around a Cell of one's own; the
// zero value (or nil) is Keras' RNN(cell). The fields mean what
// SimpleRNNOptions' do.
type RNNOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
	// ReturnSequences returns every step; false: the last.
	ReturnSequences bool
	// GoBackwards visits the steps last to first; false: first to last.
	GoBackwards bool
	// NoBias leaves the bias out (use_bias=False); false: a bias.
	NoBias bool
	// Dropout is the rate in [0, 1) of the inputs' dropout; 0: none.
	Dropout float64
	// RecurrentDropout is the rate in [0, 1) of the recurrent state's
	// dropout; 0: none.
	RecurrentDropout float64
}

// BidirectionalOptions are a Bidirectional wrapper's settings beyond its
// layer and merge mode; the zero value (or nil) is the default.
type BidirectionalOptions struct {
	// Name is the wrapper's name; "" lets the model name it.
	Name string
}

// EmbeddingOptions are an Embedding's settings; the zero value (or nil)
// is Keras' Embedding(input_dim, output_dim).
type EmbeddingOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
	// MaskZero masks the steps whose id is 0 (Keras' mask_zero): the
	// layers after it skip those steps and the loss leaves them out.
	// False: no mask.
	MaskZero bool
}

// DropoutOptions are a Dropout layer's settings beyond its rate; the zero
// value (or nil) is the default.
type DropoutOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
}

// MaskingOptions are a Masking layer's settings beyond its mask value;
// the zero value (or nil) is the default.
type MaskingOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
}

// SequenceLengthsOptions are a SequenceLengths layer's settings; the zero
// value (or nil) is the default.
type SequenceLengthsOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
}

// ConcatenateOptions are a Concatenate layer's settings; the zero value
// (or nil) is the default.
type ConcatenateOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
}

// AddOptions are an Add layer's settings; the zero value (or nil) is the
// default.
type AddOptions struct {
	// Name is the layer's name; "" lets the model name it.
	Name string
}

// recurrentOptions are the settings the shared recurrent layer holds.
type recurrentOptions struct {
	name             string
	returnSequences  bool
	goBackwards      bool
	noBias           bool
	dropout          float64
	recurrentDropout float64
}

func (o *SimpleRNNOptions) recurrent() recurrentOptions {
	if o == nil {
		return recurrentOptions{}
	}
	return recurrentOptions{o.Name, o.ReturnSequences, o.GoBackwards, o.NoBias, o.Dropout, o.RecurrentDropout}
}

func (o *LSTMOptions) recurrent() recurrentOptions {
	if o == nil {
		return recurrentOptions{}
	}
	return recurrentOptions{o.Name, o.ReturnSequences, o.GoBackwards, o.NoBias, o.Dropout, o.RecurrentDropout}
}

func (o *GRUOptions) recurrent() recurrentOptions {
	if o == nil {
		return recurrentOptions{}
	}
	return recurrentOptions{o.Name, o.ReturnSequences, o.GoBackwards, o.NoBias, o.Dropout, o.RecurrentDropout}
}

func (o *RNNOptions) recurrent() recurrentOptions {
	if o == nil {
		return recurrentOptions{}
	}
	return recurrentOptions{o.Name, o.ReturnSequences, o.GoBackwards, o.NoBias, o.Dropout, o.RecurrentDropout}
}

// check checks the rates.
func (o recurrentOptions) check() error {
	if err := checkRate("dropout", o.dropout); err != nil {
		return err
	}
	return checkRate("recurrent_dropout", o.recurrentDropout)
}

// Activation is an elementwise function applied by a Dense or SimpleRNN
// layer. Its zero value, DefaultActivation, is the layer's own default.
type Activation int

const (
	// DefaultActivation, the zero value, is the layer's default: Linear
	// for Dense, Tanh for SimpleRNN. A layer's Activation method returns
	// the activation it resolved to, never DefaultActivation.
	DefaultActivation Activation = iota
	// Linear is the identity (Keras "linear").
	Linear
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

// activationNames are the Keras names, by Activation (from Linear).
var activationNames = [...]string{"linear", "tanh", "sigmoid", "relu", "softmax"}

// valid reports a concrete activation (not DefaultActivation).
func (a Activation) valid() bool { return a >= Linear && a <= Softmax }

// or returns a, or def for DefaultActivation, checking a is known.
func (a Activation) or(def Activation) (Activation, error) {
	if a == DefaultActivation {
		return def, nil
	}
	if !a.valid() {
		return 0, fmt.Errorf("%w: unknown activation %v", ErrConfig, a)
	}
	return a, nil
}

// String returns the Keras name of the activation ("default" for
// DefaultActivation).
func (a Activation) String() string {
	if a.valid() {
		return activationNames[a-Linear]
	}
	if a == DefaultActivation {
		return "default"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// ParseActivation returns the activation with the given Keras name.
func ParseActivation(s string) (Activation, error) {
	for i, n := range activationNames {
		if n == s {
			return Linear + Activation(i), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown activation %q", ErrConfig, s)
}
