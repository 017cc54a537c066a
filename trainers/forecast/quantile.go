package forecast

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// CheckQuantiles checks quantile levels: each finite and strictly inside
// (0, 1), in increasing order without repeats (0.1, 0.5, 0.9). The error
// wraps ErrArgument and names the first bad level.
func CheckQuantiles(levels []float64) error {
	for i, q := range levels {
		if math.IsNaN(q) || !(q > 0 && q < 1) {
			return fmt.Errorf("%w: quantile %v (want a level strictly between 0 and 1)", ErrArgument, q)
		}
		if i > 0 && q <= levels[i-1] {
			return fmt.Errorf("%w: quantile %v after %v (want increasing levels without repeats)", ErrArgument, q, levels[i-1])
		}
	}
	return nil
}

// ParseQuantiles parses a comma-separated list of levels, "0.1,0.9",
// checked by CheckQuantiles. An empty list gives nil.
func ParseQuantiles(list string) ([]float64, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []float64
	for _, f := range strings.Split(list, ",") {
		q, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: quantile %q is not a number", ErrArgument, strings.TrimSpace(f))
		}
		out = append(out, q)
	}
	if err := CheckQuantiles(out); err != nil {
		return nil, err
	}
	return out, nil
}

// QuantileName formats a level as the command line and the JSON output
// write it: 0.1 → "0.1".
func QuantileName(q float64) string { return strconv.FormatFloat(q, 'g', -1, 64) }

// Pinball is the mean pinball (quantile) loss of a forecast of the
// level-tau quantile: mean(ρ(a−f)) with ρ(e) = tau·e for e ≥ 0 and
// (tau−1)·e for e < 0. Its expected value is lowest at the true quantile;
// at tau 0.5 it is half the MAE.
func Pinball(actual, forecast []float64, tau float64) (float64, error) {
	if err := CheckQuantiles([]float64{tau}); err != nil {
		return 0, fmt.Errorf("pinball: %w", err)
	}
	if err := checkPair(actual, forecast); err != nil {
		return 0, fmt.Errorf("pinball: %w", err)
	}
	var s float64
	for i, a := range actual {
		e := a - forecast[i]
		if e >= 0 {
			s += tau * e
		} else {
			s += (tau - 1) * e
		}
	}
	return s / float64(len(actual)), nil
}

// Coverage is the empirical coverage of an interval forecast: the
// fraction of actual values with lower ≤ a ≤ upper. For the quantiles
// τ₁ < τ₂ its nominal value is τ₂ − τ₁. A lower bound above its upper
// bound is an error wrapping ErrData.
func Coverage(actual, lower, upper []float64) (float64, error) {
	if err := checkPair(actual, lower); err != nil {
		return 0, fmt.Errorf("coverage: lower: %w", err)
	}
	if err := checkPair(actual, upper); err != nil {
		return 0, fmt.Errorf("coverage: upper: %w", err)
	}
	var in int
	for i, a := range actual {
		if lower[i] > upper[i] {
			return 0, fmt.Errorf("coverage: %w: step %d: lower bound %v above the upper %v", ErrData, i, lower[i], upper[i])
		}
		if a >= lower[i] && a <= upper[i] {
			in++
		}
	}
	return float64(in) / float64(len(actual)), nil
}

// PinballLoss returns the loss (a symbolic graph; its gradient comes from
// gorgonia.Grad like every other loss's) of a network that forecasts the
// given quantile levels over horizon steps: predictions and targets
// [batch, Q·horizon], column q·horizon+k holding step k of level q (the
// target of step k repeated for every level). It is the mean over every
// element of τ·e + relu(−e), e = target − prediction (the mean over each
// level's columns, averaged over the levels), which is the pinball loss
// ρ_τ(e) of Pinball.
func PinballLoss(levels []float64, horizon int) (models.LossFunc, error) {
	if len(levels) == 0 {
		return nil, fmt.Errorf("%w: no quantile levels", ErrArgument)
	}
	if err := CheckQuantiles(levels); err != nil {
		return nil, err
	}
	if horizon < 1 {
		return nil, fmt.Errorf("%w: horizon %d (want at least 1)", ErrArgument, horizon)
	}
	levels = append([]float64(nil), levels...)
	return func(b *graph.Builder, pred, y *graph.Node) *graph.Node {
		if b.Err() != nil {
			return nil
		}
		// Level by level over its columns (Slice keeps bounds above 255
		// apart, see graph.Builder.Slice): mean(τ·e + relu(−e)), averaged
		// over the levels, which have equally many columns.
		e := b.Sub(y, pred)
		var total *graph.Node
		for j, q := range levels {
			ej := e
			if len(levels) > 1 {
				ej = b.Slice(e, 1, j*horizon, (j+1)*horizon)
			}
			lj := b.Mean(b.Add(b.Scale(ej, q), b.ReLU(b.Neg(ej))))
			if total == nil {
				total = lj
			} else {
				total = b.Add(total, lj)
			}
		}
		return b.Scale(total, 1/float64(len(levels)))
	}, nil
}
