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
//	net, err := forecast.Fit(ctx, train, forecast.Settings{Season: 12, Horizon: 24, Seed: 1})
//	if err != nil { ... }
//	f, err := net.Forecast(train, nil, nil) // the 24 values after train
//
// Errors about the data wrap ErrData; errors about settings wrap
// ErrArgument.
package forecast
