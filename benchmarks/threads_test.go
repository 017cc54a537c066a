package benchmarks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

func TestProductFLOPs(t *testing.T) {
	for _, c := range []struct {
		name  string
		got   float64
		want  float64
		about string
	}{
		// SimpleRNN(2), batch 1, 2 steps, sequences: forward input
		// products 2·(2·1·1·2) = 8, one recurrent product 2·1·2·2 = 8, two
		// heads 2·(2·1·2) = 8; training adds 8 (dW), 16 (dU, dh), 16
		// (dV, dh per head).
		{"SimpleRNN forward", ProductFLOPs(SimpleRNN, 2, 1, 2, true, false), 24, ""},
		{"SimpleRNN train", ProductFLOPs(SimpleRNN, 2, 1, 2, true, true), 64, ""},
		// The GRU keeps the first step's recurrent product: 2 of 2·1·2·6.
		{"GRU forward, last state", ProductFLOPs(GRU, 2, 1, 2, false, false), 2*2*1*1*6 + 2*2*1*2*6 + 2*1*2, ""},
		// LSTM(128), batch 64, 50 steps, last state, trained: the W4 step.
		{"LSTM(128) step", ProductFLOPs(LSTM, 128, 64, 50, false, true),
			2*50*(2*64*512) + 3*49*(2*64*128*512) + 3*(2*64*128), "≈ 1.24 GFLOP"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v FLOP, want %v %s", c.name, c.got, c.want, c.about)
		}
	}
	w6, err := WorkloadFLOPs("W6")
	if err != nil || w6 != 10*10_000*(2*80+2*20*80+2*20)-10_000*2*20*80 {
		t.Errorf("W6: %v FLOP (%v)", w6, err)
	}
	if _, err := WorkloadFLOPs("W7"); err == nil {
		t.Error("W7 accepted")
	}
	for _, w := range Workloads() {
		if f, err := WorkloadFLOPs(w.ID); err != nil || !(f > 0) {
			t.Errorf("%s: %v FLOP (%v)", w.ID, f, err)
		}
	}
}

// TestPredictThreadsBitIdentical predicts several runs' worth of windows
// (more than models.MaxPredictBatch) with 1 to 4 threads, and one window
// at a time, with the seed LSTM and with an LSTM(128) whose products are
// large enough to be split across threads: every prediction is the same
// bit for bit. (Predict's runs and the products' parts go to other
// goroutines; under -race this also checks that they share nothing.)
func TestPredictThreadsBitIdentical(t *testing.T) {
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	for _, c := range []struct {
		units, n int
	}{{20, 2*models.MaxPredictBatch + 37}, {128, models.MaxPredictBatch + 5}} {
		t.Run(fmt.Sprintf("LSTM%d", c.units), func(t *testing.T) {
			m, err := NewRegressor(LSTM, c.units, 10, true, Seed)
			if err != nil {
				t.Fatal(err)
			}
			x := RandomTensor(rand.New(rand.NewPCG(Seed, 15)), c.n, 10, 1)
			runtime.GOMAXPROCS(1)
			one, err := m.PredictBatch(x, 1)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := graph.Float32Data(one)
			for procs := 1; procs <= 4; procs++ {
				runtime.GOMAXPROCS(procs)
				for _, batch := range []int{c.n, models.MaxPredictBatch, 100} {
					y, err := m.PredictBatch(x, batch)
					if err != nil {
						t.Fatal(err)
					}
					got, _ := graph.Float32Data(y)
					if len(got) != len(want) {
						t.Fatalf("GOMAXPROCS %d, batch %d: %d values, want %d", procs, batch, len(got), len(want))
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("GOMAXPROCS %d, batch %d: value %d = %v, one window at a time %v", procs, batch, i, got[i], want[i])
						}
					}
				}
			}
		})
	}
}
