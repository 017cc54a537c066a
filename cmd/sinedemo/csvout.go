package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// formatValue formats v in the shortest form that parses back to v exactly.
func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// writeHistoryCSV writes a per-epoch training history to w as CSV: a header
// "epoch,<name>,…" and then one row per epoch, numbered from 1. Each column
// holds at most epochs values; a column with fewer values (a run stopped
// early) leaves its cells empty in the remaining rows. The arguments are
// checked before anything is written.
func writeHistoryCSV(w io.Writer, epochs int, columns []namedCurve) error {
	if epochs < 1 {
		return fmt.Errorf("write history: epochs must be at least 1, got %d", epochs)
	}
	if len(columns) == 0 {
		return fmt.Errorf("write history: no columns")
	}
	header := make([]string, 0, len(columns)+1)
	header = append(header, "epoch")
	for i, c := range columns {
		if len(c.Values) > epochs {
			return fmt.Errorf("write history: column %d (%q) has %d values, more than %d epochs",
				i, c.Name, len(c.Values), epochs)
		}
		header = append(header, c.Name)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	row := make([]string, len(header))
	for e := range epochs {
		row[0] = strconv.Itoa(e + 1)
		for i, c := range columns {
			row[i+1] = ""
			if e < len(c.Values) {
				row[i+1] = formatValue(c.Values[e])
			}
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write history: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return nil
}

// writeSeriesCSV writes columns of equal length to w as CSV under the given
// header, one row per index. The arguments are checked before anything is
// written.
func writeSeriesCSV(w io.Writer, header []string, cols [][]float64) error {
	if len(cols) == 0 {
		return fmt.Errorf("write series: no columns")
	}
	if len(header) != len(cols) {
		return fmt.Errorf("write series: %d header names for %d columns", len(header), len(cols))
	}
	n := len(cols[0])
	for i, c := range cols {
		if len(c) != n {
			return fmt.Errorf("write series: column %d (%q) has %d values, column 0 (%q) has %d",
				i, header[i], len(c), header[0], n)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write series: %w", err)
	}
	row := make([]string, len(cols))
	for r := range n {
		for i, c := range cols {
			row[i] = formatValue(c[r])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write series: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write series: %w", err)
	}
	return nil
}
