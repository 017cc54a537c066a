package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// dateLayouts are the date formats -date accepts (besides quarters,
// "1960Q1", and plain numbers such as years or time indexes).
var dateLayouts = []string{
	time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04",
	"2006-01-02", "2006/01/02", "02.01.2006", "2006-01", "2006/01", "Jan 2006", "2006-Jan",
}

// axis is the x axis of the plots: each row's position, as Unix seconds
// for dates or as the number itself for a numeric column.
type axis struct {
	x      []float64
	isTime bool
	// months is the step in whole months when every date falls on the
	// same day of the month (monthly, quarterly, yearly data); 0 else.
	months int
}

// parseDate reads one date cell: a layout of dateLayouts, or a quarter
// "2006Q1" / "2006 Q1" / "2006-Q1".
func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	u := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	if i := strings.IndexByte(u, 'Q'); i == 4 && len(u) == 6 {
		y, err1 := strconv.Atoi(u[:4])
		q, err2 := strconv.Atoi(u[5:])
		if err1 == nil && err2 == nil && q >= 1 && q <= 4 {
			return time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// parseAxis parses the -date column: every cell a date (dateLayouts or a
// quarter), or every cell a finite number, increasing. The error names
// the first cell that is neither.
func parseAxis(name string, cells []string) (axis, error) {
	if len(cells) == 0 {
		return axis{}, fmt.Errorf("-date %q: no values", name)
	}
	a := axis{x: make([]float64, len(cells))}
	if _, ok := parseDate(cells[0]); ok {
		a.isTime = true
		ts := make([]time.Time, len(cells))
		for i, c := range cells {
			t, ok := parseDate(c)
			if !ok {
				return axis{}, fmt.Errorf("-date %q, data row %d: %q is not a date like the first (%s, or 2006Q1)", name, i+1, c, strings.Join(dateLayouts, ", "))
			}
			ts[i] = t
			a.x[i] = float64(t.Unix())
		}
		a.months = monthStep(ts)
	} else {
		for i, c := range cells {
			v, err := strconv.ParseFloat(c, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return axis{}, fmt.Errorf("-date %q, data row %d: %q is neither a date (%s, or 2006Q1) nor a number", name, i+1, c, strings.Join(dateLayouts, ", "))
			}
			a.x[i] = v
		}
	}
	for i := 1; i < len(a.x); i++ {
		if !(a.x[i] > a.x[i-1]) {
			return axis{}, fmt.Errorf("-date %q, data row %d: %q does not come after %q", name, i+1, cells[i], cells[i-1])
		}
	}
	return a, nil
}

// monthStep returns k when consecutive dates are k months apart on the
// same day of the month at midnight, else 0.
func monthStep(ts []time.Time) int {
	if len(ts) < 2 {
		return 0
	}
	k := 0
	for i, t := range ts {
		if t.Day() != ts[0].Day() || t.Day() > 28 || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 {
			return 0
		}
		if i == 0 {
			continue
		}
		d := (t.Year()-ts[i-1].Year())*12 + int(t.Month()) - int(ts[i-1].Month())
		if d < 1 || (k != 0 && d != k) {
			return 0
		}
		k = d
	}
	return k
}

// extend returns the axis positions of n steps after the last: by whole
// months for monthly-like dates, else by the last step.
func (a axis) extend(n int) []float64 {
	out := make([]float64, n)
	last := a.x[len(a.x)-1]
	step := 1.0
	if len(a.x) > 1 {
		step = last - a.x[len(a.x)-2]
	}
	for i := range out {
		if a.months > 0 {
			t := time.Unix(int64(last), 0).UTC().AddDate(0, (i+1)*a.months, 0)
			out[i] = float64(t.Unix())
		} else {
			out[i] = last + float64(i+1)*step
		}
	}
	return out
}

// label formats an axis position as the CSV of forecasts writes it.
func (a axis) label(x float64) string {
	if !a.isTime {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	t := time.Unix(int64(x), 0).UTC()
	if a.months > 0 {
		return t.Format("2006-01-02")
	}
	return t.Format(time.RFC3339)
}
