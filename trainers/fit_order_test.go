package trainers_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/trainers"
)

// TestFitOrder: an Order that returns EpochOrder's permutations trains
// bit for bit as Fit's own shuffle from the same seed; Order sees the
// epochs in order, each time with 0..n-1 (the training part of a
// validation split); a stateful generator gives the same run twice and
// another order another one.
func TestFitOrder(t *testing.T) {
	x, y := rnnData(t, graph.Float32, 17)
	const batch, seed = 4, 9
	opts := trainers.FitOptions{Epochs: 3, BatchSize: batch, ValidationSplit: 0.2}
	fit := func(o trainers.FitOptions) ([]float64, []float64) {
		m := rnnModel(t, graph.Float32, 2)
		h := must(trainers.Fit(context.Background(), m, x, y, o))
		return h.Loss(), flatWeights(m)
	}
	own := opts
	own.Seed = seed
	wantLoss, wantW := fit(own)

	n := 13 // 17 samples, the last 4 held out
	var epochs []int
	given := opts
	given.Seed = seed + 1 // unused with Order
	given.Order = func(epoch int, order []int) {
		epochs = append(epochs, epoch)
		for i, k := range order {
			if k != i {
				t.Fatalf("epoch %d: order[%d] = %d before Order, want the identity", epoch, i, k)
			}
		}
		if len(order) != n {
			t.Fatalf("epoch %d: an order of %d samples, want %d", epoch, len(order), n)
		}
		copy(order, must(trainers.EpochOrder(n, seed, epoch, true)))
	}
	gotLoss, gotW := fit(given)
	if !slices.Equal(epochs, []int{0, 1, 2}) {
		t.Errorf("Order called for epochs %v", epochs)
	}
	if !slices.Equal(gotLoss, wantLoss) || !slices.Equal(gotW, wantW) {
		t.Errorf("Order with EpochOrder's permutations: losses %v, Fit's own shuffle %v (weights equal: %v)", gotLoss, wantLoss, slices.Equal(gotW, wantW))
	}

	pcg := func() trainers.FitOptions {
		o := opts
		rng := rand.New(rand.NewPCG(1, 2))
		o.Order = func(_ int, order []int) {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		return o
	}
	l1, w1 := fit(pcg())
	l2, w2 := fit(pcg())
	if !slices.Equal(l1, l2) || !slices.Equal(w1, w2) {
		t.Error("the same stateful Order trained differently twice")
	}
	if slices.Equal(w1, wantW) {
		t.Error("a PCG order trained the same weights as Fit's own shuffle")
	}
}

func TestFitOrderErrors(t *testing.T) {
	x, y := denseData(t, graph.Float64, 10)
	for _, c := range []struct {
		name  string
		order func(int, []int)
	}{
		{"repeat", func(_ int, o []int) { o[0] = o[1] }},
		{"out of range", func(_ int, o []int) { o[3] = len(o) }},
		{"negative", func(_ int, o []int) { o[2] = -1 }},
		{"second epoch", func(e int, o []int) {
			if e == 1 {
				o[0] = 5
			}
		}},
	} {
		m := denseModel(t, graph.Float64, 1)
		h, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{Epochs: 2, Order: c.order})
		if !errors.Is(err, graph.ErrArgument) {
			t.Errorf("%s: %v, want ErrArgument", c.name, err)
		}
		want := 0
		if c.name == "second epoch" {
			want = 1
		}
		if len(h.Epochs) != want {
			t.Errorf("%s: %d epochs trained, want %d", c.name, len(h.Epochs), want)
		}
	}
	m := denseModel(t, graph.Float64, 1)
	before := flatWeights(m)
	_, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{NoShuffle: true, Order: func(int, []int) {}})
	if !errors.Is(err, graph.ErrArgument) || !slices.Equal(before, flatWeights(m)) {
		t.Errorf("Order with NoShuffle: %v (weights changed: %v), want ErrArgument before training", err, !slices.Equal(before, flatWeights(m)))
	}
}
