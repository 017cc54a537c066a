// Package forecast forecasts univariate series, with optional covariates,
// using gornn's networks (LSTM, linear and MLP, combined), and scores them
// as R's forecast package does.
//
// It has the classical baselines (Naive, SeasonalNaive, Drift, Mean), the
// accuracy measures (MAE, RMSE, MAPE, SMAPE, MASE), scalers fitted on the
// training part only (standard, min-max, robust), windowing of a series and
// its covariates into inputs [n, window, features] and targets [n, H] for
// direct multi-horizon output, and a network forecaster whose candidates
// (kind, base, window, size) are scored by rolling-origin validation inside
// the training part.
//
//	train := forecast.Series{Target: y[:len(y)-24]} // the scored tail stays out
//	net, err := forecast.Fit(ctx, train, forecast.Settings{Season: 12, Horizon: 24, Seed: 1})
//	if err != nil { ... }
//	f, err := net.Forecast(train) // the 24 values after train
//	s, err := forecast.Score(y[len(y)-24:], f, train.Target, 12)
//
// A network sees, per sample, the scaled window (the target on its
// logarithm when it is positive) relative to the level of its last season
// and learns the correction to a seasonal base: the last season's level
// plus the seasonal profile of the last 1 or 3 seasons (Settings.Bases; 1
// is seasonal naive, naive without a season): forecast_k = base_k + net_k,
// the output layer starting at zero. The candidates are LSTM → Dense(H),
// Dense(H) on the flattened window (Linear) and Dense(u, relu) → Dense(H)
// (MLP) (Settings.Kinds), over windows of whole seasons and sizes, direct
// or recursive (Dense(1) fed back H times); each is scored by
// rolling-origin validation MASE on the last blocks of Horizon values of
// the series it is given (Settings.Folds), with early stopping that may
// stop at epoch 0 (the untrained network: its base). The best of every
// (kind, base) group is trained on all of it as an ensemble of seeds, and
// the forecast is the mean of them all (Settings.SelectOne keeps only the
// best candidate). Candidates and networks are trained on
// Settings.Workers goroutines; a series whose candidates cost more than
// Settings.Budget per epoch gets fewer folds and seeds. With Settings.Quantiles, networks of the
// best candidate's configuration with one output per (level, step) are
// also trained on the pinball loss (PinballLoss, a symbolic graph
// differentiated by gorgonia.Grad) for prediction intervals
// (Network.ForecastQuantiles; Pinball and Coverage score them). Network.Save
// and Load keep a fitted network in one model file; FitMany fits one
// network per series on a goroutine pool; FitGlobal fits one network over
// many series, each scaled on its own, and ReadLong reads them from a
// long-format table (series id, time, value). See docs/forecasting.md.
//
// Errors about the data wrap ErrData; errors about settings wrap
// ErrArgument, which is a graph.ErrConfig like every configuration error
// in gornn.
package forecast
