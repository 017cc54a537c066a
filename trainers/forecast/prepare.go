package forecast

import (
	"context"
	"fmt"
	"math"

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
	x, y         *graph.Tensor
}

// prepare fits the scalers on s and builds its training samples for
// windows of w.
func prepare(st Settings, s Series, w int) (*prepared, error) {
	p := &prepared{features: s.Features(), season: st.Season, horizon: st.Horizon}
	var err error
	if p.target, err = FitScaler(st.Scaler, s.Target); err != nil {
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
	n := len(s.Target) - w - st.Horizon + 1
	if n < 1 {
		return nil, fmt.Errorf("%w: %d values, need at least window %d + horizon %d", ErrData, len(s.Target), w, st.Horizon)
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
			for k := 0; k < H; k++ {
				win.Targets[i*H+k] -= z.Target[o-m+k%m]
			}
		}
	}
	return win, nil
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
	var out []float64
	for _, m := range ms {
		xm := x
		if m.DType() != graph.Float32 {
			var err error
			if xm, err = graph.FromFloat64s(m.DType(), graph.Float64s(x), x.Shape()...); err != nil {
				return nil, err
			}
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
	H, mm := p.horizon, p.season
	if len(out) != (to-from)*H {
		return nil, fmt.Errorf("%w: %d predictions for %d origins of horizon %d", ErrData, len(out), to-from, H)
	}
	for i, o := 0, from; o < to; i, o = i+1, o+1 {
		for k := 0; k < H; k++ {
			z := out[i*H+k] + (s.Target[o-mm+k%mm]-p.target.Center)/p.target.Scale
			v := z*p.target.Scale + p.target.Center
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: forecast %d from origin %d is %v", ErrData, k+1, o, v)
			}
			out[i*H+k] = v
		}
	}
	return out, nil
}

// train trains a new network of the given size on p's samples for at most
// epochs epochs. With score set, it is called after every epoch and
// training stops after Patience epochs without a lower score; train then
// returns the lowest score and the number of epochs that gave it.
func (p *prepared) train(ctx context.Context, st Settings, units, epochs int) (*models.Model, error) {
	m, opt, err := p.newNet(st, units)
	if err != nil {
		return nil, err
	}
	_, err = trainers.Fit(ctx, m, p.x, p.y, trainers.FitOptions{
		Loss: trainers.MSE(), Optimizer: opt, Epochs: epochs, BatchSize: st.BatchSize, Seed: st.Seed,
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (p *prepared) newNet(st Settings, units int) (*models.Model, trainers.Optimizer, error) {
	m, err := newModel(st, p.x.Shape()[1], p.features, units)
	if err != nil {
		return nil, nil, err
	}
	opt, err := trainers.NewAdam(trainers.WithLearningRate(st.LearningRate))
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
func (p *prepared) validate(ctx context.Context, st Settings, units, members int, score func([]*models.Model) (float64, error)) (float64, int, error) {
	ms := make([]*models.Model, members)
	ts := make([]*trainers.Trainer, members)
	for i := range ms {
		est := st
		est.Seed = st.Seed + uint64(i)
		m, opt, err := p.newNet(est, units)
		if err != nil {
			return 0, 0, err
		}
		if ts[i], err = trainers.NewTrainer(m, trainers.MSE(), opt); err != nil {
			return 0, 0, err
		}
		ms[i] = m
	}
	best, bestEpochs := math.Inf(1), 0
	for epoch := 0; epoch < st.MaxEpochs && epoch-bestEpochs < st.Patience; epoch++ {
		for i, t := range ts {
			_, err := t.Fit(ctx, p.x, p.y, trainers.FitOptions{
				Epochs: epoch + 1, InitialEpoch: epoch, BatchSize: st.BatchSize, Seed: st.Seed + uint64(i),
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
