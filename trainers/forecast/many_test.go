package forecast

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestFitManyMatchesFit(t *testing.T) {
	y := smallSeries()
	series := []Series{{Target: y[:50]}, {Target: y[:56]}, {Target: y[4:60]}}
	st := fast
	st.Ensemble = 2
	nets, err := FitMany(context.Background(), series, st, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range series {
		alone, err := Fit(context.Background(), s, st)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := alone.Forecast(s)
		got, err := nets[i].Forecast(s)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("series %d: pool %v (%v), alone %v", i, got, err, want)
		}
	}
	if _, err := FitMany(context.Background(), series, st, 0); !errors.Is(err, ErrArgument) {
		t.Errorf("0 workers: %v", err)
	}
	bad := append(slices.Clone(series), Series{Target: y[:5]})
	_, err = FitMany(context.Background(), bad, st, 3)
	var se *SeriesError
	if !errors.Is(err, ErrData) || !errors.As(err, &se) || se.Series != 3 {
		t.Fatalf("a short series: %v", err)
	}
	// The package's name once, then the series, then Fit's message.
	if msg := err.Error(); !strings.HasPrefix(msg, "forecast: series 3: bad data: ") || strings.Count(msg, "forecast: ") != 1 {
		t.Errorf("a short series: %q", msg)
	}
}
