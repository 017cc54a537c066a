package models_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// TestStreamMatchesSequence: stepping a Stream through a sequence gives,
// at every step, the model's output for the whole sequence at that step,
// bit for bit; Reset starts again; models that read backwards cannot
// stream.
func TestStreamMatchesSequence(t *testing.T) {
	const n, T, F = 3, 6, 2
	ls := []layers.Layer{
		recurrentOf(t, "lstm", 4, &layers.RNNOptions{ReturnSequences: true}),
		must(layers.NewDropout(0.3, nil)),
		recurrentOf(t, "gru", 3, &layers.RNNOptions{ReturnSequences: true}),
		must(layers.NewDense(2, nil)),
	}
	m := must(models.NewSequential([]int{T, F}, ls, &models.Options{DType: graph.Float64}))
	randomWeights(t, m, 3)
	r := rand.New(rand.NewPCG(2, 2))
	x := randTensor(r, n, T, F)
	full := predict(t, m, graph.Float64s(x), n, T, F) // [n, T, 2]
	s := must(m.NewStream(n))
	xv := graph.Float64s(x)
	for pass := range 2 {
		for step := range T {
			xt := make([]float64, 0, n*F)
			for i := range n {
				xt = append(xt, xv[(i*T+step)*F:(i*T+step+1)*F]...)
			}
			got := graph.Float64s(must(s.Step(must(graph.FromFloat64s(graph.Float64, xt, n, 1, F)))))
			var want []float64
			for i := range n {
				want = append(want, full[(i*T+step)*2:(i*T+step+1)*2]...)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pass %d, step %d: stream %v, sequence %v", pass, step, got, want)
			}
		}
		if st := s.States(); len(st) != 3 || !slices.Equal([]int(st[1].Shape()), []int{n, 4}) {
			t.Fatalf("states %v", st)
		}
		s.Reset()
	}
	if _, err := s.Step(randTensor(r, n+1, 1, F)); !errors.Is(err, graph.ErrShape) {
		t.Errorf("a step of another batch size: %v", err)
	}
	bi := must(models.NewSequential([]int{T, F}, []layers.Layer{must(layers.NewBidirectional(recurrentOf(t, "gru", 2, nil), "", nil))}, nil))
	if _, err := bi.NewStream(1); !errors.Is(err, models.ErrModel) {
		t.Errorf("a Bidirectional stream: %v", err)
	}
}
