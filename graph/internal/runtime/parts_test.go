package runtime

import (
	"math"
	"math/rand/v2"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/gornn/gornn/graph/internal/simd"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// rowsGraph unrolls h ← tanh(h·W + x·U) ⊙ σ(x·V + z) + h over steps
// steps in float32, from h = x, for x and z [rows, n]: the product-and-sum
// groups and elementwise groups of a recurrence, over as many rows as a
// plan splits into parts, and the gradient of Σh with respect to W, U
// and V, whose products read the rows whole.
func rowsGraph(t *testing.T, rows, n, steps int) (g Graph, x, z *gorgonia.Node, ws []*gorgonia.Node) {
	return rowsGraphOf(t, rows, n, steps, true)
}

// rowsGraphOf is rowsGraph, with the gradients or (grads false) the
// forward recurrence alone.
func rowsGraphOf(t *testing.T, rows, n, steps int, grads bool) (g Graph, x, z *gorgonia.Node, ws []*gorgonia.Node) {
	t.Helper()
	eg := gorgonia.NewGraph()
	x = gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(rows, n), gorgonia.WithName("x"))
	z = gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(rows, n), gorgonia.WithName("z"))
	for _, name := range []string{"W", "U", "V"} {
		ws = append(ws, gorgonia.NewMatrix(eg, tensor.Float32, gorgonia.WithShape(n, n), gorgonia.WithName(name)))
	}
	h := x
	for range steps {
		a := gorgonia.Must(gorgonia.Add(gorgonia.Must(gorgonia.Mul(h, ws[0])), gorgonia.Must(gorgonia.Mul(x, ws[1]))))
		gate := gorgonia.Must(gorgonia.Sigmoid(gorgonia.Must(gorgonia.Add(gorgonia.Must(gorgonia.Mul(x, ws[2])), z))))
		h = gorgonia.Must(gorgonia.Add(gorgonia.Must(gorgonia.HadamardProd(gorgonia.Must(gorgonia.Tanh(a)), gate)), h))
	}
	loss := gorgonia.Must(gorgonia.Sum(h))
	roots := []*gorgonia.Node{h, loss}
	if grads {
		gs, err := gorgonia.Grad(loss, ws...)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, gs...)
	}
	return Graph{G: eg, Roots: roots, Inputs: []*gorgonia.Node{x, z}, Params: ws}, x, z, ws
}

func randomMatrix(rng *rand.Rand, r, c int, scale float64) *tensor.Dense {
	v := make([]float32, r*c)
	for i := range v {
		v[i] = float32(scale * rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(v))
}

// rowsMachine compiles rowsGraph and binds random values; it returns the
// slots of x, z and the roots.
func rowsMachine(t *testing.T, rows, n, steps int) (*Machine, int, int, []int) {
	t.Helper()
	g, x, z, ws := rowsGraph(t, rows, n, steps)
	p, err := Compile(g)
	if err != nil {
		t.Fatal(err)
	}
	m := p.NewMachine()
	rng := rand.New(rand.NewPCG(3, uint64(rows)))
	xs, _ := p.Slot(x)
	m.Set(xs, randomMatrix(rng, rows, n, 1))
	zs, _ := p.Slot(z)
	m.Set(zs, randomMatrix(rng, rows, n, 1))
	for _, w := range ws {
		s, _ := p.Slot(w)
		m.Set(s, randomMatrix(rng, n, n, 0.2))
	}
	var roots []int
	for _, r := range g.Roots {
		s, _ := p.Slot(r)
		roots = append(roots, s)
	}
	return m, xs, zs, roots
}

// rowsPair is rowsGraph's program on two machines: ser runs its ops in
// order (GORNN_SCHEDULE=serial), par on a plan (parallel).
type rowsPair struct {
	ser, par       *Machine
	sx, sz, px, pz int // the slots of x and z in each
	roots          []int
}

func newRowsPair(t *testing.T, rows, n, steps int) *rowsPair {
	t.Helper()
	p := &rowsPair{}
	t.Setenv("GORNN_SCHEDULE", "serial")
	p.ser, p.sx, p.sz, p.roots = rowsMachine(t, rows, n, steps)
	t.Setenv("GORNN_SCHEDULE", "parallel")
	p.par, p.px, p.pz, _ = rowsMachine(t, rows, n, steps)
	return p
}

// run sets x (when x is not nil) and z (when z is not nil) on both
// machines, runs both and fails unless their roots hold the same bits.
func (p *rowsPair) run(t *testing.T, what string, x, z *tensor.Dense) {
	t.Helper()
	if x != nil {
		p.ser.Set(p.sx, x)
		p.par.Set(p.px, x)
	}
	if z != nil {
		p.ser.Set(p.sz, z)
		p.par.Set(p.pz, z)
	}
	if err := p.ser.Run(); err != nil {
		t.Fatalf("%s: in order: %v", what, err)
	}
	if err := p.par.Run(); err != nil {
		t.Fatalf("%s: on a plan: %v", what, err)
	}
	sameRoots(t, what, p.ser, p.par, p.roots)
}

// sameRoots fails unless every root of got holds the bits of want's.
func sameRoots(t *testing.T, what string, want, got *Machine, roots []int) {
	t.Helper()
	for _, s := range roots {
		w, g := want.Raw(s), got.Raw(s)
		wd, wok := w.(*tensor.Dense)
		gd, gok := g.(*tensor.Dense)
		if !wok || !gok {
			ws, _ := Scalar(w)
			gs, _ := Scalar(g)
			if math.Float64bits(ws) != math.Float64bits(gs) {
				t.Fatalf("%s: root %d = %v, in order %v", what, s, gs, ws)
			}
			continue
		}
		wv, _ := Data[float32](wd)
		gv, _ := Data[float32](gd)
		if len(wv) != len(gv) {
			t.Fatalf("%s: root %d has %d values, in order %d", what, s, len(gv), len(wv))
		}
		for i := range wv {
			if math.Float32bits(gv[i]) != math.Float32bits(wv[i]) {
				t.Fatalf("%s: root %d element %d = %v, in order %v", what, s, i, gv[i], wv[i])
			}
		}
	}
}

// TestPlanPartsBitIdentical: on 2 to 4 goroutines, with the collector
// forced busy, a plan splits the recurrence's groups into parts by rows
// (one chain of rows per goroutine), and every run's values, the
// gradients included, are those of the ops in order, bit for bit.
func TestPlanPartsBitIdentical(t *testing.T) {
	old := debug.SetGCPercent(2)
	defer debug.SetGCPercent(old)
	for _, procs := range []int{2, 3, 4} {
		t.Run(strconv.Itoa(procs), func(t *testing.T) {
			saved := goruntime.GOMAXPROCS(procs)
			defer goruntime.GOMAXPROCS(saved)
			const rows, n, steps = 256, 64, 4
			pair := newRowsPair(t, rows, n, steps)
			par := pair.par
			rng := rand.New(rand.NewPCG(5, uint64(procs)))
			for r := range 60 {
				var x *tensor.Dense
				if r > 0 {
					x = randomMatrix(rng, rows, n, 1)
				}
				pair.run(t, "run "+strconv.Itoa(r), x, nil)
			}
			parts, groups := par.PlanParts()
			// 256 rows of 64 columns: tiles of 64 rows, blocks of 4,096
			// elements; up to four parts a group.
			if groups == 0 || parts < 2*groups || parts > min(procs, 4)*groups {
				t.Fatalf("GOMAXPROCS %d: %d parts of %d groups", procs, parts, groups)
			}
			// The gradients' sums over the steps, computed in place:
			// chains, each queued for one goroutine (product-and-sum
			// groups, and so chains, are made on the assembly kernels
			// only).
			if simd.Enabled && par.PlanChains() == 0 {
				t.Fatal("no chain of in-place sums has a goroutine of its own")
			}
			others := 0
			for _, l := range par.plan.lanes[1:] {
				others += l.tasksRun
			}
			if others == 0 {
				t.Fatal("the other goroutines ran no task")
			}
		})
	}
}

// TestPlanPartDeclines: when a part's kernel declines its operands (z
// replaced by a view of a larger matrix), the run is made again in
// order and returns the values of the ops in order; the next runs, on a
// new plan, follow the input too, and so do the runs after the input is
// a plain matrix again.
func TestPlanPartDeclines(t *testing.T) {
	saved := goruntime.GOMAXPROCS(2)
	defer goruntime.GOMAXPROCS(saved)
	const rows, n, steps = 128, 64, 3
	pair := newRowsPair(t, rows, n, steps)
	par := pair.par
	rng := rand.New(rand.NewPCG(11, 12))
	run := func(what string, z *tensor.Dense) {
		t.Helper()
		pair.run(t, what, nil, z)
	}
	run("plain", randomMatrix(rng, rows, n, 1))
	run("plain again", randomMatrix(rng, rows, n, 1))
	if parts, _ := par.PlanParts(); parts == 0 {
		t.Fatal("no parts in the plan")
	}
	big := randomMatrix(rng, 2*rows, n, 1)
	for r := range 3 {
		v, err := big.Slice(gorgonia.S(r*8, r*8+rows))
		if err != nil {
			t.Fatal(err)
		}
		run("view "+strconv.Itoa(r), v.(*tensor.Dense))
	}
	run("plain after views", randomMatrix(rng, rows, n, 1))
	run("plain after views, again", randomMatrix(rng, rows, n, 1))
}

// TestPlanJudgedOnWholeOps: whether a program runs on a plan is judged on
// its whole ops, parts aside. The forward recurrence alone (a prediction
// program, as W6's: one chain of steps, the input's products beside it)
// runs in order by default, though its parts would make two chains; with
// GORNN_SCHEDULE=parallel it gets a plan, parts and all.
func TestPlanJudgedOnWholeOps(t *testing.T) {
	saved := goruntime.GOMAXPROCS(2)
	defer goruntime.GOMAXPROCS(saved)
	for _, schedule := range []string{"", "parallel"} {
		t.Setenv("GORNN_SCHEDULE", schedule)
		g, x, z, ws := rowsGraphOf(t, 256, 64, 8, false)
		p, err := Compile(g)
		if err != nil {
			t.Fatal(err)
		}
		m := p.NewMachine()
		rng := rand.New(rand.NewPCG(1, 2))
		for _, v := range append([]*gorgonia.Node{x, z}, ws...) {
			s, _ := p.Slot(v)
			r, c := v.Shape()[0], v.Shape()[1]
			m.Set(s, randomMatrix(rng, r, c, 0.2))
		}
		for range 2 {
			if err := m.Run(); err != nil {
				t.Fatal(err)
			}
		}
		_, work, chain, ok := m.Plan()
		parts, _ := m.PlanParts()
		switch {
		case schedule == "" && ok:
			t.Fatalf("the forward recurrence runs on a plan by default (work %d, longest chain %d, %d parts)", work, chain, parts)
		case schedule == "parallel" && (!ok || parts == 0):
			t.Fatalf("GORNN_SCHEDULE=parallel: plan %v, %d parts", ok, parts)
		}
	}
}
