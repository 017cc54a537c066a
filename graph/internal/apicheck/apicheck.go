// Package apicheck finds the types of given packages, Gorgonia's, that a
// package's exported API exposes: in the signatures of its exported
// functions and methods, the exported fields of its structs, its exported
// variables and constants, the types its exported type names stand for or
// are defined as, and everything reachable from those (an unexported type
// returned by an exported function shows its exported fields and methods
// too). Its TestNoGorgoniaInAPI runs it on every public package of gornn
// (graph, layers, models, trainers, trainers/forecast), so that a Gorgonia
// type cannot come back into their `go doc -all` unnoticed.
//
// It reads the package as the compiler exported it (`go list -export`), so
// it sees through aliases and embedding exactly as the type checker does.
// What export data does not keep it cannot see: a type defined from a
// Gorgonia type (type T tensor.Shape) shows only its underlying type,
// []int, which exposes nothing of Gorgonia's but its name in the source.
package apicheck

import (
	"bytes"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Gorgonia is the prefix of the import paths of Gorgonia's packages.
const Gorgonia = "gorgonia.org/"

// Leaks returns, sorted, one line per place where the exported API of the
// package at importPath (built from the module that dir is in) exposes a
// type of a package whose path starts with one of prefixes, such as
// "graph.Tensor.Shape: result 0: gorgonia.org/tensor.Shape".
func Leaks(dir, importPath string, prefixes ...string) ([]string, error) {
	imp, err := Importer(dir, importPath)
	if err != nil {
		return nil, err
	}
	pkg, err := imp.Import(importPath)
	if err != nil {
		return nil, fmt.Errorf("apicheck: import %s: %w", importPath, err)
	}
	return Check(pkg, prefixes...), nil
}

// Importer returns an importer of the export data of the packages
// importPaths depend on (themselves included), which `go list -export`
// builds, run in dir.
func Importer(dir string, importPaths ...string) (types.Importer, error) {
	gocmd, err := goCommand()
	if err != nil {
		return nil, err
	}
	args := append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, importPaths...)
	cmd := exec.Command(gocmd, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("apicheck: go list: %w: %s", err, stderr.Bytes())
	}
	files := make(map[string]string)
	for line := range strings.Lines(string(out)) {
		path, file, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok && file != "" {
			files[path] = file
		}
	}
	lookup := func(path string) (io.ReadCloser, error) {
		f, ok := files[path]
		if !ok {
			return nil, fmt.Errorf("apicheck: no export data for %s", path)
		}
		return os.Open(f)
	}
	return importer.ForCompiler(token.NewFileSet(), "gc", lookup), nil
}

// goCommand finds the go command: on PATH, or in GOROOT (where `go test`
// runs from).
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		return "", errors.New("apicheck: no go command on PATH or in GOROOT")
	}
	return p, nil
}

// Check returns, sorted, where pkg's exported API exposes a type of a
// package whose path starts with one of prefixes (see Leaks).
func Check(pkg *types.Package, prefixes ...string) []string {
	w := &walker{pkg: pkg, prefixes: prefixes, seen: make(map[types.Type]bool)}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		where := pkg.Name() + "." + name
		switch obj := obj.(type) {
		case *types.TypeName:
			if obj.IsAlias() {
				w.typ(where, obj.Type())
			} else {
				w.named(where, obj.Type())
			}
		default: // functions, variables, constants
			w.typ(where, obj.Type())
		}
	}
	slices.Sort(w.leaks)
	return slices.Compact(w.leaks)
}

type walker struct {
	pkg      *types.Package
	prefixes []string
	seen     map[types.Type]bool
	leaks    []string
}

func (w *walker) foreign(p *types.Package) bool {
	return p != nil && slices.ContainsFunc(w.prefixes, func(pre string) bool { return strings.HasPrefix(p.Path(), pre) })
}

// typ reports the foreign named types in t, reached from where.
func (w *walker) typ(where string, t types.Type) {
	switch t := t.(type) {
	case *types.Alias:
		if w.foreign(t.Obj().Pkg()) {
			w.leaks = append(w.leaks, where+": "+t.Obj().Pkg().Path()+"."+t.Obj().Name())
			return
		}
		w.typ(where, types.Unalias(t))
	case *types.Named:
		if w.foreign(t.Obj().Pkg()) {
			w.leaks = append(w.leaks, where+": "+t.Obj().Pkg().Path()+"."+t.Obj().Name())
			return
		}
		for i := range t.TypeArgs().Len() {
			w.typ(fmt.Sprintf("%s: type argument %d", where, i), t.TypeArgs().At(i))
		}
		if t.Obj().Pkg() == w.pkg {
			// An exported type is reported under its own name; an
			// unexported one, or an instance, through where it was reached.
			name := w.pkg.Name() + "." + t.Obj().Name()
			if !t.Obj().Exported() || t.TypeArgs().Len() > 0 {
				name = where + ": " + name
			}
			w.named(name, t)
		}
	case *types.Pointer:
		w.typ(where, t.Elem())
	case *types.Slice:
		w.typ(where, t.Elem())
	case *types.Array:
		w.typ(where, t.Elem())
	case *types.Chan:
		w.typ(where, t.Elem())
	case *types.Map:
		w.typ(where+": key", t.Key())
		w.typ(where, t.Elem())
	case *types.Signature:
		for i := range t.TypeParams().Len() {
			w.typ(fmt.Sprintf("%s: type parameter %d", where, i), t.TypeParams().At(i).Constraint())
		}
		for i := range t.Params().Len() {
			w.typ(fmt.Sprintf("%s: parameter %d", where, i), t.Params().At(i).Type())
		}
		for i := range t.Results().Len() {
			w.typ(fmt.Sprintf("%s: result %d", where, i), t.Results().At(i).Type())
		}
	case *types.Struct:
		for i := range t.NumFields() {
			// An embedded field promotes its exported fields and methods,
			// whatever its own name.
			if f := t.Field(i); f.Exported() || f.Embedded() {
				w.typ(where+"."+f.Name(), f.Type())
			}
		}
	case *types.Interface:
		for i := range t.NumEmbeddeds() {
			w.typ(where, t.EmbeddedType(i))
		}
		for i := range t.NumExplicitMethods() {
			if m := t.ExplicitMethod(i); m.Exported() {
				w.typ(where+"."+m.Name(), m.Type())
			}
		}
	case *types.Union:
		for i := range t.Len() {
			w.typ(where, t.Term(i).Type())
		}
	case *types.TypeParam:
		w.typ(where, t.Constraint())
	}
}

// named visits, once, what a type of pkg's own shows: its underlying type
// and its exported methods.
func (w *walker) named(where string, t types.Type) {
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() != w.pkg || w.seen[n] {
		return
	}
	w.seen[n] = true
	w.typ(where, n.Underlying())
	for i := range n.NumMethods() {
		if m := n.Method(i); m.Exported() {
			w.typ(where+"."+m.Name(), m.Type())
		}
	}
}
