package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// Global is one network fitted on many series at once (a global model):
// every series has its own scalers, fitted on its own training part, and
// the samples of all of them, each in its own scaled units and relative
// to its own level, train one network. It suits many short
// related series, where one series alone has too few samples.
type Global struct {
	Candidate
	// Candidates are every configuration tried, in order.
	Candidates []Candidate
	// ValidationSteps and Folds are those of the selection (see Fit).
	ValidationSteps, Folds int

	st       Settings
	models   []*models.Model
	scalers  []seriesScalers
	features int
	quant    *quantileNet
}

// seriesScalers are one series' fitted scalers.
type seriesScalers struct {
	target       Scaler
	past, future []Scaler
}

// Models returns the trained networks of the ensemble.
func (g *Global) Models() []*models.Model { return g.models }

// Series returns the number of series the network was fitted on.
func (g *Global) Series() int { return len(g.scalers) }

// FitGlobal fits one network on all of series (each the training
// part only), with per-series scaling. Every series must have the same
// covariates (count and meaning). The configuration is chosen as Fit
// chooses it, by rolling-origin validation on the last Folds blocks of
// ValidationSteps values of every series, the score being the mean of the
// series' validation MASEs (each series scaled by its own in-sample
// error, so that no series dominates by its units); the one candidate
// with the lowest score (kinds, bases and windows as Fit's, but no
// combination: as with Settings.SelectOne) is trained on all of every
// series as an ensemble of Ensemble seeds. Settings.Strategies are
// candidates as in Fit (Recursive: one step fed back Horizon times, then
// without past covariates). With Settings.Quantiles, quantile networks
// are trained on the pooled samples too (see Global.ForecastQuantiles). Every series needs at least one
// training sample for the smallest window in every fold; the pooled
// samples at least MinSamples.
func FitGlobal(ctx context.Context, series []Series, st Settings) (*Global, error) {
	st, err := st.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("forecast: global: %w", err)
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("forecast: global: %w: no series", ErrData)
	}
	H := st.Horizon
	if slices.Contains(st.Strategies, Recursive) && len(series[0].Past) > 0 {
		return nil, fmt.Errorf("forecast: global: %w: the recursive strategy cannot use past covariates", ErrArgument)
	}
	minW, minT := st.Windows[0], math.MaxInt
	for _, w := range st.Windows {
		minW = min(minW, w)
	}
	for i, s := range series {
		if err := s.check(1, H); err != nil {
			return nil, fmt.Errorf("forecast: global: series %d: %w", i, err)
		}
		if len(s.Past) != len(series[0].Past) || len(s.Future) != len(series[0].Future) {
			return nil, fmt.Errorf("forecast: global: series %d: %w: %d past and %d future covariates, series 0 has %d and %d", i, ErrData, len(s.Past), len(s.Future), len(series[0].Past), len(series[0].Future))
		}
		minT = min(minT, len(s.Target))
	}
	v := min(st.ValidationSteps, minT-minW-H)
	if v < 1 {
		return nil, fmt.Errorf("forecast: global: %w: the shortest series has %d values, too few for window %d, horizon %d and a validation step", ErrData, minT, minW, H)
	}
	folds := 1
	for folds < st.Folds && minT-(folds+1)*v-minW-H+1 >= 1 {
		folds++
	}
	g := &Global{ValidationSteps: v, Folds: folds, st: st, features: series[0].Features()}
	g.Candidates = candidates(st)
	err = parallel(len(g.Candidates), st.Workers, func(i int) error {
		c := &g.Candidates[i]
		if minT-folds*v-c.Window-outputs(c.Strategy, H)+1 < 1 {
			return nil
		}
		var err error
		if c.ValMASE, c.Epochs, err = globalValidate(ctx, st, series, *c, v, folds); err != nil {
			return fmt.Errorf("forecast: global: %s: %w", c.Name(), err)
		}
		return nil
	}, func(i int) {
		if c := g.Candidates[i]; st.Progress != nil {
			fmt.Fprintf(st.Progress, "global %s: validation MASE %.4f at epoch %d\n", c.Name(), c.ValMASE, c.Epochs)
		}
	})
	if err != nil {
		return nil, err
	}
	best := 0
	for i, c := range g.Candidates {
		if c.ValMASE < g.Candidates[best].ValMASE {
			best = i
		}
	}
	g.Candidate = g.Candidates[best]
	if math.IsInf(g.ValMASE, 1) {
		return nil, fmt.Errorf("forecast: global: %w: no candidate window fits the shortest series (%d values)", ErrData, minT)
	}
	preps, pooled, err := preparePooled(st, series, g.Candidate, 0)
	if err != nil {
		return nil, fmt.Errorf("forecast: global: %w", err)
	}
	g.models = make([]*models.Model, st.Ensemble)
	err = parallel(st.Ensemble, st.Workers, func(i int) error {
		est := st
		est.Seed = st.Seed + uint64(i)
		m, err := pooled.train(ctx, est, g.Kind, g.Units, g.Epochs)
		if err != nil {
			return fmt.Errorf("forecast: global: %s: %w", g.Name(), err)
		}
		g.models[i] = m
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	for _, p := range preps {
		g.scalers = append(g.scalers, seriesScalers{target: p.target, past: p.past, future: p.future})
	}
	if len(st.Quantiles) > 0 {
		if g.quant, err = fitGlobalQuantiles(ctx, st, series, g.Candidate, v); err != nil {
			return nil, fmt.Errorf("forecast: global: %s: %w", g.Name(), err)
		}
	}
	return g, nil
}

// preparePooled prepares every series without its last hold values
// (scalers fitted on what is left of each) and returns them with one
// prepared holding all their samples.
func preparePooled(st Settings, series []Series, c Candidate, hold int) ([]*prepared, *prepared, error) {
	w := c.Window
	var preps []*prepared
	var xs, ys []float64
	n := 0
	for i, s := range series {
		end := len(s.Target) - hold
		part := Series{Target: s.Target[:end], Past: cut(s.Past, end), Future: s.Future}
		p, err := prepare(st, part, c)
		if err != nil {
			return nil, nil, fmt.Errorf("series %d: %w", i, err)
		}
		preps = append(preps, p)
		xs = append(xs, graph.Float64s(p.x)...)
		ys = append(ys, graph.Float64s(p.y)...)
		n += p.x.Dim(0)
	}
	if n < st.MinSamples {
		return nil, nil, fmt.Errorf("%w: %d training samples over all series, want at least %d", ErrData, n, st.MinSamples)
	}
	out := outputs(c.Strategy, st.Horizon)
	pooled := &prepared{features: preps[0].features, season: st.Season, horizon: out, baseSeasons: c.Base}
	var err error
	if pooled.x, err = graph.FromFloat64s(st.DType, xs, n, w, pooled.features); err != nil {
		return nil, nil, err
	}
	if pooled.y, err = graph.FromFloat64s(st.DType, ys, n, out); err != nil {
		return nil, nil, err
	}
	return preps, pooled, nil
}

// globalValidate is crossValidate for a global model: in fold f every
// series holds out its own block, the pooled samples before the blocks
// train one network, and the score after each epoch is the mean over the
// series of their validation MASEs.
func globalValidate(ctx context.Context, st Settings, series []Series, c Candidate, v, folds int) (float64, int, error) {
	var score float64
	var epochs int
	for f := 1; f <= folds; f++ {
		preps, pooled, err := preparePooled(st, series, c, f*v)
		if err != nil {
			return 0, 0, err
		}
		scales := make([]float64, len(series))
		for i, s := range series {
			end := len(s.Target) - f*v
			if scales[i], err = NaiveScale(s.Target[:end], st.Season); err != nil {
				return 0, 0, fmt.Errorf("validation: series %d: %w", i, err)
			}
		}
		sc := func(ms []*models.Model) (float64, error) {
			var total float64
			for i, s := range series {
				end := len(s.Target) - (f-1)*v
				upto := Series{Target: s.Target[:end], Past: cut(s.Past, end), Future: s.Future}
				p, err := preps[i].forecastAt(ms, upto, c.Window, end-v, end, st.Horizon)
				if err != nil {
					return 0, fmt.Errorf("series %d: %w", i, err)
				}
				total += validationMASE(p, upto.Target, end-v, st.Horizon, scales[i])
			}
			return total / float64(len(series)), nil
		}
		fs, fe, err := pooled.validate(ctx, st, c.Kind, c.Units, st.ValidationEnsemble, sc)
		if err != nil {
			return 0, 0, err
		}
		score += fs
		epochs += fe
	}
	return score / float64(folds), (epochs + folds/2) / folds, nil
}

// Forecast returns the Horizon values after s.Target, which must be
// series i of those FitGlobal was given (or it extended by new
// observations): it is scaled with series i's scalers.
func (g *Global) Forecast(i int, s Series) ([]float64, error) {
	if g == nil || len(g.models) == 0 {
		return nil, fmt.Errorf("forecast: %w: an unfitted global network", ErrArgument)
	}
	if i < 0 || i >= len(g.scalers) {
		return nil, fmt.Errorf("forecast: %w: series %d of %d", ErrArgument, i, len(g.scalers))
	}
	sc := g.scalers[i]
	if len(s.Past) != len(sc.past) || len(s.Future) != len(sc.future) {
		return nil, fmt.Errorf("forecast: %w: %d past and %d future covariates, the network has %d and %d", ErrData, len(s.Past), len(s.Future), len(sc.past), len(sc.future))
	}
	if err := s.check(g.Window, g.st.Horizon); err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	T := len(s.Target)
	if T < g.Window {
		return nil, fmt.Errorf("forecast: %w: %d values, the window is %d", ErrData, T, g.Window)
	}
	p := prepared{target: sc.target, past: sc.past, future: sc.future, features: g.features, season: g.st.Season, horizon: outputs(g.Strategy, g.st.Horizon), baseSeasons: g.Base}
	f, err := p.forecastAt(g.models, s, g.Window, T, T+1, g.st.Horizon)
	if err != nil {
		return nil, fmt.Errorf("forecast: series %d: %w", i, err)
	}
	return f, nil
}
