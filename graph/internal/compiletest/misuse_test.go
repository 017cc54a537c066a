package compiletest_test

import (
	"strings"
	"testing"

	"github.com/gornn/gornn/graph/internal/compiletest"

	// The packages the snippets use, imported so that go test's cache runs
	// these tests again when one of them changes (compiletest reads them
	// through go list, which the cache does not see).
	_ "github.com/gornn/gornn/layers"
	_ "github.com/gornn/gornn/trainers"
)

// TestMisuseDoesNotCompile: a setting given to a layer type that does not
// have it is a compile error (each constructor's options struct has fields
// only for its own settings), while the same program with a setting the
// type has compiles, so that the check itself can fail.
func TestMisuseDoesNotCompile(t *testing.T) {
	c, err := compiletest.New("github.com/gornn/gornn/layers")
	if err != nil {
		t.Fatal(err)
	}
	cases := []misuse{
		{`layers.NewLSTM(4, &layers.LSTMOptions{Activation: layers.Tanh})`,
			`layers.NewLSTM(4, &layers.LSTMOptions{NoUnitForgetBias: true})`, "unknown field Activation"},
		{`layers.NewGRU(4, &layers.GRUOptions{NoUnitForgetBias: true})`,
			`layers.NewGRU(4, &layers.GRUOptions{GoBackwards: true})`, "unknown field NoUnitForgetBias"},
		{`layers.NewDense(4, &layers.DenseOptions{ReturnSequences: true})`,
			`layers.NewDense(4, &layers.DenseOptions{Activation: layers.ReLU})`, "unknown field ReturnSequences"},
		{`layers.NewDense(4, &layers.DenseOptions{Dropout: 0.5})`,
			`layers.NewDense(4, &layers.DenseOptions{NoBias: true})`, "unknown field Dropout"},
		{`layers.NewDense(4, &layers.DenseOptions{GoBackwards: true})`,
			`layers.NewDense(4, &layers.DenseOptions{Name: "d"})`, "unknown field GoBackwards"},
		{`layers.NewLSTM(4, &layers.LSTMOptions{MaskZero: true})`,
			`layers.NewLSTM(4, &layers.LSTMOptions{Dropout: 0.5})`, "unknown field MaskZero"},
		{`layers.NewSimpleRNN(4, &layers.SimpleRNNOptions{MaskZero: true})`,
			`layers.NewSimpleRNN(4, &layers.SimpleRNNOptions{Activation: layers.ReLU})`, "unknown field MaskZero"},
		{`layers.NewEmbedding(9, 4, &layers.EmbeddingOptions{NoBias: true})`,
			`layers.NewEmbedding(9, 4, &layers.EmbeddingOptions{MaskZero: true})`, "unknown field NoBias"},
		{`layers.NewRNN(nil, 4, &layers.RNNOptions{Activation: layers.ReLU})`,
			`layers.NewRNN(nil, 4, &layers.RNNOptions{ReturnSequences: true})`, "unknown field Activation"},
		{`layers.NewRNN(nil, 4, &layers.RNNOptions{NoUnitForgetBias: true})`,
			`layers.NewRNN(nil, 4, &layers.RNNOptions{NoBias: true})`, "unknown field NoUnitForgetBias"},
		{`layers.NewDropout(0.5, &layers.DropoutOptions{GoBackwards: true})`,
			`layers.NewDropout(0.5, &layers.DropoutOptions{Name: "d"})`, "unknown field GoBackwards"},
		// An options struct of another layer type is refused too.
		{`layers.NewGRU(4, &layers.LSTMOptions{})`, `layers.NewGRU(4, &layers.GRUOptions{})`, "cannot use"},
	}
	const file = "package p\n\nimport \"github.com/gornn/gornn/layers\"\n\nvar _, _ = %s\n"
	checkMisuse(t, c, file, cases)
}

// TestOptimizerMisuseDoesNotCompile: a hyperparameter given to an
// optimizer that does not have it (momentum on Adam, rho on SGD) is a
// compile error, while the same program with one it has compiles.
func TestOptimizerMisuseDoesNotCompile(t *testing.T) {
	c, err := compiletest.New("github.com/gornn/gornn/trainers")
	if err != nil {
		t.Fatal(err)
	}
	cases := []misuse{
		{`trainers.NewAdam(&trainers.AdamOptions{Momentum: 0.9})`, `trainers.NewAdam(&trainers.AdamOptions{Beta1: 0.8})`, "unknown field Momentum"},
		{`trainers.NewRMSprop(&trainers.RMSpropOptions{Nesterov: true})`, `trainers.NewRMSprop(&trainers.RMSpropOptions{Rho: 0.8})`, "unknown field Nesterov"},
		{`trainers.NewSGD(&trainers.SGDOptions{Rho: 0.9})`, `trainers.NewSGD(&trainers.SGDOptions{Momentum: 0.9})`, "unknown field Rho"},
		{`trainers.NewRMSprop(&trainers.RMSpropOptions{Beta1: 0.9})`, `trainers.NewRMSprop(&trainers.RMSpropOptions{Epsilon: 1e-6})`, "unknown field Beta1"},
		{`trainers.NewSGD(&trainers.SGDOptions{Epsilon: 1e-7})`, `trainers.NewSGD(&trainers.SGDOptions{ClipNorm: 1})`, "unknown field Epsilon"},
		{`trainers.NewOptimizer("sgd", &trainers.OptimizerOptions{Momentum: 0.9})`,
			`trainers.NewOptimizer("sgd", &trainers.OptimizerOptions{LearningRate: 0.1})`, "unknown field Momentum"},
		{`trainers.NewAdam(&trainers.SGDOptions{})`, `trainers.NewAdam(&trainers.AdamOptions{})`, "cannot use"},
	}
	const file = "package p\n\nimport \"github.com/gornn/gornn/trainers\"\n\nvar _, _ = %s\n"
	checkMisuse(t, c, file, cases)
}

// misuse is a call that must not compile, its correct twin that must, and
// what the compiler's error must say about the first.
type misuse struct{ call, good, want string }

// checkMisuse type-checks file (one %s for the call) with each case's
// good call, which must compile, and its misuse, which must fail with want.
func checkMisuse(t *testing.T, c *compiletest.Checker, file string, cases []misuse) {
	t.Helper()
	for _, tc := range cases {
		if err := c.Check(strings.Replace(file, "%s", tc.good, 1)); err != nil {
			t.Errorf("%s does not compile: %v", tc.good, err)
		}
		err := c.Check(strings.Replace(file, "%s", tc.call, 1))
		if err == nil {
			t.Errorf("%s compiles", tc.call)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want %q", tc.call, err, tc.want)
		}
	}
}
