package graph

import (
	"os"
	"testing"
)

// stabilizationAtStart is Gorgonia's global stabilization setting as
// TestMain finds it: after the package-level initialization of graph and
// of everything it imports, before any test has built a graph.
var stabilizationAtStart bool

func TestMain(m *testing.M) {
	stabilizationAtStart = stabilizationOn()
	os.Exit(m.Run())
}

// TestNoSideEffectAtImport checks that importing graph leaves Gorgonia's
// global stabilization setting at Gorgonia's default (on): graph switches
// it off only around the moments it builds (TestStabilizationLeftAsFound).
func TestNoSideEffectAtImport(t *testing.T) {
	if !stabilizationAtStart {
		t.Error("Gorgonia's stabilization was off before any graph was built: importing graph changed it")
	}
}
