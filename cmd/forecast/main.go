// Command forecast forecasts a column of a CSV file with gornn's direct
// multi-horizon networks (package trainers/forecast: the mean of the
// validated best LSTM, linear and MLP networks), beside the classical
// baselines, and scores them on a held-out tail.
//
//	go run ./cmd/forecast -csv trainers/forecast/testdata/wineind.csv -target value -season 12 -holdout 24
//
// With -holdout H the last H values are held out, every method forecasts
// them from the rest, and RMSE, MAE, sMAPE and MASE are printed (MASE
// scaled by the seasonal-naive in-sample error of the rest). Without it
// -horizon H forecasts H steps past the data. The networks' windows and
// sizes are chosen by rolling-origin validation inside the data they are
// given (never the held-out tail); -kinds, -bases, -log, -random-init and
// -select-one change the candidate pool; -json prints one object:
//
//	{"target", "horizon", "season", "selected", "methods": [{"name", "kind", "rmse", "mae", "smape", "mase", "forecast"}]}
//
// -covariates A,B adds past covariates (columns known up to each forecast
// origin); -future-covariates C adds covariates known in advance: with
// -holdout they are read over the held-out tail, without it the file's
// last rows, whose target cell is empty, hold their values over the
// horizon. -quantiles 0.1,0.9 also trains networks on the pinball loss
// for those quantile levels: their forecasts are printed beside the
// point forecasts ("quantiles": {"0.1": [...], "0.9": [...]} in the
// network's entry of -json), and with -holdout each level's pinball loss
// and the coverage of the central interval ("coverage": [{"lower",
// "upper", "nominal", "coverage"}]). -save FILE keeps the fitted network (all its ensemble members,
// scalers and window, in one safetensors file); -load FILE forecasts with
// it without training, with its season and its horizon (or its first steps: a shorter -horizon or -holdout, unless it reads known-future covariates). Progress goes to stderr (silenced by -quiet). Bad input gets one
// line on stderr and exit status 1 (2 for bad flags).
//
// -bench DIR scores the network on the series in DIR beside R's scores (its
// baselines.csv) and prints the Markdown table of docs/forecasting.md. The
// series are those DIR's cases.csv lists (columns label, series, target,
// past, season, h: the file series+".csv", past covariates separated by
// ';'), or, without one, the shared series of ../shared/data/forecast
// (copied to trainers/forecast/testdata; -taylor adds taylor). The held-out
// set trainers/forecast/testdata/unseen has a cases.csv.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
