package forecast

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSaveLoad(t *testing.T) {
	y := smallSeries()
	s := Series{Target: y[:56]}
	st := fast
	st.Ensemble = 3
	net, err := Fit(context.Background(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	want, err := net.Forecast(s)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "net.safetensors")
	if err := net.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Forecast(s)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("loaded forecast %v (%v), saved %v", got, err, want)
	}
	if back.Name() != net.Name() || len(back.Models()) != 3 || back.Horizon() != 4 || back.Season() != 4 || len(back.Candidates) != 2 {
		t.Errorf("loaded %s, %d models, horizon %d, season %d", back.Name(), len(back.Models()), back.Horizon(), back.Season())
	}
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil {
		t.Error("loaded a file that is not a model")
	}
	var none *Network
	if err := none.Save(p); !errors.Is(err, ErrArgument) {
		t.Errorf("nil network: %v", err)
	}
}
