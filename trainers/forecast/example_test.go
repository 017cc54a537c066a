package forecast_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"strings"

	"github.com/gornn/gornn/trainers/forecast"
)

func Example_baselines() {
	y := []float64{10, 20, 30, 12, 22, 32, 14, 24, 34}
	train, test := y[:6], y[6:]
	f, err := forecast.SeasonalNaive(3)(train, len(test))
	if err != nil {
		log.Fatal(err)
	}
	s, err := forecast.Score(test, f, train, 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f)
	fmt.Printf("RMSE %.1f  MAE %.1f  MASE %.1f\n", s.RMSE, s.MAE, s.MASE)
	// Output:
	// [12 22 32]
	// RMSE 2.0  MAE 2.0  MASE 1.0
}

func Example_network() {
	y := make([]float64, 64)
	for i := range y {
		y[i] = 5 + 0.05*float64(i) + math.Sin(2*math.Pi*float64(i)/4)
	}
	train := forecast.Series{Target: y[:60]}
	net, err := forecast.Fit(context.Background(), train, forecast.Settings{
		Season: 4, Horizon: 4, Seed: 1,
		Units: []int{8}, MaxEpochs: 30, Ensemble: 2, // small, for the example
	})
	if err != nil {
		log.Fatal(err)
	}
	f, err := net.Forecast(train)
	if err != nil {
		log.Fatal(err)
	}
	rmse, _ := forecast.RMSE(y[60:], f)
	// Three kinds (LSTM, linear, MLP) × two bases × two windows: twelve
	// candidates; the forecast is the mean of the best of each of the six
	// (kind, base) groups.
	fmt.Println(len(net.Candidates), "candidates,", len(net.Members()), "members,", len(f), "forecasts, RMSE below 0.5:", rmse < 0.5)
	// Output: 12 candidates, 6 members, 4 forecasts, RMSE below 0.5: true
}

func Example_quantiles() {
	// A seasonal series with an irregular part, sin(i²), that the
	// window cannot predict: the intervals have to cover it.
	y := make([]float64, 260)
	for i := range y {
		y[i] = 10 + 3*math.Sin(2*math.Pi*float64(i)/4) + math.Sin(float64(i*i))
	}
	train := forecast.Series{Target: y[:220]}
	net, err := forecast.Fit(context.Background(), train, forecast.Settings{
		Season: 4, Horizon: 4, Seed: 1, Quantiles: []float64{0.1, 0.9},
		Windows: []int{8}, Units: []int{8}, MaxEpochs: 40, Ensemble: 1, // small, for the example
	})
	if err != nil {
		log.Fatal(err)
	}
	// Rolling origin over the 40 values the network never saw.
	var actual, lo, hi []float64
	for o := 220; o < len(y); o += 4 {
		q, err := net.ForecastQuantiles(forecast.Series{Target: y[:o]})
		if err != nil {
			log.Fatal(err)
		}
		actual, lo, hi = append(actual, y[o:o+4]...), append(lo, q[0]...), append(hi, q[1]...)
	}
	c, _ := forecast.Coverage(actual, lo, hi)
	fmt.Println(net.Quantiles(), "interval covers 60-95% of", len(actual), "values:", c >= 0.6 && c <= 0.95)
	// Output: [0.1 0.9] interval covers 60-95% of 40 values: true
}

// A global model: one network over many series in long format, each
// scaled on its own.
func Example_global() {
	var b strings.Builder
	b.WriteString("store,week,sales\n")
	for _, store := range []struct {
		id    string
		level float64
	}{{"north", 100}, {"south", 2500}, {"east", 40}} {
		for w := range 44 {
			v := store.level * (1 + 0.2*math.Sin(2*math.Pi*float64(w)/4) + 0.01*float64(w))
			fmt.Fprintf(&b, "%s,%d,%.2f\n", store.id, w+1, v)
		}
	}
	long, err := forecast.ReadLong(strings.NewReader(b.String()), ',', "store", "week", "sales")
	if err != nil {
		log.Fatal(err)
	}
	// The last 4 weeks of every store are held out.
	train := make([]forecast.Series, len(long.Series))
	for i, s := range long.Series {
		train[i] = forecast.Series{Target: s.Target[:40]}
	}
	g, err := forecast.FitGlobal(context.Background(), train, forecast.Settings{
		Season: 4, Horizon: 4, Seed: 1, Units: []int{8}, MaxEpochs: 30, Ensemble: 1, // small, for the example
	})
	if err != nil {
		log.Fatal(err)
	}
	for i, id := range long.IDs {
		f, err := g.Forecast(i, train[i])
		if err != nil {
			log.Fatal(err)
		}
		actual := long.Series[i].Target[40]
		fmt.Printf("%s, week %s: actual %.0f, forecast within 5%%: %v\n", id, long.Times[i][40], actual, math.Abs(f[0]/actual-1) < 0.05)
	}
	// Output:
	// north, week 41: actual 140, forecast within 5%: true
	// south, week 41: actual 3500, forecast within 5%: true
	// east, week 41: actual 56, forecast within 5%: true
}

// A global model with the recursive strategy: the network forecasts one
// step, fed back as the last value of the next window, Horizon times;
// every series is still scaled on its own.
func Example_globalRecursive() {
	var train []forecast.Series
	levels := []float64{100, 2500, 40}
	for _, level := range levels {
		y := make([]float64, 40)
		for w := range y {
			y[w] = level * (1 + 0.2*math.Sin(2*math.Pi*float64(w)/4) + 0.01*float64(w))
		}
		train = append(train, forecast.Series{Target: y})
	}
	g, err := forecast.FitGlobal(context.Background(), train, forecast.Settings{
		Season: 4, Horizon: 4, Seed: 1, Strategies: []forecast.Strategy{forecast.Recursive},
		Kinds: []forecast.Kind{forecast.Linear}, MaxEpochs: 30, Ensemble: 1, // small, for the example
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Name())
	for i, level := range levels {
		f, err := g.Forecast(i, train[i])
		if err != nil {
			log.Fatal(err)
		}
		actual := level * (1 + 0.2*math.Sin(2*math.Pi*43/4) + 0.43) // week 44
		fmt.Printf("series %d, 4 weeks ahead: within 5%%: %v\n", i, math.Abs(f[3]/actual-1) < 0.05)
	}
	// Output:
	// linear(w=16,recursive)
	// series 0, 4 weeks ahead: within 5%: true
	// series 1, 4 weeks ahead: within 5%: true
	// series 2, 4 weeks ahead: within 5%: true
}

// Prediction intervals from a global model: quantile networks trained on
// the pooled samples, each series' quantiles in its own units and centred
// on its point forecast.
func ExampleGlobal_ForecastQuantiles() {
	var train []forecast.Series
	for k, level := range []float64{100, 2500, 40} {
		y := make([]float64, 40)
		for w := range y {
			noise := 0.03 * math.Sin(float64(w*w+k))
			y[w] = level * (1 + 0.2*math.Sin(2*math.Pi*float64(w)/4) + 0.01*float64(w) + noise)
		}
		train = append(train, forecast.Series{Target: y})
	}
	g, err := forecast.FitGlobal(context.Background(), train, forecast.Settings{
		Season: 4, Horizon: 4, Seed: 1, Quantiles: []float64{0.1, 0.9},
		Kinds: []forecast.Kind{forecast.Linear}, MaxEpochs: 30, Ensemble: 1, // small, for the example
	})
	if err != nil {
		log.Fatal(err)
	}
	for i := range train {
		q, err := g.ForecastQuantiles(i, train[i])
		if err != nil {
			log.Fatal(err)
		}
		point, _ := g.Forecast(i, train[i])
		fmt.Printf("series %d, step 1: 0.1 quantile < forecast < 0.9 quantile: %v\n", i, q[0][0] < point[0] && point[0] < q[1][0])
	}
	// Output:
	// series 0, step 1: 0.1 quantile < forecast < 0.9 quantile: true
	// series 1, step 1: 0.1 quantile < forecast < 0.9 quantile: true
	// series 2, step 1: 0.1 quantile < forecast < 0.9 quantile: true
}

// Many local models: one network per series, fitted on a pool of
// goroutines; each is the network Fit gives for that series alone.
func ExampleFitMany() {
	var series []forecast.Series
	for k := range 3 {
		y := make([]float64, 48)
		for i := range y {
			y[i] = float64(10*(k+1)) + math.Sin(2*math.Pi*float64(i)/4) + 0.02*float64(i)
		}
		series = append(series, forecast.Series{Target: y})
	}
	nets, err := forecast.FitMany(context.Background(), series, forecast.Settings{
		Season: 4, Horizon: 4, Seed: 1, Kinds: []forecast.Kind{forecast.Linear}, Bases: []int{1},
		MaxEpochs: 20, Ensemble: 1, // small, for the example
	}, 2)
	if err != nil {
		log.Fatal(err)
	}
	for i, n := range nets {
		f, err := n.Forecast(series[i])
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("series %d: %s, %d forecasts\n", i, n.Name(), len(f))
	}
	// Output:
	// series 0: linear(w=16), 4 forecasts
	// series 1: linear(w=8), 4 forecasts
	// series 2: linear(w=8), 4 forecasts
}

// Rolling-origin backtest of a baseline: each origin forecasts the next h
// values from the series before it.
func ExampleBacktest() {
	y := []float64{1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6}
	scores, err := forecast.Backtest(context.Background(), forecast.Series{Target: y}, 2, 4, []int{8, 10},
		forecast.MethodFunc(forecast.SeasonalNaive(4)))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range scores {
		fmt.Printf("RMSE %.1f MASE %.1f\n", s.RMSE, s.MASE)
	}
	// Output:
	// RMSE 1.0 MASE 1.0
	// RMSE 1.0 MASE 1.0
}

// Windows of a series with a past covariate for direct three-step output,
// scaled with a scaler fitted on the training part only.
func ExampleMakeWindows() {
	train := []float64{10, 12, 14, 16, 18, 20, 22}
	sc, err := forecast.FitScaler(forecast.Standard, train)
	if err != nil {
		log.Fatal(err)
	}
	s := forecast.Series{Target: sc.Transform(train), Past: [][]float64{{0, 1, 0, 1, 0, 1, 0}}}
	w, err := forecast.MakeWindows(s, 3, 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.N, "samples of", w.Window, "steps ×", w.Features, "features, targets of", w.Horizon, "steps; origins", w.Origins)
	fmt.Printf("first target in the series' units: %.0f\n", sc.Inverse(w.Targets[:1])[0])
	// Output:
	// 2 samples of 3 steps × 2 features, targets of 3 steps; origins [3 4]
	// first target in the series' units: 16
}
