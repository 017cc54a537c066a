package trainers

import "testing"

// GradsIntoAllocs returns how many times one graph.Executor.GradsInto call
// of tr's training program for batches of batch (compiled already)
// allocates: the graph package's share of a training step, which
// TestFitStepAllocs tells apart from trainers' own.
func GradsIntoAllocs(t testing.TB, tr *Trainer, batch int) float64 {
	t.Helper()
	e, err := tr.executor(batch, true)
	if err != nil {
		t.Fatal(err)
	}
	params := tr.modelParams()
	return testing.AllocsPerRun(10, func() {
		if tr.grads, err = e.GradsInto(tr.grads, params); err != nil {
			t.Fatal(err)
		}
	})
}
