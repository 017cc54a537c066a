package trainers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

func checkpointModel(t *testing.T) (*models.Model, *graph.Tensor, *graph.Tensor) {
	t.Helper()
	g, err := layers.NewGRU(6, layers.WithReturnSequences(true))
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers.NewDense(1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewSequential([]int{5, 1}, []layers.Layer{g, d}, models.WithSeed(11))
	if err != nil {
		t.Fatal(err)
	}
	xs, ys := make([]float64, 23*5), make([]float64, 23*5)
	for i := range xs {
		xs[i] = float64(i%11)/11 - 0.5
		ys[i] = float64((i+1)%11)/11 - 0.5
	}
	x, _ := graph.FromFloat64s(graph.Float32, xs, 23, 5, 1)
	y, _ := graph.FromFloat64s(graph.Float32, ys, 23, 5, 1)
	return m, x, y
}

// TestCheckpointResume checks that 2 epochs, a checkpoint, a load and 2
// more epochs give bit for bit the weights and losses of 4 epochs in one
// run, for an optimizer with state (Adam).
func TestCheckpointResume(t *testing.T) {
	opts := func(opt trainers.Optimizer, epochs, initial int) trainers.FitOptions {
		return trainers.FitOptions{Optimizer: opt, Epochs: epochs, InitialEpoch: initial, BatchSize: 4, Seed: 5}
	}
	m1, x, y := checkpointModel(t)
	adam1, _ := trainers.NewAdam(trainers.WithLearningRate(0.01))
	h1, err := trainers.Fit(context.Background(), m1, x, y, opts(adam1, 4, 0))
	if err != nil {
		t.Fatal(err)
	}

	m2, _, _ := checkpointModel(t)
	adam2, _ := trainers.NewAdam(trainers.WithLearningRate(0.01))
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	tr, _ := trainers.NewTrainer(m2, trainers.MSE(), adam2)
	h2a, err := tr.Fit(context.Background(), x, y, opts(adam2, 2, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := trainers.SaveCheckpoint(path, tr, 2); err != nil {
		t.Fatal(err)
	}
	tr2, epoch, err := trainers.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if epoch != 2 || tr2.Optimizer().Iterations() != adam2.Iterations() {
		t.Fatalf("restored epoch %d, iterations %d; want 2, %d", epoch, tr2.Optimizer().Iterations(), adam2.Iterations())
	}
	h2b, err := tr2.Fit(context.Background(), x, y, trainers.FitOptions{Epochs: 4, InitialEpoch: epoch, BatchSize: 4, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	got := append(slices.Clone(h2a.Loss()), h2b.Loss()...)
	if !slices.Equal(got, h1.Loss()) {
		t.Errorf("resumed losses %v, uninterrupted %v", got, h1.Loss())
	}
	w1, w2 := m1.Params(), tr2.Model().Params()
	for i := range w1 {
		if !slices.Equal(w1[i].Float64s(), w2[i].Float64s()) {
			t.Errorf("%s differs after resuming", w1[i].Name())
		}
	}
}

func TestModelCheckpointCallback(t *testing.T) {
	m, x, y := checkpointModel(t)
	dir := t.TempDir()
	cb := &trainers.ModelCheckpoint{Path: filepath.Join(dir, "e{epoch}.safetensors")}
	if _, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{Epochs: 3, BatchSize: 8, Callbacks: []trainers.Callback{cb}}); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"e1", "e2", "e3"} {
		if _, err := os.Stat(filepath.Join(dir, e+".safetensors")); err != nil {
			t.Error(err)
		}
	}
	_, epoch, err := trainers.LoadCheckpoint(filepath.Join(dir, "e3.safetensors"))
	if err != nil || epoch != 3 {
		t.Fatalf("epoch %d, %v", epoch, err)
	}
	// A plain model file is not a checkpoint.
	plain := filepath.Join(dir, "plain.safetensors")
	if err := models.Save(m, plain); err != nil {
		t.Fatal(err)
	}
	if _, _, err := trainers.LoadCheckpoint(plain); !errors.Is(err, trainers.ErrCheckpoint) {
		t.Errorf("loading a plain model as a checkpoint: %v, want ErrCheckpoint", err)
	}
	best := &trainers.ModelCheckpoint{Path: filepath.Join(dir, "best.safetensors"), SaveBestOnly: true, Monitor: "nope"}
	if _, err := trainers.Fit(context.Background(), m, x, y, trainers.FitOptions{Epochs: 1, Callbacks: []trainers.Callback{best}}); err == nil {
		t.Error("monitoring a value that is not logged should fail")
	}
}
