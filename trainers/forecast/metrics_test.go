package forecast

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// benchSeries are the shared series: file, target column, season, horizon.
var benchSeries = []struct {
	name, column string
	season, h    int
}{
	{"wineind", "value", 12, 24},
	{"woolyrnq", "value", 4, 8},
	{"gas", "value", 12, 24},
	{"ldeaths", "value", 12, 24},
	{"johnsonjohnson", "value", 4, 8},
	{"wwwusage", "value", 1, 10},
	{"bjsales", "sales", 1, 10},
	{"taylor", "value", 336, 336},
}

func loadTestSeries(t testing.TB, name, column string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := ReadCSV(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	y, err := tab.Column(column)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// rScore is one row of baselines.csv with the text of each figure, so the
// comparison is to the printed precision.
type rScore struct {
	h                      int
	rmse, mae, smape, mase string
}

func loadBaselines(t testing.TB) map[string]map[string]rScore {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "baselines.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]rScore{}
	for _, r := range recs[1:] {
		h, err := strconv.Atoi(r[1])
		if err != nil {
			t.Fatal(err)
		}
		if out[r[0]] == nil {
			out[r[0]] = map[string]rScore{}
		}
		out[r[0]][r[2]] = rScore{h, r[3], r[4], r[5], r[6]}
	}
	return out
}

// matchPrinted reports whether got rounds to the printed figure want.
func matchPrinted(got float64, want string) bool {
	dec := 0
	if i := strings.IndexByte(want, '.'); i >= 0 {
		dec = len(want) - i - 1
	}
	w, err := strconv.ParseFloat(want, 64)
	if err != nil {
		return false
	}
	return math.Abs(got-w) <= 0.5*math.Pow(10, -float64(dec))*(1+1e-9)
}

// TestBaselinesMatchR reproduces R forecast 8.20's naive and snaive scores
// (baselines.csv, written by make.R) on every shared series.
func TestBaselinesMatchR(t *testing.T) {
	ref := loadBaselines(t)
	for _, s := range benchSeries {
		y := loadTestSeries(t, s.name, s.column)
		train, test := y[:len(y)-s.h], y[len(y)-s.h:]
		methods := map[string]Method{"naive": Naive, "snaive": SeasonalNaive(s.season)}
		for name, m := range methods {
			want, ok := ref[s.name][name]
			if !ok {
				t.Fatalf("%s: no %s row in baselines.csv", s.name, name)
			}
			if want.h != s.h {
				t.Fatalf("%s: horizon %d in baselines.csv, %d here", s.name, want.h, s.h)
			}
			f, err := m(train, s.h)
			if err != nil {
				t.Fatalf("%s %s: %v", s.name, name, err)
			}
			sc, err := Score(test, f, train, s.season)
			if err != nil {
				t.Fatalf("%s %s: %v", s.name, name, err)
			}
			for _, c := range []struct {
				what string
				got  float64
				want string
			}{{"rmse", sc.RMSE, want.rmse}, {"mae", sc.MAE, want.mae}, {"smape", sc.SMAPE, want.smape}, {"mase", sc.MASE, want.mase}} {
				if !matchPrinted(c.got, c.want) {
					t.Errorf("%s %s %s = %.6f, R prints %s", s.name, name, c.what, c.got, c.want)
				}
			}
		}
	}
}

// TestMatchPrintedCanFail keeps the comparison honest.
func TestMatchPrintedCanFail(t *testing.T) {
	if !matchPrinted(2326.60964, "2326.6096") || matchPrinted(2326.6097, "2326.6096") || matchPrinted(7.2326, "7.232") {
		t.Fatal("matchPrinted does not compare to the printed precision")
	}
}

func TestMetricsByHand(t *testing.T) {
	a := []float64{1, 2, 4}
	f := []float64{2, 2, 2}
	tests := []struct {
		name string
		fn   func(a, f []float64) (float64, error)
		want float64
	}{
		{"mae", MAE, 1},
		{"rmse", RMSE, math.Sqrt(5.0 / 3)},
		{"mape", MAPE, 100 * (1 + 0 + 0.5) / 3},
		{"smape", SMAPE, (200.0/3 + 0 + 200.0*2/6) / 3},
	}
	for _, tc := range tests {
		got, err := tc.fn(a, f)
		if err != nil || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	// scale: |3-1|, |5-2| at lag 2 → 2.5
	got, err := MASE(a, f, []float64{1, 2, 3, 5}, 2)
	if err != nil || math.Abs(got-1/2.5) > 1e-12 {
		t.Errorf("mase = %v, %v; want 0.4", got, err)
	}
}

func TestMetricErrors(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"empty", second(MAE(nil, nil)), ErrData},
		{"lengths", second(RMSE([]float64{1}, []float64{1, 2})), ErrData},
		{"nan actual", second(SMAPE([]float64{nan}, []float64{1})), ErrData},
		{"inf forecast", second(MAE([]float64{1}, []float64{math.Inf(1)})), ErrData},
		{"mape zero", second(MAPE([]float64{0}, []float64{1})), ErrData},
		{"mase season 0", second(MASE([]float64{1}, []float64{1}, []float64{1, 2}, 0)), ErrArgument},
		{"mase short", second(MASE([]float64{1}, []float64{1}, []float64{1, 2}, 2)), ErrData},
		{"mase flat", second(MASE([]float64{1}, []float64{1}, []float64{3, 3, 3}, 1)), ErrData},
		{"naive empty", second(Naive(nil, 3)), ErrData},
		{"naive h 0", second(Naive([]float64{1}, 0)), ErrArgument},
		{"snaive short", second(SeasonalNaive(4)([]float64{1, 2, 3}, 2)), ErrData},
		{"snaive season 0", second(SeasonalNaive(0)([]float64{1, 2, 3}, 2)), ErrArgument},
		{"drift one", second(Drift([]float64{1}, 2)), ErrData},
		{"mean nan", second(Mean([]float64{1, nan}, 2)), ErrData},
		{"mean h -1", second(Mean([]float64{1}, -1)), ErrArgument},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: error %v, want one wrapping %v", c.name, c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestBaselinesByHand(t *testing.T) {
	h := []float64{1, 2, 3, 4, 5}
	check := func(name string, got []float64, err error, want []float64) {
		t.Helper()
		if err != nil || len(got) != len(want) {
			t.Fatalf("%s = %v, %v; want %v", name, got, err, want)
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("%s = %v; want %v", name, got, want)
			}
		}
	}
	got, err := Naive(h, 2)
	check("naive", got, err, []float64{5, 5})
	got, err = SeasonalNaive(2)(h, 5)
	check("snaive", got, err, []float64{4, 5, 4, 5, 4})
	got, err = Drift(h, 2)
	check("drift", got, err, []float64{6, 7})
	got, err = Mean(h, 1)
	check("mean", got, err, []float64{3})
}
