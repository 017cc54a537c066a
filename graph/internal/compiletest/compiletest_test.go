package compiletest_test

import (
	"strings"
	"testing"

	"github.com/gornn/gornn/graph/internal/compiletest"
)

// TestCheck: a correct snippet compiles, and a type error and a syntax
// error are both reported, naming the fault.
func TestCheck(t *testing.T) {
	c, err := compiletest.New("github.com/gornn/gornn/graph")
	if err != nil {
		t.Fatal(err)
	}
	const head = "package p\n\nimport \"github.com/gornn/gornn/graph\"\n\n"
	if err := c.Check(head + "var _ = graph.Float32.Valid()\n"); err != nil {
		t.Errorf("a correct snippet: %v", err)
	}
	if err := c.Check(head + "var _ int = graph.Float32.Valid()\n"); err == nil || !strings.Contains(err.Error(), "cannot use") {
		t.Errorf("a type error: %v", err)
	}
	if err := c.Check(head + "var _ = graph.NoSuchName\n"); err == nil || !strings.Contains(err.Error(), "NoSuchName") {
		t.Errorf("an undefined name: %v", err)
	}
	if err := c.Check("package p\nvar = \n"); err == nil {
		t.Error("a syntax error compiles")
	}
	if _, err := compiletest.New("github.com/gornn/gornn/no/such/package"); err == nil {
		t.Error("New for a missing package succeeded")
	}
}
