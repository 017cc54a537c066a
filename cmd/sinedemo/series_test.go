package main

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeTemp writes contents to a file in a fresh temporary directory and
// returns its path.
func writeTemp(t *testing.T, contents string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(path, []byte(contents), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParseMissingPolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    MissingPolicy
		wantErr bool
	}{
		{"", MissingError, false},
		{"error", MissingError, false},
		{"drop", MissingDrop, false},
		{" Interpolate ", MissingInterpolate, false},
		{"zero", 0, true},
		{"dropna", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseMissingPolicy(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseMissingPolicy(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("parseMissingPolicy(%q) = %v, want %v", tc.in, got, tc.want)
			}
			if err == nil && tc.in != "" {
				if back, _ := parseMissingPolicy(got.String()); back != got {
					t.Errorf("String round trip: %v -> %v", got, back)
				}
			}
		})
	}
}

func TestLoadColumnTestdata(t *testing.T) {
	tests := []struct {
		name        string
		file        string
		column      string
		policy      MissingPolicy
		wantLen     int
		wantMissing int
		wantErr     string
		first, last float64
	}{
		{name: "sunspots", file: "sunspots.csv", column: "SUNACTIVITY", policy: MissingError,
			wantLen: 309, first: 5, last: 2.9},
		{name: "sunspots year", file: "sunspots.csv", column: "YEAR", policy: MissingDrop,
			wantLen: 309, first: 1700, last: 2008},
		{name: "co2 error", file: "co2.csv", column: "co2", policy: MissingError,
			wantMissing: 59, wantErr: "59 of 2284 values missing (first on line 8)"},
		{name: "co2 drop", file: "co2.csv", column: "co2", policy: MissingDrop,
			wantLen: 2225, wantMissing: 59, first: 316.1, last: 371.5},
		{name: "co2 interpolate", file: "co2.csv", column: "co2", policy: MissingInterpolate,
			wantLen: 2284, wantMissing: 59, first: 316.1, last: 371.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, nMissing, err := loadColumn(filepath.Join("testdata", tc.file), tc.column, tc.policy)
			if !checkLoaded(t, nMissing, err, tc.wantMissing, tc.wantErr) {
				return
			}
			if len(got) != tc.wantLen {
				t.Fatalf("len = %d, want %d", len(got), tc.wantLen)
			}
			for i, v := range got {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("value %d is %v", i, v)
				}
			}
			if got[0] != tc.first || got[len(got)-1] != tc.last {
				t.Errorf("first, last = %v, %v, want %v, %v", got[0], got[len(got)-1], tc.first, tc.last)
			}
		})
	}
}

// checkLoaded checks loadColumn's count of missing values and its error
// (wantErr: a part of the expected message, "" for none), and reports
// whether there are values to check.
func checkLoaded(t *testing.T, nMissing int, err error, wantMissing int, wantErr string) bool {
	t.Helper()
	if nMissing != wantMissing {
		t.Errorf("nMissing = %d, want %d", nMissing, wantMissing)
	}
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want one containing %q", err, wantErr)
		}
		return false
	}
	if err != nil {
		t.Fatalf("loadColumn: %v", err)
	}
	return true
}

func TestLoadColumnMissing(t *testing.T) {
	const data = "t,v\n1,\n2,NA\n3,3\n4,\n5,nan\n6,9\n7,NaN\n8,\n"
	tests := []struct {
		name   string
		policy MissingPolicy
		want   []float64
	}{
		{"drop", MissingDrop, []float64{3, 9}},
		{"interpolate", MissingInterpolate, []float64{3, 3, 3, 5, 7, 9, 9, 9}},
	}
	path := writeTemp(t, data)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, nMissing, err := loadColumn(path, "v", tc.policy)
			if err != nil {
				t.Fatalf("loadColumn: %v", err)
			}
			if nMissing != 6 {
				t.Errorf("nMissing = %d, want 6", nMissing)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLoadColumnBlankLines checks that a blank line inside the data, which
// encoding/csv skips, counts as a missing value at its position, and that
// line numbers stay right around blank lines and multi-line fields.
func TestLoadColumnBlankLines(t *testing.T) {
	tests := []struct {
		name        string
		data        string
		policy      MissingPolicy
		want        []float64
		wantMissing int
		wantErr     string
	}{
		{name: "one column error", data: "v\n1\n\n3\n", policy: MissingError,
			wantMissing: 1, wantErr: "1 of 3 values missing (first on line 3)"},
		{name: "one column drop", data: "v\n1\n\n3\n", policy: MissingDrop,
			want: []float64{1, 3}, wantMissing: 1},
		{name: "one column interpolate", data: "v\n1\n\n3\n", policy: MissingInterpolate,
			want: []float64{1, 2, 3}, wantMissing: 1},
		{name: "consecutive", data: "v\n0\n\n\n6\n", policy: MissingInterpolate,
			want: []float64{0, 2, 4, 6}, wantMissing: 2},
		{name: "consecutive error", data: "v\n0\nNA\n\n\n6\n", policy: MissingError,
			wantMissing: 3, wantErr: "3 of 5 values missing (first on line 3)"},
		{name: "first after blank", data: "v\n5\n\n\nNA\n6\n", policy: MissingError,
			wantMissing: 3, wantErr: "3 of 5 values missing (first on line 3)"},
		{name: "right after header", data: "v\n\n2\n4\n", policy: MissingInterpolate,
			want: []float64{2, 2, 4}, wantMissing: 1},
		{name: "CRLF", data: "v\r\n1\r\n\r\n3\r\n", policy: MissingInterpolate,
			want: []float64{1, 2, 3}, wantMissing: 1},
		{name: "several columns", data: "t,v\n1,1\n\n3,3\n", policy: MissingInterpolate,
			want: []float64{1, 2, 3}, wantMissing: 1},
		{name: "trailing ignored", data: "v\n1\n2\n\n\n", policy: MissingError,
			want: []float64{1, 2}},
		{name: "before header ignored", data: "\n\nv\n1\n2\n", policy: MissingError,
			want: []float64{1, 2}},
		{name: "multi-line fields", data: "v,note\n1,\"a\nb\"\n2,\"c\r\n\r\nd\"\n3,x\n", policy: MissingError,
			want: []float64{1, 2, 3}},
		{name: "multi-line header", data: "\"v\",\"long\nname\"\n1,a\n\n3,b\n", policy: MissingInterpolate,
			want: []float64{1, 2, 3}, wantMissing: 1},
		{name: "bad number after blanks", data: "v\n1\n\n\nx\n", policy: MissingDrop,
			wantErr: `line 5: column "v": invalid number "x"`},
		{name: "bad number after multi-line field", data: "v,note\n1,\"a\nb\"\n\ny,z\n", policy: MissingDrop,
			wantErr: `line 5: column "v": invalid number "y"`},
		{name: "all blank or NA", data: "v\n\n\nNA\n\n", policy: MissingInterpolate,
			wantMissing: 3, wantErr: "all 3 values are missing"},
		{name: "only blank lines", data: "v\n\n\n", policy: MissingInterpolate,
			wantErr: "no data rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, nMissing, err := loadColumn(writeTemp(t, tc.data), "v", tc.policy)
			if !checkLoaded(t, nMissing, err, tc.wantMissing, tc.wantErr) {
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLoadColumnErrors(t *testing.T) {
	tests := []struct {
		name    string
		data    string // file contents; "" with noFile means a missing file
		noFile  bool
		column  string
		policy  MissingPolicy
		wantErr []string // substrings the error must contain
	}{
		{name: "missing file", noFile: true, column: "v",
			wantErr: []string{"no such file"}},
		{name: "empty file", data: "", column: "v",
			wantErr: []string{"empty file"}},
		{name: "header only", data: "t,v\n", column: "v",
			wantErr: []string{"no data rows"}},
		{name: "unknown column", data: `"YEAR","SUNACTIVITY"` + "\n1,2\n", column: "spots",
			wantErr: []string{`"spots"`, `"YEAR"`, `"SUNACTIVITY"`}},
		{name: "non-numeric", data: "t,v\n1,2\n2,abc\n", column: "v",
			wantErr: []string{"line 3", `"abc"`}},
		{name: "infinite", data: "t,v\n1,Inf\n", column: "v",
			wantErr: []string{"line 2", `"Inf"`}},
		{name: "missing with error policy", data: "t,v\n1,2\n2,\n3,4\n4,NA\n", column: "v", policy: MissingError,
			wantErr: []string{"2 of 4 values missing", "line 3"}},
		{name: "all missing", data: "t,v\n1,\n2,NA\n", column: "v", policy: MissingInterpolate,
			wantErr: []string{"all 2 values are missing"}},
		{name: "ragged row", data: "t,v\n1,2\n3\n", column: "v",
			wantErr: []string{"line 3"}},
		{name: "bad quoting", data: "t,v\n1,\"2\n", column: "v",
			wantErr: []string{"data.csv"}},
		{name: "invalid policy", data: "t,v\n1,\n2,3\n", column: "v", policy: MissingPolicy(99),
			wantErr: []string{"policy"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "absent.csv")
			if !tc.noFile {
				path = writeTemp(t, tc.data)
			}
			_, _, err := loadColumn(path, tc.column, tc.policy)
			if err == nil {
				t.Fatal("loadColumn succeeded, want error")
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestStandardizer(t *testing.T) {
	tests := []struct {
		name      string
		train     []float64
		mean, std float64
	}{
		{"simple", []float64{1, 2, 3, 4, 5}, 3, math.Sqrt(2)},
		{"two values", []float64{-1, 1}, 0, 1},
		{"offset", []float64{100, 102}, 101, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := fitStandardizer(tc.train)
			if err != nil {
				t.Fatalf("fitStandardizer: %v", err)
			}
			if math.Abs(s.Center-tc.mean) > 1e-12 || math.Abs(s.Scale-tc.std) > 1e-12 {
				t.Errorf("mean, std = %v, %v, want %v, %v", s.Center, s.Scale, tc.mean, tc.std)
			}
			z := s.Transform(tc.train)
			var sum, ss float64
			for _, v := range z {
				sum += v
				ss += v * v
			}
			n := float64(len(z))
			if math.Abs(sum/n) > 1e-12 || math.Abs(ss/n-1) > 1e-12 {
				t.Errorf("transformed mean %v, variance %v, want 0, 1", sum/n, ss/n)
			}
			back := s.Inverse(z)
			for i := range back {
				if math.Abs(back[i]-tc.train[i]) > 1e-9 {
					t.Errorf("Inverse(Transform)[%d] = %v, want %v", i, back[i], tc.train[i])
				}
			}
			if &z[0] == &tc.train[0] || &back[0] == &z[0] {
				t.Error("Transform or Inverse works in place")
			}
		})
	}
}

func TestFitStandardizerErrors(t *testing.T) {
	tests := []struct {
		name  string
		train []float64
	}{
		{"nil", nil},
		{"empty", []float64{}},
		{"constant", []float64{3, 3, 3}},
		{"single", []float64{7}},
		{"NaN", []float64{1, math.NaN(), 2}},
		{"Inf", []float64{1, math.Inf(-1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := fitStandardizer(tc.train); err == nil {
				t.Errorf("fitStandardizer(%v) succeeded, want error", tc.train)
			}
		})
	}
}

func TestSplitTail(t *testing.T) {
	tests := []struct {
		name               string
		n                  int
		valSplit           float64
		wantTrain, wantVal int
	}{
		{"no validation", 10, 0, 10, 0},
		{"fifth", 10, 0.2, 8, 2},
		{"rounded", 309, 0.2, 247, 62},
		{"half", 4, 0.5, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			values := make([]float64, tc.n)
			for i := range values {
				values[i] = float64(i)
			}
			train, val, err := splitTail(values, tc.valSplit)
			if err != nil {
				t.Fatalf("splitTail: %v", err)
			}
			if len(train) != tc.wantTrain || len(val) != tc.wantVal {
				t.Fatalf("lengths %d, %d, want %d, %d", len(train), len(val), tc.wantTrain, tc.wantVal)
			}
			if !slices.Equal(append(slices.Clone(train), val...), values) {
				t.Error("train+val is not the original series")
			}
			_ = append(train, -1)
			if tc.wantVal > 0 && val[0] == -1 {
				t.Error("appending to train overwrote val")
			}
		})
	}
}

func TestSplitTailErrors(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		valSplit float64
	}{
		{"negative", 10, -0.1},
		{"one", 10, 1},
		{"above one", 10, 1.5},
		{"NaN", 10, math.NaN()},
		{"train too short", 10, 0.9},
		{"val too short", 10, 0.1},
		{"empty", 0, 0},
		{"single", 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := splitTail(make([]float64, tc.n), tc.valSplit); err == nil {
				t.Errorf("splitTail(len %d, %v) succeeded, want error", tc.n, tc.valSplit)
			}
		})
	}
}
