package trainers

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress writes Keras-like progress: a live bar per epoch (verbose 1)
// or one line per epoch (verbose 2).
type progress struct {
	w       io.Writer
	verbose int
	epochs  int
	batches int
	epoch   int
	bar     *progressbar.ProgressBar
	start   time.Time
}

func newProgress(w io.Writer, verbose, epochs, batches int) *progress {
	if w == nil {
		verbose = 0
	}
	return &progress{w: w, verbose: verbose, epochs: epochs, batches: batches}
}

func (p *progress) startEpoch(epoch int) {
	p.start, p.epoch = time.Now(), epoch
	if p.verbose != 1 {
		return
	}
	p.bar = progressbar.NewOptions(p.batches,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(fmt.Sprintf("Epoch %d/%d", epoch+1, p.epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
	)
}

func (p *progress) batch(done int, logs Logs) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(fmt.Sprintf("Epoch %d/%d %s", p.epoch+1, p.epochs, formatLogs(logs)))
	_ = p.bar.Set(done)
}

func (p *progress) endEpoch(epoch int, logs Logs) {
	took := time.Since(p.start)
	switch p.verbose {
	case 1:
		if p.bar != nil {
			_ = p.bar.Finish()
			p.bar = nil
		}
		fmt.Fprintf(p.w, "\nEpoch %d/%d - %s - %s\n", epoch+1, p.epochs, took.Round(time.Millisecond), formatLogs(logs))
	case 2:
		fmt.Fprintf(p.w, "Epoch %d/%d - %s - %s\n", epoch+1, p.epochs, took.Round(time.Millisecond), formatLogs(logs))
	}
}

func (p *progress) abort() {
	if p.bar != nil {
		_ = p.bar.Exit()
		p.bar = nil
		fmt.Fprintln(p.w)
	}
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
