// Command compare runs gornn's benchmark workloads (W1..W6) side by side
// with their PyTorch mirrors (benchmarks/pytorch/workloads.py) and, for
// W1–W3, with the native floor (benchmarks/cfloor, hand-written C), and
// prints a markdown table of median times, ratios and peak memory.
//
//	go run ./benchmarks/cmd/compare [-runs 5] [-workloads W1,W2] [-threads 1,2] [-out docs/benchmarks-latest.md] [-cfloor=false]
//
// Every run is a fresh process: gornn's workload runs in a copy of this
// command (-worker W1) with GOMAXPROCS=N, PyTorch's in the system python
// with N threads (its BLAS on N threads, MKL/OPENBLAS_NUM_THREADS=N; torch's own intra-op pool on one),
// the C floor, which has one thread, as its own program, for N = 1 only.
// N is each of -threads (default 1). They alternate, run after run, so
// that slow phases of a shared machine hit all of them. Peak RSS is the
// child's ru_maxrss.
//
// The report gives the rate of each workload's matrix products
// (benchmarks.WorkloadFLOPs over the median time) against the processor's
// float32 multiply-add peak: -peak GFLOP/s per core, by default two 8-lane
// FMAs per cycle (16-lane with AVX-512F) at the clock /proc/cpuinfo reports.
//
// Every result carries the BLAS PyTorch's products ran on (the script reads
// it from the process). Against the reference BLAS (netlib's libblas, what
// Debian's python3-torch gets with only libblas3 installed) the ratios are
// meaningless, and compare prints none; install OpenBLAS
// (apt-get install -y libopenblas0-pthread). An OpenBLAS that does not
// know the processor runs its generic SSE3 kernels (Prescott), several
// times slower than the processor's own; compare then sets
// OPENBLAS_CORETYPE for the PyTorch runs to the processor's best kernels
// (blascore.go), says so, and prints no ratios if that fails.
//
// The C floor is compiled with the system C compiler (cc -O3
// -march=native) and fed gornn's data, initial weights and batch order;
// its final loss must match gornn's to float32 rounding. Without a C
// compiler its columns are left out with a note.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gornn/gornn/benchmarks"
	"github.com/gornn/gornn/graph"
	"golang.org/x/sys/cpu"
)

// floorLossTolerance is how far (relative) the C floor's final loss may be
// from gornn's: both run the same float32 arithmetic up to rounding and
// the order of sums (measured: about 1e-7 after W1's 2,500 steps).
const floorLossTolerance = 1e-4

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		if errors.Is(err, errNoTorch) {
			os.Exit(3)
		}
		os.Exit(1)
	}
}

var errNoTorch = errors.New("PyTorch is not installed")

type config struct {
	runs      int
	workloads []string
	threads   []int   // thread counts to run, in order
	peak      float64 // GFLOP/s per core
	peakGiven bool    // peak came from -peak
	out       string
	python    string
	script    string
	w6Batch   int
	cfloor    bool
	// cpuCore and cpuLevel are the best OpenBLAS kernels this processor
	// runs and their instruction set (machineCore); pyEnv is added to the
	// PyTorch runs' environment (OPENBLAS_CORETYPE when compare sets it),
	// and coreNote says why, for the report.
	cpuCore  string
	cpuLevel benchmarks.ISA
	pyEnv    []string
	coreNote string
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 5, "runs of each workload in each implementation (at least 1; 5 or more for the docs)")
	list := fs.String("workloads", "W1,W2,W3,W4,W5,W6", "comma-separated workloads to run")
	out := fs.String("out", "", "also write the markdown report to this file")
	python := fs.String("python", "", "python interpreter with torch (default /usr/bin/python3, else python3 on PATH)")
	script := fs.String("script", "benchmarks/pytorch/workloads.py", "the PyTorch workloads script")
	w6Batch := fs.Int("w6-batch", 0, "W6: predict in batches of this size in both implementations (0: one call)")
	threads := fs.String("threads", "1", "comma-separated thread counts: gornn with GOMAXPROCS=N, PyTorch with N threads")
	peak := fs.Float64("peak", 0, "float32 FMA peak per core in GFLOP/s for the rate table (0: 32 FLOP per cycle at /proc/cpuinfo's clock)")
	cfloor := fs.Bool("cfloor", true, "also time the native C floor on W1–W3 (needs a C compiler: cc, gcc or clang, or $CC)")
	worker := fs.String("worker", "", "internal: run one gornn workload in this process and print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *worker != "" {
		return runWorker(*worker, *w6Batch, stdout)
	}
	if *runs < 1 {
		return fmt.Errorf("-runs %d: must be at least 1", *runs)
	}
	c := config{runs: *runs, out: *out, script: *script, w6Batch: *w6Batch, cfloor: *cfloor, peak: *peak}
	c.cpuCore, c.cpuLevel = benchmarks.MachineOpenBLASCore()
	for _, f := range strings.Split(*threads, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("-threads %q: want comma-separated thread counts from 1 to 1024", *threads)
		}
		if !slices.Contains(c.threads, n) {
			c.threads = append(c.threads, n)
		}
	}
	if c.peak < 0 || math.IsNaN(c.peak) || math.IsInf(c.peak, 0) {
		return fmt.Errorf("-peak %v: want a positive rate in GFLOP/s, or 0 for the nominal one", c.peak)
	}
	c.peakGiven = c.peak > 0
	if c.peak == 0 {
		c.peak = nominalPeak()
	}
	for _, id := range strings.Split(*list, ",") {
		id = strings.TrimSpace(id)
		if _, err := benchmarks.Lookup(id); err != nil {
			return err
		}
		c.workloads = append(c.workloads, id)
	}
	py, err := findPython(*python)
	if err != nil {
		fmt.Fprintln(stderr, "PyTorch (with numpy) is needed for the comparison. On Debian or Ubuntu:")
		fmt.Fprintln(stderr, "    sudo apt-get install -y --no-install-recommends python3-torch python3-numpy libopenblas0-pthread")
		fmt.Fprintln(stderr, "(OpenBLAS: without it Debian's torch runs on the reference BLAS, and compare prints no ratios)")
		fmt.Fprintln(stderr, "then run this command again (or point -python at an interpreter that has torch).")
		return err
	}
	c.python = py
	if _, err := os.Stat(c.script); err != nil {
		return fmt.Errorf("PyTorch script: %w (run from the repository root or set -script)", err)
	}
	return compare(c, stdout, stderr)
}

// findPython returns an interpreter that imports torch and numpy.
func findPython(flagged string) (string, error) {
	cands := []string{flagged}
	if flagged == "" {
		cands = []string{"/usr/bin/python3", "python3"}
	}
	var last error
	for _, p := range cands {
		path, err := exec.LookPath(p)
		if err != nil {
			last = err
			continue
		}
		cmd := exec.Command(path, "-c", "import torch, numpy")
		if outb, err := cmd.CombinedOutput(); err != nil {
			last = fmt.Errorf("%s: %v: %s", path, err, bytes.TrimSpace(outb))
			continue
		}
		return path, nil
	}
	return "", fmt.Errorf("%w: %v", errNoTorch, last)
}

// record is one run of one workload, as both implementations print it.
type record struct {
	Workload  string   `json:"workload"`
	Seconds   float64  `json:"seconds"`
	FinalLoss *float64 `json:"final_loss"`
	PeakRSSMB float64  `json:"peak_rss_mb"`
	Torch     string   `json:"torch,omitempty"`
	// BLAS and BLASKind are the BLAS PyTorch's products ran on, as
	// workloads.py found it: kind openblas, mkl, blis, atlas, reference
	// or unknown.
	BLAS     string `json:"blas,omitempty"`
	BLASKind string `json:"blas_kind,omitempty"`
	// BLASCore is the kernels an OpenBLAS chose (openblas_get_corename).
	BLASCore string `json:"blas_core,omitempty"`
	Threads  int    `json:"threads,omitempty"`
	Go       string `json:"go,omitempty"`
	// RSSByEpoch is the resident set size (MiB) after some epochs (gornn's
	// training workloads only), sampled in the worker.
	RSSByEpoch map[string]float64 `json:"rss_mb_by_epoch,omitempty"`
	// ChildPeakRSSMB is the child's ru_maxrss as the parent saw it.
	ChildPeakRSSMB float64 `json:"-"`
	// Steal is the share of the machine's CPU time the hypervisor gave to
	// other guests while the child ran (/proc/stat's steal over all its
	// columns, every CPU counted), NaN where that is not known.
	Steal float64 `json:"-"`
}

// rssEpochs are the epochs at which the worker samples its RSS.
var rssEpochs = []int{1, 50, 100, 250, 500}

func runWorker(id string, w6Batch int, stdout io.Writer) error {
	w, err := benchmarks.Lookup(id)
	if err != nil {
		return err
	}
	rss := map[string]float64{}
	o := benchmarks.Options{PredictBatch: w6Batch, OnEpoch: func(e int, _ float64) {
		if slices.Contains(rssEpochs, e) {
			if mb, err := currentRSSMB(); err == nil {
				rss[fmt.Sprint(e)] = mb
			}
		}
	}}
	r, err := w.Run(o)
	if err != nil {
		return err
	}
	rec := record{Workload: id, Seconds: r.Seconds, PeakRSSMB: peakRSSMB(), Go: runtime.Version(), Threads: runtime.GOMAXPROCS(0)}
	if !math.IsNaN(r.FinalLoss) {
		rec.FinalLoss = &r.FinalLoss
	}
	if len(rss) > 0 {
		rec.RSSByEpoch = rss
	}
	return json.NewEncoder(stdout).Encode(rec)
}

// currentRSSMB reads VmRSS from /proc/self/status, in MiB.
func currentRSSMB() (float64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kb); err != nil {
				return 0, err
			}
			return kb / 1024, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc/self/status")
}

func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Maxrss) / 1024 // Linux: KiB
}

// child runs a command and parses the last JSON line of its output.
func child(cmd *exec.Cmd, stderr io.Writer) (record, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = stderr
	before, okBefore := readCPUTimes()
	err := cmd.Run()
	after, okAfter := readCPUTimes()
	if err != nil {
		return record{}, fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rec record
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		return record{}, fmt.Errorf("%s: output %q: %w", strings.Join(cmd.Args, " "), out.String(), err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rec.ChildPeakRSSMB = float64(ru.Maxrss) / 1024
	}
	rec.Steal = math.NaN()
	if okBefore && okAfter {
		rec.Steal = stealShare(before, after)
	}
	return rec, nil
}

// cpuTimes are the columns of /proc/stat's first ("cpu") line: the ticks
// every CPU spent in each state since boot (user, nice, system, idle,
// iowait, irq, softirq, steal, ...).
type cpuTimes []uint64

// readCPUTimes reads /proc/stat's cpu line; false where there is none (not
// Linux) or it does not parse.
func readCPUTimes() (cpuTimes, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, false
	}
	return parseCPUTimes(string(b))
}

// parseCPUTimes parses the first line of /proc/stat's text, which must
// be the "cpu" line with at least the eight columns up to steal.
func parseCPUTimes(stat string) (cpuTimes, bool) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return nil, false
	}
	t := make(cpuTimes, 0, len(f)-1)
	for _, x := range f[1:] {
		v, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			return nil, false
		}
		t = append(t, v)
	}
	return t, true
}

// stealShare is the steal ticks between two readings over all their
// ticks (guest time, counted in user's too, left out), NaN when no tick
// passed or steal went back. A column that went back (iowait may,
// proc(5)) counts as none.
func stealShare(a, b cpuTimes) float64 {
	const steal, guest = 7, 8
	if b[steal] < a[steal] {
		return math.NaN()
	}
	var total uint64
	for i := range min(len(a), len(b), guest) {
		if b[i] > a[i] {
			total += b[i] - a[i]
		}
	}
	if total == 0 {
		return math.NaN()
	}
	return float64(b[steal]-a[steal]) / float64(total)
}

func goRun(id string, w6Batch, threads int, stderr io.Writer) (record, error) {
	self, err := os.Executable()
	if err != nil {
		return record{}, err
	}
	cmd := exec.Command(self, "-worker", id, "-w6-batch", fmt.Sprint(w6Batch))
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", threads))
	return child(cmd, stderr)
}

func pyRun(c config, id string, threads int, stderr io.Writer) (record, error) {
	args := []string{c.script, "--workload", id, "--threads", fmt.Sprint(threads)}
	if id == "W6" && c.w6Batch > 0 {
		args = append(args, "--w6-batch", fmt.Sprint(c.w6Batch))
	}
	cmd := exec.Command(c.python, args...)
	cmd.Env = append(append(os.Environ(), threadEnv(threads)...), c.pyEnv...)
	return child(cmd, stderr)
}

// threadEnv is the environment that sizes the BLAS pools (N threads) and
// the OpenMP one (1: workloads.py keeps torch's intra-op pool at one
// thread, the fastest way to give it N cores we measured).
func threadEnv(threads int) []string {
	env := []string{"OMP_NUM_THREADS=1"}
	for _, v := range []string{"MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"} {
		env = append(env, fmt.Sprintf("%s=%d", v, threads))
	}
	return env
}

// results are the runs of one workload at one thread count (0 reads as 1).
type results struct {
	id       string
	threads  int
	gornn    []record
	pytorch  []record
	c        []record // the native floor's runs (W1–W3, when built)
	duration time.Duration
}

// floorKinds are the workloads the C floor implements.
var floorKinds = map[string]benchmarks.Kind{"W1": benchmarks.LSTM, "W2": benchmarks.SimpleRNN, "W3": benchmarks.GRU}

// floor is the built C floor: its program, the input file of each
// workload, and how it was built or why it was not.
type floor struct {
	bin    string
	inputs map[string]string
	built  string // the compiler and flags
	note   string // why there is no C column, if there is none
}

// buildFloor compiles the C floor into dir and writes its inputs for the
// W1–W3 workloads in ids. A missing compiler or a failed build leaves
// bin empty and says why in note.
func buildFloor(dir string, ids []string, stderr io.Writer) (floor, error) {
	f := floor{inputs: map[string]string{}}
	var want []string
	for _, id := range ids {
		if _, ok := floorKinds[id]; ok {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return f, nil
	}
	bin, built, err := benchmarks.BuildFloor(dir)
	if errors.Is(err, benchmarks.ErrNoCompiler) {
		f.note = "C floor skipped: no C compiler (cc, gcc or clang) on PATH; install one (Debian: apt-get install -y gcc) for the gornn/C column."
		fmt.Fprintln(stderr, f.note)
		return f, nil
	}
	if err != nil {
		f.note = "C floor skipped: its build failed (" + err.Error() + ")."
		fmt.Fprintln(stderr, f.note)
		return f, nil
	}
	f.bin, f.built = bin, built
	for _, id := range want {
		in, _, err := benchmarks.SineFloorInput(floorKinds[id], 0)
		if err != nil {
			return f, err
		}
		path := dir + string(os.PathSeparator) + id + ".bin"
		if err := in.WriteFile(path); err != nil {
			return f, err
		}
		f.inputs[id] = path
	}
	return f, nil
}

// pyBLAS asks the PyTorch script which BLAS torch calls.
func pyBLAS(c config) (record, error) {
	cmd := exec.Command(c.python, c.script, "--blas")
	cmd.Env = append(append(os.Environ(), threadEnv(1)...), c.pyEnv...)
	return child(cmd, io.Discard)
}

// blasOf returns the BLAS the PyTorch runs used: the description (with
// an OpenBLAS's kernels) and the kind, "mixed" when the runs disagree,
// "weak" when an OpenBLAS ran kernels below the processor's level, ""
// when none said.
func blasOf(all []results, level benchmarks.ISA) (desc, kind string) {
	seen := map[string]bool{}
	var descs []string
	weak := false
	for _, r := range all {
		for _, p := range r.pytorch {
			d := p.BLAS
			if d == "" {
				d = "not reported"
			}
			if p.BLASCore != "" {
				d += ", kernels " + p.BLASCore
				weak = weak || benchmarks.OpenBLASCoreBelow(p.BLASCore, level)
			}
			if !seen[d] {
				seen[d] = true
				descs = append(descs, d)
				if kind == "" {
					kind = p.BLASKind
				} else if kind != p.BLASKind {
					kind = "mixed"
				}
			}
		}
	}
	if kind == "" && len(descs) > 0 {
		kind = "unknown"
	}
	if weak && kind != "mixed" {
		kind = "weak"
	}
	return strings.Join(descs, "; "), kind
}

func compare(c config, stdout, stderr io.Writer) error {
	start := time.Now()
	if b, err := pyBLAS(c); err == nil {
		fmt.Fprintf(stderr, "PyTorch %s calls BLAS: %s\n", b.Torch, b.BLAS)
		probe := func(env []string) string {
			pc := c
			pc.pyEnv = append(slices.Clip(c.pyEnv), env...)
			fb, err := pyBLAS(pc)
			if err != nil {
				return ""
			}
			return fb.BLASCore
		}
		env, core, forced := benchmarks.ChooseOpenBLASCore(b.BLASCore, c.cpuCore, c.cpuLevel, probe)
		switch {
		case env != nil:
			c.pyEnv = append(c.pyEnv, env...)
			c.coreNote = fmt.Sprintf("OpenBLAS chose its %s kernels (%s) on this processor, which runs %s: it does not know the processor. "+
				"compare set OPENBLAS_CORETYPE=%s for the PyTorch runs, and OpenBLAS ran its %s kernels.",
				b.BLASCore, benchmarks.OpenBLASCoreISA(b.BLASCore), c.cpuLevel, forced, core)
			fmt.Fprintln(stderr, c.coreNote)
		case forced != "":
			fmt.Fprintf(stderr, "OpenBLAS did not run its %s kernels with OPENBLAS_CORETYPE=%s (a build without them?).\n", forced, forced)
		}
		if b.BLASCore != "" && c.coreNote == "" && benchmarks.OpenBLASCoreBelow(b.BLASCore, c.cpuLevel) {
			advice := fmt.Sprintf("Set OPENBLAS_CORETYPE=%s and check that OpenBLAS accepts it (OPENBLAS_VERBOSE=2)", c.cpuCore)
			if benchmarks.PresetOpenBLASCore() == "" {
				advice = "compare's OPENBLAS_CORETYPE=" + c.cpuCore + " did not take: install an OpenBLAS that has those kernels (or MKL)"
			}
			fmt.Fprintf(stderr, "WARNING: OpenBLAS runs its %s kernels (%s) on a processor that runs %s; no gornn/PyTorch ratios will be printed. %s.\n",
				b.BLASCore, benchmarks.OpenBLASCoreISA(b.BLASCore), c.cpuLevel, advice)
		}
		if b.BLASKind == "reference" {
			fmt.Fprintln(stderr, "WARNING: that is the unoptimized reference BLAS; no gornn/PyTorch ratios will be printed. "+
				"Install OpenBLAS (Debian: apt-get install -y libopenblas0-pthread) and check "+
				"update-alternatives --display libblas.so.3-x86_64-linux-gnu.")
		}
	}
	var fl floor
	if c.cfloor {
		dir, err := os.MkdirTemp("", "gornn-cfloor-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if fl, err = buildFloor(dir, c.workloads, stderr); err != nil {
			return err
		}
	} else {
		fl.note = "C floor not run (-cfloor=false)."
	}
	var all []results
	for _, id := range c.workloads {
		byThreads := make([]results, len(c.threads))
		for ti, t := range c.threads {
			byThreads[ti] = results{id: id, threads: t}
		}
		t0 := time.Now()
		floorIn := fl.inputs[id]
		for i := range c.runs {
			for tj := range c.threads {
				// Thread counts take turns going first too.
				ti := (tj + i) % len(c.threads)
				t := c.threads[ti]
				r := &byThreads[ti]
				// Alternate which goes first, so neither always runs on a
				// machine the other has just warmed (or heated); the C floor
				// (one thread) takes each place in turn.
				order := []string{"gornn", "pytorch"}
				if i%2 == 1 {
					order = []string{"pytorch", "gornn"}
				}
				if fl.bin != "" && floorIn != "" && t == 1 {
					at := i % 3
					order = append(order[:at], append([]string{"C"}, order[at:]...)...)
				}
				for _, impl := range order {
					var rec record
					var err error
					switch impl {
					case "gornn":
						rec, err = goRun(id, c.w6Batch, t, stderr)
						r.gornn = append(r.gornn, rec)
					case "pytorch":
						rec, err = pyRun(c, id, t, stderr)
						r.pytorch = append(r.pytorch, rec)
					default:
						rec, err = child(exec.Command(fl.bin, floorIn), stderr)
						r.c = append(r.c, rec)
					}
					if err != nil {
						return err
					}
					extra := ""
					if impl == "pytorch" {
						extra = " (BLAS: " + rec.BLAS + ")"
					}
					if !math.IsNaN(rec.Steal) {
						extra += fmt.Sprintf(" steal %.0f%%", 100*rec.Steal)
					}
					fmt.Fprintf(stderr, "%s run %d/%d %s %-7s %.3f s%s\n", id, i+1, c.runs, plural(t, "thread"), impl, rec.Seconds, extra)
				}
			}
		}
		d := time.Since(t0)
		for _, r := range byThreads {
			r.duration = d
			if len(r.c) > 0 {
				if d := lossDiff(r); !(d <= floorLossTolerance) {
					fmt.Fprintf(stderr, "WARNING: %s: the C floor's final loss %s differs from gornn's %s by %.2g (relative; tolerance %g)\n",
						id, fmtLoss(median(field(r.c, lossOf))), fmtLoss(median(field(r.gornn, lossOf))), d, floorLossTolerance)
				}
			}
			all = append(all, r)
		}
	}
	report := markdown(c, fl, all, time.Since(start))
	if _, err := io.WriteString(stdout, report); err != nil {
		return err
	}
	if c.out != "" {
		if err := os.WriteFile(c.out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func field(rs []record, f func(record) float64) []float64 {
	out := make([]float64, 0, len(rs))
	for _, r := range rs {
		out = append(out, f(r))
	}
	return out
}

func secs(r record) float64 { return r.Seconds }
func rss(r record) float64  { return r.ChildPeakRSSMB }
func lossOf(r record) float64 {
	if r.FinalLoss == nil {
		return math.NaN()
	}
	return *r.FinalLoss
}

func fmtLoss(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.4f", v)
}

// lossDiff is the relative difference of the C floor's median final loss
// from gornn's.
func lossDiff(r results) float64 {
	g, c := median(field(r.gornn, lossOf)), median(field(r.c, lossOf))
	return math.Abs(c-g) / math.Abs(g)
}

// rangeOf formats min–max of xs, or "–" for none.
func rangeOf(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f–%.3f", slices.Min(xs), slices.Max(xs))
}

// threadsOf is r's thread count (0, in a results made without one, is 1).
func threadsOf(r results) int { return max(r.threads, 1) }

// threadCounts lists the thread counts of all in their first order.
func threadCounts(all []results) []int {
	var ts []int
	for _, r := range all {
		if !slices.Contains(ts, threadsOf(r)) {
			ts = append(ts, threadsOf(r))
		}
	}
	return ts
}

func markdown(c config, fl floor, all []results, total time.Duration) string {
	var b strings.Builder
	torch := "?"
	for _, r := range all {
		if len(r.pytorch) > 0 && r.pytorch[0].Torch != "" {
			torch = r.pytorch[0].Torch
		}
	}
	blas, kind := blasOf(all, c.cpuLevel)
	// Ratios only against an optimized BLAS: the reference BLAS makes
	// PyTorch's products several times slower than they are anywhere
	// PyTorch is installed with care.
	ratiosOK := kind != "reference" && kind != "mixed" && kind != "weak"
	ts := threadCounts(all)
	tlist := make([]string, len(ts))
	for i, t := range ts {
		tlist[i] = fmt.Sprint(t)
	}
	threadsDesc := "gornn with GOMAXPROCS=1, PyTorch with one thread"
	if len(ts) > 1 || ts[0] != 1 {
		threadsDesc = fmt.Sprintf("gornn with GOMAXPROCS=N, PyTorch with N threads, N = %s", strings.Join(tlist, ", "))
	}
	fmt.Fprintf(&b, "## Measured: gornn against PyTorch and the C floor\n\n")
	fmt.Fprintf(&b, "Machine: %s, %d cores (`nproc`); %s, gornn's kernels %s; PyTorch %s (%s), **BLAS: %s**. "+
		"%s; %s of each, alternating, each a fresh process; "+
		"medians; total wall time %s.\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), graph.Kernels(), torch, c.python, blas,
		threadsDesc, plural(c.runs, "run"), total.Round(time.Second))
	if c.coreNote != "" {
		fmt.Fprintf(&b, "%s\n\n", c.coreNote)
	}
	if n := stealNote(all, ts); n != "" {
		fmt.Fprintf(&b, "%s\n\n", n)
	}
	if fl.built != "" {
		fmt.Fprintf(&b, "C floor (W1–W3): benchmarks/cfloor/floor.c built with `%s`, one thread, same data, initial weights and batch order as gornn.\n\n", fl.built)
	}
	if fl.note != "" {
		fmt.Fprintf(&b, "%s\n\n", fl.note)
	}
	switch kind {
	case "reference":
		b.WriteString("**PyTorch ran on the reference BLAS (netlib's unoptimized libblas): its matrix products are several times " +
			"slower than on OpenBLAS or MKL, so gornn/PyTorch ratios would be meaningless and none are printed (n/a).** " +
			"Install OpenBLAS (Debian: `apt-get install -y libopenblas0-pthread`), check that " +
			"`update-alternatives --display libblas.so.3-x86_64-linux-gnu` points to it, and run again.\n\n")
	case "mixed":
		b.WriteString("**The PyTorch runs did not all use the same BLAS; no gornn/PyTorch ratios are printed (n/a).**\n\n")
	case "weak":
		fmt.Fprintf(&b, "**OpenBLAS ran kernels below this processor's instruction set (it runs %s; OpenBLAS's best for it are %s): "+
			"PyTorch's matrix products were several times slower than they can be here, so gornn/PyTorch ratios would flatter gornn "+
			"and none are printed (n/a).** Set `OPENBLAS_CORETYPE=%s` and run again.\n\n", c.cpuLevel, c.cpuCore, c.cpuCore)
	case "unknown":
		b.WriteString("**PyTorch's BLAS was not identified: the gornn/PyTorch ratios of compute-bound workloads (W4, W6) " +
			"may be against an unoptimized BLAS.**\n\n")
	}
	for _, t := range ts {
		if len(ts) > 1 {
			fmt.Fprintf(&b, "### %s\n\n", plural(t, "thread"))
		}
		b.WriteString("| workload | gornn median (s) | PyTorch median (s) | ratio gornn/PyTorch | C median (s) | ratio gornn/C | gornn range (s) | PyTorch range (s) | C range (s) | gornn peak RSS (MB) | PyTorch peak RSS (MB) | gornn final loss | PyTorch final loss | C final loss |\n")
		b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, r := range all {
			if threadsOf(r) != t {
				continue
			}
			gs, ps, cs := field(r.gornn, secs), field(r.pytorch, secs), field(r.c, secs)
			gm, pm := median(gs), median(ps)
			ratio := "n/a"
			if ratiosOK {
				ratio = fmt.Sprintf("%.2f", gm/pm)
			}
			cm, cratio, closs := "–", "–", "–"
			if len(cs) > 0 {
				cm = fmt.Sprintf("%.3f", median(cs))
				cratio = fmt.Sprintf("%.1f", gm/median(cs))
				closs = fmtLoss(median(field(r.c, lossOf)))
				if d := lossDiff(r); d <= floorLossTolerance {
					closs += fmt.Sprintf(" (Δ %.0e)", d)
				} else {
					closs += fmt.Sprintf(" (**Δ %.1e: does not match gornn**)", d)
				}
			}
			fmt.Fprintf(&b, "| %s | %.3f | %.3f | %s | %s | %s | %s | %s | %s | %.0f | %.0f | %s | %s | %s |\n",
				r.id, gm, pm, ratio, cm, cratio, rangeOf(gs), rangeOf(ps), rangeOf(cs),
				median(field(r.gornn, rss)), median(field(r.pytorch, rss)),
				fmtLoss(median(field(r.gornn, lossOf))), fmtLoss(median(field(r.pytorch, lossOf))), closs)
		}
		b.WriteString("\n")
	}
	b.WriteString("Peak RSS is each child process's `ru_maxrss` (MiB). Importing torch alone takes most of PyTorch's. " +
		"Ratio gornn/C is how many times the C floor's time gornn takes; Δ is the C floor's final loss against gornn's, relative " +
		fmt.Sprintf("(tolerance %g).\n", floorLossTolerance))
	if c.w6Batch > 0 {
		fmt.Fprintf(&b, "W6 predicted in batches of %d in both implementations.\n", c.w6Batch)
	}
	if len(ts) > 1 {
		writeScaling(&b, all, ts)
	}
	writeRates(&b, c, all)
	for _, r := range all {
		if r.id != "W1" || threadsOf(r) != ts[0] {
			continue
		}
		b.WriteString("\n### Memory over training (W1, gornn)\n\n")
		b.WriteString("Resident set size sampled in the worker after the given epoch (median over runs, MiB):\n\n")
		b.WriteString("| epoch | RSS (MB) |\n| ---: | ---: |\n")
		for _, e := range rssEpochs {
			k := fmt.Sprint(e)
			fmt.Fprintf(&b, "| %d | %.1f |\n", e, median(field(r.gornn, func(x record) float64 { return x.RSSByEpoch[k] })))
		}
		e50 := median(field(r.gornn, func(x record) float64 { return x.RSSByEpoch["50"] }))
		e500 := median(field(r.gornn, func(x record) float64 { return x.RSSByEpoch["500"] }))
		fmt.Fprintf(&b, "\nEpoch 500 against epoch 50: %+.1f%% (goal: within ±5%%).\n", 100*(e500-e50)/e50)
	}
	fmt.Fprintf(&b, "\nEvery run (s; PyTorch on %s):\n\n", blas)
	for _, r := range all {
		label := r.id
		if len(ts) > 1 {
			label += ", " + plural(threadsOf(r), "thread")
		}
		fmt.Fprintf(&b, "- %s gornn: %s; PyTorch: %s", label, listSteal(r.gornn), listSteal(r.pytorch))
		if len(r.c) > 0 {
			fmt.Fprintf(&b, "; C: %s", listSteal(r.c))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// writeScaling writes each workload's speed-up from the first thread
// count to the others, and whether gornn's final loss stayed the same.
func writeScaling(b *strings.Builder, all []results, ts []int) {
	find := func(id string, t int) (results, bool) {
		for _, r := range all {
			if r.id == id && threadsOf(r) == t {
				return r, true
			}
		}
		return results{}, false
	}
	fmt.Fprintf(b, "\n### Scaling from %s\n\n", plural(ts[0], "thread"))
	b.WriteString("Speed-up = median time with the first thread count over the median time with the other, each implementation against itself.\n\n")
	b.WriteString("| workload | threads | gornn (s) | gornn speed-up | PyTorch (s) | PyTorch speed-up | gornn final loss the same |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	var ids []string
	for _, r := range all {
		if !slices.Contains(ids, r.id) {
			ids = append(ids, r.id)
		}
	}
	for _, id := range ids {
		base, ok := find(id, ts[0])
		if !ok {
			continue
		}
		g1, p1 := median(field(base.gornn, secs)), median(field(base.pytorch, secs))
		for _, t := range ts[1:] {
			r, ok := find(id, t)
			if !ok {
				continue
			}
			gt, pt := median(field(r.gornn, secs)), median(field(r.pytorch, secs))
			same := "–"
			if l1, lt := field(base.gornn, lossOf), field(r.gornn, lossOf); len(l1) > 0 && !math.IsNaN(l1[0]) {
				same = "yes, bit for bit"
				for _, l := range append(l1, lt...) {
					if l != l1[0] {
						same = "**no**"
					}
				}
			}
			fmt.Fprintf(b, "| %s | %d | %.3f | **%.2f×** | %.3f | %.2f× | %s |\n", id, t, gt, g1/gt, pt, p1/pt, same)
		}
	}
}

// writeRates writes the rate of each workload's matrix products against
// the processor's float32 multiply-add peak.
func writeRates(b *strings.Builder, c config, all []results) {
	if !(c.peak > 0) {
		c.peak, c.peakGiven = nominalPeak(), false
	}
	fmt.Fprintf(b, "\n### Arithmetic rate\n\n")
	fmt.Fprintf(b, "GFLOP/s of the matrix products of the timed region (`benchmarks.WorkloadFLOPs`: 2·m·n·k per product, "+
		"elementwise work not counted) over the median time. Peak: %.1f GFLOP/s per core times the threads (%s).\n\n", c.peak, c.peakNote())
	b.WriteString("| workload | threads | product GFLOP | gornn GFLOP/s | gornn % of peak | PyTorch GFLOP/s | PyTorch % of peak |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range all {
		f, err := benchmarks.WorkloadFLOPs(r.id)
		if err != nil {
			continue
		}
		t := threadsOf(r)
		peak := c.peak * float64(t)
		g, p := f/median(field(r.gornn, secs))/1e9, f/median(field(r.pytorch, secs))/1e9
		fmt.Fprintf(b, "| %s | %d | %.3f | %.1f | %.0f%% | %.1f | %.0f%% |\n", r.id, t, f/1e9, g, 100*g/peak, p, 100*p/peak)
	}
}

// peakNote says where the peak came from.
func (c config) peakNote() string {
	if c.peakGiven {
		return "given with -peak"
	}
	lanes := fmaLanes()
	note := ""
	if lanes == 16 {
		note = " (two 512-bit FMA units assumed, as on the larger Xeons; a processor with one, or one that splits 512-bit operations, has half: give -peak)"
	}
	return fmt.Sprintf("two %d-lane float32 FMAs per cycle, %d FLOP, at the %.0f MHz /proc/cpuinfo reports%s; a turbo clock is higher",
		lanes, 4*lanes, cpuMHz(), note)
}

// fmaLanes is the float32 lanes of the processor's widest FMA: 16 with
// AVX-512F (two 512-bit FMA units assumed, as on the Xeons with it that
// this suite ran on; a processor with one, or one that splits 512-bit
// operations in halves, has half the peak given), else 8.
func fmaLanes() int {
	if cpu.X86.HasAVX512F {
		return 16
	}
	return 8
}

// nominalPeak is the float32 FMA peak of one core in GFLOP/s: two 8-lane
// (AVX2) or 16-lane (AVX-512) FMAs per cycle at the clock /proc/cpuinfo reports, or 100 when it
// reports none.
func nominalPeak() float64 {
	if mhz := cpuMHz(); mhz > 0 {
		return float64(4*fmaLanes()) * mhz / 1000
	}
	return 100
}

// cpuMHz returns the first "cpu MHz" of /proc/cpuinfo, or 0.
func cpuMHz() float64 {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "cpu MHz" {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil && f > 0 {
				return f
			}
		}
	}
	return 0
}

func list(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(s, ", ")
}

// listSteal lists the runs' times, each with the hypervisor's steal
// during it where that is known and at least 1%.
func listSteal(rs []record) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprintf("%.3f", r.Seconds)
		if r.Steal >= 0.01 {
			s[i] += fmt.Sprintf(" (steal %.0f%%)", 100*r.Steal)
		}
	}
	return strings.Join(s, ", ")
}

// stealLimit is the median steal of a thread count's runs above which
// the report says that the host took a part of the CPUs: the runs that
// need every core lose most (a task that waits on a core the hypervisor
// took waits the whole time it is away).
const stealLimit = 0.02

// stealNote says how much CPU time the hypervisor took from this machine
// during the runs, by thread count (every implementation's runs), or ""
// where /proc/stat gave nothing.
func stealNote(all []results, ts []int) string {
	var parts []string
	loud := false
	for _, t := range ts {
		var xs []float64
		for _, r := range all {
			if threadsOf(r) != t {
				continue
			}
			for _, rs := range [][]record{r.gornn, r.pytorch, r.c} {
				for _, x := range rs {
					if !math.IsNaN(x.Steal) {
						xs = append(xs, x.Steal)
					}
				}
			}
		}
		if len(xs) == 0 {
			continue
		}
		m := median(xs)
		loud = loud || m > stealLimit
		parts = append(parts, fmt.Sprintf("%s median %.1f%%, most %.1f%%", plural(t, "thread"), 100*m, 100*slices.Max(xs)))
	}
	if len(parts) == 0 {
		return ""
	}
	n := "Hypervisor steal during the runs (/proc/stat: the share of all CPUs' time given to other guests while each child ran): " +
		strings.Join(parts, "; ") + "."
	if loud {
		n += fmt.Sprintf(" **Above %.0f%%: the host was busy, and times (those on every core most) are slower and more spread than on a quiet machine.**", 100*stealLimit)
	}
	return n
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// plural returns "1 run" or "n runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
