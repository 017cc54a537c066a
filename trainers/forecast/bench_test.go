package forecast

import (
	"context"
	"testing"
)

// BenchmarkFit times a whole Fit with the default settings (selection
// among four candidates, a five-seed ensemble): the speed goals
// are a 150-point series within 10 s and taylor within 60 s on 2 cores.
//
//	go test -run '^$' -bench Fit -benchtime 1x ./trainers/forecast
func BenchmarkFit(b *testing.B) {
	cases := []struct {
		name, file, column string
		season, h          int
	}{
		{"bjsales_N140_H10", "bjsales", "sales", 1, 10},
		{"wineind_N152_H24_M12", "wineind", "value", 12, 24},
	}
	for _, c := range cases {
		y := loadTestSeries(b, c.file, c.column)
		train := Series{Target: y[:len(y)-c.h]}
		st := Settings{Season: c.season, Horizon: c.h, Seed: 1}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Fit(context.Background(), train, st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
