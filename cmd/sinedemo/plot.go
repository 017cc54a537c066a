package main

import (
	"errors"
	"fmt"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// namedCurve is a labelled series of values, one line in a plot or one
// column in a CSV file.
type namedCurve struct {
	// Name labels the curve in legends and CSV headers.
	Name string
	// Values are the curve's y values.
	Values []float64
}

// Plot size: 8 × 4.5 inches, which is 768 × 432 pixels at the default
// 96 dpi of the PNG renderer.
const (
	plotWidth  = 8 * vg.Inch
	plotHeight = 4.5 * vg.Inch
)

// plotLosses writes a PNG to w with one line per curve: the loss of each
// model against its 1-based epoch number. Curves may differ in length. The
// y axis is logarithmic when every value is positive and the values span at
// least a factor of ten, and linear otherwise.
func plotLosses(w io.Writer, curves []namedCurve, title string) error {
	if err := checkCurves(curves, 0); err != nil {
		return fmt.Errorf("plot losses: %w", err)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss (MSE)"
	p.Add(plotter.NewGrid())
	p.Legend.Top = true

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		for _, v := range c.Values {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > 0 && hi/lo >= 10 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}

	for i, c := range curves {
		xys := make(plotter.XYs, len(c.Values))
		for j, v := range c.Values {
			xys[j] = plotter.XY{X: float64(j + 1), Y: v}
		}
		if err := addLine(p, i, c.Name, xys); err != nil {
			return fmt.Errorf("plot losses: %w", err)
		}
	}
	return writePNG(w, p)
}

// plotForecast writes a PNG to w comparing observed data with forecasts.
// series[0] is drawn as points (the training or observed data) and every
// later series as a line. x gives the x coordinates; a series with fewer
// values than x is aligned with the end of x, so a forecast of the last k
// steps needs only k values. Every series needs at least one value and at
// most len(x).
func plotForecast(w io.Writer, x []float64, series []namedCurve, title string) error {
	return plotForecastAxes(w, "x", "value", x, series, title)
}

// plotForecastAxes is plotForecast with the given axis labels.
func plotForecastAxes(w io.Writer, xLabel, yLabel string, x []float64, series []namedCurve, title string) error {
	if len(x) == 0 {
		return errors.New("plot forecast: no x values")
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("plot forecast: x value %v at index %d is not finite", v, i)
		}
	}
	if err := checkCurves(series, len(x)); err != nil {
		return fmt.Errorf("plot forecast: %w", err)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true

	for i, c := range series {
		off := len(x) - len(c.Values)
		xys := make(plotter.XYs, len(c.Values))
		for j, v := range c.Values {
			xys[j] = plotter.XY{X: x[off+j], Y: v}
		}
		if i == 0 {
			s, err := plotter.NewScatter(xys)
			if err != nil {
				return fmt.Errorf("plot forecast: series %q: %w", c.Name, err)
			}
			s.GlyphStyle.Shape = draw.CircleGlyph{}
			s.GlyphStyle.Radius = vg.Points(1.5)
			s.GlyphStyle.Color = plotutil.Color(0)
			p.Add(s)
			p.Legend.Add(c.Name, s)
			continue
		}
		if err := addLine(p, i, c.Name, xys); err != nil {
			return fmt.Errorf("plot forecast: %w", err)
		}
	}
	return writePNG(w, p)
}

// checkCurves validates curves for plotting: there must be at least one, each
// must have at least one value, all values must be finite and, if maxLen > 0,
// no curve may have more than maxLen values.
func checkCurves(curves []namedCurve, maxLen int) error {
	if len(curves) == 0 {
		return errors.New("no curves")
	}
	for i, c := range curves {
		if len(c.Values) == 0 {
			return fmt.Errorf("curve %d (%q) has no values", i, c.Name)
		}
		if maxLen > 0 && len(c.Values) > maxLen {
			return fmt.Errorf("curve %d (%q) has %d values, more than the %d x values", i, c.Name, len(c.Values), maxLen)
		}
		for j, v := range c.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("curve %d (%q): value %v at index %d is not finite", i, c.Name, v, j)
			}
		}
	}
	return nil
}

// addLine adds xys to p as the i-th line, with a distinct colour and dash
// pattern, and a legend entry.
func addLine(p *plot.Plot, i int, name string, xys plotter.XYs) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("curve %q: %w", name, err)
	}
	l.LineStyle.Width = vg.Points(1.5)
	l.LineStyle.Color = plotutil.Color(i)
	l.LineStyle.Dashes = plotutil.Dashes(i)
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// writePNG renders p as a PNG of the standard size and writes it to w.
// Nothing is written if rendering fails.
func writePNG(w io.Writer, p *plot.Plot) error {
	wt, err := p.WriterTo(plotWidth, plotHeight, "png")
	if err != nil {
		return fmt.Errorf("render plot: %w", err)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("write plot: %w", err)
	}
	return nil
}
