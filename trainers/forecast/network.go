package forecast

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// Settings configure Fit. Horizon is required; every other zero value is
// a documented default, the same for every series (none is tuned to one).
type Settings struct {
	// Horizon is the number of steps forecast in one go (direct
	// multi-horizon output: the network's Dense layer has Horizon units).
	Horizon int
	// Season is the seasonal period (0 or 1: none). Windows are whole
	// seasons, the network learns the correction to the seasonal-naive
	// forecast, and MASE uses it.
	Season int
	// Windows are the candidate input lengths; default DefaultWindows.
	Windows []int
	// Units are the candidate LSTM sizes; default {16, 32}.
	Units []int
	// Strategies are the candidate strategies; default {Direct}. Recursive
	// takes no past covariates (their future is unknown).
	Strategies []Strategy
	// Scaler scales the target and each covariate, fitted on the training
	// part only; default Standard.
	Scaler ScalerKind
	// MaxEpochs bounds training (default 300); Patience epochs without a
	// better validation MASE stop it (default 25).
	MaxEpochs, Patience int
	// BatchSize defaults to 8, LearningRate (Adam) to 0.003.
	BatchSize    int
	LearningRate float64
	// ValidationSteps is the number of the training part's last values
	// held out to choose the configuration and the number of epochs
	// (default Horizon, fewer when the series is too short to keep at
	// least MinSamples training samples).
	ValidationSteps int
	// MinSamples is the fewest training samples a candidate may have
	// (default 8); windows leaving fewer are skipped.
	MinSamples int
	// Folds is the most validation blocks (default 2): fold f holds out
	// the ValidationSteps values before those of fold f−1, the first the
	// last ones. Fewer are used when the earliest would leave the smallest
	// window fewer than MinSamples training samples.
	Folds int
	// Seed seeds the weights and the shuffling.
	Seed uint64
	// Ensemble is the number of networks of the chosen configuration
	// trained with seeds Seed, Seed+1, ... whose forecasts are averaged
	// (default 5); ValidationEnsemble is the same for each candidate
	// during the selection (default 1).
	Ensemble, ValidationEnsemble int
	// Quantiles, when set, are the levels (each strictly between 0 and 1,
	// increasing: CheckQuantiles) of prediction intervals: Fit then also
	// trains networks of the selected window and size, direct, with one
	// output per (level, step), on the pinball loss (PinballLoss), early
	// stopped on the last fifth of the series (at least ValidationSteps
	// values; see ForecastQuantiles).
	Quantiles []float64
	// DType of the network (default graph.Float32).
	DType graph.DType
	// Progress, when set, gets one line per candidate trained.
	Progress io.Writer
}

// Strategy is how a network forecasts the horizon.
type Strategy int

const (
	// Direct forecasts all H steps at once (Dense(H)). The default.
	Direct Strategy = iota
	// Recursive forecasts one step (Dense(1)) and feeds each forecast back
	// as the last value of the next window, H times.
	Recursive
)

// ParseStrategy parses "direct" or "recursive".
func ParseStrategy(s string) (Strategy, error) {
	for _, g := range []Strategy{Direct, Recursive} {
		if s == g.String() {
			return g, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown strategy %q (want direct or recursive)", ErrArgument, s)
}

// String returns "direct" or "recursive".
func (s Strategy) String() string {
	switch s {
	case Direct:
		return "direct"
	case Recursive:
		return "recursive"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// DefaultWindows are the candidate windows for a season m (1 when there
// is none): the smallest whole number of seasons that is at least 6 steps,
// and twice that. Season 12 gives {12, 24}, 4 gives {8, 16}, 1 gives
// {6, 12}.
func DefaultWindows(season int) []int {
	m := max(season, 1)
	k := (6 + m - 1) / m
	return []int{k * m, 2 * k * m}
}

func (s Settings) withDefaults() (Settings, error) {
	if s.Horizon < 1 {
		return s, fmt.Errorf("%w: horizon %d (want at least 1)", ErrArgument, s.Horizon)
	}
	if s.Season < 0 {
		return s, fmt.Errorf("%w: season %d (want 0 or 1 for none, or the period)", ErrArgument, s.Season)
	}
	s.Season = max(s.Season, 1)
	if len(s.Windows) == 0 {
		s.Windows = DefaultWindows(s.Season)
	}
	if len(s.Units) == 0 {
		s.Units = []int{16, 32}
	}
	if len(s.Strategies) == 0 {
		s.Strategies = []Strategy{Direct}
	}
	for _, g := range s.Strategies {
		if g != Direct && g != Recursive {
			return s, fmt.Errorf("%w: unknown strategy %v", ErrArgument, g)
		}
	}
	for _, w := range s.Windows {
		if w < s.Season {
			return s, fmt.Errorf("%w: window %d is shorter than the season %d", ErrArgument, w, s.Season)
		}
	}
	for _, u := range s.Units {
		if u < 1 {
			return s, fmt.Errorf("%w: units %d (want at least 1)", ErrArgument, u)
		}
	}
	def := func(v *int, d int, name string) error {
		if *v < 0 {
			return fmt.Errorf("%w: %s %d is negative", ErrArgument, name, *v)
		}
		if *v == 0 {
			*v = d
		}
		return nil
	}
	for _, e := range []error{
		def(&s.MaxEpochs, 300, "max epochs"), def(&s.Patience, 25, "patience"),
		def(&s.BatchSize, 8, "batch size"), def(&s.MinSamples, 8, "min samples"),
		def(&s.ValidationSteps, s.Horizon, "validation steps"),
		def(&s.Ensemble, 5, "ensemble"), def(&s.Folds, 2, "folds"), def(&s.ValidationEnsemble, 1, "validation ensemble"),
	} {
		if e != nil {
			return s, e
		}
	}
	if s.LearningRate == 0 {
		s.LearningRate = 0.003
	}
	if !(s.LearningRate > 0) || math.IsInf(s.LearningRate, 0) {
		return s, fmt.Errorf("%w: learning rate %v", ErrArgument, s.LearningRate)
	}
	if err := CheckQuantiles(s.Quantiles); err != nil {
		return s, err
	}
	if !s.DType.Valid() {
		return s, fmt.Errorf("%w: dtype %v", ErrArgument, s.DType)
	}
	return s, nil
}

// Candidate is one configuration tried by Fit, with its validation score.
type Candidate struct {
	Window, Units int
	Strategy      Strategy
	// ValMASE is the MASE over the held-out validation steps (the mean over
	// the folds) at the best
	// epoch (+Inf when the candidate was skipped).
	ValMASE float64
	// Epochs is the number of epochs of the best validation score (the
	// folds' mean, rounded).
	Epochs int
}

// Name is the candidate's short name, "lstm(w=24,u=16)", or
// "lstm(w=24,u=16,recursive)".
func (c Candidate) Name() string {
	if c.Strategy == Recursive {
		return fmt.Sprintf("lstm(w=%d,u=%d,recursive)", c.Window, c.Units)
	}
	return fmt.Sprintf("lstm(w=%d,u=%d)", c.Window, c.Units)
}

// Network is a fitted direct multi-horizon forecaster: LSTM(Units) →
// Dense(Horizon) over windows of Window steps.
type Network struct {
	Candidate
	// Candidates are every configuration tried, in order.
	Candidates []Candidate
	// ValidationSteps is the number of training values held out for the
	// selection in each of Folds blocks.
	ValidationSteps, Folds int

	st       Settings
	models   []*models.Model
	target   Scaler
	past     []Scaler
	future   []Scaler
	features int
	quant    *quantileNet
}

// Models returns the trained networks of the ensemble.
func (n *Network) Models() []*models.Model { return n.models }

// Fit chooses a window and a size among Settings' candidates by
// rolling-origin validation on the last Folds blocks of ValidationSteps
// values of s (the training part: the scored tail must not be in it), then
// trains the chosen one on all of s for the number of epochs that
// validated best (see crossValidate).
//
// Each candidate is trained on the samples whose targets end before the
// held-out values, and after every epoch forecasts from every origin
// inside them; the steps of each forecast that fall inside them are
// scored, every horizon step weighing the same (validationMASE). Its score
// is that MASE at its best epoch.
// Scalers are fitted on the values before the held-out ones for the
// selection and on all of s for the final network.
func Fit(ctx context.Context, s Series, st Settings) (*Network, error) {
	st, err := st.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	if err := s.check(1, st.Horizon); err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	T, H := len(s.Target), st.Horizon
	minW := st.Windows[0]
	for _, w := range st.Windows {
		minW = min(minW, w)
	}
	v := min(st.ValidationSteps, T-minW-H+1-st.MinSamples)
	if v < 1 {
		return nil, fmt.Errorf("forecast: %w: %d values are too few for window %d, horizon %d, %d training samples and a validation step", ErrData, T, minW, H, st.MinSamples)
	}
	folds := 1
	for folds < st.Folds && T-(folds+1)*v-minW-H+1 >= st.MinSamples {
		folds++
	}
	net := &Network{ValidationSteps: v, Folds: folds, st: st}
	if len(s.Past) > 0 && slices.Contains(st.Strategies, Recursive) {
		return nil, fmt.Errorf("forecast: %w: the recursive strategy cannot use past covariates", ErrArgument)
	}
	best := -1
	for _, g := range st.Strategies {
		for _, w := range st.Windows {
			for _, u := range st.Units {
				c := Candidate{Window: w, Units: u, Strategy: g, ValMASE: math.Inf(1)}
				if T-folds*v-w-outputs(g, H)+1 >= st.MinSamples {
					var err error
					if c.ValMASE, c.Epochs, err = crossValidate(ctx, st, s, c, v, folds); err != nil {
						return nil, fmt.Errorf("forecast: %s: %w", c.Name(), err)
					}
				}
				if st.Progress != nil {
					fmt.Fprintf(st.Progress, "%s: validation MASE %.4f at epoch %d\n", c.Name(), c.ValMASE, c.Epochs)
				}
				net.Candidates = append(net.Candidates, c)
				if best < 0 || c.ValMASE < net.Candidates[best].ValMASE {
					best = len(net.Candidates) - 1
				}
			}
		}
	}
	net.Candidate = net.Candidates[best]
	if math.IsInf(net.ValMASE, 1) {
		return nil, fmt.Errorf("forecast: %w: no candidate window fits %d values", ErrData, T)
	}
	prep, err := prepare(st, s, net.Window, net.Strategy)
	if err != nil {
		return nil, fmt.Errorf("forecast: %s: %w", net.Name(), err)
	}
	for i := range st.Ensemble {
		est := st
		est.Seed = st.Seed + uint64(i)
		m, err := prep.train(ctx, est, net.Units, net.Epochs)
		if err != nil {
			return nil, fmt.Errorf("forecast: %s: %w", net.Name(), err)
		}
		net.models = append(net.models, m)
	}
	net.target, net.past, net.future, net.features = prep.target, prep.past, prep.future, prep.features
	if len(st.Quantiles) > 0 {
		if net.quant, err = fitQuantiles(ctx, st, s, net.Candidate, v); err != nil {
			return nil, fmt.Errorf("forecast: %s: %w", net.Name(), err)
		}
	}
	return net, nil
}

// Forecast returns the Horizon values after s.Target, from its last
// Window values (and covariates; future ones must reach len(s.Target) +
// Horizon). s is usually the series Fit was given, or it extended by new
// observations.
func (n *Network) Forecast(s Series) ([]float64, error) {
	if n == nil || len(n.models) == 0 {
		return nil, fmt.Errorf("forecast: %w: an unfitted network", ErrArgument)
	}
	if len(s.Past) != len(n.past) || len(s.Future) != len(n.future) {
		return nil, fmt.Errorf("forecast: %w: %d past and %d future covariates, the network has %d and %d", ErrData, len(s.Past), len(s.Future), len(n.past), len(n.future))
	}
	T := len(s.Target)
	if T < n.Window {
		return nil, fmt.Errorf("forecast: %w: %d values, the window is %d", ErrData, T, n.Window)
	}
	p := prepared{target: n.target, past: n.past, future: n.future, features: n.features, season: n.st.Season, horizon: outputs(n.Strategy, n.st.Horizon)}
	f, err := p.forecastAt(n.models, s, n.Window, T, T+1, n.st.Horizon)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	return f, nil
}

// crossValidate scores candidate c on folds blocks of v values at the end
// of s: fold f (1-based) holds out s.Target[T−f·v : T−(f−1)·v], trains on
// the samples before it (scalers fitted there too) and scores the
// forecasts from the origins inside it. It returns the mean score and the
// mean (rounded) of the folds' best epoch counts.
func crossValidate(ctx context.Context, st Settings, s Series, c Candidate, v, folds int) (float64, int, error) {
	var score float64
	var epochs int
	for f := 1; f <= folds; f++ {
		end := len(s.Target) - (f-1)*v
		upto := Series{Target: s.Target[:end], Past: cut(s.Past, end), Future: s.Future}
		fitPart := Series{Target: s.Target[:end-v], Past: cut(s.Past, end-v), Future: s.Future}
		scale, err := NaiveScale(fitPart.Target, st.Season)
		if err != nil {
			return 0, 0, fmt.Errorf("validation: %w", err)
		}
		prep, err := prepare(st, fitPart, c.Window, c.Strategy)
		if err != nil {
			return 0, 0, err
		}
		sc := func(ms []*models.Model) (float64, error) {
			p, err := prep.forecastAt(ms, upto, c.Window, end-v, end, st.Horizon)
			if err != nil {
				return 0, err
			}
			return validationMASE(p, upto.Target, end-v, st.Horizon, scale), nil
		}
		fs, fe, err := prep.validate(ctx, st, c.Units, st.ValidationEnsemble, sc)
		if err != nil {
			return 0, 0, err
		}
		score += fs
		epochs += fe
	}
	return score / float64(folds), max(1, (epochs+folds/2)/folds), nil
}

// validationMASE scores the forecasts f [T−from, h] made from origins
// from..T−1 of y (T = len(y)) on their steps inside y. Each horizon step
// counts alike: the mean absolute error at step k (over the origins whose
// step k is inside y) is averaged over the steps, and divided by scale.
// A plain mean over every (origin, step) pair would weight the first
// steps most (every origin has a step 1, one has a step h) and favour
// models that are good only at short range.
func validationMASE(f, y []float64, from, h int, scale float64) float64 {
	T := len(y)
	var total float64
	var steps int
	for k := 0; k < h && from+k < T; k++ {
		var sum float64
		var cnt int
		for i, o := 0, from; o+k < T; i, o = i+1, o+1 {
			sum += math.Abs(f[i*h+k] - y[o+k])
			cnt++
		}
		total += sum / float64(cnt)
		steps++
	}
	return total / float64(steps) / scale
}

// cut returns each covariate's first n values.
func cut(c [][]float64, n int) [][]float64 {
	out := make([][]float64, len(c))
	for i, v := range c {
		out[i] = v[:n]
	}
	return out
}

// Backtest scores a forecasting function by rolling origin: for each of
// the origins (indexes into y.Target), fn gets the series up to the origin
// and forecasts h values, scored against y.Target[origin:origin+h] with
// the part before the origin as MASE's training part. It returns the
// scores per origin.
func Backtest(ctx context.Context, y Series, h, season int, origins []int, fn func(ctx context.Context, history Series, h int) ([]float64, error)) ([]Scores, error) {
	if len(origins) == 0 {
		return nil, fmt.Errorf("backtest: %w: no origins", ErrArgument)
	}
	out := make([]Scores, 0, len(origins))
	for _, o := range origins {
		if o < 1 || o+h > len(y.Target) {
			return nil, fmt.Errorf("backtest: %w: origin %d with horizon %d outside the %d values", ErrData, o, h, len(y.Target))
		}
		hist := Series{Target: y.Target[:o], Past: cut(y.Past, o), Future: y.Future}
		f, err := fn(ctx, hist, h)
		if err != nil {
			return nil, fmt.Errorf("backtest: origin %d: %w", o, err)
		}
		sc, err := Score(y.Target[o:o+h], f, y.Target[:o], max(season, 1))
		if err != nil {
			return nil, fmt.Errorf("backtest: origin %d: %w", o, err)
		}
		out = append(out, sc)
	}
	return out, nil
}

// MethodFunc adapts a baseline Method to Backtest.
func MethodFunc(m Method) func(context.Context, Series, int) ([]float64, error) {
	return func(_ context.Context, s Series, h int) ([]float64, error) { return m(s.Target, h) }
}

// outputs is the number of steps a network of strategy g outputs.
func outputs(g Strategy, h int) int {
	if g == Recursive {
		return 1
	}
	return h
}

// newModel builds Input(window, features) → LSTM(units) → Dense(out).
func newModel(st Settings, window, features, units, out int) (*models.Model, error) {
	lstm, err := layers.NewLSTM(units)
	if err != nil {
		return nil, err
	}
	dense, err := layers.NewDense(out)
	if err != nil {
		return nil, err
	}
	return models.NewSequential([]int{window, features}, []layers.Layer{lstm, dense},
		models.WithSeed(st.Seed), models.WithDType(st.DType), models.WithName("forecast"))
}
