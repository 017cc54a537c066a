package trainers_test

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
)

// checked holds, while TestReferenceFusion runs, every value the
// reference harness compared (expectClose), by subtest and in order.
var checked sync.Map // test name without the mode -> *[]checkedValue

type checkedValue struct {
	what string
	got  []float64
}

// recordChecked keeps got for TestReferenceFusion's and
// TestReferenceSchedule's subtests.
func recordChecked(t *testing.T, what string, got []float64) {
	name, ok := strings.CutPrefix(t.Name(), "TestReferenceFusion/")
	if !ok {
		if name, ok = strings.CutPrefix(t.Name(), "TestReferenceSchedule/"); !ok {
			return
		}
		name = "schedule/" + name
	}
	v, _ := checked.LoadOrStore(name, &[]checkedValue{})
	list := v.(*[]checkedValue)
	*list = append(*list, checkedValue{what, append([]float64(nil), got...)})
}

// TestReferenceFusion runs every reference case (the committed ones and
// those of REFERENCE_CASES_DIR), its check and its training, in both
// dtypes, with the runtime's fused elementwise chains and without them
// (GORNN_FUSION=off), and requires every value the harness checks
// (outputs, losses, gradients, input gradients, states, trained weights
// and epoch losses) to be the same bit for bit: a fused group runs the
// graph's own ops on blocks of elements, in the same order per element.
func TestReferenceFusion(t *testing.T) {
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
			// Loose tolerances: the PyTorch comparison is TestReferenceCases'.
			t.Run(mode+"/"+s.name+"/check", func(t *testing.T) { runCheck(t, s.c, s.dt, math.Inf(1)) })
			if s.c.Train != nil {
				t.Run(mode+"/"+s.name+"/train", func(t *testing.T) { runTrain(t, s.c, s.dt, math.Inf(1)) })
			}
		}
	}
	t.Setenv("GORNN_FUSION", "on") // whatever the environment says
	run("fused")
	t.Setenv("GORNN_FUSION", "off")
	run("unfused")
	compared := 0
	checked.Range(func(k, v any) bool {
		name, ok := strings.CutPrefix(k.(string), "fused/")
		if !ok {
			return true
		}
		fused := *v.(*[]checkedValue)
		u, ok := checked.Load("unfused/" + name)
		if !ok {
			t.Errorf("%s: checked fused, not unfused", name)
			return true
		}
		unfused := *u.(*[]checkedValue)
		if len(fused) != len(unfused) {
			t.Errorf("%s: %d values checked fused, %d unfused", name, len(fused), len(unfused))
			return true
		}
		for i, f := range fused {
			g := unfused[i].got
			if f.what != unfused[i].what || len(f.got) != len(g) {
				t.Errorf("%s: value %d is %s [%d] fused, %s [%d] unfused", name, i, f.what, len(f.got), unfused[i].what, len(g))
				continue
			}
			for j := range g {
				if math.Float64bits(f.got[j]) != math.Float64bits(g[j]) {
					t.Errorf("%s: %s element %d: fused %v, unfused %v", name, f.what, j, f.got[j], g[j])
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
	t.Logf("%d checked values equal bit for bit, fused and unfused", compared)
}
