package graph_test

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
)

// TestSequenceOps mixes a sequence kept as steps with whole-tensor
// operations: a product with a matrix and a bias on every step, a
// difference with a plain [B, T, K] input (which joins the steps), and
// sums along time and features. Values and gradients are compared with
// direct computation.
func TestSequenceOps(t *testing.T) {
	const B, T, F, K = 2, 4, 3, 2
	b := must(graph.NewBuilder(graph.Float64, B))
	x := b.SequenceInput("x", B, T, F)
	wp := must(graph.NewParam("w", graph.Float64, []int{F, K}, nil, nil))
	bp := must(graph.NewParam("bias", graph.Float64, []int{K}, nil, nil))
	must(0, wp.SetFloat64s(seeded(2, F*K)))
	must(0, bp.SetFloat64s(seeded(3, K)))
	w, bias := b.Param(wp), b.Param(bp)
	target := b.Input("target", B, T, K)
	z := b.Sigmoid(b.AddBias(b.MatMul(x, w), bias)) // [B, T, K], per step
	d := b.Sub(z, target)                           // joins z
	overTime := b.SumAxis(d, 1)                     // [B, K]
	overFeat := b.SumAxis(b.Square(z), 2)           // [B, T]
	loss := b.Add(b.Sum(b.Square(overTime)), b.Mean(overFeat))
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		node *graph.Node
		want []int
	}{{z, []int{B, T, K}}, {d, []int{B, T, K}}, {overTime, []int{B, K}}, {overFeat, []int{B, T}}} {
		if fmt.Sprint(n.node.Shape()) != fmt.Sprint(n.want) {
			t.Errorf("shape %v, want %v", n.node.Shape(), n.want)
		}
	}
	xv, tv := seededTensor(1, B, T, F), seededTensor(4, B, T, K)
	e := run(t, b, graph.Spec{Outputs: []*graph.Node{z, overTime, overFeat}, Loss: loss, Grads: true, InputGrads: true}, xv, tv)

	xd, td := data64(xv), data64(tv)
	wd, bd := seeded(2, F*K), seeded(3, K)
	zv := make([]float64, B*T*K)
	for s := range B {
		for ti := range T {
			for k := range K {
				v := bd[k]
				for f := range F {
					v += xd[(s*T+ti)*F+f] * wd[f*K+k]
				}
				zv[(s*T+ti)*K+k] = 1 / (1 + math.Exp(-v))
			}
		}
	}
	ot := make([]float64, B*K)
	of := make([]float64, B*T)
	for s := range B {
		for ti := range T {
			for k := range K {
				i := (s*T+ti)*K + k
				ot[s*K+k] += zv[i] - td[i]
				of[s*T+ti] += zv[i] * zv[i]
			}
		}
	}
	wantLoss := 0.0
	for _, v := range ot {
		wantLoss += v * v
	}
	for _, v := range of {
		wantLoss += v / float64(len(of))
	}
	compareAll(t, "z", graph.Float64s(must(e.Output(0))), zv, 1e-14)
	compareAll(t, "sum over time", graph.Float64s(must(e.Output(1))), ot, 1e-14)
	compareAll(t, "sum over features", graph.Float64s(must(e.Output(2))), of, 1e-14)
	if got := must(e.Loss()); math.Abs(got-wantLoss) > 1e-13 {
		t.Errorf("loss %.15g, want %.15g", got, wantLoss)
	}
	// dL/dz and dL/dtarget, then the chain through the sigmoid to x, w, bias.
	dz := make([]float64, len(zv))
	dt := make([]float64, len(zv))
	for s := range B {
		for ti := range T {
			for k := range K {
				i := (s*T+ti)*K + k
				dz[i] = 2*ot[s*K+k] + 2*zv[i]/float64(len(of))
				dt[i] = -2 * ot[s*K+k]
			}
		}
	}
	dx := make([]float64, len(xd))
	dw := make([]float64, len(wd))
	db := make([]float64, len(bd))
	for s := range B {
		for ti := range T {
			for k := range K {
				i := (s*T+ti)*K + k
				g := dz[i] * zv[i] * (1 - zv[i])
				db[k] += g
				for f := range F {
					dx[(s*T+ti)*F+f] += g * wd[f*K+k]
					dw[f*K+k] += g * xd[(s*T+ti)*F+f]
				}
			}
		}
	}
	compareAll(t, "dloss/dx", graph.Float64s(must(e.InputGrad(0))), dx, 1e-12)
	compareAll(t, "dloss/dtarget", graph.Float64s(must(e.InputGrad(1))), dt, 1e-12)
	grads := must(e.Grads([]*graph.Param{wp, bp}))
	compareAll(t, "dloss/dw", graph.Float64s(grads[0]), dw, 1e-12)
	compareAll(t, "dloss/dbias", graph.Float64s(grads[1]), db, 1e-12)
}

// TestExecutorsConcurrent runs one Program from many goroutines, each
// with its own executor and input; every result must equal the serial
// one. Run it with -race.
func TestExecutorsConcurrent(t *testing.T) {
	const B, T, F, U = 2, 6, 3, 4
	w := must(graph.NewParam("w", graph.Float64, []int{F, U}, graph.GlorotUniform(), graph.NewRNG(1)))
	r := must(graph.NewParam("r", graph.Float64, []int{U, U}, graph.Orthogonal(U, U), graph.NewRNG(2)))
	b := must(graph.NewBuilder(graph.Float64, B))
	x := b.SequenceInput("x", B, T, F)
	var h *graph.Node
	var hs []*graph.Node
	for _, xt := range b.Steps(x) {
		z := b.MatMul(xt, b.Param(w))
		if h != nil {
			z = b.Add(z, b.MatMul(h, b.Param(r)))
		}
		h = b.Tanh(z)
		hs = append(hs, h)
	}
	seqOut := b.Stack(hs)
	p, err := b.Compile(graph.Spec{Outputs: []*graph.Node{seqOut}, Loss: b.Mean(b.Square(seqOut)), Grads: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	inputs := make([]*graph.Tensor, n)
	serial := make([][]float64, n)
	serialGrads := make([][]float64, n)
	e := p.NewExecutor()
	for i := range inputs {
		inputs[i] = seededTensor(uint64(100+i), B, T, F)
		must(0, e.SetInput(0, inputs[i]))
		must(0, e.Run())
		serial[i] = graph.Float64s(must(e.Output(0)))
		serialGrads[i] = graph.Float64s(must(e.Grads([]*graph.Param{w, r}))[1])
	}
	var wg sync.WaitGroup
	errs := make(chan error, n*4)
	for g := range n * 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := g % n
			e := p.NewExecutor()
			for range 3 {
				if err := e.SetInput(0, inputs[i]); err != nil {
					errs <- err
					return
				}
				if err := e.Run(); err != nil {
					errs <- err
					return
				}
				out, err := e.Output(0)
				if err != nil {
					errs <- err
					return
				}
				grads, err := e.Grads([]*graph.Param{w, r})
				if err != nil {
					errs <- err
					return
				}
				if fmt.Sprint(graph.Float64s(out)) != fmt.Sprint(serial[i]) || fmt.Sprint(graph.Float64s(grads[1])) != fmt.Sprint(serialGrads[i]) {
					errs <- fmt.Errorf("goroutine %d: result differs from the serial run for input %d", g, i)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestBuildConcurrent builds, compiles and runs graphs of every kind of
// unary op (ReLU included, whose Gorgonia constructor numbers a group from
// an unsynchronized counter) on many goroutines at once; run with -race it
// fails if building is not safe, and each result must equal the serial
// one bit for bit.
func TestBuildConcurrent(t *testing.T) {
	const B, F = 3, 5
	build := func(seed uint64) ([]float64, error) {
		w, err := graph.NewParam("w", graph.Float64, []int{F, F}, graph.GlorotUniform(), graph.NewRNG(seed))
		if err != nil {
			return nil, err
		}
		b, err := graph.NewBuilder(graph.Float64, B)
		if err != nil {
			return nil, err
		}
		x := b.Input("x", B, F)
		h := x
		for range 8 {
			h = b.ReLU(b.MatMul(h, b.Param(w)))
			h = b.Add(b.Tanh(h), b.Sigmoid(h))
		}
		p, err := b.Compile(graph.Spec{Outputs: []*graph.Node{h}, Loss: b.Mean(b.Square(h)), Grads: true})
		if err != nil {
			return nil, err
		}
		e := p.NewExecutor()
		if err := e.SetInput(0, seededTensor(seed, B, F)); err != nil {
			return nil, err
		}
		if err := e.Run(); err != nil {
			return nil, err
		}
		out, err := e.Output(0)
		if err != nil {
			return nil, err
		}
		return graph.Float64s(out), nil
	}
	const n = 16
	want := make([][]float64, n)
	for i := range want {
		want[i] = must(build(uint64(i + 1)))
	}
	var wg sync.WaitGroup
	got := make([][]float64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = build(uint64(i + 1))
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for k := range want[i] {
			if math.Float64bits(got[i][k]) != math.Float64bits(want[i][k]) {
				t.Fatalf("graph %d value %d: %v concurrently, %v alone", i, k, got[i][k], want[i][k])
			}
		}
	}
}

// TestSequenceStepsCopied feeds a sequence kept as steps in both dtypes to
// programs of both dtypes, with one feature (the strided copy) and three,
// and reads a sequence of steps back: x + x, exact in either dtype, at
// every sample, step and feature.
func TestSequenceStepsCopied(t *testing.T) {
	const B, T = 3, 5
	for _, F := range []int{1, 3} {
		for _, prog := range []graph.DType{graph.Float32, graph.Float64} {
			for _, in := range []graph.DType{graph.Float32, graph.Float64} {
				b := must(graph.NewBuilder(prog, B))
				x := b.SequenceInput("x", B, T, F)
				y := b.Add(x, x)
				vals := make([]float64, B*T*F)
				for i := range vals {
					vals[i] = float64(i) - 7.25 // exact in float32
				}
				e := run(t, b, graph.Spec{Outputs: []*graph.Node{y}}, must(graph.FromFloat64s(in, vals, B, T, F)))
				out := must(e.Output(0))
				if fmt.Sprint(out.Shape()) != fmt.Sprint(graph.Shape{B, T, F}) {
					t.Fatalf("F %d, %v program, %v input: output shape %v", F, prog, in, out.Shape())
				}
				got := graph.Float64sView(out)
				for i, v := range vals {
					if got.At(i) != 2*v {
						t.Fatalf("F %d, %v program, %v input: element %d is %v, want %v", F, prog, in, i, got.At(i), 2*v)
					}
				}
			}
		}
	}
}
