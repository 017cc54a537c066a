package trainers

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gornn/gornn/graph"
	"github.com/schollz/progressbar/v3"
)

// ProgressBar is a Callback that writes Keras-like progress: for each
// epoch a live bar with the batch count, the running loss and the time
// left (Keras' verbose=1), drawn by github.com/schollz/progressbar/v3, and
// when the epoch ends a line with its time and logs:
//
//	Epoch 3/20 - 12ms - loss: 0.0412 - val_loss: 0.0533
//
// With LinePerEpoch only that line is written, no bar (Keras' verbose=2).
// FitOptions.Verbose 1 and 2 put one, writing to FitOptions.Output, ahead
// of FitOptions.Callbacks; give one in Callbacks instead to place it
// elsewhere among them.
//
// The zero value draws bars on os.Stdout. A ProgressBar serves one Fit at a
// time: OnTrainBegin resets it. When Fit stops on an error, OnTrainAbort
// ends the bar drawn so far with a newline, so that the error printed next
// starts a line of its own.
type ProgressBar struct {
	// Output receives the progress; nil means os.Stdout.
	Output io.Writer
	// LinePerEpoch writes one line per epoch and no live bar.
	LinePerEpoch bool

	w     io.Writer
	bar   *progressbar.ProgressBar
	start time.Time
}

var _ AbortCallback = (*ProgressBar)(nil)

// errNilState is the error of a ProgressBar called by hand without the
// FitState it reads the epoch and batch counts from.
func errNilState() error {
	return fmt.Errorf("%w: ProgressBar called with a nil FitState", graph.ErrArgument)
}

// OnTrainBegin resets the bar and picks its writer.
func (p *ProgressBar) OnTrainBegin(*FitState) error {
	if p == nil {
		return errNilCallback("ProgressBar")
	}
	p.w, p.bar = p.Output, nil
	if p.w == nil {
		p.w = os.Stdout
	}
	return nil
}

// OnEpochBegin starts the epoch's clock and, without LinePerEpoch, its bar
// of s.Batches batches.
func (p *ProgressBar) OnEpochBegin(s *FitState, epoch int) error {
	if p == nil {
		return errNilCallback("ProgressBar")
	}
	if s == nil {
		return errNilState()
	}
	if p.w == nil {
		p.w = os.Stdout // called without OnTrainBegin
	}
	p.start = time.Now()
	if p.LinePerEpoch {
		return nil
	}
	p.close()
	p.bar = progressbar.NewOptions(s.Batches,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(fmt.Sprintf("Epoch %d/%d", epoch+1, s.Epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
	)
	return nil
}

// OnBatchEnd moves the bar to batch+1 of the epoch's batches and shows
// the running logs.
func (p *ProgressBar) OnBatchEnd(s *FitState, epoch, batch int, logs Logs) error {
	if p == nil {
		return errNilCallback("ProgressBar")
	}
	if p.bar == nil {
		return nil
	}
	if s == nil {
		return errNilState()
	}
	p.bar.Describe(fmt.Sprintf("Epoch %d/%d %s", epoch+1, s.Epochs, formatLogs(logs)))
	_ = p.bar.Set(batch + 1)
	return nil
}

// OnEpochEnd finishes the bar and writes the epoch's line.
func (p *ProgressBar) OnEpochEnd(s *FitState, epoch int, logs Logs) error {
	if p == nil {
		return errNilCallback("ProgressBar")
	}
	if s == nil {
		return errNilState()
	}
	if p.w == nil {
		p.w = os.Stdout
	}
	took := time.Since(p.start)
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
		fmt.Fprintln(p.w)
	}
	fmt.Fprintf(p.w, "Epoch %d/%d - %s - %s\n", epoch+1, s.Epochs, took.Round(time.Millisecond), formatLogs(logs))
	return nil
}

// OnTrainEnd ends a bar left open.
func (p *ProgressBar) OnTrainEnd(*FitState) error {
	if p == nil {
		return errNilCallback("ProgressBar")
	}
	p.close()
	return nil
}

// OnTrainAbort ends the bar drawn so far with a newline.
func (p *ProgressBar) OnTrainAbort(*FitState, error) {
	if p != nil {
		p.close()
	}
}

// close ends an open bar where it stands and starts a new line.
func (p *ProgressBar) close() {
	if p.bar == nil {
		return
	}
	_ = p.bar.Exit()
	p.bar = nil
	fmt.Fprintln(p.w)
}

// formatLogs prints logs as Keras does: "loss: 0.1234 - val_loss: 0.2345",
// loss first, then the others sorted.
func formatLogs(logs Logs) string {
	keys := make([]string, 0, len(logs))
	for k := range logs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %.4f", k, logs[k])
	}
	return strings.Join(parts, " - ")
}

func rank(k string) int {
	switch {
	case k == "loss":
		return 0
	case strings.HasPrefix(k, "val_"):
		return 2
	}
	return 1
}
