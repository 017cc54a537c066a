package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strings"
	"testing"

	"github.com/gornn/gornn/benchmarks"
	"github.com/gornn/gornn/graph"
)

func TestMissingTorchSaysHowToInstall(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"-python", "/nonexistent/python3", "-runs", "1", "-workloads", "W2"}, &out, &errb)
	if !errors.Is(err, errNoTorch) {
		t.Fatalf("error %v, want errNoTorch", err)
	}
	if !strings.Contains(errb.String(), "apt-get install -y --no-install-recommends python3-torch python3-numpy") {
		t.Errorf("no install hint in %q", errb.String())
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"-runs", "0"},
		{"-workloads", "W1,W9"},
		{"-worker", "W9"},
		{"-threads", "0"},
		{"-threads", "1,x"},
		{"-peak", "-5"},
	} {
		var out, errb bytes.Buffer
		if err := run(args, &out, &errb); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5}, 5},
	} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestMarkdown(t *testing.T) {
	loss, closs := 0.5, 0.50000001
	rs := []results{{
		id: "W1",
		gornn: []record{
			{Seconds: 1, FinalLoss: &loss, ChildPeakRSSMB: 20, RSSByEpoch: map[string]float64{"50": 20, "500": 21}},
			{Seconds: 3, FinalLoss: &loss, ChildPeakRSSMB: 22, RSSByEpoch: map[string]float64{"50": 20, "500": 21}},
		},
		pytorch: []record{
			{Seconds: 4, Torch: "1.13", ChildPeakRSSMB: 240, BLAS: "OpenBLAS 0.3.21 (/x/libblas.so.3)", BLASKind: "openblas"},
			{Seconds: 4, ChildPeakRSSMB: 240, BLAS: "OpenBLAS 0.3.21 (/x/libblas.so.3)", BLASKind: "openblas"},
		},
		c: []record{{Seconds: 0.5, FinalLoss: &closs}, {Seconds: 0.5, FinalLoss: &closs}},
	}}
	md := markdown(config{runs: 2, python: "python3"}, floor{built: "cc -O3 -march=native"}, rs, 0)
	for _, want := range []string{
		"| W1 | 2.000 | 4.000 | 0.50 | 0.500 | 4.0 |",
		"PyTorch 1.13",
		"gornn's kernels " + graph.Kernels() + ";",
		"**BLAS: OpenBLAS 0.3.21 (/x/libblas.so.3)**",
		"built with `cc -O3 -march=native`",
		"0.5000 (Δ 2e-08)",
		"; C: 0.500, 0.500",
		"Epoch 500 against epoch 50: +5.0%",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

// TestMarkdownRefusesReferenceBLAS checks that no gornn/PyTorch ratio is
// printed against the reference BLAS, that the report says so loudly, and
// that a C floor missing or not matching gornn's loss is reported.
func TestMarkdownRefusesReferenceBLAS(t *testing.T) {
	loss, off := 0.5, 0.6
	rs := []results{{
		id:      "W4",
		gornn:   []record{{Seconds: 1, FinalLoss: &loss}},
		pytorch: []record{{Seconds: 8, BLAS: "reference BLAS (netlib) (/usr/lib/blas/libblas.so.3)", BLASKind: "reference"}},
	}, {
		id:      "W1",
		gornn:   []record{{Seconds: 1, FinalLoss: &loss}},
		pytorch: []record{{Seconds: 8, BLAS: "reference BLAS (netlib) (/usr/lib/blas/libblas.so.3)", BLASKind: "reference"}},
		c:       []record{{Seconds: 0.5, FinalLoss: &off}},
	}}
	md := markdown(config{runs: 1, python: "python3"}, floor{}, rs, 0)
	for _, want := range []string{
		"| W4 | 1.000 | 8.000 | n/a | – | – |",
		"| W1 | 1.000 | 8.000 | n/a | 0.500 | 2.0 |",
		"**PyTorch ran on the reference BLAS",
		"apt-get install -y libopenblas0-pthread",
		"does not match gornn",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| 0.12 |") {
		t.Errorf("a ratio was printed against the reference BLAS:\n%s", md)
	}
	md = markdown(config{runs: 1}, floor{note: "C floor skipped: no C compiler"}, rs[:1], 0)
	if !strings.Contains(md, "C floor skipped: no C compiler") {
		t.Errorf("no note of the missing C floor:\n%s", md)
	}
}

func TestBLASOf(t *testing.T) {
	a := record{BLAS: "OpenBLAS", BLASKind: "openblas"}
	r := record{BLAS: "reference", BLASKind: "reference"}
	for _, c := range []struct {
		rs   []record
		kind string
	}{
		{[]record{a, a}, "openblas"},
		{[]record{r}, "reference"},
		{[]record{a, r}, "mixed"},
		{[]record{{}}, "unknown"},
	} {
		if _, k := blasOf([]results{{pytorch: c.rs}}, benchmarks.ISAAVX2); k != c.kind {
			t.Errorf("%v: kind %q, want %q", c.rs, k, c.kind)
		}
	}
	p := record{BLAS: "OpenBLAS 0.3.21", BLASKind: "openblas", BLASCore: "Prescott"}
	h := record{BLAS: "OpenBLAS 0.3.21", BLASKind: "openblas", BLASCore: "Haswell"}
	for _, c := range []struct {
		rs    []record
		level benchmarks.ISA
		kind  string
	}{
		{[]record{p}, benchmarks.ISAAVX512, "weak"},
		{[]record{p}, benchmarks.ISASSE, "openblas"},
		{[]record{h}, benchmarks.ISAAVX2, "openblas"},
		{[]record{h}, benchmarks.ISAAVX512, "weak"},
		{[]record{h}, benchmarks.ISAUnknown, "openblas"},
		{[]record{{BLAS: "OpenBLAS", BLASKind: "openblas", BLASCore: "Armv8"}}, benchmarks.ISAAVX2, "openblas"},
	} {
		desc, k := blasOf([]results{{pytorch: c.rs}}, c.level)
		if k != c.kind {
			t.Errorf("%v at level %d: kind %q, want %q", c.rs, c.level, k, c.kind)
		}
		if want := "kernels " + c.rs[0].BLASCore; !strings.Contains(desc, want) {
			t.Errorf("%v: description %q lacks %q", c.rs, desc, want)
		}
	}
}

// TestCoreFix checks when compare forces OpenBLAS's kernels: only when
// OpenBLAS chose kernels known to be below the processor's, and never
// over the user's own OPENBLAS_CORETYPE.
func TestCoreFix(t *testing.T) {
	for _, c := range []struct {
		reported, preset, want string
		level                  benchmarks.ISA
		force                  string
	}{
		{"Prescott", "", "SkylakeX", benchmarks.ISAAVX512, "SkylakeX"},
		{"prescott", "", "Haswell", benchmarks.ISAAVX2, "Haswell"},
		{"Haswell", "", "SkylakeX", benchmarks.ISAAVX512, "SkylakeX"},
		{"SkylakeX", "", "SkylakeX", benchmarks.ISAAVX512, ""},
		{"Cooperlake", "", "SkylakeX", benchmarks.ISAAVX512, ""},
		{"Zen", "", "Haswell", benchmarks.ISAAVX2, ""},
		{"Prescott", "Haswell", "SkylakeX", benchmarks.ISAAVX512, ""},
		{"Prescott", "", "", benchmarks.ISAUnknown, ""},
		{"Opteron(SSE3)", "", "Haswell", benchmarks.ISAAVX2, "Haswell"},
		{"", "", "SkylakeX", benchmarks.ISAAVX512, ""},
		{"NeoverseN1", "", "SkylakeX", benchmarks.ISAAVX512, ""},
	} {
		if got := benchmarks.OpenBLASCoreFix(c.reported, c.preset, c.want, c.level); got != c.force {
			t.Errorf("benchmarks.OpenBLASCoreFix(%q, %q, %q, %d) = %q, want %q", c.reported, c.preset, c.want, c.level, got, c.force)
		}
	}
	if name, level := benchmarks.MachineOpenBLASCore(); (name == "") != (level == benchmarks.ISAUnknown) || benchmarks.OpenBLASCoreISA(name) != level {
		t.Errorf("benchmarks.MachineOpenBLASCore() = %q, %d: the name's level is %d", name, level, benchmarks.OpenBLASCoreISA(name))
	}
}

// TestMarkdownRefusesWeakCore checks that a report against an OpenBLAS on
// kernels below the processor's prints no ratios and says why, and that
// compare's own OPENBLAS_CORETYPE note reaches the report.
func TestMarkdownRefusesWeakCore(t *testing.T) {
	loss := 0.5
	rs := []results{{
		id:      "W4",
		gornn:   []record{{Seconds: 1, FinalLoss: &loss}},
		pytorch: []record{{Seconds: 4, BLAS: "OpenBLAS 0.3.21 (/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3)", BLASKind: "openblas", BLASCore: "Prescott"}},
	}}
	md := markdown(config{runs: 1, python: "python3", cpuCore: "SkylakeX", cpuLevel: benchmarks.ISAAVX512}, floor{}, rs, 0)
	for _, want := range []string{"| W4 | 1.000 | 4.000 | n/a |", "kernels Prescott", "OPENBLAS_CORETYPE=SkylakeX", "none are printed"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	rs[0].pytorch[0].BLASCore = "SkylakeX"
	note := "compare set OPENBLAS_CORETYPE=SkylakeX for the PyTorch runs"
	md = markdown(config{runs: 1, python: "python3", cpuCore: "SkylakeX", cpuLevel: benchmarks.ISAAVX512, coreNote: note}, floor{}, rs, 0)
	for _, want := range []string{"| W4 | 1.000 | 4.000 | 0.25 |", "kernels SkylakeX", note} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

// TestBuildFloorInputs builds the C floor for W1–W3 (skipping when there
// is no C compiler) and runs it on W2's input written by buildFloor,
// reading its output as compare does.
func TestBuildFloorInputs(t *testing.T) {
	dir := t.TempDir()
	var errb bytes.Buffer
	f, err := buildFloor(dir, []string{"W2", "W4"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if f.bin == "" {
		if _, err := benchmarks.FindCCompiler(); errors.Is(err, benchmarks.ErrNoCompiler) {
			t.Skipf("no C compiler: %s", f.note)
		}
		t.Fatalf("C floor not built: %s", f.note)
	}
	if len(f.inputs) != 1 || f.inputs["W2"] == "" {
		t.Fatalf("inputs %v, want W2's only", f.inputs)
	}
	rec, err := child(exec.Command(f.bin, f.inputs["W2"]), &errb)
	if err != nil {
		t.Fatal(err)
	}
	if l := lossOf(rec); !(l > 0 && l < 1) || !(rec.Seconds > 0) {
		t.Errorf("C floor on W2: %+v", rec)
	}
}

// TestMarkdownThreads checks the report of two thread counts: a table per
// count, the speed-ups of each implementation against itself, whether
// gornn's final loss moved, and the arithmetic rates against the peak.
func TestMarkdownThreads(t *testing.T) {
	loss, other := 1.25, 1.5
	blas := record{BLAS: "OpenBLAS 0.3.21 (/x/libblas.so.3)", BLASKind: "openblas"}
	py := func(s float64) record { r := blas; r.Seconds = s; return r }
	rs := []results{
		{id: "W4", threads: 1, gornn: []record{{Seconds: 2, FinalLoss: &loss}}, pytorch: []record{py(4)}},
		{id: "W6", threads: 1, gornn: []record{{Seconds: 0.034}}, pytorch: []record{py(0.1)}},
		{id: "W4", threads: 2, gornn: []record{{Seconds: 1, FinalLoss: &loss}}, pytorch: []record{py(3)}},
		{id: "W6", threads: 2, gornn: []record{{Seconds: 0.017}}, pytorch: []record{py(0.1)}},
	}
	md := markdown(config{runs: 1, python: "python3", peak: 100, peakGiven: true}, floor{}, rs, 0)
	w4, _ := benchmarks.WorkloadFLOPs("W4")
	w6, _ := benchmarks.WorkloadFLOPs("W6")
	for _, want := range []string{
		"N = 1, 2",
		"### 1 thread\n",
		"### 2 threads\n",
		"| W4 | 1.000 | 3.000 | 0.33 |",
		"| W4 | 2 | 1.000 | **2.00×** | 3.000 | 1.33× | yes, bit for bit |",
		"| W6 | 2 | 0.017 | **2.00×** | 0.100 | 1.00× | – |",
		fmt.Sprintf("| W4 | 1 | %.3f | %.1f | %.0f%% |", w4/1e9, w4/2/1e9, w4/2/1e9),
		fmt.Sprintf("| W6 | 2 | %.3f | %.1f | %.0f%% |", w6/1e9, w6/0.017/1e9, w6/0.017/1e9/2),
		"Peak: 100.0 GFLOP/s per core times the threads (given with -peak)",
		"- W6, 2 threads gornn: 0.017; PyTorch: 0.100",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	rs[2].gornn[0].FinalLoss = &other
	if md := markdown(config{runs: 1, peak: 100}, floor{}, rs, 0); !strings.Contains(md, "| W4 | 2 | 1.000 | **2.00×** | 3.000 | 1.33× | **no** |") {
		t.Errorf("a final loss that moved with the threads is not reported:\n%s", md)
	}
}

// TestStealShare checks /proc/stat's cpu line parsing and the steal share
// between two readings.
func TestStealShare(t *testing.T) {
	a, ok := parseCPUTimes("cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 50 0 25 400 5 0 2 18 0 0\n")
	if !ok {
		t.Fatal("a real cpu line did not parse")
	}
	// 100 more ticks, 20 of them steal; guest ticks (counted in user's
	// already) are left out of the total.
	b, _ := parseCPUTimes("cpu  160 0 60 810 10 0 5 55 7 0")
	if got := stealShare(a, b); math.Abs(got-0.2) > 1e-12 {
		t.Errorf("steal share %v, want 0.2", got)
	}
	if got := stealShare(a, a); !math.IsNaN(got) {
		t.Errorf("no ticks passed: %v, want NaN", got)
	}
	if got := stealShare(b, a); !math.IsNaN(got) {
		t.Errorf("steal went back: %v, want NaN", got)
	}
	// iowait may go back: that column counts as no ticks.
	c, _ := parseCPUTimes("cpu  160 0 60 810 5 0 5 55 7 0")
	if got := stealShare(a, c); math.Abs(got-20.0/100) > 1e-12 {
		t.Errorf("iowait went back: steal share %v, want 0.2", got)
	}
	for _, bad := range []string{"", "intr 5 6 7", "cpu 1 2 3", "cpu 1 2 3 4 5 6 7 x 9", "cpu0 1 2 3 4 5 6 7 8 9"} {
		if _, ok := parseCPUTimes(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestStealNote checks that the report gives the steal by thread count,
// says loudly when the host took more than stealLimit, marks the runs
// with steal, and says nothing where steal is not known.
func TestStealNote(t *testing.T) {
	run := func(s, steal float64) record { return record{Seconds: s, Steal: steal} }
	rs := []results{
		{id: "W4", threads: 1, gornn: []record{run(1, 0.001), run(1.1, 0.004)}, pytorch: []record{run(2, 0.002)}},
		{id: "W4", threads: 2, gornn: []record{run(0.6, 0.05), run(0.7, 0.12)}, pytorch: []record{run(2, 0.08)}},
	}
	n := stealNote(rs, []int{1, 2})
	for _, want := range []string{"1 thread median 0.2%, most 0.4%", "2 threads median 8.0%, most 12.0%", "**Above 2%"} {
		if !strings.Contains(n, want) {
			t.Errorf("note lacks %q: %s", want, n)
		}
	}
	if n := stealNote(rs[:1], []int{1}); strings.Contains(n, "Above") || n == "" {
		t.Errorf("quiet runs: %q", n)
	}
	nan := []results{{id: "W4", threads: 1, gornn: []record{run(1, math.NaN())}}}
	if n := stealNote(nan, []int{1}); n != "" {
		t.Errorf("steal unknown, note %q", n)
	}
	if got, want := listSteal(rs[1].gornn), "0.600 (steal 5%), 0.700 (steal 12%)"; got != want {
		t.Errorf("listSteal %q, want %q", got, want)
	}
	if got, want := listSteal(rs[0].gornn), "1.000, 1.100"; got != want {
		t.Errorf("listSteal %q, want %q", got, want)
	}
}
