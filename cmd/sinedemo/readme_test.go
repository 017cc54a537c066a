package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"
)

// readmePath is the repository's README, relative to this package.
const readmePath = "../../README.md"

// TestREADMEExample checks that the body of main in README.md's library
// example is the body of Example_readme, which go test compiles, runs and
// checks against its // Output: comment, and that the README shows that
// same output.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	var program string
	for _, b := range blocks {
		if strings.Contains(b[1], "func main() {") {
			program = b[1]
		}
	}
	if program == "" {
		t.Fatal("README.md has no ```go block with func main")
	}
	readmeBody, _ := funcBody(t, "README.md", program, "main")

	src, err := os.ReadFile("readme_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	exampleBody, output := funcBody(t, "readme_example_test.go", string(src), "Example_readme")
	if got, want := normalize(readmeBody), normalize(exampleBody); got != want {
		t.Errorf("README.md's main differs from Example_readme:\n--- README\n%s\n--- Example_readme\n%s", got, want)
	}
	if output == "" || !strings.Contains(string(readme), output) {
		t.Errorf("README.md does not show Example_readme's output:\n%s", output)
	}
}

// funcBody parses src and returns the source of the named function's body,
// up to an "// Output:" comment if there is one, and the text of that
// comment's output.
func funcBody(t *testing.T, name, src, fn string) (body, output string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != fn {
			continue
		}
		body = src[fset.Position(fd.Body.Lbrace).Offset+1 : fset.Position(fd.Body.Rbrace).Offset]
		if i := strings.Index(body, "// Output:"); i >= 0 {
			var lines []string
			for _, l := range strings.Split(body[i+len("// Output:"):], "\n") {
				l = strings.TrimPrefix(strings.TrimSpace(l), "//")
				lines = append(lines, strings.TrimPrefix(l, " "))
			}
			output = strings.TrimSpace(strings.Join(lines, "\n"))
			body = body[:i]
		}
		return body, output
	}
	t.Fatalf("%s has no func %s", name, fn)
	return "", ""
}

// normalize trims every line of s and drops empty ones.
func normalize(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
