// Package forecast forecasts univariate series, with optional covariates,
// using gornn's recurrent networks, and scores them as R's forecast
// package does.
//
// It has the classical baselines (Naive, SeasonalNaive, Drift, Mean), the
// accuracy measures (MAE, RMSE, MAPE, SMAPE, MASE), scalers fitted on the
// training part only (standard, min-max, robust), windowing of a series and
// its covariates into inputs [n, window, features] and targets [n, H] for
// direct multi-horizon output, and a network forecaster (LSTM → Dense(H))
// whose window and size are chosen by rolling-origin validation inside the
// training part.
//
//	train := forecast.Series{Target: y[:len(y)-24]} // the scored tail stays out
//	net, err := forecast.Fit(ctx, train, forecast.Settings{Season: 12, Horizon: 24, Seed: 1})
//	if err != nil { ... }
//	f, err := net.Forecast(train) // the 24 values after train
//	s, err := forecast.Score(y[len(y)-24:], f, train.Target, 12)
//
// The network sees, per sample, the scaled window relative to the level
// of its last season and learns the correction to the seasonal-naive
// forecast (naive without a season): forecast_k = snaive_k + net_k. Its
// window (whole seasons), size and strategy (Direct, or Recursive: Dense(1)
// fed back H times) are chosen by rolling-origin validation MASE on the
// last blocks of Horizon values of the series it is given (Settings.Folds),
// with early stopping; the chosen configuration is then trained on all of
// it, as an ensemble of seeds whose forecasts are averaged. With
// Settings.Quantiles, networks of the chosen configuration with one output
// per (level, step) are also trained on the pinball loss (PinballLoss, a
// symbolic graph differentiated by gorgonia.Grad) for prediction intervals
// (Network.ForecastQuantiles; Pinball and Coverage score them). Network.Save
// and Load keep a fitted network in one model file; FitMany fits one
// network per series on a goroutine pool; FitGlobal fits one network over
// many series, each scaled on its own, and ReadLong reads them from a
// long-format table (series id, time, value). See docs/forecasting.md.
//
// Errors about the data wrap ErrData; errors about settings wrap
// ErrArgument.
package forecast
