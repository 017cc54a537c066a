package main

import (
	"context"
	"io"
	"testing"
)

// BenchmarkCommand times whole runs of the command with its defaults
// (reading the file, selection by validation, the final ensemble, the
// baselines and the scores) on the two speed cases: a monthly
// series of about 150 training points (wineind: 176 values, the last 24
// held out; goal ≤ 10 s) and taylor (4,032 half-hours, horizon 336; goal
// ≤ 60 s). On a shared machine, read the figures with the load in mind.
//
//	go test -run '^$' -bench Command -benchtime 1x ./cmd/forecast
func BenchmarkCommand(b *testing.B) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"wineind_N152_H24_M12", []string{"-csv", "../../trainers/forecast/testdata/wineind.csv", "-target", "value", "-season", "12", "-holdout", "24"}},
		{"taylor_N3696_H336_M336", []string{"-csv", "../../trainers/forecast/testdata/taylor.csv", "-target", "value", "-season", "336", "-holdout", "336"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if code := run(context.Background(), append(c.args, "-quiet"), io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}
