package main

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
)

// readCSV parses the CSV file at path.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseCSV(t, path, data)
}

// parseCSV parses data, CSV from the named source.
func parseCSV(t *testing.T, name string, data []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	return recs
}

func TestWriteHistoryCSV(t *testing.T) {
	tests := []struct {
		name    string
		epochs  int
		columns []namedCurve
		want    [][]string
	}{
		{
			name:    "one column",
			epochs:  3,
			columns: []namedCurve{{"rnn", []float64{0.5, 0.25, 0.125}}},
			want:    [][]string{{"epoch", "rnn"}, {"1", "0.5"}, {"2", "0.25"}, {"3", "0.125"}},
		},
		{
			name:   "early stop and odd names",
			epochs: 3,
			columns: []namedCurve{
				{"rnn train", []float64{1, 0.1, 0.01}},
				{"lstm,val", []float64{2, 0.2}},
			},
			want: [][]string{{"epoch", "rnn train", "lstm,val"}, {"1", "1", "2"}, {"2", "0.1", "0.2"}, {"3", "0.01", ""}},
		},
		{
			name:    "NaN recorded",
			epochs:  1,
			columns: []namedCurve{{"x", []float64{math.NaN()}}},
			want:    [][]string{{"epoch", "x"}, {"1", "NaN"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeHistoryCSV(&buf, tc.epochs, tc.columns); err != nil {
				t.Fatalf("writeHistoryCSV: %v", err)
			}
			got := parseCSV(t, "history", buf.Bytes())
			if len(got) != tc.epochs+1 {
				t.Errorf("%d rows, want %d", len(got), tc.epochs+1)
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWriteHistoryCSVErrors(t *testing.T) {
	tests := []struct {
		name    string
		epochs  int
		columns []namedCurve
	}{
		{"zero epochs", 0, []namedCurve{{"a", nil}}},
		{"no columns", 3, nil},
		{"column too long", 2, []namedCurve{{"a", []float64{1, 2, 3}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeHistoryCSV(&buf, tc.epochs, tc.columns); err == nil {
				t.Error("writeHistoryCSV succeeded, want error")
			}
			if buf.Len() != 0 {
				t.Errorf("failed write wrote %q", buf.String())
			}
		})
	}
}

func TestWriteSeriesCSV(t *testing.T) {
	x, clean, noisy, err := sineSeries(50, 0.1, 3)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		header []string
		cols   [][]float64
	}{
		{"sine", []string{"x", "clean", "noisy"}, [][]float64{x, clean, noisy}},
		{"single column", []string{"v"}, [][]float64{{1.5, -2}}},
		{"header only", []string{"a", "b"}, [][]float64{{}, {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeSeriesCSV(&buf, tc.header, tc.cols); err != nil {
				t.Fatalf("writeSeriesCSV: %v", err)
			}
			got := parseCSV(t, "series", buf.Bytes())
			if len(got) != len(tc.cols[0])+1 {
				t.Fatalf("%d rows, want %d", len(got), len(tc.cols[0])+1)
			}
			if !slices.Equal(got[0], tc.header) {
				t.Errorf("header %q, want %q", got[0], tc.header)
			}
			for r, rec := range got[1:] {
				for c, cell := range rec {
					v, err := strconv.ParseFloat(cell, 64)
					if err != nil || v != tc.cols[c][r] {
						t.Errorf("row %d col %d = %q, want %v exactly", r, c, cell, tc.cols[c][r])
					}
				}
			}
		})
	}
}

func TestWriteSeriesCSVErrors(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		cols   [][]float64
	}{
		{"no columns", nil, nil},
		{"header mismatch", []string{"a"}, [][]float64{{1}, {2}}},
		{"unequal lengths", []string{"a", "b"}, [][]float64{{1, 2}, {3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeSeriesCSV(&buf, tc.header, tc.cols); err == nil {
				t.Error("writeSeriesCSV succeeded, want error")
			}
			if buf.Len() != 0 {
				t.Errorf("failed write wrote %q", buf.String())
			}
		})
	}
}
