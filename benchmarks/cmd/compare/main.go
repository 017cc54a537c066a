// Command compare runs gornn's benchmark workloads (W1..W6) side by side
// with their PyTorch mirrors (benchmarks/pytorch/workloads.py) and prints a
// markdown table of median times, ratios and peak memory.
//
//	go run ./benchmarks/cmd/compare [-runs 5] [-workloads W1,W2] [-out docs/benchmarks-latest.md]
//
// Every run is a fresh process: gornn's workload runs in a copy of this
// command (-worker W1) with GOMAXPROCS=1, PyTorch's in the system python
// with one thread. The two alternate, run after run, so that slow phases
// of a shared machine hit both. Peak RSS is the child's ru_maxrss.
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
	"strings"
	"syscall"
	"time"

	"github.com/gornn/gornn/benchmarks"
)

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
	out       string
	python    string
	script    string
	w6Batch   int
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
	c := config{runs: *runs, out: *out, script: *script, w6Batch: *w6Batch}
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
		fmt.Fprintln(stderr, "    sudo apt-get install -y --no-install-recommends python3-torch python3-numpy")
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
	Threads   int      `json:"threads,omitempty"`
	Go        string   `json:"go,omitempty"`
	// RSSByEpoch is the resident set size (MiB) after some epochs (gornn's
	// training workloads only), sampled in the worker.
	RSSByEpoch map[string]float64 `json:"rss_mb_by_epoch,omitempty"`
	// ChildPeakRSSMB is the child's ru_maxrss as the parent saw it.
	ChildPeakRSSMB float64 `json:"-"`
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
	if err := cmd.Run(); err != nil {
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
	return rec, nil
}

func goRun(id string, w6Batch int, stderr io.Writer) (record, error) {
	self, err := os.Executable()
	if err != nil {
		return record{}, err
	}
	cmd := exec.Command(self, "-worker", id, "-w6-batch", fmt.Sprint(w6Batch))
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	return child(cmd, stderr)
}

func pyRun(c config, id string, stderr io.Writer) (record, error) {
	args := []string{c.script, "--workload", id}
	if id == "W6" && c.w6Batch > 0 {
		args = append(args, "--w6-batch", fmt.Sprint(c.w6Batch))
	}
	cmd := exec.Command(c.python, args...)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1")
	return child(cmd, stderr)
}

type results struct {
	id       string
	gornn    []record
	pytorch  []record
	duration time.Duration
}

func compare(c config, stdout, stderr io.Writer) error {
	start := time.Now()
	var all []results
	for _, id := range c.workloads {
		r := results{id: id}
		t0 := time.Now()
		for i := range c.runs {
			// Alternate which goes first, so neither always runs on a
			// machine the other has just warmed (or heated).
			order := []string{"gornn", "pytorch"}
			if i%2 == 1 {
				order = []string{"pytorch", "gornn"}
			}
			for _, impl := range order {
				var rec record
				var err error
				if impl == "gornn" {
					rec, err = goRun(id, c.w6Batch, stderr)
					r.gornn = append(r.gornn, rec)
				} else {
					rec, err = pyRun(c, id, stderr)
					r.pytorch = append(r.pytorch, rec)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(stderr, "%s run %d/%d %-7s %.3f s\n", id, i+1, c.runs, impl, rec.Seconds)
			}
		}
		r.duration = time.Since(t0)
		all = append(all, r)
	}
	report := markdown(c, all, time.Since(start))
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

func markdown(c config, all []results, total time.Duration) string {
	var b strings.Builder
	torch := "?"
	for _, r := range all {
		if len(r.pytorch) > 0 && r.pytorch[0].Torch != "" {
			torch = r.pytorch[0].Torch
		}
	}
	fmt.Fprintf(&b, "## Measured: gornn against PyTorch\n\n")
	fmt.Fprintf(&b, "Machine: %s, %d cores (`nproc`); %s; PyTorch %s (%s). "+
		"gornn with GOMAXPROCS=1, PyTorch with one thread; %s of each, alternating, each a fresh process; "+
		"medians; total wall time %s.\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), torch, c.python, plural(c.runs, "run"), total.Round(time.Second))
	b.WriteString("| workload | gornn median (s) | PyTorch median (s) | ratio gornn/PyTorch | gornn range (s) | PyTorch range (s) | gornn peak RSS (MB) | PyTorch peak RSS (MB) | gornn final loss | PyTorch final loss |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range all {
		gs, ps := field(r.gornn, secs), field(r.pytorch, secs)
		gm, pm := median(gs), median(ps)
		fmt.Fprintf(&b, "| %s | %.3f | %.3f | %.2f | %.3f–%.3f | %.3f–%.3f | %.0f | %.0f | %s | %s |\n",
			r.id, gm, pm, gm/pm, slices.Min(gs), slices.Max(gs), slices.Min(ps), slices.Max(ps),
			median(field(r.gornn, rss)), median(field(r.pytorch, rss)),
			fmtLoss(median(field(r.gornn, lossOf))), fmtLoss(median(field(r.pytorch, lossOf))))
	}
	b.WriteString("\nPeak RSS is each child process's `ru_maxrss` (MiB). Importing torch alone takes most of PyTorch's.\n")
	if c.w6Batch > 0 {
		fmt.Fprintf(&b, "W6 predicted in batches of %d in both implementations.\n", c.w6Batch)
	}
	for _, r := range all {
		if r.id != "W1" {
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
	b.WriteString("\nEvery run (s):\n\n")
	for _, r := range all {
		fmt.Fprintf(&b, "- %s gornn: %s; PyTorch: %s\n", r.id, list(field(r.gornn, secs)), list(field(r.pytorch, secs)))
	}
	return b.String()
}

func list(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(s, ", ")
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
