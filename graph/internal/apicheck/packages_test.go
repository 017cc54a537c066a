package apicheck_test

import (
	"testing"

	"github.com/gornn/gornn/graph/internal/apicheck"

	// The packages checked, imported so that go test's cache runs this
	// test again when one of them changes (it reads them through go list,
	// which the cache does not see).
	_ "github.com/gornn/gornn/graph"
	_ "github.com/gornn/gornn/layers"
	_ "github.com/gornn/gornn/models"
	_ "github.com/gornn/gornn/trainers"
	_ "github.com/gornn/gornn/trainers/forecast"
)

// TestNoGorgoniaInAPI checks that no type of Gorgonia's appears in, or is
// reachable from, the exported API of gornn's public packages: they show
// gornn's own types (graph.Tensor, not Gorgonia's dense tensor).
func TestNoGorgoniaInAPI(t *testing.T) {
	for _, pkg := range []string{
		"github.com/gornn/gornn/graph",
		"github.com/gornn/gornn/layers",
		"github.com/gornn/gornn/models",
		"github.com/gornn/gornn/trainers",
		"github.com/gornn/gornn/trainers/forecast",
	} {
		leaks, err := apicheck.Leaks(".", pkg, apicheck.Gorgonia)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, l := range leaks {
			t.Errorf("Gorgonia in %s's API: %s", pkg, l)
		}
	}
}
