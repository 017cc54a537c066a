package trainers_test

import (
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
)

// checked holds, while TestReferenceFusion or TestReferenceSchedule runs,
// every value the reference harness compared (expectClose), by subtest
// name and in order.
var checked sync.Map // full subtest name -> *[]checkedValue

type checkedValue struct {
	what string
	got  []float64
}

// recordingTests are the tests whose subtests recordChecked records.
var recordingTests = []string{"TestReferenceFusion", "TestReferenceSchedule"}

// recordChecked keeps got for the subtests of recordingTests.
func recordChecked(t *testing.T, what string, got []float64) {
	top, _, _ := strings.Cut(t.Name(), "/")
	for _, r := range recordingTests {
		if top == r {
			v, _ := checked.LoadOrStore(t.Name(), &[]checkedValue{})
			list := v.(*[]checkedValue)
			*list = append(*list, checkedValue{what, append([]float64(nil), got...)})
			return
		}
	}
}

// compareModes runs every reference case (the committed ones and those of
// REFERENCE_CASES_DIR), its check and its training, in both dtypes, once
// in each of two modes (set(mode) prepares each), and requires every value
// the harness checks (outputs, losses, gradients, input gradients, states,
// trained weights and epoch losses) to be the same bit for bit in both. It
// returns the number of values compared; t must be one of recordingTests.
func compareModes(t *testing.T, modes [2]string, set func(mode string)) int {
	type sub struct {
		name string
		c    refCase
		dt   graph.DType
	}
	var subs []sub
	for _, path := range referenceFiles(t) {
		c := loadCase(t, path)
		for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
			subs = append(subs, sub{c.Name + "/" + dt.String(), c, dt})
		}
	}
	for _, mode := range modes {
		set(mode)
		for _, s := range subs {
			// Loose tolerances: the PyTorch comparison is TestReferenceCases'.
			t.Run(mode+"/"+s.name+"/check", func(t *testing.T) { runCheck(t, s.c, s.dt, math.Inf(1)) })
			if s.c.Train != nil {
				t.Run(mode+"/"+s.name+"/train", func(t *testing.T) { runTrain(t, s.c, s.dt, math.Inf(1)) })
			}
		}
	}
	compared := 0
	prefix := [2]string{t.Name() + "/" + modes[0] + "/", t.Name() + "/" + modes[1] + "/"}
	checked.Range(func(k, v any) bool {
		name, ok := strings.CutPrefix(k.(string), prefix[1])
		if !ok {
			return true
		}
		second := *v.(*[]checkedValue)
		u, ok := checked.Load(prefix[0] + name)
		if !ok {
			t.Errorf("%s: checked %s, not %s", name, modes[1], modes[0])
			return true
		}
		first := *u.(*[]checkedValue)
		if len(first) != len(second) {
			t.Errorf("%s: %d values checked %s, %d %s", name, len(first), modes[0], len(second), modes[1])
			return true
		}
		for i, f := range first {
			g := second[i].got
			if f.what != second[i].what || len(f.got) != len(g) {
				t.Errorf("%s: value %d is %s [%d] %s, %s [%d] %s", name, i, f.what, len(f.got), modes[0], second[i].what, len(g), modes[1])
				continue
			}
			for j := range g {
				if math.Float64bits(f.got[j]) != math.Float64bits(g[j]) {
					t.Errorf("%s: %s element %d: %s %v, %s %v", name, f.what, j, modes[0], f.got[j], modes[1], g[j])
					break
				}
			}
			compared++
		}
		return true
	})
	if compared == 0 {
		t.Fatal("no values compared")
	}
	return compared
}

// TestReferenceFusion: every reference case with the runtime's fused
// elementwise chains and without them (GORNN_FUSION=off), every checked
// value bit for bit the same: a fused group runs the graph's own ops on
// blocks of elements, in the same order per element.
func TestReferenceFusion(t *testing.T) {
	n := compareModes(t, [2]string{"fused", "unfused"}, func(mode string) {
		if mode == "fused" {
			t.Setenv("GORNN_FUSION", "on") // whatever the environment says
		} else {
			t.Setenv("GORNN_FUSION", "off")
		}
	})
	t.Logf("%d checked values equal bit for bit, fused and unfused", n)
}

// TestReferenceSchedule: every reference case with each program's ops in
// order on one goroutine (GORNN_SCHEDULE=serial) and on two goroutines as
// their operands are ready (GORNN_SCHEDULE=parallel, GOMAXPROCS=2, the
// collector forced busy), every checked value bit for bit the same: each
// op computes the same arithmetic on the same operands whichever goroutine
// runs it and whatever runs beside it. Under -race it also checks that ops
// running at once share nothing.
func TestReferenceSchedule(t *testing.T) {
	saved := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(saved)
	oldGC := debug.SetGCPercent(-1)
	debug.SetGCPercent(oldGC)
	defer debug.SetGCPercent(oldGC)
	n := compareModes(t, [2]string{"serial", "parallel"}, func(mode string) {
		t.Setenv("GORNN_SCHEDULE", mode)
		if mode == "parallel" {
			debug.SetGCPercent(2)
		}
	})
	t.Logf("%d checked values equal bit for bit, on one goroutine and on two", n)
}
