package graph_test

import (
	"testing"

	"github.com/gornn/gornn/internal/apicheck"
)

// TestNoGorgoniaInAPI checks that no type of Gorgonia's appears in, or is
// reachable from, the package's exported API: it shows gornn's own types
// (graph.Tensor, not Gorgonia's dense tensor).
func TestNoGorgoniaInAPI(t *testing.T) {
	leaks, err := apicheck.Leaks(".", "github.com/gornn/gornn/graph", apicheck.Gorgonia)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaks {
		t.Errorf("Gorgonia in graph's API: %s", l)
	}
}
