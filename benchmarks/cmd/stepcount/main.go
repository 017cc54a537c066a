// Command stepcount runs a number of training steps of one
// benchmarks.StepCase and prints the last step's loss: the driver behind
// the instruction counts per step in docs/benchmarks.md ("Optimization
// log"). Run it under valgrind twice, with -n 202 and -n 2, and divide the
// difference of the two counts by 200:
//
//	go build -o /tmp/stepcount ./benchmarks/cmd/stepcount
//	GOGC=off GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no \
//	    --cachegrind-out-file=/dev/null /tmp/stepcount -kind LSTM -n 202
//
// With the collector off (GOGC=off) the set-up's garbage is not collected
// during the counted steps, so the difference is the steps' own work.
// The defaults are the seed step (LSTM(20), batch 8, 10 time steps).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/gornn/gornn/benchmarks"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "stepcount:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("stepcount", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", "LSTM", "layer kind: LSTM, GRU or SimpleRNN")
	units := fs.Int("units", benchmarks.SeedSize.Units, "recurrent units")
	batch := fs.Int("batch", benchmarks.SeedSize.Batch, "batch size")
	steps := fs.Int("steps", benchmarks.SeedSize.Steps, "time steps")
	n := fs.Int("n", 202, "training steps to run")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the steps to `file` (go tool pprof reads it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
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
	if *n < 1 {
		return errors.New("-n must be at least 1")
	}
	c, err := benchmarks.NewStepCase(k, benchmarks.Size{Units: *units, Batch: *batch, Steps: *steps})
	if err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, ferr := os.Create(*cpuprofile)
		if ferr != nil {
			return ferr
		}
		if ferr := pprof.StartCPUProfile(f); ferr != nil {
			f.Close()
			return ferr
		}
		defer func() {
			// A profile cut short by a failed write or close is an error.
			pprof.StopCPUProfile()
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("-cpuprofile: %w", cerr)
			}
		}()
	}
	var loss float64
	for range *n {
		if loss, err = c.Step(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%v %v steps=%d loss=%v\n", k, c.Size, *n, loss)
	return nil
}
