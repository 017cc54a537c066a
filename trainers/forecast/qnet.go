package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// quantileNet is the interval part of a Network: networks of the selected
// window and size with Dense(Q·H) outputs, trained with the pinball loss
// on the same inputs and seasonal-naive corrections as the point network.
type quantileNet struct {
	levels  []float64 // the levels asked for
	trained []float64 // the networks' output levels: levels and 0.5
	// centred: the forecasts are moved, step by step, by the point
	// forecast minus the networks' 0.5 quantile.
	centred bool
	epochs  int
	models  []*models.Model
}

// withMedian returns levels with 0.5 added in order (levels itself when
// it has it).
func withMedian(levels []float64) []float64 {
	if slices.Contains(levels, 0.5) {
		return slices.Clone(levels)
	}
	out := append(slices.Clone(levels), 0.5)
	slices.Sort(out)
	return out
}

// repeatTargets returns the targets [n, h] repeated q times per sample:
// [n, q·h], column j·h+k holding step k (one copy per level).
func repeatTargets(y []float64, n, h, q int) []float64 {
	out := make([]float64, 0, n*h*q)
	for i := 0; i < n; i++ {
		for range q {
			out = append(out, y[i*h:(i+1)*h]...)
		}
	}
	return out
}

// quantileData returns p's inputs and its targets repeated for q levels.
func (p *prepared) quantileData(dt graph.DType, q int) (*graph.Tensor, error) {
	n, h := p.y.Dim(0), p.y.Dim(1)
	return graph.FromFloat64s(dt, repeatTargets(graph.Float64s(p.y), n, h, q), n, q*h)
}

// fitQuantiles trains the quantile networks for candidate c (its window
// and units; always direct). The number of epochs is chosen by early
// stopping on the mean pinball loss of the forecasts from the origins
// inside the last values of s (a fifth of them, at least v; the network
// trains on the samples before them, scalers fitted there), every step
// and level weighing the same; then st.Ensemble networks are trained on all of s
// for that many epochs.
func fitQuantiles(ctx context.Context, st Settings, s Series, c Candidate, v int) (*quantileNet, error) {
	levels, H := withMedian(st.Quantiles), st.Horizon
	loss, err := PinballLoss(levels, H)
	if err != nil {
		return nil, err
	}
	T := len(s.Target)
	// Calibrating an interval needs more values than choosing a point
	// forecast: a fifth of the series, at least v, as long as the
	// training part keeps MinSamples samples.
	v = max(v, min(T/5, T-c.Window-H+1-st.MinSamples))
	fitPart := Series{Target: s.Target[:T-v], Past: cut(s.Past, T-v), Future: s.Future}
	c.Strategy = Direct
	prep, err := prepare(st, fitPart, c)
	if err != nil {
		return nil, fmt.Errorf("quantiles: %w", err)
	}
	yq, err := prep.quantileData(st.DType, len(levels))
	if err != nil {
		return nil, err
	}
	m, err := newModel(st, c.Kind, c.Window, prep.features, c.Units, len(levels)*H)
	if err != nil {
		return nil, err
	}
	tr, err := newLossTrainer(m, loss, st.LearningRate)
	if err != nil {
		return nil, err
	}
	best, bestEpochs := math.Inf(1), 0
	xq, err := inputFor(m, prep.x)
	if err != nil {
		return nil, err
	}
	for epoch := 0; epoch < st.MaxEpochs && epoch-bestEpochs < st.Patience; epoch++ {
		if err := tr.epoch(ctx, xq, yq, st.batchFor(xq.Dim(0)), st.Seed, epoch); err != nil {
			return nil, fmt.Errorf("quantiles: %w", err)
		}
		q, err := prep.quantilesAt([]*models.Model{m}, s, c.Window, T-v, T, levels)
		if err != nil {
			return nil, fmt.Errorf("quantiles: %w", err)
		}
		sc := validationPinball(q, s.Target, T-v, H, levels)
		if sc < best {
			best, bestEpochs = sc, epoch+1
		}
	}
	if st.Progress != nil {
		fmt.Fprintf(st.Progress, "quantiles %v: validation pinball %.4g at epoch %d, on the last %d values\n", levels, best, bestEpochs, v)
	}
	full, err := prepare(st, s, c)
	if err != nil {
		return nil, fmt.Errorf("quantiles: %w", err)
	}
	return trainQuantiles(ctx, st, c, full, loss, levels, bestEpochs)
}

// trainQuantiles trains the st.Ensemble quantile networks of candidate c
// on all of p's samples for epochs epochs (member i seeded st.Seed+i, on
// up to st.Workers goroutines) and returns them as a quantileNet.
func trainQuantiles(ctx context.Context, st Settings, c Candidate, p *prepared, loss models.LossFunc, levels []float64, epochs int) (*quantileNet, error) {
	yq, err := p.quantileData(st.DType, len(levels))
	if err != nil {
		return nil, err
	}
	qn := &quantileNet{levels: slices.Clone(st.Quantiles), trained: levels, centred: true, epochs: epochs}
	qn.models = make([]*models.Model, st.Ensemble)
	err = parallel(st.Ensemble, st.Workers, func(i int) error {
		est := st
		est.Seed = st.Seed + uint64(i)
		m, err := newModel(est, c.Kind, c.Window, p.features, c.Units, len(levels)*st.Horizon)
		if err != nil {
			return err
		}
		tr, err := newLossTrainer(m, loss, st.LearningRate)
		if err != nil {
			return err
		}
		xf, err := inputFor(m, p.x)
		if err != nil {
			return err
		}
		for epoch := range epochs {
			if err := tr.epoch(ctx, xf, yq, st.batchFor(xf.Dim(0)), est.Seed, epoch); err != nil {
				return fmt.Errorf("quantiles: %w", err)
			}
		}
		qn.models[i] = m
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return qn, nil
}

// quantilesAt returns the quantile forecasts of the networks ms
// (averaged) from origins from..to−1 of s, as [to−from][Q][h] in the
// series' units. At every step the levels' values are sorted, so that
// they never cross (a higher level never gets a lower value).
func (p *prepared) quantilesAt(ms []*models.Model, s Series, w, from, to int, levels []float64) ([][][]float64, error) {
	x, err := p.inputsAt(s, w, from, to)
	if err != nil {
		return nil, err
	}
	raw, err := predictRaw(ms, x)
	if err != nil {
		return nil, err
	}
	Q, h := len(levels), p.horizon
	if len(raw) != (to-from)*Q*h {
		return nil, fmt.Errorf("%w: %d quantile outputs for %d origins, %d levels and horizon %d", ErrData, len(raw), to-from, Q, h)
	}
	out := make([][][]float64, to-from)
	col := make([]float64, Q)
	z := p.target.Transform(s.Target)
	for i, o := 0, from; o < to; i, o = i+1, o+1 {
		out[i] = make([][]float64, Q)
		for j := range out[i] {
			out[i][j] = make([]float64, h)
		}
		base := p.baseRow(z, o, h)
		for k := 0; k < h; k++ {
			for j := range Q {
				v := p.target.From(raw[(i*Q+j)*h+k] + base[k])
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("%w: quantile %v, step %d from origin %d is %v", ErrData, levels[j], k+1, o, v)
				}
				col[j] = v
			}
			slices.Sort(col)
			for j := range Q {
				out[i][j][k] = col[j]
			}
		}
	}
	return out, nil
}

// validationPinball is the mean pinball loss of quantile forecasts q
// [origin][level][h] from origins from.. of y, on their steps inside y:
// per level and step the mean over the origins that have that step,
// averaged over steps and levels.
func validationPinball(q [][][]float64, y []float64, from, h int, levels []float64) float64 {
	T := len(y)
	var total float64
	var n int
	for j, tau := range levels {
		for k := 0; k < h && from+k < T; k++ {
			var sum float64
			var cnt int
			for i, o := 0, from; o+k < T; i, o = i+1, o+1 {
				e := y[o+k] - q[i][j][k]
				sum += max(tau*e, (tau-1)*e)
				cnt++
			}
			total += sum / float64(cnt)
			n++
		}
	}
	return total / float64(n)
}

// Quantiles returns the quantile levels the network forecasts (nil when
// Settings.Quantiles was empty).
func (n *Network) Quantiles() []float64 {
	if n == nil || n.quant == nil {
		return nil
	}
	return slices.Clone(n.quant.levels)
}

// QuantileEpochs is the number of epochs the quantile networks were
// trained for (0 without quantiles).
func (n *Network) QuantileEpochs() int {
	if n == nil || n.quant == nil {
		return 0
	}
	return n.quant.epochs
}

// ForecastQuantiles returns the forecasts of each of Quantiles' levels
// for the Horizon values after s.Target, as [level][step], from the same
// inputs as Forecast. The quantile networks also learn the 0.5 level; at
// every step their quantiles are moved by the point forecast (Forecast,
// the members' mean) minus that median, so that the intervals are centred
// on the point forecast (a level 0.5 asked for is the point forecast).
// The levels never cross: at every step a higher level has a value at
// least as high. A network fitted without
// Settings.Quantiles returns an error wrapping ErrArgument.
func (n *Network) ForecastQuantiles(s Series) ([][]float64, error) {
	if n == nil || n.quant == nil || len(n.quant.models) == 0 {
		return nil, fmt.Errorf("forecast: %w: the network was fitted without quantiles", ErrArgument)
	}
	if len(s.Past) != len(n.past) || len(s.Future) != len(n.future) {
		return nil, fmt.Errorf("forecast: %w: %d past and %d future covariates, the network has %d and %d", ErrData, len(s.Past), len(s.Future), len(n.past), len(n.future))
	}
	if err := s.check(n.Window, n.st.Horizon); err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	T := len(s.Target)
	if T < n.Window {
		return nil, fmt.Errorf("forecast: %w: %d values, the window is %d", ErrData, T, n.Window)
	}
	c := n.Candidate
	c.Strategy = Direct
	p := n.prepFor(c)
	q, err := p.quantilesAt(n.quant.models, s, n.Window, T, T+1, n.quant.trained)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	shift := make([]float64, n.st.Horizon)
	if n.quant.centred {
		point, err := n.Forecast(s)
		if err != nil {
			return nil, err
		}
		med := q[0][slices.Index(n.quant.trained, 0.5)]
		for k := range shift {
			shift[k] = point[k] - med[k]
		}
	}
	out := make([][]float64, len(n.quant.levels))
	for j, lv := range n.quant.levels {
		row := q[0][slices.Index(n.quant.trained, lv)]
		out[j] = make([]float64, len(row))
		for k, v := range row {
			out[j][k] = v + shift[k]
		}
	}
	return out, nil
}
