package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// A Decoder makes an unbuilt layer from its configuration, as Config
// returned it: Keras' from_config. It returns an error wrapping ErrConfig
// for a configuration it cannot honour, including a setting its layer type
// does not take (so that a file never loads as something other than what
// it says).
type Decoder func(Config) (Layer, error)

// registry maps each layer kind to its decoder. It is the package's one
// piece of shared state: filled by the built-in layers when the package
// loads and by Register, read by FromConfig, safe for concurrent use.
var registry = struct {
	sync.RWMutex
	decoders map[string]Decoder
}{decoders: map[string]Decoder{}}

// Register makes layers of the given kind loadable: FromConfig (and so
// models.Load and models.ImportTorch) hands a Config whose Kind is kind to
// decode. It is Keras' register_keras_serializable. The kind is what the
// layer's Kind method returns, in snake case ("scale_shift"): it may not be
// empty, hold spaces or a slash, or be registered already (the built-in
// kinds, "dense", "simple_rnn", "lstm" and "gru", are). Errors wrap
// ErrConfig.
//
// Register is meant to be called once per kind, from an init function or
// from main before any model is loaded; it is safe to call concurrently
// with FromConfig.
func Register(kind string, decode Decoder) error {
	if err := checkKind(kind); err != nil {
		return err
	}
	if decode == nil {
		return fmt.Errorf("%w: Register(%q): nil decoder", ErrConfig, kind)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.decoders[kind]; dup {
		return fmt.Errorf("%w: layer kind %q is already registered", ErrConfig, kind)
	}
	registry.decoders[kind] = decode
	return nil
}

// checkKind checks a kind is usable as a registry key and a name prefix.
func checkKind(kind string) error {
	if kind == "" {
		return fmt.Errorf("%w: Register: empty layer kind", ErrConfig)
	}
	if strings.ContainsAny(kind, " \t\r\n/.") {
		return fmt.Errorf("%w: Register(%q): a layer kind holds no spaces, dots or slashes", ErrConfig, kind)
	}
	return nil
}

// registerBuiltin registers one of this package's layer kinds, at package
// initialization.
func registerBuiltin(kind string, decode Decoder) {
	if err := Register(kind, decode); err != nil {
		panic(err) // a programmer error: two built-in kinds of one name
	}
}

// Kinds returns the registered layer kinds, sorted.
func Kinds() []string {
	registry.RLock()
	defer registry.RUnlock()
	kinds := make([]string, 0, len(registry.decoders))
	for k := range registry.decoders {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// FromConfig constructs an unbuilt layer from its configuration, with the
// decoder registered for c.Kind. It checks that the layer is what c says:
// of kind c.Kind, and with every setting c gives (name, units,
// return_sequences, activation, unit_forget_bias, options) in its own
// Config, so that a setting the decoder ignored is an error rather than
// lost. Errors wrap ErrConfig.
func FromConfig(c Config) (Layer, error) {
	registry.RLock()
	decode := registry.decoders[c.Kind]
	registry.RUnlock()
	if decode == nil {
		return nil, fmt.Errorf("%w: unknown layer type %q (not registered: see layers.Register)", ErrConfig, c.Kind)
	}
	l, err := decode(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Kind, err)
	}
	if l == nil || reflect.ValueOf(l).Kind() == reflect.Pointer && reflect.ValueOf(l).IsNil() {
		return nil, fmt.Errorf("%w: the %q decoder returned no layer", ErrConfig, c.Kind)
	}
	if k := l.Kind(); k != c.Kind {
		return nil, fmt.Errorf("%w: the %q decoder made a layer of kind %q", ErrConfig, c.Kind, k)
	}
	if field := lostSetting(c, l.Config()); field != "" {
		return nil, fmt.Errorf("%w: %s: the layer decoded from %+v does not keep its %s (a setting this layer type does not take?)", ErrConfig, c.Kind, c, field)
	}
	return l, nil
}

// lostSetting names the first setting of c that got, the Config of the
// layer decoded from c, does not have ("" if none). Settings c leaves at
// their zero value may take the layer's defaults.
func lostSetting(c, got Config) string {
	switch {
	case got.Kind != c.Kind:
		return "type"
	case c.Name != "" && got.Name != c.Name:
		return "name"
	case got.Units != c.Units:
		return "units"
	case c.ReturnSequences && !got.ReturnSequences:
		return "return_sequences"
	case c.Activation != "" && got.Activation != c.Activation:
		return "activation"
	case c.UnitForgetBias != nil && (got.UnitForgetBias == nil || *got.UnitForgetBias != *c.UnitForgetBias):
		return "unit_forget_bias"
	case c.GoBackwards && !got.GoBackwards:
		return "go_backwards"
	case c.UseBias != nil && (got.UseBias == nil && !*c.UseBias || got.UseBias != nil && *got.UseBias != *c.UseBias):
		return "use_bias"
	case c.MergeMode != "" && got.MergeMode != c.MergeMode:
		return "merge_mode"
	case c.Layer != nil && (got.Layer == nil || lostSetting(*c.Layer, *got.Layer) != ""):
		return "layer"
	case got.InputDim != c.InputDim || got.OutputDim != c.OutputDim:
		return "input_dim/output_dim"
	case c.MaskZero && !got.MaskZero:
		return "mask_zero"
	case c.MaskValue != nil && (got.MaskValue == nil || *got.MaskValue != *c.MaskValue):
		return "mask_value"
	case got.Rate != c.Rate || got.Dropout != c.Dropout || got.RecurrentDropout != c.RecurrentDropout:
		return "rate/dropout/recurrent_dropout"
	case len(c.Options) > 0 && !sameJSON(c.Options, got.Options):
		return "options"
	}
	return ""
}

// Equivalent reports whether a and b describe layers that compute the
// same function of the same weights: equal but for their names and for
// the settings that only choose initial weights (UnitForgetBias), with
// Options compared as JSON values. Compare the Configs of layers (or of
// FromConfig's results), whose defaults are filled in.
func Equivalent(a, b Config) bool {
	a.Name, b.Name = "", ""
	a.UnitForgetBias, b.UnitForgetBias = nil, nil
	if !sameJSON(a.Options, b.Options) {
		return false
	}
	a.Options, b.Options = nil, nil
	if a.Layer != nil && b.Layer != nil {
		if !Equivalent(*a.Layer, *b.Layer) {
			return false
		}
		a.Layer, b.Layer = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// sameJSON reports whether two JSON texts hold the same value (both empty
// counts as the same).
func sameJSON(a, b json.RawMessage) bool {
	if len(bytes.TrimSpace(a)) == 0 || len(bytes.TrimSpace(b)) == 0 {
		return len(bytes.TrimSpace(a)) == len(bytes.TrimSpace(b))
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

// noOptions refuses an options object, which the built-in layers do not
// take.
func (c Config) noOptions() error {
	if len(c.Options) > 0 {
		return fmt.Errorf("%w: %s takes no options object", ErrConfig, c.Kind)
	}
	return nil
}

// activation parses c.Activation ("": DefaultActivation).
func (c Config) activation() (Activation, error) {
	if c.Activation == "" {
		return DefaultActivation, nil
	}
	return ParseActivation(c.Activation)
}

// noBias reports use_bias false.
func (c Config) noBias() bool { return c.UseBias != nil && !*c.UseBias }

// recurrent returns the settings of c that every recurrent layer takes.
// The decoders give a constructor only the settings its layer has:
// FromConfig refuses a Config whose other settings the layer lost.
func (c Config) recurrent() recurrentOptions {
	return recurrentOptions{name: c.Name, returnSequences: c.ReturnSequences, goBackwards: c.GoBackwards,
		noBias: c.noBias(), dropout: c.Dropout, recurrentDropout: c.RecurrentDropout}
}
