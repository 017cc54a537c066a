package apicheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"testing"
)

// leaky exposes Gorgonia's types in every way Check must see, and hides
// them in the ways it must not report.
const leaky = `package leaky

import "gorgonia.org/tensor"

type Alias = tensor.Dense            // an exported alias
type Wrapper struct{ d *tensor.Dense } // unexported field: fine
type Exposed struct{ D *tensor.Dense }
type Embeds struct{ hidden }          // promotes hidden's field
type hidden struct{ X tensor.Shape }
type Iface interface{ M(tensor.Dtype) }
type List[T any] []T

func F() *secret                     { return nil }
func G(m map[string][]*tensor.Dense) {}
func H() List[tensor.Shape]          { return nil }
func Fine(w *Wrapper) []int          { return nil }
func (w *Wrapper) Leak() tensor.Shape { return nil }
func (w *Wrapper) quiet() tensor.Shape { return nil }

type secret struct{ Y *tensor.Dense }

var V chan tensor.Dtype
var fine *tensor.Dense

type local = tensor.Dense

func I() *local { return nil }
`

func TestCheck(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "leaky.go", leaky, 0)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := Importer(".", "gorgonia.org/tensor")
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := (&types.Config{Importer: imp}).Check("leaky", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := Check(pkg, Gorgonia)
	want := []string{
		"leaky.Alias: gorgonia.org/tensor.Dense",
		"leaky.Embeds.hidden: leaky.hidden.X: gorgonia.org/tensor.Shape",
		"leaky.Exposed.D: gorgonia.org/tensor.Dense",
		"leaky.F: result 0: leaky.secret.Y: gorgonia.org/tensor.Dense",
		"leaky.G: parameter 0: gorgonia.org/tensor.Dense",
		"leaky.H: result 0: leaky.List: gorgonia.org/tensor.Shape",
		"leaky.H: result 0: type argument 0: gorgonia.org/tensor.Shape",
		"leaky.I: result 0: gorgonia.org/tensor.Dense",
		"leaky.Iface.M: parameter 0: gorgonia.org/tensor.Dtype",
		"leaky.V: gorgonia.org/tensor.Dtype",
		"leaky.Wrapper.Leak: result 0: gorgonia.org/tensor.Shape",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Check found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := Check(pkg, "example.com/"); len(got) != 0 {
		t.Errorf("another prefix: %v", got)
	}
}

// TestLeaks runs Leaks on a package of gornn that uses Gorgonia inside and
// must show none of it: graph's runtime is internal, but its API is
// Gorgonia's, so it is the case that must fail.
func TestLeaks(t *testing.T) {
	got, err := Leaks(".", "github.com/gornn/gornn/graph/internal/runtime", Gorgonia)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "gorgonia.org/gorgonia.Value") }) {
		t.Errorf("Leaks of graph/internal/runtime (whose API is Gorgonia's values) found %v", got)
	}
	if _, err := Leaks(".", "github.com/gornn/gornn/no/such/package", Gorgonia); err == nil {
		t.Error("Leaks of a package that does not exist: no error")
	}
}
