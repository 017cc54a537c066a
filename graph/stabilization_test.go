package graph

import (
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
)

// sigmoidGradProgram compiles mean(σ(x·w)) with its gradient and returns
// how many sigmoids its op list holds.
func sigmoidGradProgram(t *testing.T) int {
	t.Helper()
	b, err := NewBuilder(Float64, 2)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewParam("w", Float64, []int{3, 2}, GlorotUniform(), NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	loss := b.Mean(b.Sigmoid(b.MatMul(b.Input("x", 2, 3), b.Param(w))))
	p, err := b.Compile(Spec{Loss: loss, Grads: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range p.OpNames() {
		if strings.HasPrefix(name, "sigmoid") {
			n++
		}
	}
	return n
}

// TestStabilizationLeftAsFound checks that building graphs here leaves
// Gorgonia's global stabilization setting as it was, on or off, and that
// the graphs are built as written either way (one sigmoid: its gradient
// reuses the forward value instead of evaluating σ(-x)).
func TestStabilizationLeftAsFound(t *testing.T) {
	defer gorgonia.UseStabilization() // Gorgonia's default
	for _, on := range []bool{true, false} {
		if on {
			gorgonia.UseStabilization()
		} else {
			gorgonia.UseNonStable()
		}
		if got := sigmoidGradProgram(t); got != 1 {
			t.Errorf("stabilization %v before building: %d sigmoids in the program, want 1", on, got)
		}
		if got := stabilizationOn(); got != on {
			t.Errorf("stabilization was %v before building, %v after", on, got)
		}
	}
	// The probe tells the two apart at all: Gorgonia still rewrites.
	gorgonia.UseStabilization()
	if !stabilizationOn() {
		t.Fatal("the probe reports the rewrite off after UseStabilization")
	}
}

// TestLogOfSigmoidAsWritten checks that log σ(x) is built as written (a
// log of a sigmoid), not Gorgonia's softplus rewrite, with the rewrite on.
func TestLogOfSigmoidAsWritten(t *testing.T) {
	defer gorgonia.UseStabilization()
	gorgonia.UseStabilization()
	b, err := NewBuilder(Float64, 2)
	if err != nil {
		t.Fatal(err)
	}
	y := b.Log(b.Sigmoid(b.Input("x", 2, 3)))
	p, err := b.Compile(Spec{Outputs: []*Node{y}})
	if err != nil {
		t.Fatal(err)
	}
	if names := strings.Join(p.OpNames(), " "); !strings.Contains(names, "sigmoid") || !strings.Contains(names, "ln") && !strings.Contains(names, "log") {
		t.Errorf("log σ(x) built as %q", names)
	}
}
