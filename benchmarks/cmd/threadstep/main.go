// Command threadstep times one training step on one thread and on two in
// the same process, alternating, and prints the least and the median time
// of each and their ratio (the speed-up of two threads):
//
//	go run ./benchmarks/cmd/threadstep [-kind LSTM] [-units 128] [-batch 64] [-steps 50] [-reps 60] [-sequences]
//
// The defaults are W4's step (benchmarks.NewLastStateCase: LSTM(128)'s
// last state into Dense(1), batch 64, 50 time steps); -sequences times
// the model that returns its sequence (benchmarks.NewStepCase, as
// stepcount does, which the figures in docs/benchmarks.md before log 42
// were measured with). Three configurations take turns, each on its own step
// case (its own model and compiled program): one thread
// (runtime.GOMAXPROCS(1)), two threads with each program's ops in order
// (GORNN_SCHEDULE=serial: only large products and passes are split), and
// two threads with the independent ops on two goroutines (the default
// plan), and the same plan with no group split into parts
// (GORNN_SCHEDULE=whole). The final losses of the three must be the same bit for bit; the
// command fails otherwise. Run it on an otherwise idle machine: the least
// times are the ones least disturbed by other work.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/gornn/gornn/benchmarks"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "threadstep:", err)
		os.Exit(1)
	}
}

type config struct {
	name     string
	procs    int
	schedule string
	c        *benchmarks.StepCase
	times    []time.Duration
	loss     float64
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("threadstep", flag.ContinueOnError)
	kind := fs.String("kind", "LSTM", "layer kind: LSTM, GRU or SimpleRNN")
	units := fs.Int("units", 128, "recurrent units")
	batch := fs.Int("batch", 64, "batch size")
	steps := fs.Int("steps", 50, "time steps")
	reps := fs.Int("reps", 60, "steps timed per configuration")
	sequences := fs.Bool("sequences", false, "the layer returns its sequence, Dense(1) at every step (W1–W3's model); by default its last state (W4's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	k, ok := benchmarks.Kind(-1), false
	for _, c := range benchmarks.Kinds {
		if c.String() == *kind {
			k, ok = c, true
		}
	}
	if !ok {
		return fmt.Errorf("-kind %q: not one of %v", *kind, benchmarks.Kinds)
	}
	if *reps < 1 {
		return errors.New("-reps must be at least 1")
	}
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	defer os.Setenv("GORNN_SCHEDULE", os.Getenv("GORNN_SCHEDULE"))
	cfgs := []*config{
		{name: "1 thread", procs: 1, schedule: "serial"},
		{name: "2 threads, ops in order", procs: 2, schedule: "serial"},
		{name: "2 threads, plan", procs: 2, schedule: "auto"},
		{name: "2 threads, plan of whole groups", procs: 2, schedule: "whole"},
	}
	size := benchmarks.Size{Units: *units, Batch: *batch, Steps: *steps}
	for _, c := range cfgs {
		// The schedule is read at the program's first run (the first step).
		os.Setenv("GORNN_SCHEDULE", c.schedule)
		runtime.GOMAXPROCS(c.procs)
		newCase := benchmarks.NewLastStateCase
		if *sequences {
			newCase = benchmarks.NewStepCase
		}
		sc, err := newCase(k, size)
		if err != nil {
			return err
		}
		if _, err := sc.Step(); err != nil {
			return err
		}
		c.c = sc
	}
	for range *reps {
		for _, c := range cfgs {
			runtime.GOMAXPROCS(c.procs)
			t0 := time.Now()
			l, err := c.c.Step()
			if err != nil {
				return err
			}
			c.times = append(c.times, time.Since(t0))
			c.loss = l
		}
	}
	fmt.Fprintf(out, "%v %v, %d steps each, alternating (%d CPUs):\n\n", k, size, *reps, runtime.NumCPU())
	fmt.Fprintln(out, "| | least | median | speed-up (least) | speed-up (median) | last loss |")
	fmt.Fprintln(out, "| --- | ---: | ---: | ---: | ---: | --- |")
	base := cfgs[0]
	for _, c := range cfgs {
		slices.Sort(c.times)
		least, med := c.times[0], c.times[len(c.times)/2]
		fmt.Fprintf(out, "| %s | %.2f ms | %.2f ms | %.2f× | %.2f× | %v |\n", c.name, ms(least), ms(med),
			ms(base.times[0])/ms(least), ms(base.times[len(base.times)/2])/ms(med), c.loss)
	}
	for _, c := range cfgs[1:] {
		if math.Float64bits(c.loss) != math.Float64bits(base.loss) {
			return fmt.Errorf("%s: last loss %v, on one thread %v", c.name, c.loss, base.loss)
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
