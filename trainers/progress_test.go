package trainers_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/trainers"
)

// epochTime is the time field of an epoch's line.
var epochTime = regexp.MustCompile(`^(Epoch \d+/\d+) - [^ ]+ - `)

// epochLines returns the "Epoch k/n - ..." lines of progress output with
// their times taken out.
func epochLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if epochTime.MatchString(l) {
			out = append(out, epochTime.ReplaceAllString(l, "$1 - "))
		}
	}
	return out
}

// TestProgressBar: a ProgressBar among the callbacks writes what Verbose
// writes (the same epoch lines, bar or not), Verbose puts it ahead of the
// other callbacks, and the bar shows the running loss.
func TestProgressBar(t *testing.T) {
	x, y := denseData(t, graph.Float64, 10)
	fit := func(verbose int, cbs ...trainers.Callback) (string, error) {
		var out strings.Builder
		for _, cb := range cbs {
			if p, ok := cb.(*trainers.ProgressBar); ok {
				p.Output = &out
			}
		}
		_, err := trainers.Fit(context.Background(), denseModel(t, graph.Float64, 1), x, y, trainers.FitOptions{
			Epochs: 3, BatchSize: 4, ValidationSplit: 0.2, Metrics: []trainers.Metric{trainers.MetricMAE},
			Verbose: verbose, Output: &out, Callbacks: cbs,
		})
		return out.String(), err
	}
	for _, c := range []struct {
		verbose int
		bar     *trainers.ProgressBar
	}{{1, &trainers.ProgressBar{}}, {2, &trainers.ProgressBar{LinePerEpoch: true}}} {
		viaVerbose := must(fit(c.verbose))
		viaCallback := must(fit(0, c.bar))
		want, got := epochLines(viaVerbose), epochLines(viaCallback)
		if len(want) != 3 || strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("verbose %d: epoch lines %q, the callback's %q", c.verbose, want, got)
		}
		for i, l := range got {
			if !strings.HasPrefix(l, fmt.Sprintf("Epoch %d/3 - loss: ", i+1)) || !strings.Contains(l, " - mae: ") || !strings.Contains(l, " - val_loss: ") {
				t.Errorf("verbose %d: line %q", c.verbose, l)
			}
		}
		if bar := strings.Contains(viaCallback, "Epoch 1/3 loss: "); bar != (c.verbose == 1) {
			t.Errorf("verbose %d: a bar with the running loss drawn: %v\n%q", c.verbose, bar, viaCallback)
		}
		if c.verbose == 2 && len(strings.Split(strings.TrimRight(viaCallback, "\n"), "\n")) != 3 {
			t.Errorf("verbose 2 wrote more than its 3 lines:\n%s", viaCallback)
		}
	}
	// Verbose's bar comes first: a callback that fails at the end of the
	// first epoch still sees that epoch's line written.
	var out strings.Builder
	stop := errors.New("stop")
	_, err := trainers.Fit(context.Background(), denseModel(t, graph.Float64, 1), x, y, trainers.FitOptions{
		Epochs: 3, BatchSize: 4, Verbose: 2, Output: &out,
		Callbacks: []trainers.Callback{trainers.CallbackFuncs{EpochEnd: func(*trainers.FitState, int, trainers.Logs) error { return stop }}},
	})
	if !errors.Is(err, stop) || len(epochLines(out.String())) != 1 {
		t.Errorf("error %v, output %q: want the first epoch's line, then the callback's error", err, out.String())
	}
}

// abortRecorder records the errors OnTrainAbort is called with.
type abortRecorder struct {
	trainers.NopCallback
	errs []error
}

func (a *abortRecorder) OnTrainAbort(_ *trainers.FitState, err error) { a.errs = append(a.errs, err) }

// TestFitAbort: Fit tells its AbortCallbacks of the error it stops on
// once training began (a callback's error, divergence, cancellation,
// failed validation), not of errors before training nor of a run that
// ends well; a ProgressBar stopped mid-epoch ends its bar with a newline.
func TestFitAbort(t *testing.T) {
	x, y := denseData(t, graph.Float64, 12)
	stop := errors.New("stop")
	huge := must(graph.FromFloat64s(graph.Float64, []float64{1e300, 1e300, 1e300}, 1, 3))
	for _, c := range []struct {
		name  string
		opts  trainers.FitOptions
		ctx   func() context.Context
		abort bool
	}{
		{"success", trainers.FitOptions{Epochs: 2}, nil, false},
		{"bad options", trainers.FitOptions{Epochs: -1}, nil, false},
		{"batch callback", trainers.FitOptions{Epochs: 2, BatchSize: 4, Callbacks: []trainers.Callback{
			trainers.CallbackFuncs{BatchEnd: func(_ *trainers.FitState, _, b int, _ trainers.Logs) error {
				if b == 1 {
					return stop
				}
				return nil
			}}}}, nil, true},
		{"epoch begin", trainers.FitOptions{Epochs: 2, Callbacks: []trainers.Callback{
			trainers.CallbackFuncs{EpochBegin: func(*trainers.FitState, int) error { return stop }}}}, nil, true},
		{"cancelled", trainers.FitOptions{Epochs: 2}, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, true},
		{"diverged", trainers.FitOptions{Epochs: 1000, BatchSize: 4, Optimizer: must(trainers.NewSGD(&trainers.SGDOptions{LearningRate: 1e6}))}, nil, true},
		{"validation", trainers.FitOptions{Epochs: 2, ValidationX: huge, ValidationY: must(graph.FromFloat64s(graph.Float64, []float64{1e300}, 1, 1))}, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &abortRecorder{}
			var out strings.Builder
			o := c.opts
			o.Callbacks = append(o.Callbacks, rec)
			o.Verbose, o.Output = 1, &out
			ctx := context.Background()
			if c.ctx != nil {
				ctx = c.ctx()
			}
			_, err := trainers.Fit(ctx, denseModel(t, graph.Float64, 1), x, y, o)
			if (err != nil) != (c.name != "success") || (c.name == "diverged" && !errors.Is(err, trainers.ErrDiverged)) {
				t.Fatalf("error %v", err)
			}
			if !c.abort {
				if len(rec.errs) != 0 {
					t.Errorf("OnTrainAbort called with %v", rec.errs)
				}
				return
			}
			if len(rec.errs) != 1 || rec.errs[0] != err {
				t.Errorf("OnTrainAbort called with %v, want once with %v", rec.errs, err)
			}
			if s := out.String(); s != "" && !strings.HasSuffix(s, "\n") {
				t.Errorf("the progress does not end its line: ...%q", s[max(0, len(s)-200):])
			}
		})
	}
}

func TestProgressBarNil(t *testing.T) {
	var p *trainers.ProgressBar
	s := &trainers.FitState{Epochs: 1, Batches: 1}
	for name, err := range map[string]error{
		"OnTrainBegin": p.OnTrainBegin(s),
		"OnEpochBegin": p.OnEpochBegin(s, 0),
		"OnBatchEnd":   p.OnBatchEnd(s, 0, 0, nil),
		"OnEpochEnd":   p.OnEpochEnd(s, 0, nil),
		"OnTrainEnd":   p.OnTrainEnd(s),
	} {
		if !errors.Is(err, graph.ErrArgument) {
			t.Errorf("nil ProgressBar %s: %v, want ErrArgument", name, err)
		}
	}
	p.OnTrainAbort(s, nil) // does nothing, does not panic
	var out strings.Builder
	q := &trainers.ProgressBar{Output: &out}
	if err := q.OnEpochBegin(nil, 0); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("OnEpochBegin without a FitState: %v", err)
	}
	if err := q.OnEpochEnd(nil, 0, trainers.Logs{"loss": 1}); !errors.Is(err, graph.ErrArgument) {
		t.Errorf("OnEpochEnd without a FitState: %v", err)
	}
	// Called by hand, in order, it draws and ends a bar.
	for _, err := range []error{q.OnTrainBegin(s), q.OnEpochBegin(s, 0), q.OnBatchEnd(s, 0, 0, trainers.Logs{"loss": 0.5}), q.OnEpochEnd(s, 0, trainers.Logs{"loss": 0.5}), q.OnTrainEnd(s)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if l := epochLines(out.String()); len(l) != 1 || l[0] != "Epoch 1/1 - loss: 0.5000" {
		t.Errorf("by hand: %q", out.String())
	}
}
