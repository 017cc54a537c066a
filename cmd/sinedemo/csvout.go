package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/gornn/gornn/models/atomicfile"
)

// formatValue formats v in the shortest form that parses back to v exactly.
func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// writeHistoryCSV atomically writes a per-epoch training history to path:
// a header "epoch,<name>,…" and then one row per epoch, numbered from 1.
// Each column holds at most epochs values; a column with fewer values (a run
// stopped early) leaves its cells empty in the remaining rows.
func writeHistoryCSV(path string, epochs int, columns []namedCurve) error {
	if epochs < 1 {
		return fmt.Errorf("write history %s: epochs must be at least 1, got %d", path, epochs)
	}
	if len(columns) == 0 {
		return fmt.Errorf("write history %s: no columns", path)
	}
	header := make([]string, 0, len(columns)+1)
	header = append(header, "epoch")
	for i, c := range columns {
		if len(c.Values) > epochs {
			return fmt.Errorf("write history %s: column %d (%q) has %d values, more than %d epochs",
				path, i, c.Name, len(c.Values), epochs)
		}
		header = append(header, c.Name)
	}
	err := atomicfile.WriteFile(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
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
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}, 0o644)
	if err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	return nil
}

// writeSeriesCSV atomically writes columns of equal length to path under the
// given header, one row per index.
func writeSeriesCSV(path string, header []string, cols [][]float64) error {
	if len(cols) == 0 {
		return fmt.Errorf("write series %s: no columns", path)
	}
	if len(header) != len(cols) {
		return fmt.Errorf("write series %s: %d header names for %d columns", path, len(header), len(cols))
	}
	n := len(cols[0])
	for i, c := range cols {
		if len(c) != n {
			return fmt.Errorf("write series %s: column %d (%q) has %d values, column 0 (%q) has %d",
				path, i, header[i], len(c), header[0], n)
		}
	}
	err := atomicfile.WriteFile(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		row := make([]string, len(cols))
		for r := range n {
			for i, c := range cols {
				row[i] = formatValue(c[r])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}, 0o644)
	if err != nil {
		return fmt.Errorf("write series: %w", err)
	}
	return nil
}
