package forecast

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Table is a CSV file read as text: a header of column names and rows of
// cells, every row as long as the header.
type Table struct {
	Names []string
	Rows  [][]string
}

// ReadCSV reads a CSV table whose first row names the columns, with the
// given field delimiter (',' when zero). Names and cells are trimmed of
// surrounding space; a leading byte-order mark is dropped. A ragged row, a
// duplicate or empty column name, or a file without data rows is an error
// wrapping ErrData that gives the line.
func ReadCSV(r io.Reader, delimiter rune) (*Table, error) {
	cr := csv.NewReader(r)
	if delimiter != 0 {
		cr.Comma = delimiter
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: empty file, want a header row", ErrData)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading the header: %v", ErrData, err)
	}
	t := &Table{Names: make([]string, len(header))}
	seen := map[string]bool{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, fmt.Errorf("%w: column %d of the header has no name", ErrData, i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("%w: column name %q appears twice", ErrData, h)
		}
		seen[h] = true
		t.Names[i] = h
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrData, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%w: line %d has %d fields, the header %d", ErrData, line, len(rec), len(header))
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		t.Rows = append(t.Rows, rec)
	}
	if len(t.Rows) == 0 {
		return nil, fmt.Errorf("%w: no data rows after the header", ErrData)
	}
	return t, nil
}

// Index returns the position of the named column, or an error listing the
// columns there are.
func (t *Table) Index(name string) (int, error) {
	for i, n := range t.Names {
		if n == strings.TrimSpace(name) {
			return i, nil
		}
	}
	q := make([]string, len(t.Names))
	for i, n := range t.Names {
		q[i] = strconv.Quote(n)
	}
	return -1, fmt.Errorf("%w: no column %q; the columns are %s", ErrArgument, name, strings.Join(q, ", "))
}

// Strings returns the cells of the named column.
func (t *Table) Strings(name string) ([]string, error) {
	c, err := t.Index(name)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = r[c]
	}
	return out, nil
}

// Column returns the named column as numbers. An empty, non-numeric or
// non-finite cell is an error wrapping ErrData naming its data row
// (1-based, after the header).
func (t *Table) Column(name string) ([]float64, error) {
	cells, err := t.Strings(name)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(cells))
	for i, c := range cells {
		v, err := strconv.ParseFloat(c, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: column %q, data row %d: %q is not a finite number", ErrData, name, i+1, c)
		}
		out[i] = v
	}
	return out, nil
}
