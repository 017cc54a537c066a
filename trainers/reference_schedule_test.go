package trainers_test

import (
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
)

// TestReferenceSchedule runs every reference case (the committed ones and
// those of REFERENCE_CASES_DIR), its check and its training, in both
// dtypes, with each program's ops in order on one goroutine
// (GORNN_SCHEDULE=serial) and on two goroutines as their operands are
// ready (GORNN_SCHEDULE=parallel, GOMAXPROCS=2, the collector forced
// busy), and requires every value the harness checks (outputs, losses,
// gradients, input gradients, states, trained weights and epoch losses)
// to be the same bit for bit: each op computes the same arithmetic on
// the same operands whichever goroutine runs it and whatever runs beside
// it. Under -race it also checks that ops running at once share nothing.
func TestReferenceSchedule(t *testing.T) {
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
	run := func(mode string) {
		for _, s := range subs {
			t.Run(mode+"/"+s.name+"/check", func(t *testing.T) { runCheck(t, s.c, s.dt, math.Inf(1)) })
			if s.c.Train != nil {
				t.Run(mode+"/"+s.name+"/train", func(t *testing.T) { runTrain(t, s.c, s.dt, math.Inf(1)) })
			}
		}
	}
	saved := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(saved)
	t.Setenv("GORNN_SCHEDULE", "serial")
	run("serial")
	t.Setenv("GORNN_SCHEDULE", "parallel")
	old := debug.SetGCPercent(2)
	run("parallel")
	debug.SetGCPercent(old)
	compared := 0
	checked.Range(func(k, v any) bool {
		name, ok := strings.CutPrefix(k.(string), "schedule/parallel/")
		if !ok {
			return true
		}
		par := *v.(*[]checkedValue)
		u, ok := checked.Load("schedule/serial/" + name)
		if !ok {
			t.Errorf("%s: checked on two goroutines, not on one", name)
			return true
		}
		ser := *u.(*[]checkedValue)
		if len(par) != len(ser) {
			t.Errorf("%s: %d values checked on two goroutines, %d on one", name, len(par), len(ser))
			return true
		}
		for i, p := range par {
			g := ser[i].got
			if p.what != ser[i].what || len(p.got) != len(g) {
				t.Errorf("%s: value %d is %s [%d] on two goroutines, %s [%d] on one", name, i, p.what, len(p.got), ser[i].what, len(g))
				continue
			}
			for j := range g {
				if math.Float64bits(p.got[j]) != math.Float64bits(g[j]) {
					t.Errorf("%s: %s element %d: %v on two goroutines, %v on one", name, p.what, j, p.got[j], g[j])
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
	t.Logf("%d checked values equal bit for bit, on one goroutine and on two", compared)
}
