package trainers_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/layers"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/trainers"
)

func checkpointModel(t *testing.T) (*models.Model, *graph.Tensor, *graph.Tensor) {
	t.Helper()
	g, err := layers.NewGRU(6, &layers.GRUOptions{ReturnSequences: true})
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers.NewDense(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewSequential([]int{5, 1}, []layers.Layer{g, d}, &models.Options{Seed: 11})
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
// run, for an optimizer with state (Adam) and for each loss; Huber's delta
// (0.2, so that both of its regimes occur) must survive the checkpoint.
func TestCheckpointResume(t *testing.T) {
	for _, loss := range []trainers.Loss{trainers.MSE(), trainers.MAE(), must(trainers.Huber(0.2))} {
		t.Run(loss.String(), func(t *testing.T) {
			opts := func(opt trainers.Optimizer, epochs, initial int) trainers.FitOptions {
				return trainers.FitOptions{Loss: loss, Optimizer: opt, Epochs: epochs, InitialEpoch: initial, BatchSize: 4, Seed: 5}
			}
			m1, x, y := checkpointModel(t)
			adam1, _ := trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01})
			h1, err := trainers.Fit(context.Background(), m1, x, y, opts(adam1, 4, 0))
			if err != nil {
				t.Fatal(err)
			}

			m2, _, _ := checkpointModel(t)
			adam2, _ := trainers.NewAdam(&trainers.AdamOptions{LearningRate: 0.01})
			path := filepath.Join(t.TempDir(), "ckpt.safetensors")
			tr, _ := trainers.NewTrainer(m2, loss, adam2)
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
			if got := tr2.Loss(); got.Name() != loss.Name() || got.Delta() != loss.Delta() {
				t.Fatalf("restored loss %v, saved %v", got, loss)
			}
			// Without a loss in the options, and with the same one.
			o := opts(nil, 4, epoch)
			if loss.Name() == "huber" {
				o.Loss = must(trainers.Huber(0.2))
			} else {
				o.Loss = trainers.Loss{}
			}
			h2b, err := tr2.Fit(context.Background(), x, y, o)
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
		})
	}
}

// TestCheckpointLossMismatch checks that resuming a checkpoint with
// another loss, or with Huber's other delta, is an error naming both.
func TestCheckpointLossMismatch(t *testing.T) {
	m, x, y := checkpointModel(t)
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	tr := must(trainers.NewTrainer(m, must(trainers.Huber(0.5)), nil))
	if err := trainers.SaveCheckpoint(path, tr, 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		loss trainers.Loss
		want []string
	}{
		{must(trainers.Huber(1.0)), []string{"huber(delta=1)", "huber(delta=0.5)"}},
		{must(trainers.LossByName("huber")), []string{"huber(delta=1)", "huber(delta=0.5)"}},
		{trainers.MSE(), []string{"mse", "huber(delta=0.5)"}},
	} {
		tr2, _, err := trainers.LoadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		before := flatWeights(tr2.Model())
		_, err = tr2.Fit(context.Background(), x, y, trainers.FitOptions{Loss: c.loss, Epochs: 1})
		if !errors.Is(err, graph.ErrArgument) {
			t.Errorf("resuming huber(0.5) with %v: %v, want ErrArgument", c.loss, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not name %s", err, w)
			}
		}
		if !slices.Equal(flatWeights(tr2.Model()), before) {
			t.Error("weights changed")
		}
	}
}

// rewriteCheckpoint loads the checkpoint at src, lets edit change its
// extras, and saves it to a new file, whose path it returns.
func rewriteCheckpoint(t *testing.T, src string, edit func(x *models.Extras)) string {
	t.Helper()
	m, x, err := models.LoadWith(src)
	if err != nil {
		t.Fatal(err)
	}
	edit(&x)
	dst := filepath.Join(t.TempDir(), "edited.safetensors")
	if err := models.SaveWith(m, dst, x); err != nil {
		t.Fatal(err)
	}
	return dst
}

// editMeta rewrites a key of the checkpoint's training state.
func editMeta(t *testing.T, key string, value any) func(x *models.Extras) {
	return func(x *models.Extras) {
		var meta map[string]any
		if err := json.Unmarshal([]byte(x.Meta["training"]), &meta); err != nil {
			t.Fatal(err)
		}
		if value == nil {
			delete(meta, key)
		} else {
			meta[key] = value
		}
		x.Meta["training"] = string(must(json.Marshal(meta)))
	}
}

// TestLoadCheckpointBadState checks that training states that do not fit
// are ErrCheckpoint errors that keep the underlying error for errors.As,
// and that a checkpoint without huber_delta (written before it was stored)
// loads with delta 1.
func TestLoadCheckpointBadState(t *testing.T) {
	m, x, y := checkpointModel(t)
	adam := must(trainers.NewAdam(nil))
	tr := must(trainers.NewTrainer(m, must(trainers.Huber(0.5)), adam))
	must(tr.Fit(context.Background(), x, y, trainers.FitOptions{Epochs: 1, BatchSize: 8}))
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := trainers.SaveCheckpoint(path, tr, 1); err != nil {
		t.Fatal(err)
	}
	slot := must(graph.FromFloat64s(graph.Float64, []float64{1}, 1))

	cases := []struct {
		name string
		edit func(x *models.Extras)
		text string
	}{
		{"unclaimed_slot", func(x *models.Extras) { x.Tensors["optimizer/dense/bias/z"] = slot }, "optimizer/dense/bias/z"},
		{"foreign_slot", func(x *models.Extras) { x.Tensors["optimizer/whatever"] = slot }, "optimizer/whatever"},
		{"missing_slot", func(x *models.Extras) { delete(x.Tensors, "optimizer/dense/bias/m") }, "dense/bias/m is missing"},
		{"duplicate_slot", editMeta(t, "slots", []string{"dense/bias/m", "dense/bias/m"}), "twice"},
		{"delta_on_mse", func(x *models.Extras) { editMeta(t, "loss", "mse")(x); editMeta(t, "huber_delta", 0.5)(x) }, "huber delta"},
		{"negative_delta", editMeta(t, "huber_delta", -1), "delta"},
		{"unknown_loss", editMeta(t, "loss", "hinge"), "hinge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := trainers.LoadCheckpoint(rewriteCheckpoint(t, path, c.edit))
			if !errors.Is(err, trainers.ErrCheckpoint) || !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %v, want ErrCheckpoint saying %q", err, c.text)
			}
		})
	}
	// The underlying errors are wrapped, not flattened.
	_, _, err := trainers.LoadCheckpoint(rewriteCheckpoint(t, path, func(x *models.Extras) { x.Meta["training"] = "{" }))
	var syntax *json.SyntaxError
	if !errors.Is(err, trainers.ErrCheckpoint) || !errors.As(err, &syntax) {
		t.Errorf("bad training JSON: %v, want ErrCheckpoint wrapping a *json.SyntaxError", err)
	}
	_, _, err = trainers.LoadCheckpoint(rewriteCheckpoint(t, path, editMeta(t, "loss", "hinge")))
	if !errors.Is(err, graph.ErrArgument) {
		t.Errorf("unknown loss: %v, want it to wrap LossByName's ErrArgument", err)
	}

	// A checkpoint from before huber_delta was stored gets Keras' default.
	old, _, err := trainers.LoadCheckpoint(rewriteCheckpoint(t, path, editMeta(t, "huber_delta", nil)))
	if err != nil || old.Loss().Delta() != 1 {
		t.Fatalf("checkpoint without huber_delta: %v, %v; want huber delta 1", err, old)
	}
	got, _, err := trainers.LoadCheckpoint(path)
	if err != nil || got.Loss().String() != "huber(delta=0.5)" {
		t.Fatalf("unedited checkpoint: %v, %v", err, got)
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
