// Command stepplot measures the time of one training step against the
// number of recurrent units, in gornn and in PyTorch, and plots both.
//
//	go run ./benchmarks/cmd/stepplot [-units 20,64,128,256] [-batch 8] [-steps 10] [-out docs/step_time.png]
//
// The step is Sequential([kind(U, return sequences), Dense(1)]) on a fixed
// random batch [B, T, 1] with SGD and MSE (benchmarks.StepCase: a
// Trainer.TrainBatch compiled beforehand; PyTorch: workloads.py
// --step-sizes), timed over five runs that each last at least
// 0.2 s. The plot shows the best of the five (the least disturbed by other
// work on a shared machine); the table has best and median. gornn runs with GOMAXPROCS=1, PyTorch with one
// thread. Each layer and size is timed in gornn and then at once in
// PyTorch (a process of its own), so that the two times of a point come
// from the same minute on a machine whose speed moves. A markdown table
// of the numbers goes to stdout.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gornn/gornn/benchmarks"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "stepplot:", err)
		os.Exit(1)
	}
}

// point is one measured step time: the median and the minimum over runs.
type point struct {
	impl, kind    string
	units         int
	median, least float64
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stepplot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	unitsFlag := fs.String("units", "20,64,128,256", "comma-separated unit counts")
	batch := fs.Int("batch", 8, "batch size")
	steps := fs.Int("steps", 10, "time steps")
	out := fs.String("out", "docs/step_time.png", "PNG file to write")
	python := fs.String("python", "/usr/bin/python3", "python interpreter with torch; empty to plot gornn alone")
	script := fs.String("script", "benchmarks/pytorch/workloads.py", "the PyTorch workloads script")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var units []int
	for _, s := range strings.Split(*unitsFlag, ",") {
		u, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || u <= 0 {
			return fmt.Errorf("-units: bad count %q", s)
		}
		units = append(units, u)
	}
	if *batch <= 0 || *steps <= 0 {
		return fmt.Errorf("-batch %d, -steps %d: must be positive", *batch, *steps)
	}

	runtime.GOMAXPROCS(1)
	var env []string
	if *python != "" {
		var core string
		if env, core = blasCore(*python, *script, stderr); core != "" {
			fmt.Fprintf(stderr, "OpenBLAS kernels: %s\n", core)
		}
	}
	var pts []point
	torch := ""
	for _, k := range benchmarks.Kinds {
		for _, u := range units {
			c, err := benchmarks.NewStepCase(k, benchmarks.Size{Units: u, Batch: *batch, Steps: *steps})
			if err != nil {
				return err
			}
			med, least, err := c.TimeStep(5, 200*time.Millisecond)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "gornn   %-9v U%-4d %8.3f ms (min %.3f)\n", k, u, 1e3*med.Seconds(), 1e3*least.Seconds())
			pts = append(pts, point{"gornn", k.String(), u, med.Seconds(), least.Seconds()})
			if *python == "" {
				continue
			}
			pp, ver, err := pytorch(*python, *script, env, torchKind[k], u, *batch, *steps, stderr)
			if err != nil {
				return err
			}
			pts, torch = append(pts, pp...), ver
		}
	}
	if err := plotSteps(pts, *batch, *steps, torch, *out); err != nil {
		return err
	}
	table(stdout, pts, units, *batch, *steps, torch)
	return nil
}

// threadEnv keeps PyTorch's pools at one thread.
var threadEnv = []string{"OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"}

// blasCore asks workloads.py which BLAS and OpenBLAS kernels torch runs
// and returns the environment that gives OpenBLAS the processor's best
// kernels when it chose weaker ones by itself (as compare does; see
// benchmarks.OpenBLASCoreFix), with the kernels that will run.
func blasCore(python, script string, stderr io.Writer) (env []string, core string) {
	probe := func(env []string) string {
		cmd := exec.Command(python, script, "--blas")
		cmd.Env = append(append(os.Environ(), threadEnv...), env...)
		out, err := cmd.Output()
		if err != nil {
			return ""
		}
		var r struct {
			Core string `json:"blas_core"`
		}
		if json.Unmarshal(bytes.TrimSpace(out), &r) != nil {
			return ""
		}
		return r.Core
	}
	reported := probe(nil)
	want, level := benchmarks.MachineOpenBLASCore()
	env, core, forced := benchmarks.ChooseOpenBLASCore(reported, want, level, probe)
	switch {
	case env != nil:
		fmt.Fprintf(stderr, "OpenBLAS chose its %s kernels on this processor (%v); PyTorch runs with OPENBLAS_CORETYPE=%s (%s kernels)\n", reported, level, forced, core)
	case forced != "":
		fmt.Fprintf(stderr, "WARNING: OpenBLAS runs its %s kernels, below this processor's %v, and OPENBLAS_CORETYPE=%s did not take: PyTorch's times flatter gornn\n", reported, level, forced)
	}
	return env, core
}

// torchKind names each layer kind as workloads.py's --step-kinds does.
var torchKind = map[benchmarks.Kind]string{benchmarks.SimpleRNN: "rnn", benchmarks.LSTM: "lstm", benchmarks.GRU: "gru"}

// pytorch times one layer kind and size in workloads.py (--step-sizes),
// with env (blasCore's) added to its environment.
func pytorch(python, script string, env []string, kind string, units, batch, steps int, stderr io.Writer) ([]point, string, error) {
	cmd := exec.Command(python, script, "--step-sizes", strconv.Itoa(units), "--step-kinds", kind,
		"--step-batch", strconv.Itoa(batch), "--step-time", strconv.Itoa(steps))
	cmd.Env = append(append(os.Environ(), threadEnv...), env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, stderr
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("%s (is PyTorch installed? apt-get install -y --no-install-recommends python3-torch python3-numpy): %w", python, err)
	}
	var pts []point
	ver := ""
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var r struct {
			Kind    string  `json:"kind"`
			Units   int     `json:"units"`
			Seconds float64 `json:"seconds_per_step"`
			Least   float64 `json:"min_seconds_per_step"`
			Torch   string  `json:"torch"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, "", fmt.Errorf("PyTorch output %q: %w", sc.Text(), err)
		}
		fmt.Fprintf(stderr, "PyTorch %-9s U%-4d %8.3f ms (min %.3f)\n", r.Kind, r.Units, 1e3*r.Seconds, 1e3*r.Least)
		pts = append(pts, point{"PyTorch", r.Kind, r.Units, r.Seconds, r.Least})
		ver = r.Torch
	}
	return pts, ver, sc.Err()
}

func plotSteps(pts []point, batch, steps int, torch, out string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Time per training step (best of 5), batch %d, %d time steps, one thread", batch, steps)
	p.X.Label.Text = "recurrent units (log scale)"
	p.Y.Label.Text = "ms per step (log scale)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	var ticks unitTicks
	for _, pt := range pts {
		if !slices.Contains(ticks, pt.units) {
			ticks = append(ticks, pt.units)
		}
	}
	p.X.Tick.Marker = ticks
	p.Add(plotter.NewGrid())
	p.Legend.Top = true // the top left stays empty: small models are fast
	p.Legend.Left = true
	impls := []string{"gornn", "PyTorch"}
	for ki, k := range benchmarks.Kinds {
		for ii, impl := range impls {
			var xys plotter.XYs
			for _, pt := range pts {
				if pt.impl == impl && pt.kind == k.String() {
					xys = append(xys, plotter.XY{X: float64(pt.units), Y: 1e3 * pt.least})
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, s, err := plotter.NewLinePoints(xys)
			if err != nil {
				return err
			}
			c := plotutil.Color(ki)
			l.Color, s.Color = c, c
			l.Width = vg.Points(1.5)
			s.Shape = plotutil.Shape(ki)
			if ii == 1 {
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				l.Color = fade(c)
			}
			p.Add(l, s)
			name := fmt.Sprintf("%s %v", impl, k)
			if impl == "PyTorch" && torch != "" {
				name = fmt.Sprintf("PyTorch %s %v", torch, k)
			}
			p.Legend.Add(name, l, s)
		}
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, out)
}

// unitTicks labels the x axis at the measured unit counts.
type unitTicks []int

// Ticks returns a labelled tick at each unit count.
func (u unitTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for _, v := range u {
		if float64(v) >= lo && float64(v) <= hi {
			ts = append(ts, plot.Tick{Value: float64(v), Label: strconv.Itoa(v)})
		}
	}
	return ts
}

// fade returns c half-transparent, for the PyTorch lines.
func fade(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 170}
}

func table(w io.Writer, pts []point, units []int, batch, steps int, torch string) {
	fmt.Fprintf(w, "Time per training step (ms), batch %d, %d time steps; gornn GOMAXPROCS=1 (%s), PyTorch %s one thread:\n\n", batch, steps, runtime.Version(), torch)
	fmt.Fprint(w, "| layer | units | gornn best (ms) | PyTorch best (ms) | ratio of bests | gornn median (ms) | PyTorch median (ms) | ratio of medians |\n")
	fmt.Fprint(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	find := func(impl, kind string, u int) point {
		for _, p := range pts {
			if p.impl == impl && p.kind == kind && p.units == u {
				return p
			}
		}
		return point{}
	}
	cell := func(v float64) string {
		if v <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.3f", 1e3*v)
	}
	ratio := func(a, b float64) string {
		if a <= 0 || b <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	for _, k := range benchmarks.Kinds {
		for _, u := range units {
			g, t := find("gornn", k.String(), u), find("PyTorch", k.String(), u)
			fmt.Fprintf(w, "| %v | %d | %s | %s | %s | %s | %s | %s |\n", k, u, cell(g.least), cell(t.least), ratio(g.least, t.least),
				cell(g.median), cell(t.median), ratio(g.median, t.median))
		}
	}
}
