package forecast

import (
	"fmt"
	"math"
)

// Scores are the accuracy measures of one forecast against the actual
// values, defined as in R's forecast package (see MAE, RMSE, MAPE, SMAPE
// and MASE).
type Scores struct {
	RMSE, MAE, MAPE, SMAPE, MASE float64
}

// Score returns every measure of forecast against actual; train is the
// in-sample (training) part and season the seasonal period for MASE. MAPE
// is NaN (not an error) when an actual value is zero.
func Score(actual, forecast, train []float64, season int) (Scores, error) {
	var s Scores
	var err error
	if s.RMSE, err = RMSE(actual, forecast); err != nil {
		return Scores{}, err
	}
	s.MAE, _ = MAE(actual, forecast)
	if s.MAPE, err = MAPE(actual, forecast); err != nil {
		s.MAPE = math.NaN()
	}
	s.SMAPE, _ = SMAPE(actual, forecast)
	if s.MASE, err = MASE(actual, forecast, train, season); err != nil {
		return Scores{}, err
	}
	return s, nil
}

// checkPair checks that actual and forecast are non-empty, equally long
// and finite.
func checkPair(actual, forecast []float64) error {
	if len(actual) == 0 {
		return fmt.Errorf("%w: no actual values", ErrData)
	}
	if len(actual) != len(forecast) {
		return fmt.Errorf("%w: %d actual values, %d forecasts", ErrData, len(actual), len(forecast))
	}
	if i := firstNonFinite(actual); i >= 0 {
		return fmt.Errorf("%w: actual value %d is %v", ErrData, i, actual[i])
	}
	if i := firstNonFinite(forecast); i >= 0 {
		return fmt.Errorf("%w: forecast %d is %v", ErrData, i, forecast[i])
	}
	return nil
}

func firstNonFinite(x []float64) int {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i
		}
	}
	return -1
}

// MAE is the mean absolute error, mean(|a−f|).
func MAE(actual, forecast []float64) (float64, error) {
	if err := checkPair(actual, forecast); err != nil {
		return 0, fmt.Errorf("mae: %w", err)
	}
	var s float64
	for i, a := range actual {
		s += math.Abs(a - forecast[i])
	}
	return s / float64(len(actual)), nil
}

// RMSE is the root mean squared error, sqrt(mean((a−f)²)).
func RMSE(actual, forecast []float64) (float64, error) {
	if err := checkPair(actual, forecast); err != nil {
		return 0, fmt.Errorf("rmse: %w", err)
	}
	var s float64
	for i, a := range actual {
		d := a - forecast[i]
		s += d * d
	}
	return math.Sqrt(s / float64(len(actual))), nil
}

// MAPE is the mean absolute percentage error, 100·mean(|a−f|/|a|). An
// actual value of zero is an error wrapping ErrData.
func MAPE(actual, forecast []float64) (float64, error) {
	if err := checkPair(actual, forecast); err != nil {
		return 0, fmt.Errorf("mape: %w", err)
	}
	var s float64
	for i, a := range actual {
		if a == 0 {
			return 0, fmt.Errorf("mape: %w: actual value %d is zero", ErrData, i)
		}
		s += math.Abs(a-forecast[i]) / math.Abs(a)
	}
	return 100 * s / float64(len(actual)), nil
}

// SMAPE is the symmetric mean absolute percentage error in percent,
// mean(200·|a−f|/(|a|+|f|)). A term whose actual and forecast are both zero
// counts as 0 (a perfect forecast).
func SMAPE(actual, forecast []float64) (float64, error) {
	if err := checkPair(actual, forecast); err != nil {
		return 0, fmt.Errorf("smape: %w", err)
	}
	var s float64
	for i, a := range actual {
		f := forecast[i]
		if d := math.Abs(a) + math.Abs(f); d > 0 {
			s += 200 * math.Abs(a-f) / d
		}
	}
	return s / float64(len(actual)), nil
}

// MASE is the mean absolute scaled error: MAE of the forecast over the
// in-sample MAE of the seasonal-naive one-step forecast on train,
// mean(|train[t]−train[t−m]|), with m = season (1 for a series without a
// season). train needs more than season values, not all equal along the
// lag.
func MASE(actual, forecast, train []float64, season int) (float64, error) {
	mae, err := MAE(actual, forecast)
	if err != nil {
		return 0, fmt.Errorf("mase: %w", err)
	}
	d, err := NaiveScale(train, season)
	if err != nil {
		return 0, fmt.Errorf("mase: %w", err)
	}
	return mae / d, nil
}

// NaiveScale is MASE's denominator: the mean absolute difference of train
// at lag season, mean(|train[t]−train[t−m]|).
func NaiveScale(train []float64, season int) (float64, error) {
	if season < 1 {
		return 0, fmt.Errorf("%w: season %d (want at least 1)", ErrArgument, season)
	}
	if len(train) <= season {
		return 0, fmt.Errorf("%w: %d training values, the scale needs more than the season %d", ErrData, len(train), season)
	}
	if i := firstNonFinite(train); i >= 0 {
		return 0, fmt.Errorf("%w: training value %d is %v", ErrData, i, train[i])
	}
	var s float64
	for t := season; t < len(train); t++ {
		s += math.Abs(train[t] - train[t-season])
	}
	d := s / float64(len(train)-season)
	if d == 0 {
		return 0, fmt.Errorf("%w: the training values repeat exactly at lag %d, so the scale is zero", ErrData, season)
	}
	return d, nil
}
