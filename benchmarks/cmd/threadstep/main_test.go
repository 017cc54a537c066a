package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRun times a small step in the three configurations: a table of
// three rows, the losses equal (run fails otherwise).
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-kind", "GRU", "-units", "8", "-batch", "4", "-steps", "3", "-reps", "3"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 1 thread |", "| 2 threads, ops in order |", "| 2 threads, plan |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no row %q in\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run([]string{"-kind", "LSTM", "-units", "8", "-batch", "4", "-steps", "3", "-reps", "2", "-sequences"}, &out); err != nil || !strings.Contains(out.String(), "| 2 threads, plan |") {
		t.Errorf("-sequences: %v\n%s", err, out.String())
	}
	if err := run([]string{"-kind", "Transformer"}, &out); err == nil {
		t.Error("-kind Transformer: no error")
	}
}
