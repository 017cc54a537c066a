package benchmarks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
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

// TestTrainStepThreadsBitIdentical trains each kind of layer for a few
// steps on one thread and on two to four, its program's ops scheduled on
// that many goroutines as their operands are ready
// (GORNN_SCHEDULE=parallel, so that the small sizes are scheduled too;
// LSTM(128) at batch 64, W4's step, is by default), with the collector
// forced busy: every loss and every trained weight is the same bit for
// bit.
func TestTrainStepThreadsBitIdentical(t *testing.T) {
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	old := debug.SetGCPercent(2)
	defer debug.SetGCPercent(old)
	cases := []struct {
		k        Kind
		s        Size
		schedule string
	}{
		{LSTM, Size{Units: 24, Batch: 8, Steps: 6}, "parallel"},
		{GRU, Size{Units: 24, Batch: 8, Steps: 6}, "parallel"},
		{SimpleRNN, Size{Units: 24, Batch: 8, Steps: 6}, "parallel"},
		{LSTM, Size{Units: 40, Batch: 16, Steps: 5}, "parallel"},
		// Groups of 4 tiles of rows: up to four parts a group (parts.go).
		{LSTM, Size{Units: 64, Batch: 256, Steps: 4}, "parallel"},
		{GRU, Size{Units: 64, Batch: 256, Steps: 4}, "parallel"},
		{LSTM, Size{Units: 128, Batch: 64, Steps: 50}, ""},
	}
	if testing.Short() {
		cases = cases[:len(cases)-1]
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/%v", c.k, c.s), func(t *testing.T) {
			t.Setenv("GORNN_SCHEDULE", c.schedule)
			train := func(procs int) ([]float64, [][]float64) {
				runtime.GOMAXPROCS(procs)
				sc, err := NewStepCase(c.k, c.s)
				if err != nil {
					t.Fatal(err)
				}
				var losses []float64
				for range 3 {
					l, err := sc.Step()
					if err != nil {
						t.Fatal(err)
					}
					losses = append(losses, l)
				}
				var weights [][]float64
				for _, p := range sc.Model.Params() {
					weights = append(weights, p.Float64s())
				}
				return losses, weights
			}
			wantLoss, wantW := train(1)
			for _, procs := range []int{2, 3, 4} {
				gotLoss, gotW := train(procs)
				for i := range wantLoss {
					if math.Float64bits(gotLoss[i]) != math.Float64bits(wantLoss[i]) {
						t.Fatalf("GOMAXPROCS %d: loss of step %d = %v, on one thread %v", procs, i, gotLoss[i], wantLoss[i])
					}
				}
				for i := range wantW {
					for j := range wantW[i] {
						if math.Float64bits(gotW[i][j]) != math.Float64bits(wantW[i][j]) {
							t.Fatalf("GOMAXPROCS %d: weight %d[%d] = %v, on one thread %v", procs, i, j, gotW[i][j], wantW[i][j])
						}
					}
				}
			}
		})
	}
}
