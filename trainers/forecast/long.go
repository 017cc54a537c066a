package forecast

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Long is a table of many series in long format, one observation per row
// (series id, time, value), split into one Series per id.
type Long struct {
	// IDs are the series' ids, in the order of their first row.
	IDs []string
	// Times are each series' time labels, in time order.
	Times [][]string
	// Series are the values, in time order (targets only).
	Series []Series
}

// ReadLong reads a CSV table in long format (ReadCSV's rules: a header row,
// the delimiter, ',' when zero) whose columns id, time and value give each
// observation's series, time and value. Within a series the rows are put
// in time order: numerically when every time cell of the table is a
// number, else as text (ISO dates such as 2024-01-31 sort so). A value that
// is not a finite number, an empty id or time, or a time that appears twice
// in one series is an error wrapping ErrData naming the data row; an
// unknown column one wrapping ErrArgument. Gaps in time are not detected:
// each series is taken as regular.
func ReadLong(r io.Reader, delimiter rune, id, time, value string) (*Long, error) {
	t, err := ReadCSV(r, delimiter)
	if err != nil {
		return nil, fmt.Errorf("long: %w", err)
	}
	var cols [3]int
	for i, name := range []string{id, time, value} {
		if cols[i], err = t.Index(name); err != nil {
			return nil, fmt.Errorf("long: %w", err)
		}
	}
	numeric := true
	for _, row := range t.Rows {
		if _, err := strconv.ParseFloat(row[cols[1]], 64); err != nil {
			numeric = false
			break
		}
	}
	type obs struct {
		time  string
		num   float64
		value float64
		row   int
	}
	index := map[string]int{}
	var ids []string
	var groups [][]obs
	for i, row := range t.Rows {
		sid, tm, cell := row[cols[0]], row[cols[1]], row[cols[2]]
		if sid == "" || tm == "" {
			return nil, fmt.Errorf("long: %w: data row %d: empty series id or time", ErrData, i+1)
		}
		v, err := strconv.ParseFloat(cell, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("long: %w: column %q, data row %d: %q is not a finite number", ErrData, value, i+1, cell)
		}
		k, ok := index[sid]
		if !ok {
			k = len(ids)
			index[sid] = k
			ids = append(ids, sid)
			groups = append(groups, nil)
		}
		o := obs{time: tm, value: v, row: i + 1}
		if numeric {
			o.num, _ = strconv.ParseFloat(tm, 64)
		}
		groups[k] = append(groups[k], o)
	}
	l := &Long{IDs: ids}
	for k, g := range groups {
		slices.SortStableFunc(g, func(a, b obs) int {
			if numeric {
				return cmp.Compare(a.num, b.num)
			}
			return cmp.Compare(a.time, b.time)
		})
		times := make([]string, len(g))
		vals := make([]float64, len(g))
		for j, o := range g {
			if j > 0 && (o.time == g[j-1].time || (numeric && o.num == g[j-1].num)) {
				return nil, fmt.Errorf("long: %w: data row %d: series %q has time %q twice", ErrData, o.row, ids[k], o.time)
			}
			times[j], vals[j] = o.time, o.value
		}
		l.Times = append(l.Times, times)
		l.Series = append(l.Series, Series{Target: vals})
	}
	return l, nil
}
