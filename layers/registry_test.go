package layers_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
)

// echo is a minimal custom layer for the registry tests: a Dense under
// another kind, with a setting of its own in Config.Options.
type echo struct {
	*layers.Dense
	kind string
	opts json.RawMessage
}

func (l echo) Kind() string { return l.kind }

func (l echo) Config() layers.Config {
	c := l.Dense.Config()
	c.Kind, c.Options = l.kind, l.opts
	return c
}

// decodeEcho keeps every setting of c.
func decodeEcho(c layers.Config) (layers.Layer, error) {
	d, err := layers.NewDense(c.Units, &layers.DenseOptions{Name: c.Name})
	if err != nil {
		return nil, err
	}
	return echo{Dense: d, kind: c.Kind, opts: c.Options}, nil
}

// decodeIgnoring ignores every setting but the name.
func decodeIgnoring(c layers.Config) (layers.Layer, error) {
	d, err := layers.NewDense(2, &layers.DenseOptions{Name: c.Name})
	if err != nil {
		return nil, err
	}
	return echo{Dense: d, kind: "test_ignoring"}, nil
}

// The test kinds are registered once per process (go test -count=2 runs
// the tests twice).
func init() {
	for kind, decode := range map[string]layers.Decoder{
		"test_echo":       decodeEcho,
		"test_ignoring":   decodeIgnoring,
		"test_wrong_kind": decodeIgnoring,
		"test_nil":        func(layers.Config) (layers.Layer, error) { return (*layers.Dense)(nil), nil },
	} {
		if err := layers.Register(kind, decode); err != nil {
			panic(err)
		}
	}
}

func TestRegister(t *testing.T) {
	for _, k := range []string{"dense", "simple_rnn", "lstm", "gru", "test_echo"} {
		if !slices.Contains(layers.Kinds(), k) {
			t.Errorf("kind %q is not registered: %v", k, layers.Kinds())
		}
	}
	ok := decodeEcho
	for _, c := range []struct {
		kind   string
		decode layers.Decoder
	}{
		{"", ok}, {"lstm", ok}, {"dense", ok}, {"my layer", ok}, {"a/b", ok}, {"a.b", ok}, {"nil_decoder", nil},
	} {
		if err := layers.Register(c.kind, c.decode); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("Register(%q): %v, want ErrConfig", c.kind, err)
		}
	}
	if err := layers.Register("test_echo", ok); !errors.Is(err, layers.ErrConfig) || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("second Register: %v, want ErrConfig saying already registered", err)
	}
	c := layers.Config{Kind: "test_echo", Name: "e", Units: 3, Activation: "linear", Options: json.RawMessage(`{"a": [1, 2]}`)}
	l, err := layers.FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Config(); got.Kind != "test_echo" || got.Name != "e" || got.Units != 3 || string(got.Options) != `{"a": [1, 2]}` {
		t.Errorf("FromConfig(%+v).Config() = %+v", c, got)
	}
	// Concurrent lookups and registrations are safe (run with -race).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := layers.FromConfig(c); err != nil {
				t.Error(err)
			}
			if i == 0 {
				_ = layers.Register("test_echo_concurrent", ok)
			}
			_ = layers.Kinds()
		})
	}
	wg.Wait()
}

// TestFromConfigRefusesLostSettings: a setting the decoder ignores is an
// error, so a file never loads as something other than it says.
func TestFromConfigRefusesLostSettings(t *testing.T) {
	yes := true
	for _, c := range []layers.Config{
		{Kind: "test_ignoring", Units: 3},
		{Kind: "test_ignoring", Units: 2, ReturnSequences: true},
		{Kind: "test_ignoring", Units: 2, Activation: "tanh"},
		{Kind: "test_ignoring", Units: 2, UnitForgetBias: &yes},
		{Kind: "test_ignoring", Units: 2, Options: json.RawMessage(`{"x":1}`)},
		{Kind: "test_wrong_kind", Units: 2},
		{Kind: "test_nil", Units: 2},
		// The built-ins refuse settings of other kinds and any options.
		{Kind: "dense", Units: 2, ReturnSequences: true},
		{Kind: "dense", Units: 2, UnitForgetBias: &yes},
		{Kind: "lstm", Units: 2, Activation: "tanh"},
		{Kind: "gru", Units: 2, UnitForgetBias: &yes},
		{Kind: "simple_rnn", Units: 2, Options: json.RawMessage(`{}`)},
	} {
		if _, err := layers.FromConfig(c); !errors.Is(err, layers.ErrConfig) {
			t.Errorf("FromConfig(%+v): %v, want ErrConfig", c, err)
		}
	}
	if _, err := layers.FromConfig(layers.Config{Kind: "test_ignoring", Units: 2, Activation: "linear"}); err != nil {
		t.Errorf("a configuration the layer keeps: %v", err)
	}
}

func TestEquivalent(t *testing.T) {
	yes, no := true, false
	base := layers.Config{Kind: "lstm", Name: "a", Units: 2, UnitForgetBias: &yes}
	for _, c := range []struct {
		other layers.Config
		want  bool
	}{
		{layers.Config{Kind: "lstm", Name: "b", Units: 2, UnitForgetBias: &no}, true},
		{layers.Config{Kind: "lstm", Units: 2}, true},
		{layers.Config{Kind: "lstm", Units: 3}, false},
		{layers.Config{Kind: "gru", Units: 2}, false},
		{layers.Config{Kind: "lstm", Units: 2, ReturnSequences: true}, false},
		{layers.Config{Kind: "lstm", Units: 2, Options: json.RawMessage(`{}`)}, false},
	} {
		if got := layers.Equivalent(base, c.other); got != c.want {
			t.Errorf("Equivalent(%+v, %+v) = %v", base, c.other, got)
		}
	}
	a := layers.Config{Kind: "x", Options: json.RawMessage(`{"p": 1, "q": [true]}`)}
	b := layers.Config{Kind: "x", Options: json.RawMessage(`{"q":[true],"p":1.0}`)}
	if !layers.Equivalent(a, b) {
		t.Error("options equal as JSON values are not equivalent")
	}
}

// builtinConfigs are configurations of every built-in kind.
func builtinConfigs() []layers.Config {
	yes, no := true, false
	return []layers.Config{
		{Kind: "dense", Name: "x", Units: 3, Activation: "tanh"},
		{Kind: "simple_rnn", Name: "x", Units: 4},
		{Kind: "simple_rnn", Name: "x", Units: 4, ReturnSequences: true},
		{Kind: "lstm", Name: "x", Units: 2, UnitForgetBias: &yes},
		{Kind: "lstm", Name: "x", Units: 3, ReturnSequences: true, UnitForgetBias: &no},
		{Kind: "gru", Name: "x", Units: 5},
		{Kind: "gru", Name: "x", Units: 2, ReturnSequences: true},
	}
}

// TestWeightSpecsMatchBuild: every built-in layer's WeightSpecs, from its
// configuration alone, names and shapes the weights Build creates, gives
// Build's output shape and fails where Build fails.
func TestWeightSpecsMatchBuild(t *testing.T) {
	for _, c := range builtinConfigs() {
		for _, in := range [][]int{{3}, {6, 3}, {6, 3, 2}, {0, 3}, {}} {
			l := must(layers.FromConfig(c))
			specs, wantOut, err := l.(layers.WeightPlanner).WeightSpecs(in)
			out, buildErr := l.Build(graph.Float32, in, graph.NewRNG(1))
			if (err == nil) != (buildErr == nil) {
				t.Errorf("%+v on %v: WeightSpecs error %v, Build error %v", c, in, err, buildErr)
				continue
			}
			if err != nil {
				continue
			}
			if !slices.Equal(out, wantOut) {
				t.Errorf("%+v on %v: Build's output %v, WeightSpecs says %v", c, in, out, wantOut)
			}
			ws := l.Weights()
			if len(ws) != len(specs) {
				t.Fatalf("%+v on %v: %d weights, WeightSpecs says %d", c, in, len(ws), len(specs))
			}
			for i, w := range ws {
				if w.Name != specs[i].Name || !slices.Equal(w.Shape, specs[i].Shape) {
					t.Errorf("%+v on %v: weight %s %v, WeightSpecs says %s %v", c, in, w.Name, w.Shape, specs[i].Name, specs[i].Shape)
				}
			}
		}
	}
}

// TestTorchLayoutRoundTrip: FromTorch(ToTorch(w)) gives w back bit for
// bit for every built-in kind, and values of other shapes are refused.
func TestTorchLayoutRoundTrip(t *testing.T) {
	for _, c := range builtinConfigs() {
		l := must(layers.FromConfig(c))
		must(l.Build(graph.Float64, []int{4, 3}, graph.NewRNG(7)))
		// Distinct values everywhere, the biases included.
		ws := l.Weights()
		for i := range ws {
			for k := range ws[i].Data {
				ws[i].Data[k] = math.Sin(float64(100*i + k + 1))
			}
		}
		tl := l.(layers.TorchLayout)
		ps := must(tl.ToTorch(ws))
		back := must(tl.FromTorch(ps))
		if len(back) != len(ws) {
			t.Fatalf("%s: %d weights back, want %d", c.Kind, len(back), len(ws))
		}
		for i := range ws {
			if back[i].Name != ws[i].Name || !slices.Equal(back[i].Shape, ws[i].Shape) || !slices.Equal(back[i].Data, ws[i].Data) {
				t.Errorf("%s: %s does not survive ToTorch and FromTorch", c.Kind, ws[i].Name)
			}
		}
		if _, err := tl.ToTorch(ws[:1]); !errors.Is(err, graph.ErrShape) {
			t.Errorf("%s: ToTorch of one weight: %v, want ErrShape", c.Kind, err)
		}
		if s := ps[0].Shape; s[0] != s[1] {
			ps[0].Shape = []int{s[1], s[0]}
			if _, err := tl.FromTorch(ps); !errors.Is(err, graph.ErrShape) {
				t.Errorf("%s: FromTorch of a transposed weight: %v, want ErrShape", c.Kind, err)
			}
		}
	}
	// A nil or zero layer answers with an error.
	for _, l := range []layers.TorchLayout{(*layers.LSTM)(nil), &layers.GRU{}, (*layers.SimpleRNN)(nil), (*layers.Dense)(nil)} {
		if _, err := l.ToTorch(nil); err == nil {
			t.Errorf("%T: ToTorch(nil) succeeded", l)
		}
		if _, err := l.FromTorch(nil); err == nil {
			t.Errorf("%T: FromTorch(nil) succeeded", l)
		}
	}
}
