package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/gornn/gornn/trainers"
)

// progressCallback reports training progress from Fit's callbacks; close
// ends the report, whether Fit succeeded or not.
type progressCallback interface {
	trainers.Callback
	close()
}

// progressFactory returns the progress reporter for training one model.
type progressFactory func(model string) progressCallback

// progressLines is how many progress lines a run prints per model when
// stderr is not a terminal.
const progressLines = 10

// newProgressFactory chooses the progress report: nothing with -quiet, a
// live bar over the epochs when stderr is a terminal, and otherwise one line
// every tenth of the epochs.
func newProgressFactory(cfg config, stderr io.Writer) progressFactory {
	switch {
	case cfg.quiet:
		return func(string) progressCallback { return quietProgress{} }
	case isTerminal(stderr):
		return func(name string) progressCallback { return &barProgress{w: stderr, name: name} }
	default:
		every := max(1, cfg.epochs/progressLines)
		return func(name string) progressCallback { return &lineProgress{w: stderr, name: name, every: every} }
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// quietProgress reports nothing.
type quietProgress struct{ trainers.NopCallback }

func (quietProgress) close() {}

// lineProgress prints "lstm: epoch 50/500 - loss: 0.0123" every so many
// epochs and after the last.
type lineProgress struct {
	trainers.NopCallback
	w     io.Writer
	name  string
	every int
}

// OnEpochEnd prints a line when due.
func (p *lineProgress) OnEpochEnd(s *trainers.FitState, epoch int, logs trainers.Logs) error {
	if done := epoch + 1; done%p.every == 0 || done == s.Epochs {
		fmt.Fprintf(p.w, "%s: epoch %d/%d - loss: %.4f\n", p.name, done, s.Epochs, logs["loss"])
	}
	return nil
}

func (p *lineProgress) close() {}

// barProgress draws one live bar over all epochs of a model, with the
// latest loss.
type barProgress struct {
	trainers.NopCallback
	w           io.Writer
	name        string
	bar         *progressbar.ProgressBar
	done, total int // epochs
}

// OnTrainBegin starts the bar.
func (p *barProgress) OnTrainBegin(s *trainers.FitState) error {
	p.done, p.total = 0, s.Epochs
	p.bar = progressbar.NewOptions(s.Epochs,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(fmt.Sprintf("%-10s", p.name)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
	)
	return nil
}

// OnEpochEnd advances the bar and shows the epoch's loss.
func (p *barProgress) OnEpochEnd(_ *trainers.FitState, _ int, logs trainers.Logs) error {
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%-10s loss: %.4f", p.name, logs["loss"]))
		_ = p.bar.Add(1)
		p.done++
	}
	return nil
}

// close finishes the bar, or leaves it where it stopped if training ended
// early, and ends its line.
func (p *barProgress) close() {
	if p.bar == nil {
		return
	}
	if p.done == p.total {
		_ = p.bar.Finish()
	} else {
		_ = p.bar.Exit()
	}
	fmt.Fprintln(p.w)
	p.bar = nil
}
