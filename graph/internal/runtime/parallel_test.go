package runtime

import (
	"math"
	"math/rand/v2"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// branchGraph is y = Σᵢ tanh(x·Wᵢ) over branches products of
// [n, n]·[n, n] in float32: independent products and passes that a plan
// runs side by side.
func branchGraph(t *testing.T, n, branches int) (g Graph, x *gorgonia.Node, ws []*gorgonia.Node) {
	t.Helper()
	eg := gorgonia.NewGraph()
	x = gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(n, n), gorgonia.WithName("x"))
	var y *gorgonia.Node
	for i := range branches {
		w := gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(n, n), gorgonia.WithName("w"+string(rune('a'+i))))
		ws = append(ws, w)
		h := gorgonia.Must(gorgonia.Tanh(gorgonia.Must(gorgonia.Mul(x, w))))
		if y == nil {
			y = h
		} else {
			y = gorgonia.Must(gorgonia.Add(y, h))
		}
	}
	return Graph{G: eg, Roots: []*gorgonia.Node{y}, Inputs: []*gorgonia.Node{x}, Params: ws}, x, ws
}

func randomDense(rng *rand.Rand, n int) *tensor.Dense {
	v := make([]float32, n*n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(n, n), tensor.WithBacking(v))
}

// branchMachine compiles branchGraph and binds random values.
func branchMachine(t *testing.T, n, branches int) (*Program, *Machine, int, int) {
	t.Helper()
	g, x, ws := branchGraph(t, n, branches)
	p, err := Compile(g)
	if err != nil {
		t.Fatal(err)
	}
	m := p.NewMachine()
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	xs, _ := p.Slot(x)
	m.Set(xs, randomDense(rng, n))
	for _, w := range ws {
		s, _ := p.Slot(w)
		m.Set(s, randomDense(rng, n))
	}
	y, _ := p.Slot(g.Roots[0])
	return p, m, xs, y
}

// TestPlanGates: a program of large independent products gets a plan by
// default, and none with GORNN_SCHEDULE=serial; a small one gets none by
// default, and one with GORNN_SCHEDULE=parallel.
func TestPlanGates(t *testing.T) {
	for _, c := range []struct {
		n        int
		schedule string
		want     bool
	}{
		{96, "", true}, {96, "serial", false}, {8, "", false}, {8, "parallel", true},
	} {
		t.Setenv("GORNN_SCHEDULE", c.schedule)
		_, m, _, _ := branchMachine(t, c.n, 6)
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		ops, work, chain, ok := m.Plan()
		if ok != c.want {
			t.Errorf("n %d, GORNN_SCHEDULE=%q: plan %v, want %v", c.n, c.schedule, ok, c.want)
		}
		if ok && (ops < 6+1 || chain <= 0 || work < 2*chain) {
			t.Errorf("n %d: plan of %d ops, work %d, longest chain %d", c.n, ops, work, chain)
		}
	}
}

// TestPlanBitIdentical runs a program of independent products and passes
// on a plan with two and four threads (under a busy collector, with the
// input changed between runs) and in order on one, and requires the same
// value bit for bit on every run; it requires the plan to use as many
// goroutines as the threads and the program's work allow, and the
// goroutines other than the caller to have run some of the ops.
func TestPlanBitIdentical(t *testing.T) {
	for _, procs := range []int{2, 4} {
		t.Run(strconv.Itoa(procs), func(t *testing.T) { testPlanBitIdentical(t, procs) })
	}
}

func testPlanBitIdentical(t *testing.T, procs int) {
	saved := goruntime.GOMAXPROCS(procs)
	defer goruntime.GOMAXPROCS(saved)
	old := debug.SetGCPercent(2)
	defer debug.SetGCPercent(old)
	const n, branches = 128, 6
	t.Setenv("GORNN_SCHEDULE", "serial")
	_, ser, sx, sy := branchMachine(t, n, branches)
	t.Setenv("GORNN_SCHEDULE", "parallel")
	_, par, px, py := branchMachine(t, n, branches)
	rng := rand.New(rand.NewPCG(8, 9))
	for r := 0; r < 200; r++ {
		if r > 0 {
			x := randomDense(rng, n)
			ser.Set(sx, x)
			par.Set(px, x)
		}
		if err := ser.Run(); err != nil {
			t.Fatal(err)
		}
		if err := par.Run(); err != nil {
			t.Fatal(err)
		}
		if _, _, _, ok := par.Plan(); !ok {
			t.Fatal("no plan with GORNN_SCHEDULE=parallel")
		}
		want, _ := Data[float32](ser.Raw(sy).(*tensor.Dense))
		got, _ := Data[float32](par.Raw(py).(*tensor.Dense))
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("run %d: element %d = %v on a plan, %v in order", r, i, got[i], want[i])
			}
		}
		if r > 0 && len(par.plan.lanes) != min(procs, par.plan.most) {
			t.Fatalf("GOMAXPROCS %d: %d goroutines, want %d", procs, len(par.plan.lanes), min(procs, par.plan.most))
		}
		others := 0
		for _, l := range par.plan.lanes[1:] {
			others += l.tasksRun
		}
		if r >= 20 && others > 0 {
			return
		}
	}
	t.Fatalf("the other goroutines ran no op in 200 runs (the first ran %d)", par.tasksRun)
}

// TestPlanError: an op that fails on a plan (here Gorgonia's product, on
// an input of the wrong shape, which the kernel declines) makes Run
// return its error, on whichever goroutine it ran, and a later run with
// a right input succeeds.
func TestPlanError(t *testing.T) {
	saved := goruntime.GOMAXPROCS(2)
	defer goruntime.GOMAXPROCS(saved)
	t.Setenv("GORNN_SCHEDULE", "parallel")
	_, m, xs, _ := branchMachine(t, 16, 4)
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	good := m.vals[xs]
	m.Set(xs, tensor.New(tensor.WithShape(3, 5), tensor.WithBacking(make([]float32, 15))))
	err := m.Run()
	if err == nil || !strings.Contains(err.Error(), "running") {
		t.Fatalf("run on a [3, 5] input: %v, want an op's error", err)
	}
	m.Set(xs, good)
	if err := m.Run(); err != nil {
		t.Fatalf("run after the failed one: %v", err)
	}
}

// TestPlanGroupFallsBack: when a group's kernel declines on a plan (an
// input replaced by a view), its ops run one by one, and the next run's
// plan runs each of them: the results follow the input on every run.
func TestPlanGroupFallsBack(t *testing.T) {
	saved := goruntime.GOMAXPROCS(2)
	defer goruntime.GOMAXPROCS(saved)
	t.Setenv("GORNN_FUSION", "on")
	t.Setenv("GORNN_SCHEDULE", "parallel")
	eg := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(eg, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x"))
	x2 := gorgonia.NewMatrix(eg, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x2"))
	y := gorgonia.Must(gorgonia.Tanh(gorgonia.Must(gorgonia.Neg(gorgonia.Must(gorgonia.Sigmoid(x))))))
	z := gorgonia.Must(gorgonia.Square(x2))
	p, err := Compile(Graph{G: eg, Roots: []*gorgonia.Node{y, z}, Inputs: []*gorgonia.Node{x, x2}})
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := p.Slot(x)
	x2s, _ := p.Slot(x2)
	ys, _ := p.Slot(y)
	if p.Group(ys) < 0 {
		t.Fatal("tanh(−σ(x)) is not a group")
	}
	m := p.NewMachine()
	m.Set(x2s, tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6})))
	big := tensor.New(tensor.WithShape(4, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}))
	for r, rows := range [][2]int{{0, 2}, {0, 2}, {1, 3}, {2, 4}, {2, 4}} {
		var in tensor.Tensor = tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(append([]float64(nil), big.Float64s()[rows[0]*3:rows[1]*3]...)))
		if r >= 2 {
			if in, err = big.Slice(gorgonia.S(rows[0], rows[1])); err != nil {
				t.Fatal(err)
			}
		}
		m.Set(xs, in.(*tensor.Dense))
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		if _, _, _, ok := m.Plan(); !ok {
			t.Fatalf("run %d: no plan", r+1)
		}
		v, _ := m.Value(ys)
		got := floats(v)
		for i, e := range big.Float64s()[rows[0]*3 : rows[1]*3] {
			if want := math.Tanh(-sigmoid64(e)); math.Abs(got[i]-want) > 1e-15 {
				t.Fatalf("run %d (rows %v): element %d = %v, want %v", r+1, rows, i, got[i], want)
			}
		}
	}
	for i := 0; i < p.Len(); i++ {
		if h := m.How(i); h == "fused" || h == "group" {
			t.Errorf("op %v still runs as %q", p.Op(i), h)
		}
	}
}
