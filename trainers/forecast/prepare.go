package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

// prepared holds the scalers fitted on one training part and its
// training samples, transformed as the network sees them.
//
// In scaled units z, a sample with origin o has the target feature of its
// inputs relative to the level mean(z[o−m:o]) (m the season) and targets
// z[o+k] − z[o−m+(k mod m)]: the network learns the correction to the
// seasonal-naive forecast (the naive one without a season), so a series'
// level and trend do not have to be memorised. Covariates are only scaled.
type prepared struct {
	target       Scaler
	past, future []Scaler
	features     int
	season       int
	horizon      int
	baseSeasons  int
	x, y         *graph.Tensor
}

// prepare fits the scalers on s and builds its training samples for
// candidate c's window, strategy and base.
func prepare(st Settings, s Series, c Candidate) (*prepared, error) {
	w, g := c.Window, c.Strategy
	p := &prepared{features: s.Features(), season: st.Season, horizon: outputs(g, st.Horizon), baseSeasons: c.Base}
	var err error
	if p.target, err = fitTarget(st, s.Target); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	for i, c := range s.Past {
		sc, err := FitScaler(st.Scaler, c)
		if err != nil {
			return nil, fmt.Errorf("past covariate %d: %w", i, err)
		}
		p.past = append(p.past, sc)
	}
	for i, c := range s.Future {
		sc, err := FitScaler(st.Scaler, c[:len(s.Target)])
		if err != nil {
			return nil, fmt.Errorf("future covariate %d: %w", i, err)
		}
		p.future = append(p.future, sc)
	}
	n := len(s.Target) - w - p.horizon + 1
	if n < 1 {
		return nil, fmt.Errorf("%w: %d values, need at least window %d + horizon %d", ErrData, len(s.Target), w, p.horizon)
	}
	origins := make([]int, n)
	for i := range origins {
		origins[i] = w + i
	}
	win, err := p.windows(s, w, origins, true)
	if err != nil {
		return nil, err
	}
	if p.x, p.y, err = win.Tensors(st.DType); err != nil {
		return nil, err
	}
	return p, nil
}

// fitTarget fits the target's scaler: on the logarithms when Settings.Log
// asks for them (LogAuto: when every value is positive).
func fitTarget(st Settings, y []float64) (Scaler, error) {
	if st.Log == LogAlways || (st.Log == LogAuto && len(y) > 0 && slices.Min(y) > 0) {
		return FitLogScaler(st.Scaler, y)
	}
	return FitScaler(st.Scaler, y)
}

// scaled returns s in scaled units.
func (p *prepared) scaled(s Series) Series {
	z := Series{Target: p.target.Transform(s.Target)}
	for i, c := range s.Past {
		z.Past = append(z.Past, p.past[i].Transform(c))
	}
	for i, c := range s.Future {
		z.Future = append(z.Future, p.future[i].Transform(c))
	}
	return z
}

// windows returns the transformed samples of s at the given origins.
func (p *prepared) windows(s Series, w int, origins []int, targets bool) (*Windows, error) {
	z := p.scaled(s)
	win, err := windowsAt(z, w, p.horizon, origins, targets)
	if err != nil {
		return nil, err
	}
	m, f, H := p.season, p.features, p.horizon
	for i, o := range origins {
		level := 0.0
		for t := o - m; t < o; t++ {
			level += z.Target[t]
		}
		level /= float64(m)
		for j := 0; j < w; j++ {
			win.Inputs[(i*w+j)*f] -= level
		}
		if targets {
			for k, b := range p.baseRow(z.Target, o, H) {
				win.Targets[i*H+k] -= b
			}
		}
	}
	return win, nil
}

// forecastAt returns the forecasts [to−from, h] of the networks ms
// (averaged) from origins from..to−1 of s: in one go for a direct network
// (p.horizon = h), else one step at a time, each forecast appended to its
// origin's copy of the target for the next step.
func (p *prepared) forecastAt(ms []*models.Model, s Series, w, from, to, h int) ([]float64, error) {
	if p.horizon == h {
		x, err := p.inputsAt(s, w, from, to)
		if err != nil {
			return nil, err
		}
		return p.predict(ms, s, x, w, from, to)
	}
	if len(s.Past) > 0 {
		return nil, fmt.Errorf("%w: a recursive forecast cannot use past covariates", ErrArgument)
	}
	n := to - from
	exts := make([]Series, n)
	for i := range exts {
		exts[i] = Series{Target: slices.Clone(s.Target[:from+i]), Future: s.Future}
	}
	out := make([]float64, n*h)
	for k := 0; k < h; k++ {
		inputs := make([]float64, 0, n*w*p.features)
		for i := range exts {
			win, err := p.windows(exts[i], w, []int{len(exts[i].Target)}, false)
			if err != nil {
				return nil, err
			}
			inputs = append(inputs, win.Inputs...)
		}
		x, err := graph.FromFloat64s(graph.Float32, inputs, n, w, p.features)
		if err != nil {
			return nil, err
		}
		raw, err := predictRaw(ms, x)
		if err != nil {
			return nil, err
		}
		if len(raw) != n {
			return nil, fmt.Errorf("%w: %d predictions for %d origins", ErrData, len(raw), n)
		}
		for i := range exts {
			e := exts[i].Target
			v := p.target.From(raw[i] + p.base(p.target.Transform(e), len(e), 0))
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: forecast %d from origin %d is %v", ErrData, k+1, from+i, v)
			}
			out[i*h+k] = v
			exts[i].Target = append(e, v)
		}
	}
	return out, nil
}

// inputsAt returns the network inputs for origins from..to−1 of s.
func (p *prepared) inputsAt(s Series, w, from, to int) (*graph.Tensor, error) {
	origins := make([]int, 0, to-from)
	for o := from; o < to; o++ {
		origins = append(origins, o)
	}
	win, err := p.windows(s, w, origins, false)
	if err != nil {
		return nil, err
	}
	dt := graph.Float32
	return graph.FromFloat64s(dt, win.Inputs, win.N, w, win.Features)
}

// predict runs m on x (the inputs for origins from..to−1 of s) and returns
// the forecasts [to−from, horizon] in the series' units.
func (p *prepared) predict(ms []*models.Model, s Series, x *graph.Tensor, w, from, to int) ([]float64, error) {
	out, err := predictRaw(ms, x)
	if err != nil {
		return nil, err
	}
	H := p.horizon
	if len(out) != (to-from)*H {
		return nil, fmt.Errorf("%w: %d predictions for %d origins of horizon %d", ErrData, len(out), to-from, H)
	}
	z := p.target.Transform(s.Target)
	for i, o := 0, from; o < to; i, o = i+1, o+1 {
		base := p.baseRow(z, o, H)
		for k := 0; k < H; k++ {
			v := p.target.From(out[i*H+k] + base[k])
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: forecast %d from origin %d is %v", ErrData, k+1, o, v)
			}
			out[i*H+k] = v
		}
	}
	return out, nil
}

// base is the forecast the network corrects, in scaled units, for step k
// (0-based) from origin o of the scaled target z: the level of the last
// season plus the seasonal profile averaged over the last baseSeasons
// seasons (each taken relative to its own mean; fewer when the history
// is shorter). With one season it is seasonal naive, z[o−m+(k mod m)];
// without a season (m = 1) it is naive.
func (p *prepared) base(z []float64, o, k int) float64 {
	return p.baseRow(z, o, k+1)[k]
}

// baseRow returns the bases of steps 0..h−1 from origin o at once (the
// seasons' means computed once).
func (p *prepared) baseRow(z []float64, o, h int) []float64 {
	m := p.season
	out := make([]float64, h)
	K := min(max(p.baseSeasons, 1), o/m)
	if K <= 1 || m == 1 {
		for k := range out {
			out[k] = z[o-m+k%m]
		}
		return out
	}
	mean := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	level := mean(z[o-m : o])
	profile := make([]float64, m)
	for j := 1; j <= K; j++ {
		blk := z[o-j*m : o-(j-1)*m]
		mj := mean(blk)
		for i, v := range blk {
			profile[i] += (v - mj) / float64(K)
		}
	}
	for k := range out {
		out[k] = level + profile[k%m]
	}
	return out
}

// predictRaw returns the networks' outputs for x, averaged.
func predictRaw(ms []*models.Model, x *graph.Tensor) ([]float64, error) {
	var out []float64
	for _, m := range ms {
		xm := x
		if m.DType() != graph.Float32 {
			var err error
			if xm, err = graph.FromFloat64s(m.DType(), graph.Float64s(x), x.Shape()...); err != nil {
				return nil, err
			}
		}
		xm, err := inputFor(m, xm)
		if err != nil {
			return nil, err
		}
		y, err := m.Predict(xm)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = graph.Float64s(y)
		} else {
			for i, v := range graph.Float64s(y) {
				out[i] += v
			}
		}
	}
	for i := range out {
		out[i] /= float64(len(ms))
	}
	return out, nil
}

// train trains a new network of the given size on p's samples for at most
// epochs epochs. With score set, it is called after every epoch and
// training stops after Patience epochs without a lower score; train then
// returns the lowest score and the number of epochs that gave it.
func (p *prepared) train(ctx context.Context, st Settings, k Kind, units, epochs int) (*models.Model, error) {
	m, opt, err := p.newNet(st, k, units)
	if err != nil {
		return nil, err
	}
	if epochs == 0 {
		return m, nil // the untrained network validated best
	}
	x, err := inputFor(m, p.x)
	if err != nil {
		return nil, err
	}
	_, err = trainers.Fit(ctx, m, x, p.y, trainers.FitOptions{
		Loss: trainers.MSE(), Optimizer: opt, Epochs: epochs, BatchSize: st.batchFor(p.x.Dim(0)), Seed: st.Seed,
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (p *prepared) newNet(st Settings, k Kind, units int) (*models.Model, trainers.Optimizer, error) {
	m, err := newModel(st, k, p.x.Dim(1), p.features, units, p.horizon)
	if err != nil {
		return nil, nil, err
	}
	opt, err := trainers.NewAdam(&trainers.AdamOptions{LearningRate: st.LearningRate})
	if err != nil {
		return nil, nil, err
	}
	return m, opt, nil
}

// validate trains members networks of the given size (seeds Seed,
// Seed+1, ...) side by side, one epoch at a time, for at most MaxEpochs
// epochs; after each epoch score rates their averaged forecasts, and
// training stops after Patience epochs without a lower score. It returns
// the lowest score and the number of epochs that gave it.
func (p *prepared) validate(ctx context.Context, st Settings, k Kind, units, members int, score func([]*models.Model) (float64, error)) (float64, int, error) {
	ms := make([]*models.Model, members)
	ts := make([]*trainers.Trainer, members)
	var x *graph.Tensor
	for i := range ms {
		est := st
		est.Seed = st.Seed + uint64(i)
		m, opt, err := p.newNet(est, k, units)
		if err != nil {
			return 0, 0, err
		}
		if ts[i], err = trainers.NewTrainer(m, trainers.MSE(), opt); err != nil {
			return 0, 0, err
		}
		ms[i] = m
		if x, err = inputFor(m, p.x); err != nil {
			return 0, 0, err
		}
	}
	// Epoch 0, the untrained networks, is scored too: with the output
	// layer at zero they forecast exactly their base, and a candidate that
	// never validates better than that is not moved away from it.
	best, err := score(ms)
	if err != nil {
		return 0, 0, err
	}
	bestEpochs := 0
	if math.IsNaN(best) {
		best = math.Inf(1)
	}
	for epoch := 0; epoch < st.MaxEpochs && epoch-bestEpochs < st.Patience; epoch++ {
		for i, t := range ts {
			_, err := t.Fit(ctx, x, p.y, trainers.FitOptions{
				Epochs: epoch + 1, InitialEpoch: epoch, BatchSize: st.batchFor(p.x.Dim(0)), Seed: st.Seed + uint64(i),
			})
			if err != nil {
				return 0, 0, err
			}
		}
		v, err := score(ms)
		if err != nil {
			return 0, 0, err
		}
		if v < best {
			best, bestEpochs = v, epoch+1
		}
	}
	return best, bestEpochs, nil
}
