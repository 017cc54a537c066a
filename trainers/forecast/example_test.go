package forecast_test

import (
	"context"
	"fmt"
	"log"
	"math"

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
	fmt.Println(len(net.Candidates), "candidates,", len(f), "forecasts, RMSE below 0.5:", rmse < 0.5)
	// Output: 2 candidates, 4 forecasts, RMSE below 0.5: true
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
