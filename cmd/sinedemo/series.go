package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gornn/gornn/trainers/forecast"
)

// MissingPolicy says how loadColumn treats missing values: empty cells, the
// markers "NA" and "NaN" (case-insensitive) and blank lines inside the data.
type MissingPolicy int

const (
	// MissingError makes loadColumn fail if any value is missing. It is the
	// zero value and the default.
	MissingError MissingPolicy = iota
	// MissingDrop removes missing values from the series.
	MissingDrop
	// MissingInterpolate fills interior gaps by linear interpolation between
	// the neighbouring present values (by row position) and fills leading and
	// trailing gaps with the nearest present value.
	MissingInterpolate
)

// String returns the name accepted by parseMissingPolicy.
func (p MissingPolicy) String() string {
	switch p {
	case MissingError:
		return "error"
	case MissingDrop:
		return "drop"
	case MissingInterpolate:
		return "interpolate"
	default:
		return fmt.Sprintf("MissingPolicy(%d)", int(p))
	}
}

// parseMissingPolicy parses "error", "drop" or "interpolate"
// (case-insensitive, surrounding space ignored). The empty string means the
// default, MissingError.
func parseMissingPolicy(s string) (MissingPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "error":
		return MissingError, nil
	case "drop":
		return MissingDrop, nil
	case "interpolate":
		return MissingInterpolate, nil
	default:
		return MissingError, fmt.Errorf("unknown missing-value policy %q (want error, drop or interpolate)", s)
	}
}

// isMissing reports whether a trimmed CSV cell denotes a missing value.
func isMissing(cell string) bool {
	return cell == "" || strings.EqualFold(cell, "NA") || strings.EqualFold(cell, "NaN")
}

// loadColumn reads the CSV file at path, whose first row is a header, and
// returns the numeric values of the named column in file order. Header names
// and cells are compared after trimming surrounding space; quoted headers
// are supported. Missing cells are handled according to missing; nMissing is
// the number of missing cells found, whatever the policy.
//
// A blank line between the header and the last record is a row whose cells
// are all empty, so it is a missing value at its position. (encoding/csv
// skips blank lines; without this, the blank cells of a one-column file
// would silently vanish.) Blank lines after the last record are ignored.
//
// Errors name the file and, for bad or missing cells, the 1-based line
// number. Under MissingError, a column with some values missing gives a
// *missingValuesError; one with every value missing gives another error,
// since no policy can help.
func loadColumn(path, column string, missing MissingPolicy) (values []float64, nMissing int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("load column: %w", err)
	}
	defer f.Close()

	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("load column: %s: empty file, want a header row", path)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load column: %s: reading header: %w", path, err)
	}
	prevEnd := lastLine(r, header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // UTF-8 byte-order mark
	}
	col := -1
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = strings.TrimSpace(h)
		if col < 0 && names[i] == strings.TrimSpace(column) {
			col = i
		}
	}
	if col < 0 {
		return nil, 0, fmt.Errorf("load column: %s: no column %q; available columns: %s",
			path, column, strings.Join(quoteAll(names), ", "))
	}

	var (
		present      []bool
		firstMissing int // line of the first missing cell
	)
	addMissing := func(line int) {
		if nMissing == 0 {
			firstMissing = line
		}
		nMissing++
		values = append(values, math.NaN())
		present = append(present, false)
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("load column: %s: %w", path, err)
		}
		// Lines between the end of the previous record and the start of
		// this one are blank lines that the reader skipped.
		start, _ := r.FieldPos(0)
		for line := prevEnd + 1; line < start; line++ {
			addMissing(line)
		}
		prevEnd = lastLine(r, rec)
		line, _ := r.FieldPos(col)
		cell := strings.TrimSpace(rec[col])
		if isMissing(cell) {
			addMissing(line)
			continue
		}
		v, err := strconv.ParseFloat(cell, 64)
		if err != nil || math.IsInf(v, 0) {
			return nil, 0, fmt.Errorf("load column: %s: line %d: column %q: invalid number %q",
				path, line, names[col], rec[col])
		}
		values = append(values, v)
		present = append(present, true)
	}
	if len(values) == 0 {
		return nil, 0, fmt.Errorf("load column: %s: no data rows", path)
	}
	if nMissing == len(values) {
		return nil, nMissing, fmt.Errorf("load column: %s: column %q: all %d values are missing (empty cells, blank lines, NA or NaN); "+
			"there is no number to keep or to interpolate from", path, names[col], nMissing)
	}
	if nMissing == 0 {
		return values, 0, nil
	}

	switch missing {
	case MissingError:
		return nil, nMissing, &missingValuesError{path: path, column: names[col],
			missing: nMissing, total: len(values), firstLine: firstMissing}
	case MissingDrop:
		kept := values[:0]
		for i, v := range values {
			if present[i] {
				kept = append(kept, v)
			}
		}
		return kept, nMissing, nil
	case MissingInterpolate:
		interpolateGaps(values, present)
		return values, nMissing, nil
	default:
		return nil, nMissing, fmt.Errorf("load column: invalid missing-value policy %v", missing)
	}
}

// missingValuesError is loadColumn's error under MissingError when some,
// but not all, values are missing: the one failure that another
// missing-value policy avoids.
type missingValuesError struct {
	path, column   string
	missing, total int
	firstLine      int // 1-based line of the first missing value
}

func (e *missingValuesError) Error() string {
	return fmt.Sprintf("load column: %s: column %q: %d of %d values missing (first on line %d); "+
		"use missing-value policy drop or interpolate", e.path, e.column, e.missing, e.total, e.firstLine)
}

// lastLine returns the 1-based line on which rec, the record r has just
// read, ends: the line its last field starts on plus the line breaks inside
// that field (a quoted field may span lines; the reader turns each line
// break into "\n").
func lastLine(r *csv.Reader, rec []string) int {
	last := len(rec) - 1
	line, _ := r.FieldPos(last)
	return line + strings.Count(rec[last], "\n")
}

// interpolateGaps fills values[i] for every i with !present[i]: interior
// gaps linearly between the nearest present neighbours, leading and trailing
// gaps with the nearest present value. At least one value must be present.
func interpolateGaps(values []float64, present []bool) {
	prev := -1 // index of the last present value seen
	for i := range values {
		if !present[i] {
			continue
		}
		switch {
		case prev < 0:
			for j := range i {
				values[j] = values[i]
			}
		case i-prev > 1:
			lo, hi := values[prev], values[i]
			span := float64(i - prev)
			for j := prev + 1; j < i; j++ {
				frac := float64(j-prev) / span
				values[j] = lo + frac*(hi-lo)
			}
		}
		prev = i
	}
	for j := prev + 1; j < len(values); j++ {
		values[j] = values[prev]
	}
}

// quoteAll returns each string of s quoted with %q.
func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}

// fitStandardizer fits forecast's standard scaler (mean and population
// standard deviation) on train, the training part only, so validation
// data do not leak into it. Unlike forecast.FitScaler, which only centres
// a constant series, it fails on one: the demo has nothing to learn from
// it. It also fails if train is empty or holds non-finite values.
func fitStandardizer(train []float64) (forecast.Scaler, error) {
	s, err := forecast.FitScaler(forecast.Standard, train)
	if err != nil {
		return forecast.Scaler{}, fmt.Errorf("fit standardizer: %w", err)
	}
	if slices.Min(train) == slices.Max(train) {
		return forecast.Scaler{}, errors.New("fit standardizer: standard deviation is 0; cannot scale")
	}
	return s, nil
}

// minSplitLen is the smallest length splitTail accepts for the training part
// and for a non-empty validation part.
const minSplitLen = 2

// splitTail holds out the last valSplit fraction of values (rounded to the
// nearest count) as validation data and returns the rest as training data.
// valSplit must lie in [0, 1); with 0, val is empty. Each non-empty part must
// hold at least two values. The results share memory with values but have
// their capacity clipped, so appending to them never overwrites values.
func splitTail(values []float64, valSplit float64) (train, val []float64, err error) {
	if !(valSplit >= 0 && valSplit < 1) {
		return nil, nil, fmt.Errorf("split: validation fraction must be in [0, 1), got %v", valSplit)
	}
	n := len(values)
	nVal := int(math.Round(float64(n) * valSplit))
	nTrain := n - nVal
	if nTrain < minSplitLen {
		return nil, nil, fmt.Errorf("split: %d values with validation fraction %v leave %d for training, need at least %d",
			n, valSplit, nTrain, minSplitLen)
	}
	if valSplit > 0 && nVal < minSplitLen {
		return nil, nil, fmt.Errorf("split: %d values with validation fraction %v leave %d for validation, need at least %d",
			n, valSplit, nVal, minSplitLen)
	}
	return values[:nTrain:nTrain], values[nTrain:n:n], nil
}
