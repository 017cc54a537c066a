package models

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gornn/gornn/graph"
)

// DefaultPredictBatch is the batch size Predict uses, as Keras' default.
const DefaultPredictBatch = 32

// PredictCacheSize is how many compiled forward programs a model keeps for
// Predict, one per batch size; meeting another size drops the least
// recently used. Predict with a fixed batch size needs two (full batches
// and the short last one).
const PredictCacheSize = 8

// pooled is a compiled forward program with the executors it made that
// no run holds, so that concurrent predictions never share node values
// and a prediction reuses an executor whose buffers and first-run work
// are done.
//
// The idle executors are a plain list, not a sync.Pool: a pool drops what
// it holds at the second garbage collection, and holds an executor put
// back on one processor where another cannot take it, and a new executor
// costs its first run's work. Measured on W6 (10,000 windows of the seed
// LSTM in runs of 256, two goroutines): the call after two collections
// took 31 ms against 8.3 for the next ones, and the call after the first
// (with executors on the pool) 22.7 ms.
type pooled struct {
	prog *graph.Program
	mu   sync.Mutex
	idle []*graph.Executor
}

// get returns an idle executor, or a new one.
func (p *pooled) get() *graph.Executor {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		e := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return e
	}
	p.mu.Unlock()
	return p.prog.NewExecutor()
}

// put gives an executor back. At most maxIdleExecutors() stay idle; one
// more is dropped for the collector, so many concurrent callers at once
// leave no more memory held than one caller per thread: a model holds at
// most PredictCacheSize·graph.Threads() idle executors, each the size of
// its batch's values, until it drops the program (the least recently used
// batch size) or is itself collected.
func (p *pooled) put(e *graph.Executor) {
	p.mu.Lock()
	if len(p.idle) < maxIdleExecutors() {
		p.idle = append(p.idle, e)
	}
	p.mu.Unlock()
}

// maxIdleExecutors is how many idle executors a forward program keeps:
// one per goroutine a Predict runs on (graph.Threads: GOMAXPROCS, at most
// GORNN_THREADS).
func maxIdleExecutors() int { return graph.Threads() }

// forward returns the cached forward program for a batch size, compiling
// it on first use.
func (m *Model) forward(batch int) (*pooled, error) {
	return m.predict.Get(batch, func() (*pooled, error) {
		prog, err := m.forwardProgram(batch)
		if err != nil {
			return nil, err
		}
		return &pooled{prog: prog}, nil
	})
}

// usable reports a nil or zero Model (not made by New, NewSequential or
// Load) as an error instead of letting a method panic on it.
func (m *Model) usable() error {
	if m == nil {
		return fmt.Errorf("%w: %w: nil model", ErrModel, graph.ErrArgument)
	}
	if len(m.layers) == 0 || len(m.shapes) != len(m.layers) {
		return fmt.Errorf("%w: %w: model has no layers (make models with New, NewSequential or Load)", ErrModel, graph.ErrArgument)
	}
	return nil
}

// Predict runs the model on x [n, input shape...] for any n ≥ 1, in
// batches of DefaultPredictBatch, and returns [n, output shape...] in the
// model's dtype. It is safe for concurrent use.
func (m *Model) Predict(x *graph.Tensor) (*graph.Tensor, error) {
	return m.PredictBatch(x, DefaultPredictBatch)
}

// MaxPredictBatch is the most samples one forward run of Predict takes:
// a larger batch size is run in pieces of MaxPredictBatch (and one short
// last piece). The prediction of a sample does not depend on which
// samples share its run, so pieces change speed and memory, never the
// numbers; and a piece this size keeps a run's values in the processor's
// caches and its memory bounded (predicting 10,000 windows with the seed
// LSTM in one run of 10,000 peaked at 269 MB, in pieces at 26 MB, and
// ran faster).
const MaxPredictBatch = 256

// PredictBatch is Predict with a chosen batch size: samples are run
// batch at a time (at most MaxPredictBatch), the last run with the
// samples left. Runs go on up to [graph.Threads] goroutines at once, each
// with its own executor, when there are several; the result is the same
// bit for bit on any number of threads.
//
// The model keeps the forward programs it compiles for the batch sizes it
// meets (the chosen size, and the size of each short last batch) for the
// next calls, at most PredictCacheSize of them: the least recently used is
// dropped, so a server meeting many batch sizes holds a bounded number.
func (m *Model) PredictBatch(x *graph.Tensor, batch int) (*graph.Tensor, error) {
	if err := m.usable(); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if batch <= 0 {
		return nil, fmt.Errorf("%w: batch size %d must be positive", graph.ErrArgument, batch)
	}
	if err := m.singleOutput("Predict"); err != nil {
		return nil, err
	}
	if err := m.CheckSamples("x", x); err != nil {
		return nil, fmt.Errorf("%s: predict: %w", m.name, err)
	}
	batch = min(batch, MaxPredictBatch)
	n := x.Dim(0)
	if n <= batch {
		// One run: its output is the prediction, a tensor of its own.
		y, err := m.runForward(x)
		if err != nil {
			return nil, fmt.Errorf("%s: predict: %w", m.name, err)
		}
		return y, nil
	}
	outShape := m.OutputShape()
	outPer := 1
	for _, d := range outShape {
		outPer *= d
	}
	out, err := graph.NewTensorChecked(m.dt, append([]int{n}, outShape...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: predict: %w", m.name, err)
	}
	runs := (n + batch - 1) / batch
	if err := m.predictRuns(x, out, batch, outPer, runs); err != nil {
		return nil, fmt.Errorf("%s: predict: %w", m.name, err)
	}
	return out, nil
}

// predictRuns computes runs runs of batch samples of x (the last one
// short) into out, on up to graph.Threads() goroutines. Each goroutine
// takes the next run not yet taken; a failed run stops the others at their
// next run, and the first error is returned.
func (m *Model) predictRuns(x, out *graph.Tensor, batch, outPer, runs int) error {
	n := x.Dim(0)
	one := func(r int) error {
		lo := r * batch
		return m.predictRun(x, out, lo, min(lo+batch, n), outPer)
	}
	threads := min(graph.Threads(), runs)
	if threads < 2 {
		for r := range runs {
			if err := one(r); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		first  error
		wg     sync.WaitGroup
	)
	take := func() {
		for !failed.Load() {
			r := int(next.Add(1) - 1)
			if r >= runs {
				return
			}
			if err := one(r); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				failed.Store(true)
			}
		}
	}
	for range threads - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			take()
		}()
	}
	take()
	wg.Wait()
	return first
}

// predictRun predicts samples lo..hi-1 of x into out's rows lo..hi-1.
func (m *Model) predictRun(x, out *graph.Tensor, lo, hi, outPer int) error {
	chunk, err := graph.SampleRange(x, lo, hi)
	if err != nil {
		return err
	}
	y, err := m.runForward(chunk)
	if err != nil {
		return err
	}
	copyRows(out, y, lo*outPer)
	return nil
}

// runForward runs the forward program for x's batch size on x and returns
// its output, a tensor of its own.
func (m *Model) runForward(x *graph.Tensor) (*graph.Tensor, error) {
	p, err := m.forward(x.Dim(0))
	if err != nil {
		return nil, err
	}
	e := p.get()
	err = e.SetInput(0, x)
	if err == nil {
		err = e.Run()
	}
	var y *graph.Tensor
	if err == nil {
		y, err = e.Output(0)
	}
	p.put(e)
	return y, err
}

// copyRows copies src's data into dst's from flat offset off (same dtype).
// It reads both through graph's accessors, never Dense.Data: src is dead
// after this call, and Data's uintptr-built slice let the collector free
// its memory mid-call (wrong answers and "found pointer to free object"
// under concurrent Predict).
func copyRows(dst, src *graph.Tensor, off int) {
	if d, ok := graph.Float32Data(dst); ok {
		s, _ := graph.Float32Data(src)
		copy(d[off:], s)
		return
	}
	if d, ok := graph.Float64Data(dst); ok {
		s, _ := graph.Float64Data(src)
		copy(d[off:], s)
	}
}
