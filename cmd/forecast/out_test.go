package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseAxis(t *testing.T) {
	a, err := parseAxis("d", []string{"1960Q1", "1960Q2", "1960Q3", "1960Q4"})
	if err != nil || !a.isTime || a.months != 3 {
		t.Fatalf("quarters: %+v, %v", a, err)
	}
	next := a.extend(2)
	if got := time.Unix(int64(next[1]), 0).UTC(); !got.Equal(time.Date(1961, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("two quarters after 1960Q4: %v", got)
	}
	m, err := parseAxis("d", []string{"1980-11", "1980-12", "1981-01"})
	if err != nil || m.months != 1 || m.label(m.extend(1)[0]) != "1981-02-01" {
		t.Errorf("months: %+v, %v", m, err)
	}
	h, err := parseAxis("d", []string{"2020-01-01 00:00", "2020-01-01 00:30", "2020-01-01 01:00"})
	if err != nil || h.months != 0 || h.label(h.extend(1)[0]) != "2020-01-01T01:30:00Z" {
		t.Errorf("half-hours: %+v, %v", h, err)
	}
	n, err := parseAxis("d", []string{"1", "2", "3.5"})
	if err != nil || n.isTime || n.extend(1)[0] != 5 {
		t.Errorf("numbers: %+v, %v", n, err)
	}
	for _, bad := range [][]string{{"1980-01", "soon"}, {"x"}, {"3", "2"}, {"1980-02", "1980-01"}} {
		if _, err := parseAxis("d", bad); err == nil || !strings.Contains(err.Error(), "-date") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestOutDir(t *testing.T) {
	p := writeCSV(t)
	dir := t.TempDir()
	// Row numbers on the axis (no -date), a holdout and quantiles.
	out := filepath.Join(dir, "a")
	args := append([]string{"-csv", p, "-target", "y", "-season", "4", "-holdout", "4", "-quiet", "-quantiles", "0.1,0.9", "-out", out}, fastFlags...)
	if code, _, errs := runCmd(args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows := readCSV(t, filepath.Join(out, csvFile))
	if len(rows) != 5 || strings.Join(rows[0][:2], ",") != "step,actual" || rows[0][len(rows[0])-1] != "q0.9" {
		t.Errorf("forecasts.csv: %v", rows)
	}
	png, err := os.ReadFile(filepath.Join(out, plotFile))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("forecast.png: %d bytes, %v", len(png), err)
	}
	// Dates on the axis, a forecast past the data: the dates go on.
	q := filepath.Join(dir, "m.csv")
	var b strings.Builder
	b.WriteString("month,v\n")
	for i := range 40 {
		fmt.Fprintf(&b, "%s,%g\n", time.Date(2001, time.Month(i+1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"), float64(1+i%4)+0.1*float64(i)+0.05*float64(i%3))
	}
	if err := os.WriteFile(q, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(dir, "b")
	args = append([]string{"-csv", q, "-target", "v", "-date", "month", "-season", "4", "-horizon", "3", "-quiet", "-out", out}, fastFlags[:4]...)
	if code, _, errs := runCmd(args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows = readCSV(t, filepath.Join(out, csvFile))
	if len(rows) != 4 || rows[0][1] != "date" || rows[1][1] != "2004-05-01" || rows[3][1] != "2004-07-01" {
		t.Errorf("dates of the forecast past 2004-04: %v", rows)
	}
	// Dates that do not parse: one line, exit 1.
	args = append([]string{"-csv", p, "-target", "y", "-date", "y", "-season", "4", "-horizon", "2", "-quiet", "-out", filepath.Join(dir, "c")}, fastFlags...)
	if code, _, errs := runCmd(args...); code != 1 || !strings.Contains(errs, "-date") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("bad dates: exit %d, %q", code, errs)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
