// Package compiletest type-checks small Go sources against gornn's
// packages, so that a test can show that a misuse does not compile: the
// options structs of layers and trainers have a field only where the
// setting exists, and a test of that must see the compiler's answer, not
// a run-time one.
//
// It reads the packages' export data as the go command builds it (go list
// -export), the way golang.org/x/tools/go/packages does, and runs go/types
// on the source in process. It needs the go command on PATH, which tests
// have.
package compiletest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Checker type-checks sources that import the packages it was made for.
type Checker struct {
	fset    *token.FileSet
	exports map[string]string // import path -> export data file
	imp     types.Importer
}

// New returns a Checker for sources importing pkgs (and anything they
// import), building their export data with the go command.
func New(pkgs ...string) (*Checker, error) {
	args := append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, pkgs...)
	cmd := exec.Command("go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export: %v: %s", err, stderr.String())
	}
	c := &Checker{fset: token.NewFileSet(), exports: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		path, file, ok := strings.Cut(sc.Text(), "\t")
		if ok && file != "" {
			c.exports[path] = file
		}
	}
	c.imp = importer.ForCompiler(c.fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := c.exports[path]
		if !ok {
			return nil, fmt.Errorf("compiletest: no export data for %q", path)
		}
		return os.Open(file)
	})
	return c, nil
}

// Check type-checks src, a whole Go file, and returns the type errors
// joined (nil if it compiles). A syntax error is returned as well.
func (c *Checker) Check(src string) error {
	f, err := parser.ParseFile(c.fset, "snippet.go", src, 0)
	if err != nil {
		return err
	}
	var errs []error
	conf := types.Config{Importer: c.imp, Error: func(err error) { errs = append(errs, err) }}
	_, _ = conf.Check(f.Name.Name, c.fset, []*ast.File{f}, nil)
	return errors.Join(errs...)
}
