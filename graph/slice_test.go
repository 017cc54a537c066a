package graph_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
)

// Guards against Gorgonia's slice merging: sliceOp hashes its bounds as
// single bytes and the graph merges nodes of equal hash, so x[0:128] and
// x[256:384] (or x[t] and x[t+256]) of one node would silently become one
// node. Each test below builds slices whose bounds differ by 256 and checks
// values and gradients against direct computation.

// TestSliceGateBlocksU128 slices the four 128-wide blocks of a [B, 512]
// matrix, as a fused LSTM gate product at U=128 would be sliced.
func TestSliceGateBlocksU128(t *testing.T) {
	const B, U = 3, 128
	b := must(graph.NewBuilder(graph.Float64, B))
	z := b.Input("z", B, 4*U)
	var blocks []*graph.Node
	var loss *graph.Node
	for k := range 4 {
		s := b.Slice(z, 1, k*U, (k+1)*U)
		blocks = append(blocks, s)
		term := b.Scale(b.Sum(b.Square(s)), float64(k+1))
		if loss == nil {
			loss = term
		} else {
			loss = b.Add(loss, term)
		}
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	for k, s := range blocks {
		if got := s.Shape(); fmt.Sprint(got) != fmt.Sprint([]int{B, U}) {
			t.Fatalf("block %d has shape %v", k, got)
		}
	}
	zv := seededTensor(1, B, 4*U)
	e := run(t, b, graph.Spec{Outputs: blocks, Loss: loss, InputGrads: true}, zv)

	zd := data64(zv)
	wantLoss := 0.0
	wantGrad := make([]float64, len(zd))
	for k := range 4 {
		want := make([]float64, 0, B*U)
		for r := range B {
			for j := range U {
				v := zd[r*4*U+k*U+j]
				want = append(want, v)
				wantLoss += float64(k+1) * v * v
				wantGrad[r*4*U+k*U+j] = 2 * float64(k+1) * v
			}
		}
		got := graph.Float64s(must(e.Output(k)))
		compareAll(t, fmt.Sprintf("block %d", k), got, want, 0)
	}
	// Distinct blocks must hold distinct values (a merged node would
	// return block 0 for block 2).
	b0, b2 := graph.Float64s(must(e.Output(0))), graph.Float64s(must(e.Output(2)))
	if fmt.Sprint(b0) == fmt.Sprint(b2) {
		t.Fatal("blocks 0 and 2 hold the same values")
	}
	if got := must(e.Loss()); math.Abs(got-wantLoss) > 1e-12*wantLoss {
		t.Errorf("loss = %.15g, want %.15g", got, wantLoss)
	}
	compareAll(t, "dloss/dz", graph.Float64s(must(e.InputGrad(0))), wantGrad, 1e-12)
}

// TestSliceAndIndexAt256 takes Index and Slice at offsets that differ by
// 256 and 512 from one node.
func TestSliceAndIndexAt256(t *testing.T) {
	const B, N = 2, 520
	type piece struct{ start, end int } // end-start == 0 marks an Index
	pieces := []piece{
		{0, 0}, {1, 0}, {255, 0}, {256, 0}, {257, 0}, {511, 0}, {512, 0},
		{0, 8}, {256, 264}, {512, 520}, {200, 300}, {0, 44}, {256, 300},
	}
	b := must(graph.NewBuilder(graph.Float64, B))
	z := b.Input("z", B, N)
	var outs []*graph.Node
	var loss *graph.Node
	for j, p := range pieces {
		var n *graph.Node
		if p.end == 0 {
			n = b.Index(z, 1, p.start)
		} else {
			n = b.Slice(z, 1, p.start, p.end)
		}
		outs = append(outs, n)
		term := b.Scale(b.Sum(n), float64(j+1))
		if loss == nil {
			loss = term
		} else {
			loss = b.Add(loss, term)
		}
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	zv := seededTensor(2, B, N)
	zd := data64(zv)
	e := run(t, b, graph.Spec{Outputs: outs, Loss: loss, InputGrads: true}, zv)

	wantGrad := make([]float64, len(zd))
	wantLoss := 0.0
	for j, p := range pieces {
		lo, hi := p.start, p.end
		wantShape := []int{B, hi - lo}
		if hi == 0 {
			hi = lo + 1
			wantShape = []int{B}
		}
		if got := outs[j].Shape(); fmt.Sprint(got) != fmt.Sprint(wantShape) {
			t.Errorf("piece %v has shape %v, want %v", p, got, wantShape)
		}
		var want []float64
		for r := range B {
			for c := lo; c < hi; c++ {
				want = append(want, zd[r*N+c])
				wantGrad[r*N+c] += float64(j + 1)
				wantLoss += float64(j+1) * zd[r*N+c]
			}
		}
		compareAll(t, fmt.Sprintf("piece %v", p), graph.Float64s(must(e.Output(j))), want, 0)
	}
	if got := must(e.Loss()); math.Abs(got-wantLoss) > 1e-12*math.Max(1, math.Abs(wantLoss)) {
		t.Errorf("loss = %.15g, want %.15g", got, wantLoss)
	}
	compareAll(t, "dloss/dz", graph.Float64s(must(e.InputGrad(0))), wantGrad, 1e-12)
}

// TestStepsOfLongPlainSequence splits a plain [B, 300, F] input into steps
// (Index along time, t and t+256 from one node) and weights each step by
// t+1.
func TestStepsOfLongPlainSequence(t *testing.T) {
	const B, T, F = 2, 300, 3
	b := must(graph.NewBuilder(graph.Float64, B))
	x := b.Input("x", B, T, F)
	steps := b.Steps(x)
	if len(steps) != T {
		t.Fatalf("%d steps, want %d (err %v)", len(steps), T, b.Err())
	}
	var loss *graph.Node
	for s, st := range steps {
		term := b.Scale(b.Sum(st), float64(s+1))
		if loss == nil {
			loss = term
		} else {
			loss = b.Add(loss, term)
		}
	}
	stacked := b.Stack(steps)
	xv := seededTensor(3, B, T, F)
	e := run(t, b, graph.Spec{Outputs: []*graph.Node{stacked}, Loss: loss, InputGrads: true}, xv)

	xd := data64(xv)
	compareAll(t, "stacked steps", graph.Float64s(must(e.Output(0))), xd, 0)
	wantGrad := make([]float64, len(xd))
	wantLoss := 0.0
	for r := range B {
		for s := range T {
			for f := range F {
				i := (r*T+s)*F + f
				wantGrad[i] = float64(s + 1)
				wantLoss += float64(s+1) * xd[i]
			}
		}
	}
	if got := must(e.Loss()); math.Abs(got-wantLoss) > 1e-10*math.Max(1, math.Abs(wantLoss)) {
		t.Errorf("loss = %.15g, want %.15g", got, wantLoss)
	}
	compareAll(t, "dloss/dx", graph.Float64s(must(e.InputGrad(0))), wantGrad, 1e-12)
}

// TestLongSequenceInputStacked feeds long sequences (T=300 and more)
// through SequenceInput and elementwise ops, forces the joined [B, T, F]
// node with Reshape, reads steps 0 and 256 back out of it, and takes the
// mean of its square.
func TestLongSequenceInputStacked(t *testing.T) {
	for _, c := range []struct{ B, T, F int }{{2, 300, 3}, {1, 600, 1}, {3, 257, 2}} {
		t.Run(fmt.Sprintf("B%d_T%d_F%d", c.B, c.T, c.F), func(t *testing.T) {
			B, T, F := c.B, c.T, c.F
			b := must(graph.NewBuilder(graph.Float64, B))
			x := b.SequenceInput("x", B, T, F)
			y := b.Add(b.Tanh(b.Square(x)), b.Scale(x, 0.5)) // y = tanh(x²) + x/2
			flat := b.Reshape(y, B, T*F)
			first := b.Slice(flat, 1, 0, F)         // step 0
			later := b.Slice(flat, 1, 256*F, 257*F) // step 256
			whole := b.Reshape(flat, B, T, F)       // the joined sequence again
			loss := b.Mean(b.Square(whole))         // mean(y²)
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
			xv := seededTensor(4, B, T, F)
			e := run(t, b, graph.Spec{Outputs: []*graph.Node{flat, first, later}, Loss: loss, InputGrads: true}, xv)

			xd := data64(xv)
			n := float64(len(xd))
			wantY := make([]float64, len(xd))
			wantGrad := make([]float64, len(xd))
			wantLoss := 0.0
			for i, v := range xd {
				th := math.Tanh(v * v)
				yv := th + 0.5*v
				wantY[i] = yv
				wantLoss += yv * yv / n
				wantGrad[i] = 2 * yv * (2*v*(1-th*th) + 0.5) / n
			}
			compareAll(t, "y", graph.Float64s(must(e.Output(0))), wantY, 1e-14)
			var want0, want256 []float64
			for r := range B {
				want0 = append(want0, wantY[(r*T+0)*F:(r*T+1)*F]...)
				want256 = append(want256, wantY[(r*T+256)*F:(r*T+257)*F]...)
			}
			compareAll(t, "step 0", graph.Float64s(must(e.Output(1))), want0, 1e-14)
			compareAll(t, "step 256", graph.Float64s(must(e.Output(2))), want256, 1e-14)
			if got := must(e.Loss()); math.Abs(got-wantLoss) > 1e-12 {
				t.Errorf("loss = %.15g, want %.15g", got, wantLoss)
			}
			compareAll(t, "dloss/dx", graph.Float64s(must(e.InputGrad(0))), wantGrad, 1e-12)
		})
	}
}

// TestConcatGradientsAt256 joins pieces whose offsets differ by 256 (the
// gradient of a concat slices its output's gradient at those offsets).
func TestConcatGradientsAt256(t *testing.T) {
	const B = 2
	for _, widths := range [][]int{
		{256, 256},
		{128, 128, 128, 128},
		{1, 255, 1, 255, 1},
		{256, 256, 100},
		{100, 156, 100},
	} {
		t.Run(fmt.Sprint(widths), func(t *testing.T) {
			b := must(graph.NewBuilder(graph.Float64, B))
			var pieces []*graph.Node
			var vals []*graph.Tensor
			total := 0
			for i, w := range widths {
				pieces = append(pieces, b.Input(fmt.Sprintf("p%d", i), B, w))
				vals = append(vals, seededTensor(uint64(10+i), B, w))
				total += w
			}
			joined := b.Concat(1, pieces...)
			// loss = Σ_j (j+1)·joined[:, j]² so each column has its own weight.
			weights := make([]float64, B*total)
			for r := range B {
				for c := range total {
					weights[r*total+c] = float64(c + 1)
				}
			}
			wIn := b.Input("weights", B, total)
			loss := b.Sum(b.Mul(b.Square(joined), wIn))
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
			e := run(t, b, graph.Spec{Outputs: []*graph.Node{joined}, Loss: loss, InputGrads: true},
				append(vals, must(graph.FromFloat64s(graph.Float64, weights, B, total)))...)
			want := make([]float64, 0, B*total)
			for r := range B {
				for _, v := range vals {
					w := v.Shape()[1]
					want = append(want, data64(v)[r*w:(r+1)*w]...)
				}
			}
			compareAll(t, "joined", graph.Float64s(must(e.Output(0))), want, 0)
			off := 0
			for i, v := range vals {
				w := v.Shape()[1]
				d := data64(v)
				wantGrad := make([]float64, len(d))
				for r := range B {
					for c := range w {
						wantGrad[r*w+c] = 2 * float64(off+c+1) * d[r*w+c]
					}
				}
				compareAll(t, fmt.Sprintf("dloss/dp%d", i), graph.Float64s(must(e.InputGrad(i))), wantGrad, 1e-12)
				off += w
			}
		})
	}
}

// TestSliceOfWidthOneKeepsTheAxis: Gorgonia drops an axis sliced to width
// 1; Slice keeps it (Index drops it), below and above offset 255.
func TestSliceOfWidthOneKeepsTheAxis(t *testing.T) {
	b := must(graph.NewBuilder(graph.Float64, 2))
	z := b.Input("z", 2, 300)
	for _, start := range []int{0, 7, 299} {
		if got := b.Slice(z, 1, start, start+1).Shape(); !slices.Equal(got, []int{2, 1}) {
			t.Errorf("Slice(z, 1, %d, %d) has shape %v, want [2 1]", start, start+1, got)
		}
		if got := b.Index(z, 1, start).Shape(); !slices.Equal(got, []int{2}) {
			t.Errorf("Index(z, 1, %d) has shape %v, want [2]", start, got)
		}
	}
	if got := b.Slice(z, 0, 1, 2).Shape(); !slices.Equal(got, []int{1, 300}) {
		t.Errorf("Slice(z, 0, 1, 2) has shape %v, want [1 300]", got)
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestIndexOfSingleRow: indexing a [1, N] matrix gives a [1] node whose
// value is a vector (Gorgonia's value was a scalar, which later ops
// refused), and sums and gradients through it run.
func TestIndexOfSingleRow(t *testing.T) {
	b := must(graph.NewBuilder(graph.Float64, 1))
	z := b.Input("z", 1, 6)
	e := b.Index(z, 1, 3)
	if got := e.Shape(); !slices.Equal(got, []int{1}) {
		t.Fatalf("Index(z, 1, 3) of [1 6] has shape %v, want [1]", got)
	}
	loss := b.Sum(b.Square(e))
	p, err := b.Compile(graph.Spec{Outputs: []*graph.Node{e}, Loss: loss, InputGrads: true})
	if err != nil {
		t.Fatal(err)
	}
	ex := p.NewExecutor()
	x := must(graph.FromFloat64s(graph.Float64, []float64{0, 1, 2, 3, 4, 5}, 1, 6))
	for run := 0; run < 2; run++ {
		if err := ex.SetInput(0, x); err != nil {
			t.Fatal(err)
		}
		if err := ex.Run(); err != nil {
			t.Fatal(err)
		}
		l, err := ex.Loss()
		if err != nil || l != 9 {
			t.Errorf("loss %v, %v; want 9", l, err)
		}
		g, err := ex.InputGrad(0)
		if err != nil || !slices.Equal(graph.Float64s(g), []float64{0, 0, 0, 6, 0, 0}) {
			t.Errorf("input gradient %v, %v; want 6 at index 3", graph.Float64s(g), err)
		}
	}
}
