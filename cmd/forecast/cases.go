package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// benchCase is one series as a benchmark defines it: the label printed in
// the table, the series (its file, series+".csv", and its rows in
// baselines.csv), its target and past covariates, the season and the
// horizon. slow cases run only with -taylor.
type benchCase struct {
	label, series, target string
	past                  []string
	season, h             int
	slow                  bool
}

// sharedCases defines the shared series of ../shared/data/forecast (its
// make.R), copied to trainers/forecast/testdata: the list -bench uses in a
// folder without a cases.csv.
var sharedCases = []benchCase{
	{label: "wineind", series: "wineind", target: "value", season: 12, h: 24},
	{label: "woolyrnq", series: "woolyrnq", target: "value", season: 4, h: 8},
	{label: "gas", series: "gas", target: "value", season: 12, h: 24},
	{label: "ldeaths", series: "ldeaths", target: "value", season: 12, h: 24},
	{label: "johnsonjohnson", series: "johnsonjohnson", target: "value", season: 4, h: 8},
	{label: "wwwusage", series: "wwwusage", target: "value", season: 1, h: 10},
	{label: "bjsales", series: "bjsales", target: "sales", season: 1, h: 10},
	{label: "bjsales + lead", series: "bjsales", target: "sales", past: []string{"lead"}, season: 1, h: 10},
	{label: "taylor", series: "taylor", target: "value", season: 336, h: 336, slow: true},
}

// casesFile names the file in a -bench folder that lists its cases.
const casesFile = "cases.csv"

// casesHeader is the header a cases.csv must have: past holds the past
// covariates separated by ';' (empty for none).
var casesHeader = []string{"label", "series", "target", "past", "season", "h"}

// benchCases gives the cases of the benchmark folder dir: those of its
// cases.csv, or the shared series' when it has none. taylor is -taylor,
// which only the shared series' list has a use for.
func benchCases(dir string, taylor bool) ([]benchCase, error) {
	f, err := os.Open(filepath.Join(dir, casesFile))
	if errors.Is(err, fs.ErrNotExist) {
		var out []benchCase
		for _, bc := range sharedCases {
			if !bc.slow || taylor {
				out = append(out, bc)
			}
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if taylor {
		return nil, fmt.Errorf("-taylor: %s lists the cases of %s; -taylor only adds taylor to the shared series' list", casesFile, dir)
	}
	cases, err := readCases(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, casesFile), err)
	}
	return cases, nil
}

// readCases parses a cases.csv: the header casesHeader, then one case a row.
func readCases(r io.Reader) ([]benchCase, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(casesHeader)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, errors.New("empty file")
	}
	for i, name := range recs[0] {
		if strings.TrimSpace(name) != casesHeader[i] {
			return nil, fmt.Errorf("header %q, want %q", strings.Join(recs[0], ","), strings.Join(casesHeader, ","))
		}
	}
	if len(recs) == 1 {
		return nil, errors.New("no cases after the header")
	}
	var out []benchCase
	labels := map[string]bool{}
	for i, rec := range recs[1:] {
		bc, err := parseCase(rec)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+2, err)
		}
		if labels[bc.label] {
			return nil, fmt.Errorf("line %d: label %q given twice", i+2, bc.label)
		}
		labels[bc.label] = true
		out = append(out, bc)
	}
	return out, nil
}

// parseCase parses one row of a cases.csv.
func parseCase(rec []string) (benchCase, error) {
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	bc := benchCase{label: rec[0], series: rec[1], target: rec[2]}
	switch {
	case bc.label == "":
		return bc, errors.New("empty label")
	case bc.series == "" || bc.series == "." || bc.series == ".." || strings.ContainsAny(bc.series, `/\`):
		return bc, fmt.Errorf("series %q: want a file name in the folder, without .csv", bc.series)
	case bc.target == "":
		return bc, errors.New("empty target")
	}
	if rec[3] != "" {
		for p := range strings.SplitSeq(rec[3], ";") {
			p = strings.TrimSpace(p)
			switch {
			case p == "":
				return bc, fmt.Errorf("past %q: an empty covariate name", rec[3])
			case p == bc.target:
				return bc, fmt.Errorf("past %q: the target %q is not its own covariate", rec[3], p)
			case slices.Contains(bc.past, p):
				return bc, fmt.Errorf("past %q: %q given twice", rec[3], p)
			}
			bc.past = append(bc.past, p)
		}
	}
	var err error
	if bc.season, err = strconv.Atoi(rec[4]); err != nil || bc.season < 1 {
		return bc, fmt.Errorf("season %q: want a whole number of at least 1", rec[4])
	}
	if bc.h, err = strconv.Atoi(rec[5]); err != nil || bc.h < 1 {
		return bc, fmt.Errorf("h %q: want a whole number of at least 1", rec[5])
	}
	return bc, nil
}
