package runtime

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// biasGraph is y = tanh(x + b) for x [6, 4] and a bias b [4], built with
// Gorgonia alone.
func biasGraph(t *testing.T) (g Graph, x, b *gorgonia.Node, xv, bv *tensor.Dense) {
	t.Helper()
	eg := gorgonia.NewGraph()
	x = gorgonia.NewMatrix(eg, tensor.Float64, gorgonia.WithShape(6, 4), gorgonia.WithName("x"))
	b = gorgonia.NewVector(eg, tensor.Float64, gorgonia.WithShape(4), gorgonia.WithName("b"))
	sum, err := gorgonia.BroadcastAdd(x, b, nil, []byte{0})
	if err != nil {
		t.Fatal(err)
	}
	y := gorgonia.Must(gorgonia.Tanh(sum))
	xs := make([]float64, 24)
	for i := range xs {
		xs[i] = float64(i%7) - 3
	}
	xv = tensor.New(tensor.WithShape(6, 4), tensor.WithBacking(xs))
	bv = tensor.New(tensor.WithShape(4), tensor.WithBacking([]float64{0.5, -0.5, 0.25, 1}))
	return Graph{G: eg, Roots: []*gorgonia.Node{y}, Inputs: []*gorgonia.Node{x}, Params: []*gorgonia.Node{b}}, x, b, xv, bv
}

// wantTanh is tanh(x + b) for biasGraph's values.
func wantTanh(t *testing.T, xv, bv *tensor.Dense) []float64 {
	t.Helper()
	x, _ := Data[float64](xv)
	b, _ := Data[float64](bv)
	var want []float64
	for i, v := range x {
		s := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{v + b[i%4]}))
		r, err := gorgonia.Must(gorgonia.Tanh(gorgonia.NodeFromAny(gorgonia.NewGraph(), s))).Op().Do(s)
		if err != nil {
			t.Fatal(err)
		}
		rv, _ := Data[float64](r.(*tensor.Dense))
		want = append(want, rv[0])
	}
	return want
}

// TestLazyBroadcastForOp: a bias broadcast that only add-row kernels read
// is skipped after the first run; when its reader runs Gorgonia's op
// instead (as after a kernel declined), the broadcast is computed for it
// first, with the bias as it is now.
func TestLazyBroadcastForOp(t *testing.T) {
	gr, x, b, xv, bv := biasGraph(t)
	p, err := Compile(gr)
	if err != nil {
		t.Fatal(err)
	}
	lazy, adds := -1, -1
	for i := range p.ops {
		if p.Lazy(i) {
			lazy = i
		}
		if p.Kernel(i) == "add-row" {
			adds = i
		}
	}
	if lazy < 0 || adds < 0 {
		t.Fatalf("no lazy broadcast (%d) or add-row kernel (%d) in %v", lazy, adds, p.OpNames())
	}
	m := p.NewMachine()
	xs, _ := p.Slot(x)
	bs, _ := p.Slot(b)
	m.Set(xs, xv)
	m.Set(bs, bv)
	bias, _ := Data[float64](bv)
	y, _ := p.Slot(gr.Roots[0])
	for r, forceOp := range []bool{false, false, true} {
		bias[0] = float64(r) - 0.5
		if forceOp {
			m.st[adds].how = howOp
		}
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		if r > 0 && m.Stale(lazy) == forceOp {
			t.Fatalf("run %d (reader on Gorgonia's op: %v): broadcast stale %v", r+1, forceOp, m.Stale(lazy))
		}
		got, _ := Data[float64](m.Raw(y).(*tensor.Dense))
		if want := wantTanh(t, xv, bv); !slices.EqualFunc(got, want, func(a, b float64) bool { return a-b < 1e-15 && b-a < 1e-15 }) {
			t.Fatalf("run %d: %v, want %v", r+1, got, want)
		}
	}
}

// TestDeclinedKernelFallsBack: a kernel that declines its values (here
// an input replaced by a view) hands its op to Gorgonia's for good, and
// the result is still right.
func TestDeclinedKernelFallsBack(t *testing.T) {
	eg := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(eg, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x"))
	y := gorgonia.Must(gorgonia.Neg(x))
	p, err := Compile(Graph{G: eg, Roots: []*gorgonia.Node{y}, Inputs: []*gorgonia.Node{x}})
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := p.Slot(x)
	ys, _ := p.Slot(y)
	if p.Kernel(ys) != "neg" {
		t.Fatalf("neg got kernel %q", p.Kernel(ys))
	}
	m := p.NewMachine()
	m.Set(xs, tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6})))
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if m.How(ys) != "kernel" {
		t.Fatalf("neg runs as %q after the first run", m.How(ys))
	}
	big := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}))
	view, err := big.Slice(gorgonia.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	m.Set(xs, view)
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if m.How(ys) != "op" {
		t.Fatalf("neg of a view runs as %q", m.How(ys))
	}
	v, _ := m.Value(ys)
	d := v.(*tensor.Dense)
	if d.IsView() {
		d = d.Materialize().(*tensor.Dense)
	}
	if got, _ := Data[float64](d); !slices.Equal(got, []float64{-4, -5, -6, -7, -8, -9}) {
		t.Fatalf("neg of the view: %v", got)
	}
}

// TestUnboundLeaf: a leaf that is neither an input nor a parameter is an
// error, and an op translate does not know (here exp) runs Gorgonia's op.
func TestUnboundLeaf(t *testing.T) {
	eg := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(eg, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("x"))
	z := gorgonia.NewMatrix(eg, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("z"))
	y := gorgonia.Must(gorgonia.Exp(gorgonia.Must(gorgonia.Add(x, z))))
	if _, err := Compile(Graph{G: eg, Roots: []*gorgonia.Node{y}, Inputs: []*gorgonia.Node{x}}); err == nil || !strings.Contains(err.Error(), "z") {
		t.Fatalf("Compile with z unbound: %v", err)
	}
	p, err := Compile(Graph{G: eg, Roots: []*gorgonia.Node{y}, Inputs: []*gorgonia.Node{x, z}})
	if err != nil {
		t.Fatal(err)
	}
	ys, _ := p.Slot(y)
	if p.Kernel(ys) != "" {
		t.Fatalf("exp got kernel %q", p.Kernel(ys))
	}
	m := p.NewMachine()
	xs, _ := p.Slot(x)
	zs, _ := p.Slot(z)
	m.Set(xs, tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, -2, 3, -4})))
	m.Set(zs, tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{0.5, 0.5, 0.5, 0.5})))
	for r := 0; r < 2; r++ {
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		v, _ := m.Value(ys)
		want := []float64{math.Exp(1.5), math.Exp(-1.5), math.Exp(3.5), math.Exp(-3.5)}
		if got, _ := Data[float64](v.(*tensor.Dense)); !slices.EqualFunc(got, want, func(a, b float64) bool { return math.Abs(a-b) <= 1e-15*b }) {
			t.Fatalf("run %d: %v", r+1, got)
		}
	}
}

// TestOpNamesOnlyInTranslate: Gorgonia's op names (the text of its ops'
// String methods) appear in no function of the package but translate.
func TestOpNamesOnlyInTranslate(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	marks := []string{" false", "×", "Σ", "T[", "Repeat", "Concat(", "SizeOf=", "Reshape(", "+=..."}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fs := token.NewFileSet()
		file, err := parser.ParseFile(fs, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if ok && fn.Name.Name == "translate" {
				continue
			}
			ast.Inspect(d, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				checked++
				s, _ := strconv.Unquote(lit.Value)
				for _, mark := range marks {
					if strings.Contains(s, mark) {
						t.Errorf("%s: %q outside translate", fs.Position(lit.Pos()), s)
					}
				}
				return true
			})
		}
	}
	if checked == 0 {
		t.Fatal("no string literal checked")
	}
}
