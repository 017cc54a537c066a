package main

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/gornn/gornn/benchmarks"
)

// TestRun runs a few small steps and checks that the loss printed is the
// one the same steps of the same step case give.
func TestRun(t *testing.T) {
	size := benchmarks.Size{Units: 4, Batch: 2, Steps: 3}
	c, err := benchmarks.NewStepCase(benchmarks.GRU, size)
	if err != nil {
		t.Fatal(err)
	}
	var loss float64
	for range 3 {
		if loss, err = c.Step(); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := run([]string{"-kind", "GRU", "-units", "4", "-batch", "2", "-steps", "3", "-n", "3"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	want := "GRU U4_B2_T3 steps=3 loss=" + strconv.FormatFloat(loss, 'g', -1, 64) + "\n"
	if out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	for _, bad := range [][]string{{"-kind", "Transformer"}, {"-n", "0"}, {"-units", "0"}, {"extra"}} {
		if err := run(bad, io.Discard, io.Discard); err == nil {
			t.Errorf("%s: no error", strings.Join(bad, " "))
		}
	}
}
