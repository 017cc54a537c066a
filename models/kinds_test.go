package models_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gornn/gornn/layers"
)

// TestNoLayerKindNamed: models and trainers ask layers what they are
// (Planner, TorchLayout, TorchStacker, MaskSource, Reverser, ...) instead of
// naming their kinds: no string literal there is a registered kind, and no
// type assertion or type switch names a concrete layer type of package
// layers. (trainers/forecast builds models of its own design and may.)
func TestNoLayerKindNamed(t *testing.T) {
	kinds := layers.Kinds()
	if !slices.Contains(kinds, "lstm") {
		t.Fatalf("layers.Kinds() = %v, want the built-in kinds", kinds)
	}
	for _, dir := range []string{".", "../trainers"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v (%d files)", dir, err, len(files))
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			for _, bad := range kindsNamed(t, f, kinds) {
				t.Errorf("%s", bad)
			}
		}
	}
}

// kindsNamed parses file and returns where it names a layer kind.
func kindsNamed(t *testing.T, file string, kinds []string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	layersName := ""
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == "github.com/gornn/gornn/layers" {
			layersName = "layers"
			if im.Name != nil {
				layersName = im.Name.Name
			}
		}
	}
	var bad []string
	concrete := func(e ast.Expr) {
		if st, ok := e.(*ast.StarExpr); ok {
			e = st.X
		}
		if sel, ok := e.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == layersName && layersName != "" && isConcreteLayer(sel.Sel.Name) {
				bad = append(bad, fset.Position(e.Pos()).String()+": names layers."+sel.Sel.Name)
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				if s, err := strconv.Unquote(n.Value); err == nil && slices.Contains(kinds, s) {
					bad = append(bad, fset.Position(n.Pos()).String()+": the kind "+n.Value)
				}
			}
		case *ast.TypeAssertExpr:
			if n.Type != nil {
				concrete(n.Type)
			}
		case *ast.TypeSwitchStmt:
			for _, c := range n.Body.List {
				for _, e := range c.(*ast.CaseClause).List {
					concrete(e)
				}
			}
		}
		return true
	})
	return bad
}

// isConcreteLayer reports whether name is one of package layers' layer
// types (rather than one of its interfaces).
func isConcreteLayer(name string) bool {
	switch name {
	case "Dense", "SimpleRNN", "LSTM", "GRU", "RNN", "Bidirectional", "Embedding",
		"Masking", "SequenceLengths", "Dropout", "Concatenate", "Add", "Noise":
		return true
	}
	return false
}
