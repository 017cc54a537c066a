package forecast

import "math"

// DefaultBudget is Settings.Budget's default: 5·10⁸ weight-sample
// products for one epoch of every candidate on the whole series. Every
// shared series but taylor costs less (gas, the most of them, about
// 2·10⁸; a 150-value monthly series about 5·10⁷); taylor, with windows of
// 336 and 672 half-hours and a horizon of 336, costs about 2·10⁹.
const DefaultBudget = 5e8

// cost is the work of one epoch of candidate c over the n samples of a
// series with the given features and horizon: samples × weights, times
// the window for an LSTM (unrolled over it). It is a proxy for the
// multiply-adds of the forward and backward passes and for the
// optimizer's updates (both grow with the weights), not a time.
func cost(c Candidate, features, horizon, n int) float64 {
	out := outputs(c.Strategy, horizon)
	var weights, steps float64 = 0, 1
	w, f, u := float64(c.Window), float64(features), float64(c.Units)
	switch c.Kind {
	case LSTM:
		weights = 4*u*(f+u+1) + u*float64(out) + float64(out)
		steps = w
	case Linear:
		weights = w*f*float64(out) + float64(out)
	case MLP:
		weights = w*f*u + u + u*float64(out) + float64(out)
	}
	return float64(max(n, 0)) * weights * steps
}

// budgeted returns the folds, the ensemble size and the most epochs that
// fit the budget: when one epoch of every candidate on the whole series
// (cost) costs more than st.Budget, all three shrink in proportion (at
// least 1 each, the epochs at least Patience+1), so that a long series
// with a long horizon is selected on fewer folds, for fewer epochs, and
// forecast by fewer seeds rather than taking many times longer. Below the
// budget they are left as they are. A negative budget is no budget.
func budgeted(st Settings, cands []Candidate, features, T, folds int) (int, int, int, float64) {
	var total float64
	for _, c := range cands {
		total += cost(c, features, st.Horizon, T-c.Window-outputs(c.Strategy, st.Horizon)+1)
	}
	if st.Budget < 0 || total <= st.Budget {
		return folds, st.Ensemble, st.MaxEpochs, total
	}
	r := st.Budget / total
	shrink := func(k, least int) int { return max(least, min(k, int(math.Round(float64(k)*r)))) }
	return shrink(folds, 1), shrink(st.Ensemble, 1), shrink(st.MaxEpochs, min(st.MaxEpochs, st.Patience+1)), total
}
