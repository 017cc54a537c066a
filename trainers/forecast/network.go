package forecast

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// Settings configure Fit. Horizon is required; every other zero value is
// a documented default, the same for every series (none is tuned to one).
type Settings struct {
	// Horizon is the number of steps forecast in one go (direct
	// multi-horizon output: the network's Dense layer has Horizon units);
	// required: 0 is an error.
	Horizon int
	// Season is the seasonal period (0 or 1: none). Windows are whole
	// seasons, the network learns the correction to the seasonal-naive
	// forecast, and MASE uses it.
	Season int
	// Windows are the candidate input lengths; default DefaultWindows.
	Windows []int
	// Units are the candidate LSTM sizes; default {16, 32}.
	Units []int
	// Kinds are the candidate architectures; default {LSTM, Linear, MLP}.
	// Units do not apply to Linear (one candidate per window and
	// strategy).
	Kinds []Kind
	// MaxLSTMWindow is the longest window an LSTM candidate is unrolled
	// over (default 96): longer ones are skipped, their back-propagation
	// through time being too slow on a CPU (taylor's windows of 336 and
	// 672 half-hours), and the dense kinds serve them.
	MaxLSTMWindow int
	// Strategies are the candidate strategies; default {Direct}. Recursive
	// takes no past covariates (their future is unknown).
	Strategies []Strategy
	// Scaler scales the target and each covariate, fitted on the training
	// part only; default Standard.
	Scaler ScalerKind
	// MaxEpochs bounds training (default 300); Patience epochs without a
	// better validation MASE stop it (default 25).
	MaxEpochs, Patience int
	// BatchSize defaults to 8, raised for a large training set so that an
	// epoch has at most 64 steps (taylor's 3,000 samples: batches of 48);
	// LearningRate (Adam) to 0.003.
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
	// Folds is the most validation blocks (default 3): fold f holds out
	// the ValidationSteps values before those of fold f−1, the first the
	// last ones. Fewer are used when the earliest would leave the smallest
	// window fewer than MinSamples training samples.
	Folds int
	// Seed seeds the weights and the shuffling (0 is a seed like any
	// other).
	Seed uint64
	// Ensemble is the number of networks of the chosen configuration
	// trained with seeds Seed, Seed+1, ... whose forecasts are averaged
	// (default 5); ValidationEnsemble is the same for each candidate
	// during the selection (default 1).
	Ensemble, ValidationEnsemble int
	// Quantiles, when set (nil: point forecasts only), are the levels (each strictly between 0 and 1,
	// increasing: CheckQuantiles) of prediction intervals: Fit then also
	// trains networks of the selected window and size, direct, with one
	// output per (level, step), on the pinball loss (PinballLoss), early
	// stopped on the last fifth of the series (at least ValidationSteps
	// values; see ForecastQuantiles).
	Quantiles []float64
	// Log says when the target is scaled by its logarithm
	// (FitLogScaler), so that multiplicative seasonality and growth become
	// additive: LogAuto (the default) when every training value is
	// positive, LogNever, or LogAlways (non-positive values are then an
	// error).
	Log LogMode
	// Bases are the candidate bases, the forecasts the networks correct:
	// base b is the level of the last season plus the seasonal profile
	// averaged over the last b seasons (each relative to its own mean); 1
	// is seasonal naive. Default {1, 3}; without a season only 1 (naive).
	Bases []int
	// RandomInit starts the networks' output layers from random weights.
	// By default they start at zero, so that an untrained network
	// forecasts exactly its base and training moves away from it only as
	// far as the data and early stopping take it (a shrinkage towards the
	// base).
	RandomInit bool
	// SelectOne keeps only the candidate with the lowest validation score.
	// By default the forecast is the equal-weight mean of the best
	// candidate of every (kind, base) group, each an ensemble of Ensemble
	// seeds: a combination, which is steadier than one pick on a few dozen
	// validation values.
	SelectOne bool
	// Budget bounds the work of the selection and of the final ensemble
	// (default DefaultBudget; negative: no bound): when one epoch of
	// every candidate on the whole series costs more weight-sample
	// products (samples × weights, × window for an LSTM) than Budget,
	// Folds, Ensemble and MaxEpochs shrink in the same proportion, to at
	// least 1 each and Patience+1 epochs (Network.Folds and
	// Network.Ensemble say what was used). Series of a
	// few hundred values are far below it; it is meant for long series
	// with long horizons and windows (taylor: 3,696 half-hours, horizon
	// and season 336: 1 fold, 1 network per member and at most 63 epochs
	// instead of 3, 5 and 300), which would otherwise take many times
	// longer.
	Budget float64
	// Workers is the number of goroutines the candidates, and then the
	// final networks, are trained on (default graph.Threads(); FitMany's
	// default is 1, its series being spread over its own workers). Every
	// network is seeded on its own, so the result does not depend on it.
	Workers int
	// DType of the network (default graph.Float32).
	DType graph.DType
	// Progress, when set, gets one line per candidate trained; nil:
	// silent.
	Progress io.Writer

	autoBatch bool // BatchSize was left to its default
}

// batchFor is the batch size for n training samples.
func (s Settings) batchFor(n int) int {
	if !s.autoBatch {
		return s.BatchSize
	}
	return max(s.BatchSize, (n+63)/64)
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
	if len(s.Kinds) == 0 {
		s.Kinds = []Kind{LSTM, Linear, MLP}
	}
	if len(s.Bases) == 0 {
		s.Bases = []int{1, 3}
	}
	for _, b := range s.Bases {
		if b < 1 {
			return s, fmt.Errorf("%w: base %d (want at least 1 season)", ErrArgument, b)
		}
	}
	if s.Season == 1 {
		s.Bases = []int{1}
	}
	if s.Log != LogAuto && s.Log != LogNever && s.Log != LogAlways {
		return s, fmt.Errorf("%w: unknown log mode %d", ErrArgument, s.Log)
	}
	for _, k := range s.Kinds {
		if k != LSTM && k != Linear && k != MLP {
			return s, fmt.Errorf("%w: unknown network kind %v", ErrArgument, k)
		}
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
	s.autoBatch = s.BatchSize == 0
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
		def(&s.Ensemble, 5, "ensemble"), def(&s.MaxLSTMWindow, 96, "max LSTM window"), def(&s.Folds, 3, "folds"), def(&s.ValidationEnsemble, 1, "validation ensemble"),
	} {
		if e != nil {
			return s, e
		}
	}
	if math.IsNaN(s.Budget) {
		return s, fmt.Errorf("%w: budget is NaN", ErrArgument)
	}
	if s.Budget == 0 {
		s.Budget = DefaultBudget
	}
	if s.Workers < 0 {
		return s, fmt.Errorf("%w: workers %d is negative", ErrArgument, s.Workers)
	}
	if s.Workers == 0 {
		s.Workers = graph.Threads()
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
	// Kind is the architecture (LSTM, Linear, MLP).
	Kind          Kind
	Window, Units int
	Strategy      Strategy
	// Base is the number of seasons of the base's seasonal profile (1:
	// seasonal naive; see Settings.Bases).
	Base int
	// ValMASE is the MASE over the held-out validation steps (the mean over
	// the folds) at the best
	// epoch (+Inf when the candidate was skipped).
	ValMASE float64
	// Epochs is the number of epochs of the best validation score (the
	// folds' mean, rounded). 0 means the untrained network, which
	// forecasts exactly its base: epoch 0 is scored too, and a candidate
	// that never validates better than its base is not moved away from it.
	Epochs int
}

// Name is the candidate's short name, "lstm(w=24,u=16)",
// "lstm(w=24,u=16,recursive)", "linear(w=24)" or "mlp(w=24,u=16)".
func (c Candidate) Name() string {
	args := fmt.Sprintf("w=%d,u=%d", c.Window, c.Units)
	if c.Kind == Linear {
		args = fmt.Sprintf("w=%d", c.Window)
	}
	if c.Base > 1 {
		args += fmt.Sprintf(",b=%d", c.Base)
	}
	if c.Strategy == Recursive {
		args += ",recursive"
	}
	return fmt.Sprintf("%s(%s)", c.Kind, args)
}

// LogMode says when the target is scaled by its logarithm.
type LogMode int

const (
	// LogAuto takes logarithms when every training value is positive. The
	// default.
	LogAuto LogMode = iota
	// LogNever scales the values as they are.
	LogNever
	// LogAlways takes logarithms; a value that is not positive is an
	// error wrapping ErrData.
	LogAlways
)

// member is one configuration of a fitted Network with its ensemble.
type member struct {
	Candidate
	models []*models.Model
}

// Network is a fitted multi-horizon forecaster: the mean of its members'
// forecasts (Members), each an ensemble of networks of one candidate
// configuration. The embedded Candidate is the one with the lowest
// validation score (the only member with Settings.SelectOne; the
// configuration of the quantile networks).
type Network struct {
	Candidate
	// Candidates are every configuration tried, in order.
	Candidates []Candidate
	// ValidationSteps is the number of training values held out for the
	// selection in each of Folds blocks.
	ValidationSteps, Folds int
	// Ensemble is the number of networks (seeds) of each member:
	// Settings.Ensemble, or fewer under the budget (Settings.Budget).
	Ensemble int

	st       Settings
	members  []member
	target   Scaler
	past     []Scaler
	future   []Scaler
	features int
	quant    *quantileNet
}

// Models returns the trained networks: every member's ensemble, in order.
func (n *Network) Models() []*models.Model {
	var out []*models.Model
	for _, m := range n.members {
		out = append(out, m.models...)
	}
	return out
}

// Members returns the configurations whose forecasts are averaged (one
// with Settings.SelectOne, the best of every (kind, base) group else).
func (n *Network) Members() []Candidate {
	out := make([]Candidate, len(n.members))
	for i, m := range n.members {
		out[i] = m.Candidate
	}
	return out
}

// Name names the forecaster: its one member's name, or
// "mean(a+b+...)" of the members' names for a combination.
func (n *Network) Name() string {
	if len(n.members) <= 1 {
		return n.Candidate.Name()
	}
	names := make([]string, len(n.members))
	for i, m := range n.members {
		names[i] = m.Name()
	}
	return "mean(" + strings.Join(names, "+") + ")"
}

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
	cands := candidates(st)
	folds, ensemble, epochs, work := budgeted(st, cands, s.Features(), T, folds)
	if st.Progress != nil && work > st.Budget && st.Budget >= 0 {
		fmt.Fprintf(st.Progress, "budget: one epoch of the candidates costs %.3g weight-sample products, over the budget %.3g: %d folds, ensembles of %d, at most %d epochs\n", work, st.Budget, folds, ensemble, epochs)
	}
	st.Ensemble, st.MaxEpochs = ensemble, epochs
	net := &Network{ValidationSteps: v, Folds: folds, Ensemble: ensemble, st: st}
	if len(s.Past) > 0 && slices.Contains(st.Strategies, Recursive) {
		return nil, fmt.Errorf("forecast: %w: the recursive strategy cannot use past covariates", ErrArgument)
	}
	net.Candidates = cands
	err = parallel(len(net.Candidates), st.Workers, func(i int) error {
		c := &net.Candidates[i]
		if T-folds*v-c.Window-outputs(c.Strategy, H)+1 < st.MinSamples {
			return nil
		}
		var err error
		if c.ValMASE, c.Epochs, err = crossValidate(ctx, st, s, *c, v, folds); err != nil {
			return fmt.Errorf("forecast: %s: %w", c.Name(), err)
		}
		return nil
	}, func(i int) {
		if c := net.Candidates[i]; st.Progress != nil {
			fmt.Fprintf(st.Progress, "%s: validation MASE %.4f at epoch %d\n", c.Name(), c.ValMASE, c.Epochs)
		}
	})
	if err != nil {
		return nil, err
	}
	best := 0
	for i, c := range net.Candidates {
		if c.ValMASE < net.Candidates[best].ValMASE {
			best = i
		}
	}
	net.Candidate = net.Candidates[best]
	if math.IsInf(net.ValMASE, 1) {
		return nil, fmt.Errorf("forecast: %w: no candidate window fits %d values", ErrData, T)
	}
	chosen := []Candidate{net.Candidate}
	if !st.SelectOne {
		chosen = groupWinners(net.Candidates)
	}
	// The final networks, every (member, seed) pair, are trained in
	// parallel too, each into its own slot.
	preps := make([]*prepared, len(chosen))
	net.members = make([]member, len(chosen))
	for j, c := range chosen {
		if preps[j], err = prepare(st, s, c); err != nil {
			return nil, fmt.Errorf("forecast: %s: %w", c.Name(), err)
		}
		net.members[j] = member{Candidate: c, models: make([]*models.Model, st.Ensemble)}
	}
	err = parallel(len(chosen)*st.Ensemble, st.Workers, func(i int) error {
		j, e := i/st.Ensemble, i%st.Ensemble
		c := chosen[j]
		est := st
		est.Seed = st.Seed + uint64(e)
		m, err := preps[j].train(ctx, est, c.Kind, c.Units, c.Epochs)
		if err != nil {
			return fmt.Errorf("forecast: %s: %w", c.Name(), err)
		}
		net.members[j].models[e] = m
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	last := preps[len(preps)-1]
	net.target, net.past, net.future, net.features = last.target, last.past, last.future, last.features
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
	if n == nil || len(n.members) == 0 {
		return nil, fmt.Errorf("forecast: %w: an unfitted network", ErrArgument)
	}
	if len(s.Past) != len(n.past) || len(s.Future) != len(n.future) {
		return nil, fmt.Errorf("forecast: %w: %d past and %d future covariates, the network has %d and %d", ErrData, len(s.Past), len(s.Future), len(n.past), len(n.future))
	}
	T := len(s.Target)
	var out []float64
	for _, mb := range n.members {
		if T < mb.Window {
			return nil, fmt.Errorf("forecast: %w: %d values, the window of %s is %d", ErrData, T, mb.Name(), mb.Window)
		}
		p := n.prepFor(mb.Candidate)
		f, err := p.forecastAt(mb.models, s, mb.Window, T, T+1, n.st.Horizon)
		if err != nil {
			return nil, fmt.Errorf("forecast: %s: %w", mb.Name(), err)
		}
		if out == nil {
			out = f
			continue
		}
		for k := range out {
			out[k] += f[k]
		}
	}
	for k := range out {
		out[k] /= float64(len(n.members))
	}
	return out, nil
}

// prepFor returns the scaling and base of candidate c with n's scalers.
func (n *Network) prepFor(c Candidate) *prepared {
	return &prepared{target: n.target, past: n.past, future: n.future, features: n.features, season: n.st.Season,
		horizon: outputs(c.Strategy, n.st.Horizon), baseSeasons: c.Base}
}

// groupWinners returns the candidate with the lowest validation score of
// every (kind, base) group that has one that was not skipped, in the
// order of the groups' first candidates.
func groupWinners(cs []Candidate) []Candidate {
	type key struct {
		k Kind
		b int
	}
	best := map[key]int{}
	var order []key
	for i, c := range cs {
		if math.IsInf(c.ValMASE, 1) || math.IsNaN(c.ValMASE) {
			continue
		}
		g := key{c.Kind, c.Base}
		j, ok := best[g]
		if !ok {
			order = append(order, g)
		}
		if !ok || c.ValMASE < cs[j].ValMASE {
			best[g] = i
		}
	}
	out := make([]Candidate, len(order))
	for i, g := range order {
		out[i] = cs[best[g]]
	}
	return out
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
		prep, err := prepare(st, fitPart, c)
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
		fs, fe, err := prep.validate(ctx, st, c.Kind, c.Units, st.ValidationEnsemble, sc)
		if err != nil {
			return 0, 0, err
		}
		score += fs
		epochs += fe
	}
	return score / float64(folds), (epochs + folds/2) / folds, nil
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

// candidates lists Settings' candidate configurations: strategies ×
// kinds × bases × windows × units (one per window for Linear; no LSTM
// over a window above MaxLSTMWindow), in that order.
func candidates(st Settings) []Candidate {
	var out []Candidate
	for _, g := range st.Strategies {
		for _, k := range st.Kinds {
			for _, b := range st.Bases {
				for _, w := range st.Windows {
					if k == LSTM && w > st.MaxLSTMWindow {
						continue
					}
					for _, u := range st.Units {
						if k == Linear {
							u = 0
						}
						out = append(out, Candidate{Kind: k, Window: w, Units: u, Strategy: g, Base: b, ValMASE: math.Inf(1)})
						if k == Linear {
							break
						}
					}
				}
			}
		}
	}
	return out
}

// outputs is the number of steps a network of strategy g outputs.
func outputs(g Strategy, h int) int {
	if g == Recursive {
		return 1
	}
	return h
}

// newModel builds the network of kind k: Input(window, features) →
// LSTM(units) → Dense(out); Input(window·features) → Dense(out) (Linear);
// or Input(window·features) → Dense(units, relu) → Dense(out) (MLP).
func newModel(st Settings, k Kind, window, features, units, out int) (*models.Model, error) {
	dense, err := layers.NewDense(out, nil)
	if err != nil {
		return nil, err
	}
	m, err := newModelRandom(st, k, window, features, units, dense)
	if err != nil || st.RandomInit {
		return m, err
	}
	return m, zeroOutput(m)
}

// zeroOutput sets the weights of m's last layer (the Dense output) to
// zero, so that the untrained network outputs no correction: it forecasts
// exactly the seasonal-naive base, and training moves away from it only
// as far as the data (and early stopping) take it.
func zeroOutput(m *models.Model) error {
	ws := m.Weights()
	last := &ws[len(ws)-1]
	for i := range last.Weights {
		clear(last.Weights[i].Data)
	}
	return m.SetWeights(ws)
}

func newModelRandom(st Settings, k Kind, window, features, units int, dense *layers.Dense) (*models.Model, error) {
	opts := &models.Options{Seed: st.Seed, DType: st.DType, Name: "forecast"}
	switch k {
	case LSTM:
		lstm, err := layers.NewLSTM(units, nil)
		if err != nil {
			return nil, err
		}
		return models.NewSequential([]int{window, features}, []layers.Layer{lstm, dense}, opts)
	case Linear:
		return models.NewSequential([]int{window * features}, []layers.Layer{dense}, opts)
	case MLP:
		hidden, err := layers.NewDense(units, &layers.DenseOptions{Activation: layers.ReLU})
		if err != nil {
			return nil, err
		}
		return models.NewSequential([]int{window * features}, []layers.Layer{hidden, dense}, opts)
	}
	return nil, fmt.Errorf("%w: unknown network kind %v", ErrArgument, k)
}

// inputFor returns x [n, window, features] shaped for m: as it is for a
// recurrent network, flattened to [n, window·features] for a dense one.
func inputFor(m *models.Model, x *graph.Tensor) (*graph.Tensor, error) {
	if len(m.InputShape()) != 1 || len(x.Shape()) != 3 {
		return x, nil
	}
	s := x.Shape()
	return graph.FromFloat64s(m.DType(), graph.Float64s(x), s[0], s[1]*s[2])
}

// Kind is the architecture of a candidate network.
type Kind int

const (
	// LSTM is LSTM(units) → Dense(H) over the window's time steps. The
	// zero value.
	LSTM Kind = iota
	// Linear is Dense(H) over the flattened window: a linear
	// autoregression on the window (relative to its level), correcting
	// seasonal naive. Units do not apply.
	Linear
	// MLP is Dense(units, relu) → Dense(H) over the flattened window.
	MLP
)

// String returns "lstm", "linear" or "mlp".
func (k Kind) String() string {
	switch k {
	case LSTM:
		return "lstm"
	case Linear:
		return "linear"
	case MLP:
		return "mlp"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind parses "lstm", "linear" or "mlp".
func ParseKind(s string) (Kind, error) {
	for _, k := range []Kind{LSTM, Linear, MLP} {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown network kind %q (want lstm, linear or mlp)", ErrArgument, s)
}
