package forecast

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestReadLong(t *testing.T) {
	in := "id,t,v\nb,10,5\na,2,1.5\nb,9,4\na,1,1\nb,11,6\n"
	l, err := ReadLong(strings.NewReader(in), 0, "id", "t", "v")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.IDs, []string{"b", "a"}) || !slices.Equal(l.Series[0].Target, []float64{4, 5, 6}) ||
		!slices.Equal(l.Times[0], []string{"9", "10", "11"}) || !slices.Equal(l.Series[1].Target, []float64{1, 1.5}) {
		t.Errorf("ids %v, times %v, series %+v", l.IDs, l.Times, l.Series)
	}
	dates := "id;date;v\nx;2024-02;2\nx;2024-01;1\n"
	if l, err := ReadLong(strings.NewReader(dates), ';', "id", "date", "v"); err != nil || !slices.Equal(l.Series[0].Target, []float64{1, 2}) {
		t.Errorf("dates: %+v, %v", l, err)
	}
	for _, c := range []struct{ in, col string }{
		{"id,t,v\na,1,1\na,1,2\n", ""},
		{"id,t,v\na,1,x\n", ""},
		{"id,t,v\n,1,1\n", ""},
		{"id,t,v\na,1,1\n", "w"},
	} {
		col := "v"
		want := ErrData
		if c.col != "" {
			col, want = c.col, ErrArgument
		}
		if _, err := ReadLong(strings.NewReader(c.in), 0, "id", "t", col); !errors.Is(err, want) {
			t.Errorf("%q (value column %s): %v, want %v", c.in, col, err, want)
		}
	}
}

// relatedSeries returns three series of one seasonal shape (period 4) at
// very different levels and scales.
func relatedSeries(n int) []Series {
	var out []Series
	for k, level := range []float64{10, 1000, -5} {
		y := make([]float64, n)
		for i := range y {
			y[i] = level + float64(k+1)*(0.05*float64(i)+3*math.Sin(2*math.Pi*float64(i)/4)+0.3*math.Sin(float64(i*i+k)))
		}
		out = append(out, Series{Target: y})
	}
	return out
}

func TestFitGlobal(t *testing.T) {
	all := relatedSeries(40)
	train := make([]Series, len(all))
	for i, s := range all {
		train[i] = Series{Target: s.Target[:36]}
	}
	st := fast
	st.Ensemble = 2
	g, err := FitGlobal(context.Background(), train, st)
	if err != nil {
		t.Fatal(err)
	}
	if g.Series() != 3 || len(g.Candidates) != 2 || len(g.Models()) != 2 || g.Folds != 2 {
		t.Fatalf("%d series, candidates %+v, %d models, %d folds", g.Series(), g.Candidates, len(g.Models()), g.Folds)
	}
	for i, s := range train {
		f, err := g.Forecast(i, s)
		if err != nil {
			t.Fatal(err)
		}
		sn, _ := SeasonalNaive(4)(s.Target, 4)
		r, _ := RMSE(all[i].Target[36:], f)
		rs, _ := RMSE(all[i].Target[36:], sn)
		t.Logf("series %d: rmse %.4f, seasonal naive %.4f", i, r, rs)
		// Each series in its own units: the per-series scaling keeps the
		// level-1000 series from swamping the others.
		if r > 1.1*rs {
			t.Errorf("series %d: rmse %v, seasonal naive %v", i, r, rs)
		}
	}
	again, _ := FitGlobal(context.Background(), train, st)
	f1, _ := g.Forecast(1, train[1])
	f2, _ := again.Forecast(1, train[1])
	if !slices.Equal(f1, f2) {
		t.Errorf("same seed, different forecasts: %v, %v", f1, f2)
	}
	// One worker or three: the same networks (each seeded on its own).
	one := st
	one.Workers = 1
	three := st
	three.Workers = 3
	g1, err1 := FitGlobal(context.Background(), train, one)
	g3, err3 := FitGlobal(context.Background(), train, three)
	if err1 != nil || err3 != nil {
		t.Fatal(err1, err3)
	}
	f1, _ = g1.Forecast(2, train[2])
	f3, _ := g3.Forecast(2, train[2])
	if !slices.Equal(f1, f3) || g1.Name() != g3.Name() {
		t.Errorf("1 worker: %s %v; 3 workers: %s %v", g1.Name(), f1, g3.Name(), f3)
	}
	if _, err := g.Forecast(3, train[0]); !errors.Is(err, ErrArgument) {
		t.Errorf("series 3 of 3: %v", err)
	}
	ctx := context.Background()
	badQ := st
	badQ.Quantiles = []float64{0.9, 0.1}
	rec := st
	rec.Strategies = []Strategy{Recursive}
	withPast := make([]Series, len(train))
	for i, s := range train {
		withPast[i] = Series{Target: s.Target, Past: [][]float64{s.Target}}
	}
	// The recursive strategy: one step, fed back H times, for every series
	// in its own units.
	gr, err := FitGlobal(ctx, train, rec)
	if err != nil {
		t.Fatal(err)
	}
	if gr.Strategy != Recursive {
		t.Fatalf("recursive global: selected %+v", gr.Candidate)
	}
	for i, s := range train {
		f, err := gr.Forecast(i, s)
		if err != nil {
			t.Fatal(err)
		}
		sn, _ := SeasonalNaive(4)(s.Target, 4)
		r, _ := RMSE(all[i].Target[36:], f)
		rs, _ := RMSE(all[i].Target[36:], sn)
		if len(f) != 4 || r > 1.5*rs {
			t.Errorf("recursive global, series %d: forecast %v, rmse %v, seasonal naive %v", i, f, r, rs)
		}
	}
	mixed := slices.Clone(train)
	mixed[1] = Series{Target: train[1].Target, Past: [][]float64{train[1].Target}}
	for _, c := range []struct {
		name   string
		series []Series
		st     Settings
		want   error
	}{
		{"no series", nil, st, ErrData},
		{"unsorted quantiles", train, badQ, ErrArgument},
		{"recursive with past covariates", withPast, rec, ErrArgument},
		{"covariates differ", mixed, st, ErrData},
		{"too short", []Series{train[0], {Target: train[1].Target[:8]}}, st, ErrData},
		{"nan", []Series{{Target: []float64{1, math.NaN(), 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}}}, st, ErrData},
	} {
		if _, err := FitGlobal(ctx, c.series, c.st); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestFitGlobalQuantiles checks a global model's intervals: the levels
// asked for, [level][step] per series in its own units, centred on the
// point forecast (between the two levels at every step), and an error
// without quantiles.
func TestFitGlobalQuantiles(t *testing.T) {
	all := relatedSeries(40)
	train := make([]Series, len(all))
	for i, s := range all {
		train[i] = Series{Target: s.Target[:36]}
	}
	st := fast
	st.Quantiles = []float64{0.1, 0.9}
	g, err := FitGlobal(context.Background(), train, st)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Quantiles(), st.Quantiles) {
		t.Fatalf("quantiles %v", g.Quantiles())
	}
	var covered, n int
	for i, s := range train {
		q, err := g.ForecastQuantiles(i, s)
		if err != nil {
			t.Fatal(err)
		}
		point, _ := g.Forecast(i, s)
		if len(q) != 2 || len(q[0]) != 4 {
			t.Fatalf("series %d: %d levels of %d steps", i, len(q), len(q[0]))
		}
		for k := range point {
			if !(q[0][k] <= point[k] && point[k] <= q[1][k] && q[0][k] < q[1][k]) {
				t.Errorf("series %d, step %d: %v, point %v, %v", i, k+1, q[0][k], point[k], q[1][k])
			}
			a := all[i].Target[36+k]
			if q[0][k] <= a && a <= q[1][k] {
				covered++
			}
			n++
		}
	}
	t.Logf("0.1-0.9 covers %d of %d held-out values", covered, n)
	if covered == 0 {
		t.Errorf("the intervals cover none of the %d held-out values", n)
	}
	plain, err := FitGlobal(context.Background(), train, fast)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.ForecastQuantiles(0, train[0]); !errors.Is(err, ErrArgument) {
		t.Errorf("without quantiles: %v", err)
	}
	if _, err := g.ForecastQuantiles(3, train[0]); !errors.Is(err, ErrArgument) {
		t.Errorf("series 3 of 3: %v", err)
	}
}
