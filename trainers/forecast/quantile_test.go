package forecast

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
)

func TestCheckQuantilesRefusesBadLevels(t *testing.T) {
	for _, q := range [][]float64{{0}, {1}, {-0.1}, {1.5}, {math.NaN()}, {math.Inf(1)}, {0.9, 0.1}, {0.5, 0.5}, {0.1, 0.5, 0.5, 0.9}} {
		if err := CheckQuantiles(q); !errors.Is(err, ErrArgument) {
			t.Errorf("%v: %v, want ErrArgument", q, err)
		}
	}
	if err := CheckQuantiles([]float64{0.05, 0.5, 0.95}); err != nil {
		t.Error(err)
	}
	for _, s := range []string{"0", "1", "NaN", "0.9,0.1", "0.5,0.5", "a", "0.1,", "-0.2"} {
		if q, err := ParseQuantiles(s); !errors.Is(err, ErrArgument) {
			t.Errorf("ParseQuantiles(%q) = %v, %v; want ErrArgument", s, q, err)
		}
	}
	if q, err := ParseQuantiles(" 0.1, 0.9 "); err != nil || !slices.Equal(q, []float64{0.1, 0.9}) {
		t.Errorf("ParseQuantiles: %v, %v", q, err)
	}
	if _, err := Fit(context.Background(), Series{Target: smallSeries()}, Settings{Horizon: 2, Quantiles: []float64{0.9, 0.1}}); !errors.Is(err, ErrArgument) {
		t.Errorf("Fit with unsorted quantiles: %v", err)
	}
	if _, err := PinballLoss(nil, 2); !errors.Is(err, ErrArgument) {
		t.Errorf("PinballLoss without levels: %v", err)
	}
	if _, err := PinballLoss([]float64{0.5}, 0); !errors.Is(err, ErrArgument) {
		t.Errorf("PinballLoss horizon 0: %v", err)
	}
}

func TestPinballAndCoverage(t *testing.T) {
	a, f := []float64{1, 2, 3}, []float64{2, 2, 2}
	// errors a−f = −1, 0, 1: (0.1·1 + 0 + 0.9·1)/3 at 0.9.
	if got, err := Pinball(a, f, 0.9); err != nil || math.Abs(got-1.0/3) > 1e-15 {
		t.Errorf("pinball 0.9 = %v, %v; want 1/3", got, err)
	}
	if got, _ := Pinball(a, f, 0.25); math.Abs(got-(0.75+0.25)/3) > 1e-15 {
		t.Errorf("pinball 0.25 = %v", got)
	}
	mae, _ := MAE(a, f)
	if got, _ := Pinball(a, f, 0.5); got != mae/2 {
		t.Errorf("pinball 0.5 = %v, want MAE/2 = %v", got, mae/2)
	}
	if _, err := Pinball(a, f, 1); !errors.Is(err, ErrArgument) {
		t.Errorf("level 1: %v", err)
	}
	if _, err := Pinball(a, f[:2], 0.5); !errors.Is(err, ErrData) {
		t.Errorf("lengths differ: %v", err)
	}
	c, err := Coverage([]float64{1, 2, 3, 4}, []float64{0, 2.5, 2, 4}, []float64{2, 3, 3, 5})
	if err != nil || c != 0.75 {
		t.Errorf("coverage %v, %v; want 0.75", c, err)
	}
	if _, err := Coverage([]float64{1}, []float64{2}, []float64{1}); !errors.Is(err, ErrData) {
		t.Errorf("crossed bounds: %v", err)
	}
	if _, err := Coverage([]float64{1}, []float64{math.NaN()}, []float64{1}); !errors.Is(err, ErrData) {
		t.Errorf("NaN bound: %v", err)
	}
}

// TestPinballLossGraph checks the symbolic loss against Pinball and its
// gradient (from gorgonia.Grad) against central finite differences.
func TestPinballLossGraph(t *testing.T) {
	levels, h, batch := []float64{0.1, 0.5, 0.9}, 2, 3
	n := len(levels) * h
	rng := graph.NewRNG(3)
	pred, y := make([]float64, batch*n), make([]float64, batch*n)
	for i := range pred {
		pred[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	lf, err := PinballLoss(levels, h)
	if err != nil {
		t.Fatal(err)
	}
	b, err := graph.NewBuilder(graph.Float64, batch)
	if err != nil {
		t.Fatal(err)
	}
	p, yn := b.Input("pred", batch, n), b.Input("y", batch, n)
	loss := lf(b, p, yn)
	prog, err := b.Compile(graph.Spec{Outputs: []*graph.Node{p}, Loss: loss, InputGrads: true})
	if err != nil {
		t.Fatal(err)
	}
	e := prog.NewExecutor()
	eval := func(pv []float64) float64 {
		pt, _ := graph.FromFloat64s(graph.Float64, pv, batch, n)
		yt, _ := graph.FromFloat64s(graph.Float64, y, batch, n)
		if err := e.SetInput(0, pt); err != nil {
			t.Fatal(err)
		}
		if err := e.SetInput(1, yt); err != nil {
			t.Fatal(err)
		}
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		l, err := e.Loss()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	got := eval(pred)
	var want float64
	for j, tau := range levels {
		var a, f []float64
		for i := range batch {
			a = append(a, y[i*n+j*h:i*n+(j+1)*h]...)
			f = append(f, pred[i*n+j*h:i*n+(j+1)*h]...)
		}
		pb, _ := Pinball(a, f, tau)
		want += pb / float64(len(levels))
	}
	if math.Abs(got-want) > 1e-12 {
		t.Fatalf("graph loss %v, Pinball %v", got, want)
	}
	g, err := e.InputGrad(0)
	if err != nil {
		t.Fatal(err)
	}
	grad := graph.Float64s(g)
	const eps = 1e-6
	for i := range pred {
		pp := slices.Clone(pred)
		pp[i] += eps
		up := eval(pp)
		pp[i] -= 2 * eps
		fd := (up - eval(pp)) / (2 * eps)
		if math.Abs(fd-grad[i]) > 1e-6 {
			t.Errorf("d loss / d pred[%d]: graph %v, finite differences %v", i, grad[i], fd)
		}
	}
}

// noisySeries is a seasonal series (period 4) with Gaussian noise of
// standard deviation 1.
func noisySeries(n int, seed uint64) []float64 {
	rng := graph.NewRNG(seed)
	y := make([]float64, n)
	for i := range y {
		y[i] = 10 + 3*math.Sin(2*math.Pi*float64(i)/4) + rng.NormFloat64()
	}
	return y
}

// TestQuantileCoverage fits 0.1 and 0.9 quantile networks on a noisy
// seasonal series and checks, by rolling origin over a long tail it never
// saw, that the 80 % interval covers about 80 % of the values, that the
// levels never cross, and that Save/Load keeps the intervals.
func TestQuantileCoverage(t *testing.T) {
	y := noisySeries(400, 7)
	cut := 240
	st := Settings{Season: 4, Horizon: 4, Windows: []int{8}, Units: []int{8}, MaxEpochs: 60, Patience: 10,
		Folds: 1, Ensemble: 1, Seed: 1, Quantiles: []float64{0.1, 0.9}}
	net, err := Fit(context.Background(), Series{Target: y[:cut]}, st)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(net.Quantiles(), st.Quantiles) || net.QuantileEpochs() < 1 {
		t.Fatalf("levels %v, epochs %d", net.Quantiles(), net.QuantileEpochs())
	}
	var actual, lo, hi []float64
	for o := cut; o+4 <= len(y); o += 4 {
		q, err := net.ForecastQuantiles(Series{Target: y[:o]})
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 2 || len(q[0]) != 4 {
			t.Fatalf("quantiles shaped %d×%d", len(q), len(q[0]))
		}
		actual = append(actual, y[o:o+4]...)
		lo = append(lo, q[0]...)
		hi = append(hi, q[1]...)
	}
	c, err := Coverage(actual, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	below := 0
	for i, a := range actual {
		if a < lo[i] {
			below++
		}
	}
	t.Logf("coverage %.3f of %d values (nominal 0.8), below the 0.1 quantile %.3f, quantile epochs %d", c, len(actual), float64(below)/float64(len(actual)), net.QuantileEpochs())
	if c < 0.68 || c > 0.92 {
		t.Errorf("80%% interval covers %.3f of %d values", c, len(actual))
	}
	if f := float64(below) / float64(len(actual)); f < 0.02 || f > 0.2 {
		t.Errorf("%.3f below the 0.1 quantile", f)
	}
	p := filepath.Join(t.TempDir(), "q.safetensors")
	if err := net.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := net.ForecastQuantiles(Series{Target: y[:cut]})
	got, err := back.ForecastQuantiles(Series{Target: y[:cut]})
	if err != nil || !slices.Equal(got[0], want[0]) || !slices.Equal(got[1], want[1]) || !slices.Equal(back.Quantiles(), st.Quantiles) {
		t.Errorf("loaded quantiles %v (%v), want %v", got, err, want)
	}
	// With 0.5 among the levels it is the point forecast: the quantiles
	// are centred on it.
	mid := st
	mid.Quantiles = []float64{0.25, 0.5, 0.75}
	mid.MaxEpochs = 5
	mn, err := Fit(context.Background(), Series{Target: y[:120]}, mid)
	if err != nil {
		t.Fatal(err)
	}
	q, err := mn.ForecastQuantiles(Series{Target: y[:120]})
	if err != nil {
		t.Fatal(err)
	}
	point, _ := mn.Forecast(Series{Target: y[:120]})
	for k := range point {
		if math.Abs(q[1][k]-point[k]) > 1e-9*math.Abs(point[k]) || q[0][k] > q[1][k] || q[1][k] > q[2][k] {
			t.Errorf("step %d: quantiles %v %v %v, point %v", k+1, q[0][k], q[1][k], q[2][k], point[k])
		}
	}
	plain := st
	plain.Quantiles = nil
	pn, err := Fit(context.Background(), Series{Target: y[:80]}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pn.ForecastQuantiles(Series{Target: y[:80]}); !errors.Is(err, ErrArgument) {
		t.Errorf("quantiles of a network without them: %v", err)
	}
}
