package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/gornn/gornn/models/atomicfile"
	"github.com/gornn/gornn/trainers/forecast"
)

// plotData is what -out draws beyond the result: the training values
// and the axis positions of them and of the forecast steps.
type plotData struct {
	history    []float64
	histX, fcX []float64
	ax         axis
}

// Files -out writes.
const (
	plotFile = "forecast.png"
	csvFile  = "forecasts.csv"
)

// shownHistory is how many of the last training values the plot shows:
// enough seasons and horizons to judge the forecast by, not so many that
// a long series squeezes it into a sliver.
func shownHistory(n, season, horizon int) int {
	return min(n, max(5*horizon, 4*season, 60))
}

// axisFor returns the plot positions of the training values and of the
// forecast steps: the -date column parsed (the file's rows after the
// target's last value, or steps extended from the last dates, for a
// forecast past the data), or 1, 2, ... without -date.
func axisFor(c config, dates []string, n, trainN int) (plotData, error) {
	h := c.horizon
	var pd plotData
	if c.date == "" {
		pd.ax = axis{x: make([]float64, n)}
		for i := range pd.ax.x {
			pd.ax.x[i] = float64(i + 1)
		}
	} else {
		rows := dates
		if c.holdout > 0 || len(rows) < n+h {
			rows = dates[:n]
		} else {
			rows = dates[:n+h]
		}
		var err error
		if pd.ax, err = parseAxis(c.date, rows); err != nil {
			return pd, err
		}
	}
	pd.histX = pd.ax.x[:trainN]
	switch {
	case c.holdout > 0:
		pd.fcX = pd.ax.x[trainN : trainN+h]
	case len(pd.ax.x) >= n+h:
		pd.fcX = pd.ax.x[n : n+h]
	default:
		pd.fcX = pd.ax.extend(h)
	}
	return pd, nil
}

// writeOut writes the plot and the CSV of forecasts of r into dir, each
// atomically (models/atomicfile): no reader sees a half-written file.
func writeOut(dir string, r *result, pd plotData) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, plotFile), func(w io.Writer) error {
		return plotResult(w, r, pd)
	}, 0o644); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, csvFile), func(w io.Writer) error {
		return writeForecasts(w, r, pd)
	}, 0o644); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	return nil
}

// writeForecasts writes one row per forecast step: step, date (with
// -date), actual (with -holdout), each method's forecast and each
// quantile of the network.
func writeForecasts(w io.Writer, r *result, pd plotData) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	head := []string{"step"}
	if r.dated {
		head = append(head, "date")
	}
	if r.Actual != nil {
		head = append(head, "actual")
	}
	for _, m := range r.Methods {
		head = append(head, m.Name)
	}
	for _, q := range r.Levels {
		head = append(head, "q"+forecast.QuantileName(q))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for k := 0; k < r.Horizon; k++ {
		row := []string{strconv.Itoa(k + 1)}
		if r.dated {
			row = append(row, pd.ax.label(pd.fcX[k]))
		}
		if r.Actual != nil {
			row = append(row, num(r.Actual[k]))
		}
		for _, m := range r.Methods {
			row = append(row, num(m.Forecast[k]))
		}
		for _, q := range r.Levels {
			row = append(row, num(r.Methods[0].Quantiles[forecast.QuantileName(q)][k]))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// plotResult draws the last training values, the held-out values (with
// -holdout), the band between the network's lowest and highest quantile,
// the network's forecast and the baselines, against the dates (Unix
// seconds shown as dates) or the row numbers, as a PNG.
func plotResult(w io.Writer, r *result, pd plotData) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %s (selected by validation) and baselines", r.Target, r.Selected)
	p.Y.Label.Text = r.Target
	p.X.Label.Text = "row"
	if pd.ax.isTime {
		p.X.Label.Text = "date"
		format := "2006-01-02 15:04"
		if pd.ax.months > 0 {
			format = "2006-01"
		}
		p.X.Tick.Marker = plot.TimeTicks{Format: format}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	xy := func(x, y []float64) plotter.XYs {
		out := make(plotter.XYs, len(y))
		for i := range y {
			out[i] = plotter.XY{X: x[i], Y: y[i]}
		}
		return out
	}
	if lv := r.Levels; len(lv) >= 2 {
		lo := r.Methods[0].Quantiles[forecast.QuantileName(lv[0])]
		hi := r.Methods[0].Quantiles[forecast.QuantileName(lv[len(lv)-1])]
		ring := xy(pd.fcX, lo)
		for k := len(hi) - 1; k >= 0; k-- {
			ring = append(ring, plotter.XY{X: pd.fcX[k], Y: hi[k]})
		}
		band, err := plotter.NewPolygon(ring)
		if err != nil {
			return err
		}
		band.Color = color.NRGBA{R: 70, G: 130, B: 180, A: 80}
		band.LineStyle.Width = 0
		p.Add(band)
		p.Legend.Add(fmt.Sprintf("%s-%s interval", forecast.QuantileName(lv[0]), forecast.QuantileName(lv[len(lv)-1])), band)
	}
	from := len(pd.history) - shownHistory(len(pd.history), r.Season, r.Horizon)
	hist, err := plotter.NewLine(xy(pd.histX[from:], pd.history[from:]))
	if err != nil {
		return err
	}
	hist.LineStyle.Width = vg.Points(1)
	p.Add(hist)
	p.Legend.Add("history", hist)
	if r.Actual != nil {
		act, err := plotter.NewLine(xy(pd.fcX, r.Actual))
		if err != nil {
			return err
		}
		act.LineStyle.Width = vg.Points(1)
		act.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(act)
		p.Legend.Add("held out", act)
	}
	for i, m := range r.Methods {
		l, err := plotter.NewLine(xy(pd.fcX, m.Forecast))
		if err != nil {
			return err
		}
		l.LineStyle.Color = plotutil.Color(i + 1)
		if m.Kind == "network" {
			l.LineStyle.Width = vg.Points(2)
		} else {
			l.LineStyle.Width = vg.Points(0.8)
			l.LineStyle.Dashes = plotutil.Dashes(i)
		}
		p.Add(l)
		p.Legend.Add(m.Name, l)
	}
	wt, err := p.WriterTo(10*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}
