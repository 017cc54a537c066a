package models_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// Gradient checks: every parameter gradient and the input gradient that
// a compiled float64 Program reports are compared with central finite
// differences of its loss (gonum's diff/fd).

const (
	gradRelTol = 1e-6  // relative tolerance
	gradAbsTol = 1e-9  // floor for gradients that are (close to) zero
	fdStep     = 1e-5  // central-difference step
	fdMaxCoord = 20    // coordinates checked per tensor larger than this
	gradSeed   = 20240 // model seed
)

// gradClose reports whether an analytic gradient matches a numerical one.
func gradClose(analytic, numeric float64) bool {
	return math.Abs(analytic-numeric) <= gradRelTol*math.Max(math.Abs(analytic), math.Abs(numeric))+gradAbsTol
}

// coords returns the flat indices to check in a tensor of n values: all of
// them when n is small, else a seeded random subset of fdMaxCoord.
func coords(n int, r *rand.Rand) []int {
	if n <= fdMaxCoord*2 {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	return r.Perm(n)[:fdMaxCoord]
}

// mismatch is one coordinate where the gradients disagree.
type mismatch struct {
	what              string
	index             int
	analytic, numeric float64
}

func (m mismatch) String() string {
	return fmt.Sprintf("%s[%d]: analytic %.10g, finite difference %.10g", m.what, m.index, m.analytic, m.numeric)
}

// checkGradients compiles m with an MSE loss for the given batch, runs it
// on seeded data and returns every coordinate where the reported gradient
// of a parameter or of the input disagrees with central differences,
// together with the number of coordinates checked.
func checkGradients(t *testing.T, m *models.Model, batch int, dataSeed uint64) (bad []mismatch, checked int) {
	t.Helper()
	prog := must(m.Program(models.ProgramSpec{Batch: batch, Loss: mse, Grads: true, InputGrads: true}))
	e := prog.NewExecutor()
	x := uniformTensor(dataSeed, append([]int{batch}, m.InputShape()...)...)
	y := uniformTensor(dataSeed+1, append([]int{batch}, m.OutputShape()...)...)
	if err := e.SetInput(0, x); err != nil {
		t.Fatal(err)
	}
	if err := e.SetInput(1, y); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	params := m.Params()
	grads := must(e.Grads(params))
	inGrad := must(e.InputGrad(0))
	if got, want := []int(inGrad.Shape()), []int(x.Shape()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("input gradient has shape %v, want %v", got, want)
	}
	loss := func() float64 {
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		return must(e.Loss())
	}
	settings := &fd.Settings{Formula: fd.Central, Step: fdStep}
	r := rand.New(rand.NewPCG(dataSeed, 99))

	// Parameters: perturb the shared weight tensor in place; the program
	// binds it directly (block views included).
	for pi, p := range params {
		data := data64(p.Value())
		g := graph.Float64s(grads[pi])
		if len(g) != len(data) {
			t.Fatalf("%s: gradient has %d values, want %d", p.Name(), len(g), len(data))
		}
		for _, i := range coords(len(data), r) {
			orig := data[i]
			num := fd.Derivative(func(v float64) float64 {
				data[i] = v
				return loss()
			}, orig, settings)
			data[i] = orig
			checked++
			if !gradClose(g[i], num) {
				bad = append(bad, mismatch{p.Name(), i, g[i], num})
			}
		}
	}

	// The input: perturb a copy of x and feed it again.
	xd := data64(x)
	g := graph.Float64s(inGrad)
	for _, i := range coords(len(xd), r) {
		orig := xd[i]
		num := fd.Derivative(func(v float64) float64 {
			xd[i] = v
			if err := e.SetInput(0, x); err != nil {
				t.Fatal(err)
			}
			return loss()
		}, orig, settings)
		xd[i] = orig
		checked++
		if !gradClose(g[i], num) {
			bad = append(bad, mismatch{"x", i, g[i], num})
		}
	}
	if err := e.SetInput(0, x); err != nil {
		t.Fatal(err)
	}
	return bad, checked
}

type gradCase struct {
	name  string
	in    []int // sample shape
	batch int
	make  func() ([]layers.Layer, error)
}

// chainLayers collects constructor results, stopping at the first error.
func chainLayers(ls ...func() (layers.Layer, error)) func() ([]layers.Layer, error) {
	return func() ([]layers.Layer, error) {
		out := make([]layers.Layer, len(ls))
		for i, f := range ls {
			l, err := f()
			if err != nil {
				return nil, err
			}
			out[i] = l
		}
		return out, nil
	}
}

func dense(u int, opts *layers.DenseOptions) func() (layers.Layer, error) {
	return func() (layers.Layer, error) { return layers.NewDense(u, opts) }
}

func simpleRNN(u int, opts *layers.SimpleRNNOptions) func() (layers.Layer, error) {
	return func() (layers.Layer, error) { return layers.NewSimpleRNN(u, opts) }
}

func lstm(u int, opts *layers.LSTMOptions) func() (layers.Layer, error) {
	return func() (layers.Layer, error) { return layers.NewLSTM(u, opts) }
}

func gru(u int, opts *layers.GRUOptions) func() (layers.Layer, error) {
	return func() (layers.Layer, error) { return layers.NewGRU(u, opts) }
}

func gradCases() []gradCase {
	var cs []gradCase
	for _, batch := range []int{1, 3} {
		b := fmt.Sprintf("_B%d", batch)
		cs = append(cs,
			gradCase{"Dense_flat" + b, []int{5}, batch, chainLayers(dense(4, &layers.DenseOptions{Activation: layers.Tanh}), dense(2, nil))},
			gradCase{"Dense_sigmoid_relu" + b, []int{3}, batch, chainLayers(dense(4, &layers.DenseOptions{Activation: layers.Sigmoid}), dense(3, &layers.DenseOptions{Activation: layers.ReLU}), dense(1, nil))},
			gradCase{"Dense_on_sequence" + b, []int{4, 3}, batch, chainLayers(dense(2, &layers.DenseOptions{Activation: layers.Tanh}))},
		)
		for _, rs := range []bool{false, true} {
			s := fmt.Sprintf("_seq%v%s", rs, b)
			cs = append(cs,
				gradCase{"SimpleRNN" + s, []int{4, 3}, batch, chainLayers(simpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: rs}))},
				gradCase{"LSTM" + s, []int{4, 3}, batch, chainLayers(lstm(3, &layers.LSTMOptions{ReturnSequences: rs}))},
				gradCase{"LSTM_no_unit_forget_bias" + s, []int{3, 2}, batch, chainLayers(lstm(2, &layers.LSTMOptions{ReturnSequences: rs, NoUnitForgetBias: true}))},
				gradCase{"GRU" + s, []int{4, 3}, batch, chainLayers(gru(3, &layers.GRUOptions{ReturnSequences: rs}))},
				// A single step takes the zero-initial-state path.
				gradCase{"SimpleRNN_T1" + s, []int{1, 2}, batch, chainLayers(simpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: rs}))},
				gradCase{"LSTM_T1" + s, []int{1, 2}, batch, chainLayers(lstm(2, &layers.LSTMOptions{ReturnSequences: rs}))},
				gradCase{"GRU_T1" + s, []int{1, 2}, batch, chainLayers(gru(2, &layers.GRUOptions{ReturnSequences: rs}))},
			)
		}
		cs = append(cs,
			gradCase{"Stacked_LSTM_GRU_SimpleRNN_Dense" + b, []int{4, 2}, batch,
				chainLayers(lstm(3, &layers.LSTMOptions{ReturnSequences: true}), gru(3, &layers.GRUOptions{ReturnSequences: true}), simpleRNN(3, nil), dense(2, nil))},
			gradCase{"Stacked_seq_to_seq_Dense" + b, []int{3, 2}, batch,
				chainLayers(gru(3, &layers.GRUOptions{ReturnSequences: true}), lstm(2, &layers.LSTMOptions{ReturnSequences: true}), dense(1, nil))},
		)
	}
	// Issue 13's vocabulary: both directions, backwards, no bias.
	bidi := func(mode layers.MergeMode, inner func() (layers.Layer, error)) func() (layers.Layer, error) {
		return func() (layers.Layer, error) { return layers.NewBidirectional(must(inner()), mode, nil) }
	}
	for _, mode := range []layers.MergeMode{layers.MergeConcat, layers.MergeSum, layers.MergeMul, layers.MergeAve} {
		cs = append(cs,
			gradCase{"Bidirectional_GRU_" + string(mode) + "_seq_B2", []int{4, 2}, 2, chainLayers(bidi(mode, gru(3, &layers.GRUOptions{ReturnSequences: true})), dense(1, nil))},
			gradCase{"Bidirectional_LSTM_" + string(mode) + "_last_B2", []int{3, 2}, 2, chainLayers(bidi(mode, lstm(2, nil)), dense(2, nil))},
		)
	}
	cs = append(cs,
		gradCase{"SimpleRNN_relu_backwards_seq_B2", []int{4, 2}, 2, chainLayers(simpleRNN(3, &layers.SimpleRNNOptions{ReturnSequences: true, GoBackwards: true, Activation: layers.ReLU}))},
		gradCase{"LSTM_backwards_no_bias_B2", []int{4, 2}, 2, chainLayers(lstm(3, &layers.LSTMOptions{GoBackwards: true, NoBias: true}), dense(1, &layers.DenseOptions{NoBias: true}))},
		gradCase{"GRU_no_bias_seq_B2", []int{4, 2}, 2, chainLayers(gru(3, &layers.GRUOptions{ReturnSequences: true, NoBias: true}))},
	)
	// U=128: every gate is a 128-wide block, where Gorgonia's slice-merge
	// bug would make gates collapse if they were slices of one product.
	cs = append(cs,
		gradCase{"LSTM_U128_seq_B2", []int{3, 2}, 2, chainLayers(lstm(128, &layers.LSTMOptions{ReturnSequences: true}))},
		gradCase{"LSTM_U128_last_Dense_B2", []int{3, 2}, 2, chainLayers(lstm(128, nil), dense(1, nil))},
		gradCase{"GRU_U128_seq_B2", []int{3, 2}, 2, chainLayers(gru(128, &layers.GRUOptions{ReturnSequences: true}))},
		gradCase{"GRU_U128_last_Dense_B2", []int{3, 2}, 2, chainLayers(gru(128, nil), dense(1, nil))},
		// T>256: steps t and t+256 must stay distinct.
		gradCase{"SimpleRNN_T300_last_B2", []int{300, 2}, 2, chainLayers(simpleRNN(3, nil), dense(1, nil))},
	)
	return cs
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for i, c := range gradCases() {
		t.Run(c.name, func(t *testing.T) {
			ls := must(c.make())
			m := must(models.NewSequential(c.in, ls, &models.Options{DType: graph.Float64, Seed: gradSeed + uint64(i)}))
			bad, checked := checkGradients(t, m, c.batch, uint64(1000+i))
			if checked == 0 {
				t.Fatal("no coordinate checked")
			}
			for k, b := range bad {
				if k == 10 {
					t.Errorf("... %d mismatches in all", len(bad))
					break
				}
				t.Error(b)
			}
		})
	}
}

// TestGradientCheckDetectsWrongGradient makes sure the check above can
// fail: with one weight's gradient flipped in sign, or a loss whose
// gradient the program does not follow, the comparison must object.
func TestGradientCheckDetectsWrongGradient(t *testing.T) {
	if gradClose(0.5, 0.5*(1+1e-4)) || gradClose(1e-3, -1e-3) || !gradClose(0.25, 0.25*(1+1e-9)) {
		t.Fatal("gradClose accepts a wrong gradient or rejects a right one")
	}
	// A model whose parameters change between the analytic and the
	// numerical evaluation must be caught: compute gradients at one point
	// and compare with finite differences at another.
	ls := must(chainLayers(lstm(3, nil))())
	m := must(models.NewSequential([]int{3, 2}, ls, &models.Options{DType: graph.Float64, Seed: 3}))
	prog := must(m.Program(models.ProgramSpec{Batch: 2, Loss: mse, Grads: true}))
	e := prog.NewExecutor()
	if err := e.SetInput(0, uniformTensor(1, 2, 3, 2)); err != nil {
		t.Fatal(err)
	}
	if err := e.SetInput(1, uniformTensor(2, 2, 3)); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	p := m.Params()[0]
	g := graph.Float64s(must(e.Grads([]*graph.Param{p}))[0])
	data := data64(p.Value())
	for i := range data {
		data[i] += 0.5 // move away from where g was computed
	}
	num := fd.Derivative(func(v float64) float64 {
		old := data[0]
		data[0] = v
		defer func() { data[0] = old }()
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		return must(e.Loss())
	}, data[0], &fd.Settings{Formula: fd.Central, Step: fdStep})
	if gradClose(g[0], num) {
		t.Fatalf("gradient at the old point %g accepted as the derivative at a new point %g", g[0], num)
	}
}

// TestDropoutGradientsMatchFiniteDifferences: in a training program with
// its dropout masks drawn once and held fixed, the gradients Grad gives
// (through Dropout and an LSTM's dropout and recurrent dropout) match
// central differences of the loss.
func TestDropoutGradientsMatchFiniteDifferences(t *testing.T) {
	ls := must(chainLayers(lstm(3, &layers.LSTMOptions{ReturnSequences: true, Dropout: 0.3, RecurrentDropout: 0.4}),
		func() (layers.Layer, error) { return layers.NewDropout(0.5, nil) }, dense(1, nil))())
	m := must(models.NewSequential([]int{4, 2}, ls, &models.Options{DType: graph.Float64, Seed: gradSeed}))
	noise := layers.NewNoise()
	prog := must(m.Program(models.ProgramSpec{Batch: 3, Loss: mse, Grads: true, Noise: noise}))
	e := prog.NewExecutor()
	must(0, e.SetInput(0, uniformTensor(7, 3, 4, 2)))
	must(0, e.SetInput(1, uniformTensor(8, 3, 4, 1)))
	ins := noise.Inputs()
	if len(ins) != 3 {
		t.Fatalf("%d dropout masks, want 3", len(ins))
	}
	rng := graph.NewRNG(5)
	for k, in := range ins {
		n := 1
		for _, d := range in.Shape {
			n *= d
		}
		v := make([]float64, n)
		layers.Fill(v, in.Rate, rng)
		must(0, e.SetInput(prog.NumInputs()-len(ins)+k, must(graph.FromFloat64s(graph.Float64, v, in.Shape...))))
	}
	must(0, e.Run())
	params := m.Params()
	grads := must(e.Grads(params))
	loss := func() float64 {
		must(0, e.Run())
		return must(e.Loss())
	}
	settings := &fd.Settings{Formula: fd.Central, Step: fdStep}
	r := rand.New(rand.NewPCG(3, 99))
	checked := 0
	for pi, p := range params {
		data, _ := graph.Float64Data(p.Value())
		g := graph.Float64s(grads[pi])
		for _, i := range coords(len(data), r) {
			orig := data[i]
			num := fd.Derivative(func(v float64) float64 { data[i] = v; return loss() }, orig, settings)
			data[i] = orig
			checked++
			if !gradClose(g[i], num) {
				t.Errorf("%s[%d]: analytic %.10g, finite difference %.10g", p.Name(), i, g[i], num)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no coordinate checked")
	}
}
