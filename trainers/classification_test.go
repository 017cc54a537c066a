package trainers_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// lossProgram compiles loss alone on inputs p (predictions) and y, with
// the gradient with respect to p, in dt.
func lossProgram(t *testing.T, dt graph.DType, loss trainers.Loss, pShape, yShape []int) (*graph.Executor, error) {
	t.Helper()
	b := must(graph.NewBuilder(dt, pShape[0]))
	p := b.Input("p", pShape...)
	y := b.Input("y", yShape...)
	l := loss.Func()(b, p, y)
	if err := b.Err(); err != nil {
		return nil, err
	}
	prog, err := b.Compile(graph.Spec{Loss: l, InputGrads: true})
	if err != nil {
		return nil, err
	}
	return prog.NewExecutor(), nil
}

// evalLoss returns the loss of predictions p against targets y and its
// gradient with respect to p.
func evalLoss(t *testing.T, dt graph.DType, loss trainers.Loss, pShape []int, p []float64, yShape []int, y []float64) (float64, []float64) {
	t.Helper()
	e, err := lossProgram(t, dt, loss, pShape, yShape)
	if err != nil {
		t.Fatalf("%v: %v", loss, err)
	}
	if err := e.SetInput(0, must(graph.FromFloat64s(dt, p, pShape...))); err != nil {
		t.Fatal(err)
	}
	if err := e.SetInput(1, must(graph.FromFloat64s(dt, y, yShape...))); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	return must(e.Loss()), graph.Float64s(must(e.InputGrad(0)))
}

func clip(p float64) float64 { return math.Min(math.Max(p, trainers.Epsilon), 1-trainers.Epsilon) }

// Reference formulas, in float64, written from Keras' definitions.
func bceProbRef(p, y []float64) float64 {
	s := 0.0
	for i := range p {
		q := clip(p[i])
		s += -(y[i]*math.Log(q) + (1-y[i])*math.Log(1-q))
	}
	return s / float64(len(p))
}

func bceLogitRef(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		s += math.Max(x[i], 0) - x[i]*y[i] + math.Log1p(math.Exp(-math.Abs(x[i])))
	}
	return s / float64(len(x))
}

func sceLogitRef(z []float64, c int, labels []float64) float64 {
	s := 0.0
	for r := range labels {
		row := z[r*c : (r+1)*c]
		m := slices.Max(row)
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(v - m)
		}
		s += m + math.Log(sum) - row[int(labels[r])]
	}
	return s / float64(len(labels))
}

func sceProbRef(p []float64, c int, labels []float64) float64 {
	s := 0.0
	for r := range labels {
		sum := 0.0
		for k := range c {
			sum += clip(p[r*c+k])
		}
		s += math.Log(sum) - math.Log(clip(p[r*c+int(labels[r])]))
	}
	return s / float64(len(labels))
}

func TestCrossEntropiesMatchFormulas(t *testing.T) {
	// Probabilities with 0 and 1 (clipped) and soft labels.
	p := []float64{0.9, 0.2, 0.6, 1, 0, 0.5}
	yb := []float64{1, 0, 0, 1, 1, 0.3}
	// Logits up to ±800: exp(800) overflows float64.
	x := []float64{2, -1, 0, 50, -50, 800}
	ybl := []float64{1, 0, 1, 0, 1, 0.5}
	// Three rows of four classes, one with logits in the thousands.
	z := []float64{1, 2, 3, 0.5, -1, 0, 0.3, 0.2, 1000, 998, 1001, 990}
	labels := []float64{2, 0, 3}
	// Softmax-like rows, one with a zero (clipped) probability.
	pc := []float64{0.1, 0.2, 0.6, 0.1, 0.7, 0.1, 0.1, 0.1, 0, 0.25, 0.25, 0.5}

	cases := []struct {
		name           string
		loss           trainers.Loss
		pShape, yShape []int
		p, y           []float64
		want           float64
	}{
		{"bce_prob", trainers.BinaryCrossentropy(false), []int{3, 2}, []int{3, 2}, p, yb, bceProbRef(p, yb)},
		{"bce_logits", trainers.BinaryCrossentropy(true), []int{3, 2}, []int{3, 2}, x, ybl, bceLogitRef(x, ybl)},
		{"sce_logits", trainers.SparseCategoricalCrossentropy(true), []int{3, 4}, []int{3, 1}, z, labels, sceLogitRef(z, 4, labels)},
		{"sce_logits_flat_labels", trainers.SparseCategoricalCrossentropy(true), []int{3, 4}, []int{3}, z, labels, sceLogitRef(z, 4, labels)},
		{"sce_prob", trainers.SparseCategoricalCrossentropy(false), []int{3, 4}, []int{3, 1}, pc, labels, sceProbRef(pc, 4, labels)},
		// Sequences: [batch 1, time 3, classes 4], labels [1, 3, 1].
		{"sce_logits_sequence", trainers.SparseCategoricalCrossentropy(true), []int{1, 3, 4}, []int{1, 3, 1}, z, labels, sceLogitRef(z, 4, labels)},
		{"sce_prob_sequence", trainers.SparseCategoricalCrossentropy(false), []int{1, 3, 4}, []int{1, 3}, pc, labels, sceProbRef(pc, 4, labels)},
	}
	for _, c := range cases {
		got, _ := evalLoss(t, graph.Float64, c.loss, c.pShape, c.p, c.yShape, c.y)
		if !closeTo(got, c.want, 1e-13) {
			t.Errorf("%s: loss %.17g, want %.17g", c.name, got, c.want)
		}
	}

	// A few values by hand.
	hand := []struct {
		name string
		loss trainers.Loss
		p, y []float64
		want float64
	}{
		{"bce(0.5)", trainers.BinaryCrossentropy(false), []float64{0.5}, []float64{1}, math.Ln2},
		{"bce(logit 0)", trainers.BinaryCrossentropy(true), []float64{0}, []float64{0}, math.Ln2},
		{"bce(1, y=0) clipped", trainers.BinaryCrossentropy(false), []float64{1}, []float64{0}, -math.Log(1e-7)},
		{"bce(logit 800, y=0)", trainers.BinaryCrossentropy(true), []float64{800}, []float64{0}, 800},
	}
	for _, c := range hand {
		got, _ := evalLoss(t, graph.Float64, c.loss, []int{1, 1}, c.p, []int{1, 1}, c.y)
		if !closeTo(got, c.want, 1e-9) {
			t.Errorf("%s: %.17g, want %.17g", c.name, got, c.want)
		}
	}
	// Uniform logits over 4 classes: log 4.
	got, _ := evalLoss(t, graph.Float64, trainers.SparseCategoricalCrossentropy(true), []int{1, 4}, []float64{3, 3, 3, 3}, []int{1, 1}, []float64{2})
	if !closeTo(got, math.Log(4), 1e-15) {
		t.Errorf("uniform logits: %.17g, want log 4", got)
	}

	// float32: the same to float32 rounding, and still finite for large
	// logits.
	for _, c := range cases {
		got, _ := evalLoss(t, graph.Float32, c.loss, c.pShape, c.p, c.yShape, c.y)
		if !closeTo(got, c.want, 1e-5) {
			t.Errorf("float32 %s: loss %.9g, want %.9g", c.name, got, c.want)
		}
	}
}

func TestCrossEntropyGradientsMatchFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	unif := func(n int, lo, hi float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = lo + (hi-lo)*r.Float64()
		}
		return v
	}
	// Probabilities inside (ε, 1-ε), where the clip has slope 1.
	probRows := func(rows, c int) []float64 {
		v := unif(rows*c, 0.05, 1)
		for i := range rows {
			s := 0.0
			for k := range c {
				s += v[i*c+k]
			}
			for k := range c {
				v[i*c+k] /= s
			}
		}
		return v
	}
	cases := []struct {
		name           string
		loss           trainers.Loss
		pShape, yShape []int
		p, y           []float64
	}{
		{"bce_prob", trainers.BinaryCrossentropy(false), []int{4, 3}, []int{4, 3}, unif(12, 0.02, 0.98), unif(12, 0, 1)},
		{"bce_logits", trainers.BinaryCrossentropy(true), []int{4, 3}, []int{4, 3}, unif(12, -6, 6), unif(12, 0, 1)},
		// Logits exactly 0 (a zero bias on dead relu units), where the
		// pieces of the stable form have kinks.
		{"bce_logits_at_0", trainers.BinaryCrossentropy(true), []int{3, 1}, []int{3, 1}, []float64{0, 0, 0}, []float64{1, 0, 0.25}},
		{"sce_logits", trainers.SparseCategoricalCrossentropy(true), []int{5, 4}, []int{5, 1}, unif(20, -5, 5), []float64{0, 3, 1, 2, 3}},
		{"sce_prob", trainers.SparseCategoricalCrossentropy(false), []int{5, 3}, []int{5}, probRows(5, 3), []float64{2, 0, 1, 1, 0}},
		{"sce_logits_sequence", trainers.SparseCategoricalCrossentropy(true), []int{2, 3, 5}, []int{2, 3, 1}, unif(30, -3, 3), []float64{4, 0, 2, 1, 3, 4}},
	}
	settings := &fd.Settings{Formula: fd.Central, Step: 1e-6}
	for _, c := range cases {
		_, grad := evalLoss(t, graph.Float64, c.loss, c.pShape, c.p, c.yShape, c.y)
		for i := range c.p {
			num := fd.Derivative(func(v float64) float64 {
				q := slices.Clone(c.p)
				q[i] = v
				l, _ := evalLoss(t, graph.Float64, c.loss, c.pShape, q, c.yShape, c.y)
				return l
			}, c.p[i], settings)
			if math.Abs(grad[i]-num) > 1e-6*math.Max(math.Abs(grad[i]), math.Abs(num))+1e-9 {
				t.Errorf("%s: d loss / d p[%d]: graph %.10g, finite difference %.10g", c.name, i, grad[i], num)
			}
		}
	}
}

// TestClassificationModelGradients checks parameter gradients through
// Dense(softmax) and SimpleRNN(relu) against finite differences, with the
// cross-entropies as the loss.
func TestClassificationModelGradients(t *testing.T) {
	cases := []struct {
		name string
		in   []int
		ls   func() []layers.Layer
		loss trainers.Loss
		y    func(n int) []float64
	}{
		{"rnn_relu_bce_logits", []int{4, 2}, func() []layers.Layer {
			return []layers.Layer{must(layers.NewSimpleRNN(3, &layers.SimpleRNNOptions{Activation: layers.ReLU})), must(layers.NewDense(1, nil))}
		}, trainers.BinaryCrossentropy(true), func(n int) []float64 { return []float64{1, 0, 1} }},
		{"dense_softmax_bce_prob", []int{3}, func() []layers.Layer {
			return []layers.Layer{must(layers.NewDense(4, &layers.DenseOptions{Activation: layers.Tanh})), must(layers.NewDense(3, &layers.DenseOptions{Activation: layers.Softmax}))}
		}, trainers.BinaryCrossentropy(false), func(n int) []float64 { return []float64{1, 0, 0, 0, 1, 0, 0, 0, 1} }},
	}
	settings := &fd.Settings{Formula: fd.Central, Step: 1e-6}
	for _, c := range cases {
		m := must(models.NewSequential(c.in, c.ls(), &models.Options{DType: graph.Float64, Seed: 11}))
		const batch = 3
		prog := must(m.Program(models.ProgramSpec{Batch: batch, Loss: c.loss.Func(), Grads: true}))
		e := prog.NewExecutor()
		r := rand.New(rand.NewPCG(5, 6))
		xs := make([]float64, batch)
		xs = xs[:0]
		n := batch
		for _, d := range c.in {
			n *= d
		}
		for range n {
			xs = append(xs, 2*r.Float64()-1)
		}
		if err := e.SetInput(0, must(graph.FromFloat64s(graph.Float64, xs, append([]int{batch}, c.in...)...))); err != nil {
			t.Fatal(err)
		}
		ys := c.y(batch)
		if err := e.SetInput(1, must(graph.FromFloat64s(graph.Float64, ys, append([]int{batch}, m.OutputShape()...)...))); err != nil {
			t.Fatal(err)
		}
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		grads := must(e.Grads(m.Params()))
		for pi, p := range m.Params() {
			data, ok := graph.Float64Data(p.Value())
			if !ok {
				t.Fatal("not float64")
			}
			g := graph.Float64s(grads[pi])
			for i := range data {
				orig := data[i]
				num := fd.Derivative(func(v float64) float64 {
					data[i] = v
					if err := e.Run(); err != nil {
						t.Fatal(err)
					}
					return must(e.Loss())
				}, orig, settings)
				data[i] = orig
				if math.Abs(g[i]-num) > 1e-6*math.Max(math.Abs(g[i]), math.Abs(num))+1e-9 {
					t.Errorf("%s: %s[%d]: graph %.10g, finite difference %.10g", c.name, p.Name(), i, g[i], num)
				}
			}
		}
	}
}

// separable returns n points in the plane labelled by which side of the
// line x0 + 0.5·x1 = 0.1 they lie on, away from it.
func separable(n int) (xs, labels []float64) {
	r := rand.New(rand.NewPCG(21, 22))
	for len(labels) < n {
		a, b := 4*r.Float64()-2, 4*r.Float64()-2
		d := a + 0.5*b - 0.1
		if math.Abs(d) < 0.2 {
			continue
		}
		xs = append(xs, a, b)
		if d > 0 {
			labels = append(labels, 1)
		} else {
			labels = append(labels, 0)
		}
	}
	return xs, labels
}

func TestFitBinaryClassifiers(t *testing.T) {
	xs, labels := separable(120)
	x := must(graph.FromFloat64s(graph.Float32, xs, 120, 2))
	y := must(graph.FromFloat64s(graph.Float32, labels, 120, 1))
	cases := []struct {
		name   string
		act    layers.Activation
		loss   trainers.Loss
		metric trainers.Metric
	}{
		{"sigmoid_probabilities", layers.Sigmoid, trainers.BinaryCrossentropy(false), trainers.MetricBinaryAccuracy},
		{"linear_logits", layers.Linear, trainers.BinaryCrossentropy(true), trainers.MetricBinaryAccuracyLogits},
	}
	for _, c := range cases {
		m := must(models.NewSequential([]int{2}, []layers.Layer{must(layers.NewDense(1, &layers.DenseOptions{Activation: c.act}))}, &models.Options{Seed: 1}))
		opt := must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.05}))
		hist, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
			Loss: c.loss, Optimizer: opt, Epochs: 60, BatchSize: 16, Seed: 1, ValidationSplit: 0.25, Metrics: []trainers.Metric{c.metric},
		})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		acc, vacc, loss := hist.Get("binary_accuracy"), hist.Get("val_binary_accuracy"), hist.Loss()
		if len(acc) != 60 || acc[59] < 0.97 || vacc[59] < 0.95 {
			t.Errorf("%s: accuracy %v, val %v after 60 epochs, want ≥ 0.97 and ≥ 0.95", c.name, acc[len(acc)-1], vacc[len(vacc)-1])
		}
		if !(loss[59] < 0.3*loss[0]) {
			t.Errorf("%s: loss %v → %v", c.name, loss[0], loss[59])
		}
	}
}

// TestFitLSTMBinaryClassifier trains LSTM → Dense(1) logits to tell
// rising from falling sequences.
func TestFitLSTMBinaryClassifier(t *testing.T) {
	const n, T = 64, 5
	r := rand.New(rand.NewPCG(31, 32))
	var xs, ys []float64
	for i := range n {
		slope := 0.1 + 0.3*r.Float64()
		if i%2 == 1 {
			slope = -slope
		}
		start := r.Float64() - 0.5
		for s := range T {
			xs = append(xs, start+slope*float64(s)+0.02*r.NormFloat64())
		}
		ys = append(ys, float64(1-i%2))
	}
	x := must(graph.FromFloat64s(graph.Float32, xs, n, T, 1))
	y := must(graph.FromFloat64s(graph.Float32, ys, n, 1))
	m := must(models.NewSequential([]int{T, 1}, []layers.Layer{must(layers.NewLSTM(8, nil)), must(layers.NewDense(1, nil))}, &models.Options{Seed: 2}))
	opt := must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.02}))
	hist, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{
		Loss: trainers.BinaryCrossentropy(true), Optimizer: opt, Epochs: 40, BatchSize: 16, Seed: 3,
		Metrics: []trainers.Metric{trainers.MetricBinaryAccuracyLogits},
	})
	if err != nil {
		t.Fatal(err)
	}
	if acc := hist.Get("binary_accuracy"); acc[len(acc)-1] < 0.95 {
		t.Errorf("LSTM classifier accuracy %v after 40 epochs, want ≥ 0.95", acc[len(acc)-1])
	}
}

func TestClassificationLossesThroughCheckpoints(t *testing.T) {
	dir := t.TempDir()
	for i, l := range []trainers.Loss{
		trainers.BinaryCrossentropy(false), trainers.BinaryCrossentropy(true),
		trainers.SparseCategoricalCrossentropy(false), trainers.SparseCategoricalCrossentropy(true),
	} {
		// A model whose output suits the loss: one unit for the binary
		// ones, softmax over 3 for the sparse ones.
		var d *layers.Dense
		if l.Name() == "binary_crossentropy" {
			d = must(layers.NewDense(1, &layers.DenseOptions{Activation: layers.Sigmoid}))
		} else {
			d = must(layers.NewDense(3, &layers.DenseOptions{Activation: layers.Softmax}))
		}
		r := must(layers.NewSimpleRNN(4, &layers.SimpleRNNOptions{Activation: layers.ReLU}))
		m := must(models.NewSequential([]int{3, 2}, []layers.Layer{r, d}, &models.Options{Seed: uint64(i + 1)}))
		tr := must(trainers.NewTrainer(m, l, must(trainers.NewAdam(nil))))
		path := filepath.Join(dir, "ckpt"+l.String()+".safetensors")
		if err := trainers.SaveCheckpoint(path, tr, 3); err != nil {
			t.Fatalf("%v: %v", l, err)
		}
		back, epoch, err := trainers.LoadCheckpoint(path)
		if err != nil {
			t.Fatalf("%v: %v", l, err)
		}
		got := back.Loss()
		if epoch != 3 || got.Name() != l.Name() || got.FromLogits() != l.FromLogits() || got.String() != l.String() {
			t.Errorf("%v: loaded loss %v (from_logits %v), epoch %d", l, got, got.FromLogits(), epoch)
		}
		// The loaded model keeps its activations and predicts the same.
		x := must(graph.FromFloat64s(graph.Float32, []float64{0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 1, 0.5, -1, 0, 0.2, 0.7}, 2, 3, 2))
		p1, p2 := graph.Float64s(must(m.Predict(x))), graph.Float64s(must(back.Model().Predict(x)))
		if !slices.Equal(p1, p2) {
			t.Errorf("%v: loaded model predicts %v, saved %v", l, p2, p1)
		}
		cfg := back.Model().Layers()
		if a := cfg[0].(*layers.SimpleRNN).Activation(); a != layers.ReLU {
			t.Errorf("%v: loaded SimpleRNN activation %v", l, a)
		}
		// Fit with the loaded trainer accepts the same loss and refuses
		// the other form.
		other := trainers.BinaryCrossentropy(!l.FromLogits())
		if l.Name() != "binary_crossentropy" {
			other = trainers.SparseCategoricalCrossentropy(!l.FromLogits())
		}
		_, err = back.Fit(context.Background(), x, must(graph.FromFloat64s(graph.Float32, make([]float64, 2*d.Units()), append([]int{2}, m.OutputShape()...)...)), trainers.FitOptions{Loss: other})
		if !errors.Is(err, graph.ErrArgument) || !strings.Contains(err.Error(), "from_logits") {
			t.Errorf("%v: Fit with %v: %v, want an ErrArgument naming from_logits", l, other, err)
		}
	}
}

func TestLossByNameClassification(t *testing.T) {
	for name, want := range map[string]string{
		"binary_crossentropy": "binary_crossentropy", "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
	} {
		l, err := trainers.LossByName(name)
		if err != nil || l.Name() != want || l.FromLogits() {
			t.Errorf("LossByName(%q) = %v (from_logits %v), %v", name, l, l.FromLogits(), err)
		}
	}
	if s := trainers.SparseCategoricalCrossentropy(true).String(); s != "sparse_categorical_crossentropy(from_logits=true)" {
		t.Errorf("String() = %q", s)
	}
}

func TestCrossEntropyShapeErrors(t *testing.T) {
	cases := []struct {
		name           string
		loss           trainers.Loss
		pShape, yShape []int
	}{
		{"bce_other_shape", trainers.BinaryCrossentropy(true), []int{2, 3}, []int{2, 1}},
		{"sce_one_hot_targets", trainers.SparseCategoricalCrossentropy(true), []int{2, 3}, []int{2, 3}},
		{"sce_no_class_axis", trainers.SparseCategoricalCrossentropy(false), []int{4}, []int{4}},
		{"sce_other_batch_shape", trainers.SparseCategoricalCrossentropy(true), []int{2, 4, 3}, []int{2, 3, 1}},
	}
	for _, c := range cases {
		_, err := lossProgram(t, graph.Float64, c.loss, c.pShape, c.yShape)
		if !errors.Is(err, graph.ErrShape) {
			t.Errorf("%s: error %v, want ErrShape", c.name, err)
		}
	}
}

func TestCheckTargets(t *testing.T) {
	sce, bce := trainers.SparseCategoricalCrossentropy(true), trainers.BinaryCrossentropy(false)
	if got := sce.TargetShape([]int{5, 3}); !slices.Equal(got, []int{5, 1}) {
		t.Errorf("sparse TargetShape([5 3]) = %v", got)
	}
	if got := bce.TargetShape([]int{3}); !slices.Equal(got, []int{3}) {
		t.Errorf("binary TargetShape([3]) = %v", got)
	}
	ten := func(v []float64, shape ...int) *graph.Tensor {
		return must(graph.FromFloat64s(graph.Float64, v, shape...))
	}
	ok := []struct {
		l   trainers.Loss
		y   *graph.Tensor
		out []int
	}{
		{sce, ten([]float64{0, 2, 1}, 3, 1), []int{3}},
		{bce, ten([]float64{0, 1, 0.25}, 3, 1), []int{1}},
		{trainers.MSE(), ten([]float64{-7, 9}, 2, 1), []int{1}},
	}
	for _, c := range ok {
		if err := c.l.CheckTargets(c.y, c.out); err != nil {
			t.Errorf("%v: %v", c.l, err)
		}
	}
	bad := []struct {
		name string
		l    trainers.Loss
		y    *graph.Tensor
		out  []int
		want error
		text string
	}{
		{"label_out_of_range", sce, ten([]float64{0, 3, 1}, 3, 1), []int{3}, graph.ErrArgument, "sample 1"},
		{"negative_label", sce, ten([]float64{-1, 0}, 2, 1), []int{3}, graph.ErrArgument, "sample 0"},
		{"non_integer_label", sce, ten([]float64{0, 1.5}, 2, 1), []int{3}, graph.ErrArgument, "whole number"},
		{"one_hot_for_sparse", sce, ten([]float64{0, 1, 0, 1, 0, 0}, 2, 3), []int{3}, graph.ErrShape, "[n [1]]"},
		{"bce_above_one", bce, ten([]float64{0, 2}, 2, 1), []int{1}, graph.ErrArgument, "outside [0, 1]"},
		{"bce_shape", bce, ten([]float64{0, 1}, 1, 2), []int{1}, graph.ErrShape, "shape"},
	}
	for _, c := range bad {
		err := c.l.CheckTargets(c.y, c.out)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v, want %v mentioning %q", c.name, err, c.want, c.text)
		}
	}
	if err := sce.CheckTargets(nil, []int{3}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("nil targets: %v", err)
	}
}

func TestAccuracyMetrics(t *testing.T) {
	// Dense(1) identity model: predictions are the inputs.
	m := identityModel(t, graph.Float64)
	x := must(graph.FromFloat64s(graph.Float64, []float64{0.7, 0.5, 0.2, -0.3, 0.51}, 5, 1))
	y := must(graph.FromFloat64s(graph.Float64, []float64{1, 1, 0, 0, 0}, 5, 1))
	tr := must(trainers.NewTrainer(m, trainers.BinaryCrossentropy(false), nil))
	// Threshold 0.5 (strictly above): right on 0.7, 0.2, -0.3; wrong on
	// 0.5 (not above) and 0.51.
	logs := must(tr.Evaluate(x, y, 2, trainers.MetricBinaryAccuracy))
	if got := logs["binary_accuracy"]; got != 0.6 {
		t.Errorf("binary_accuracy = %v, want 0.6", got)
	}
	// Threshold 0: right on 0.7, 0.5, -0.3.
	tl := must(trainers.NewTrainer(identityModel(t, graph.Float64), trainers.BinaryCrossentropy(true), nil))
	logs = must(tl.Evaluate(x, y, 0, trainers.MetricBinaryAccuracyLogits))
	if got := logs["binary_accuracy"]; got != 0.6 {
		t.Errorf("binary_accuracy from logits = %v, want 0.6", got)
	}
	if _, err := tl.Evaluate(x, y, 0, trainers.MetricBinaryAccuracy, trainers.MetricBinaryAccuracyLogits); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("both binary accuracies: %v, want ErrArgument", err)
	}
	for m, name := range map[trainers.Metric]string{
		trainers.MetricBinaryAccuracy: "binary_accuracy", trainers.MetricBinaryAccuracyLogits: "binary_accuracy",
		trainers.MetricSparseCategoricalAccuracy: "sparse_categorical_accuracy",
	} {
		if m.String() != name {
			t.Errorf("%d: String() = %q, want %q", int(m), m.String(), name)
		}
	}
}

// TestSparseCrossEntropyTrainsSoftmaxClassifier trains Dense(3, softmax)
// and Dense(3) logits on three separable clusters with each form of the
// sparse loss, through a graph of the model and the loss (labels [n, 1])
// and the optimizer, as TrainBatch does.
func TestSparseCrossEntropyTrainsSoftmaxClassifier(t *testing.T) {
	const n = 60
	r := rand.New(rand.NewPCG(41, 42))
	centers := [][2]float64{{1, 0}, {-0.5, 0.9}, {-0.5, -0.9}}
	var xs, labels []float64
	for i := range n {
		c := centers[i%3]
		xs = append(xs, c[0]+0.25*r.NormFloat64(), c[1]+0.25*r.NormFloat64())
		labels = append(labels, float64(i%3))
	}
	x := must(graph.FromFloat64s(graph.Float32, xs, n, 2))
	y := must(graph.FromFloat64s(graph.Float32, labels, n, 1))
	for _, logits := range []bool{false, true} {
		act := layers.Softmax
		if logits {
			act = layers.Linear
		}
		m := must(models.NewSequential([]int{2}, []layers.Layer{must(layers.NewDense(3, &layers.DenseOptions{Activation: act}))}, &models.Options{Seed: 4}))
		loss := trainers.SparseCategoricalCrossentropy(logits)
		if err := loss.CheckTargets(y, m.OutputShape()); err != nil {
			t.Fatal(err)
		}
		b := must(graph.NewBuilder(graph.Float32, n))
		pred := m.Forward(b, m.NewInput(b))
		l := loss.Func()(b, pred, b.Input("y", loss.TargetShape(append([]int{n}, m.OutputShape()...))...))
		prog := must(b.Compile(graph.Spec{Outputs: []*graph.Node{pred}, Loss: l, Grads: true}))
		e := prog.NewExecutor()
		opt := must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.1}))
		params := m.Params()
		var first, last float64
		for step := range 100 {
			if err := e.SetInput(0, x); err != nil {
				t.Fatal(err)
			}
			if err := e.SetInput(1, y); err != nil {
				t.Fatal(err)
			}
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			last = must(e.Loss())
			if step == 0 {
				first = last
			}
			if err := opt.Step(params, must(e.Grads(params))); err != nil {
				t.Fatal(err)
			}
		}
		p := graph.Float64s(must(m.Predict(x)))
		right := 0
		for i := range n {
			row := p[3*i : 3*i+3]
			if float64(slices.Index(row, slices.Max(row))) == labels[i] {
				right++
			}
		}
		if right < n-2 || !(last < 0.3*first) {
			t.Errorf("from_logits %v: %d of %d right, loss %v → %v", logits, right, n, first, last)
		}
	}
}

// TestFitSparseClassifier trains 3-class classifiers from sparse labels
// [n, 1] with Fit (probabilities and logits), and checks that a label out
// of range is a clear error.
func TestFitSparseClassifier(t *testing.T) {
	const n = 60
	r := rand.New(rand.NewPCG(41, 42))
	centers := [][2]float64{{1, 0}, {-0.5, 0.9}, {-0.5, -0.9}}
	var xs, labels []float64
	for i := range n {
		c := centers[i%3]
		xs = append(xs, c[0]+0.25*r.NormFloat64(), c[1]+0.25*r.NormFloat64())
		labels = append(labels, float64(i%3))
	}
	x := must(graph.FromFloat64s(graph.Float32, xs, n, 2))
	y := must(graph.FromFloat64s(graph.Float32, labels, n, 1))
	for _, logits := range []bool{false, true} {
		act := layers.Softmax
		if logits {
			act = layers.Linear
		}
		m := must(models.NewSequential([]int{2}, []layers.Layer{must(layers.NewDense(3, &layers.DenseOptions{Activation: act}))}, &models.Options{Seed: 4}))
		hist, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{Loss: trainers.SparseCategoricalCrossentropy(logits),
			Optimizer: must(trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.05})), Epochs: 30, BatchSize: 16, ValidationSplit: 0.25, Seed: 1,
			Metrics: []trainers.Metric{trainers.MetricSparseCategoricalAccuracy}})
		if err != nil {
			t.Fatal(err)
		}
		acc, vacc := hist.Get("sparse_categorical_accuracy"), hist.Get("val_sparse_categorical_accuracy")
		if acc[len(acc)-1] < 0.95 || vacc[len(vacc)-1] < 0.95 {
			t.Errorf("logits %v: accuracy %v val %v", logits, acc[len(acc)-1], vacc[len(vacc)-1])
		}
		tr := must(trainers.NewTrainer(m, trainers.SparseCategoricalCrossentropy(logits), nil))
		_, err = tr.Evaluate(must(graph.FromFloat64s(graph.Float32, []float64{1, 0, 0, 1}, 2, 2)), must(graph.FromFloat64s(graph.Float32, []float64{0, 3}, 2, 1)), 0)
		if !errors.Is(err, graph.ErrArgument) {
			t.Errorf("label 3 of 3 classes: %v", err)
		}
	}
}

// TestLoadCheckpointClassificationLossState: from_logits stored with a
// loss that has none, or a Huber delta with a cross-entropy, is an
// ErrCheckpoint error; a cross-entropy checkpoint without from_logits
// loads as the probability form.
func TestLoadCheckpointClassificationLossState(t *testing.T) {
	m, _, _ := checkpointModel(t)
	tr := must(trainers.NewTrainer(m, trainers.BinaryCrossentropy(true), must(trainers.NewAdam(nil))))
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := trainers.SaveCheckpoint(path, tr, 1); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		edit func(x *models.Extras)
		text string
	}{
		"from_logits_on_mse":     {editMeta(t, "loss", "mse"), "from_logits"},
		"from_logits_on_huber":   {editMeta(t, "loss", "huber"), "from_logits"},
		"delta_on_cross_entropy": {editMeta(t, "huber_delta", 0.5), "huber delta"},
	} {
		_, _, err := trainers.LoadCheckpoint(rewriteCheckpoint(t, path, c.edit))
		if !errors.Is(err, trainers.ErrCheckpoint) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: error %v, want ErrCheckpoint saying %q", name, err, c.text)
		}
	}
	back, _, err := trainers.LoadCheckpoint(rewriteCheckpoint(t, path, func(x *models.Extras) {
		editMeta(t, "from_logits", nil)(x)
		editMeta(t, "loss", "sparse_categorical_crossentropy")(x)
	}))
	if err != nil || back.Loss().Name() != "sparse_categorical_crossentropy" || back.Loss().FromLogits() {
		t.Errorf("without from_logits: %v, %v", back.Loss(), err)
	}
}
