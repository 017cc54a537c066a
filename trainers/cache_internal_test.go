package trainers

import (
	"math"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
)

// TestTrainerCacheBounded trains and evaluates with more batch sizes than
// the trainer keeps programs for: it keeps ProgramCacheSize of each, the
// most recent ones.
func TestTrainerCacheBounded(t *testing.T) {
	d, err := layers.NewDense(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewSequential([]int{2}, []layers.Layer{d}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, Loss{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const sizes = 3 * ProgramCacheSize
	for n := 1; n <= sizes; n++ {
		xs, ys := make([]float64, 2*n), make([]float64, n)
		for i := range n {
			xs[2*i], xs[2*i+1], ys[i] = math.Sin(float64(i)), 1, 0.5
		}
		x, err := graph.FromFloat64s(graph.Float32, xs, n, 2)
		if err != nil {
			t.Fatal(err)
		}
		y, err := graph.FromFloat64s(graph.Float32, ys, n, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.TrainBatch(x, y); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Evaluate(x, y, 0); err != nil {
			t.Fatal(err)
		}
	}
	for name, keys := range map[string][]int{"train": tr.train.Keys(), "eval": tr.eval.Keys()} {
		if len(keys) != ProgramCacheSize || keys[0] != sizes || keys[len(keys)-1] != sizes-ProgramCacheSize+1 {
			t.Errorf("%s programs for batch sizes %v, want the %d most recent", name, keys, ProgramCacheSize)
		}
	}
}
