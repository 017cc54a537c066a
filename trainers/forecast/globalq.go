package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/models"
)

// fitGlobalQuantiles trains a global model's quantile networks, as
// fitQuantiles does for one series: networks of candidate c's kind,
// window and size (always direct) with one output per (level, step),
// trained on the pooled samples with the pinball loss. The number of
// epochs is chosen by early stopping on the mean over the series of their
// validation pinball losses, each divided by its series' in-sample
// seasonal-naive error (as MASE is, so that no series dominates by its
// units), from the origins inside every series' last values (a fifth of
// the shortest series, at least v); then Ensemble networks are trained on
// all the samples for that many epochs.
func fitGlobalQuantiles(ctx context.Context, st Settings, series []Series, c Candidate, v int) (*quantileNet, error) {
	levels, H := withMedian(st.Quantiles), st.Horizon
	loss, err := PinballLoss(levels, H)
	if err != nil {
		return nil, err
	}
	minT := math.MaxInt
	for _, s := range series {
		minT = min(minT, len(s.Target))
	}
	hold := max(v, min(minT/5, minT-c.Window-H))
	c.Strategy = Direct
	preps, pooled, err := preparePooled(st, series, c, hold)
	if err != nil {
		return nil, fmt.Errorf("quantiles: %w", err)
	}
	scales := make([]float64, len(series))
	for i, s := range series {
		if scales[i], err = NaiveScale(s.Target[:len(s.Target)-hold], st.Season); err != nil {
			return nil, fmt.Errorf("quantiles: series %d: %w", i, err)
		}
	}
	yq, err := pooled.quantileData(st.DType, len(levels))
	if err != nil {
		return nil, err
	}
	m, err := newModel(st, c.Kind, c.Window, pooled.features, c.Units, len(levels)*H)
	if err != nil {
		return nil, err
	}
	tr, err := newLossTrainer(m, loss, st.LearningRate)
	if err != nil {
		return nil, err
	}
	xq, err := inputFor(m, pooled.x)
	if err != nil {
		return nil, err
	}
	best, bestEpochs := math.Inf(1), 0
	for epoch := 0; epoch < st.MaxEpochs && epoch-bestEpochs < st.Patience; epoch++ {
		if err := tr.epoch(ctx, xq, yq, st.batchFor(xq.Dim(0)), st.Seed, epoch); err != nil {
			return nil, fmt.Errorf("quantiles: %w", err)
		}
		var sc float64
		for i, s := range series {
			T := len(s.Target)
			q, err := preps[i].quantilesAt([]*models.Model{m}, s, c.Window, T-hold, T, levels)
			if err != nil {
				return nil, fmt.Errorf("quantiles: series %d: %w", i, err)
			}
			sc += validationPinball(q, s.Target, T-hold, H, levels) / scales[i] / float64(len(series))
		}
		if sc < best {
			best, bestEpochs = sc, epoch+1
		}
	}
	if st.Progress != nil {
		fmt.Fprintf(st.Progress, "global quantiles %v: validation pinball (scaled) %.4g at epoch %d, on the last %d values of every series\n", levels, best, bestEpochs, hold)
	}
	_, full, err := preparePooled(st, series, c, 0)
	if err != nil {
		return nil, fmt.Errorf("quantiles: %w", err)
	}
	return trainQuantiles(ctx, st, c, full, loss, levels, bestEpochs)
}

// Quantiles returns the quantile levels the global model forecasts (nil
// when Settings.Quantiles was empty).
func (g *Global) Quantiles() []float64 {
	if g == nil || g.quant == nil {
		return nil
	}
	return slices.Clone(g.quant.levels)
}

// ForecastQuantiles returns, for series i (as Forecast takes it), the
// forecasts of each of Quantiles' levels for the Horizon values after
// s.Target, as [level][step]: centred on the point forecast (Forecast)
// and never crossing, as Network.ForecastQuantiles. A global model
// fitted without Settings.Quantiles returns an error wrapping
// ErrArgument.
func (g *Global) ForecastQuantiles(i int, s Series) ([][]float64, error) {
	if g == nil || g.quant == nil || len(g.quant.models) == 0 {
		return nil, fmt.Errorf("forecast: %w: the global network was fitted without quantiles", ErrArgument)
	}
	point, err := g.Forecast(i, s) // checks i, the covariates and the length
	if err != nil {
		return nil, err
	}
	sc := g.scalers[i]
	p := prepared{target: sc.target, past: sc.past, future: sc.future, features: g.features, season: g.st.Season, horizon: g.st.Horizon, baseSeasons: g.Base}
	T := len(s.Target)
	q, err := p.quantilesAt(g.quant.models, s, g.Window, T, T+1, g.quant.trained)
	if err != nil {
		return nil, fmt.Errorf("forecast: series %d: %w", i, err)
	}
	med := q[0][slices.Index(g.quant.trained, 0.5)]
	out := make([][]float64, len(g.quant.levels))
	for j, lv := range g.quant.levels {
		row := q[0][slices.Index(g.quant.trained, lv)]
		out[j] = make([]float64, len(row))
		for k, v := range row {
			out[j][k] = v + point[k] - med[k]
		}
	}
	return out, nil
}
