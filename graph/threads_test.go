package graph

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestThreads(t *testing.T) {
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	limit, err := strconv.Atoi(os.Getenv("GORNN_THREADS"))
	if err != nil || limit < 1 {
		limit = 1 << 30
	}
	for _, p := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(p)
		if got, want := Threads(), min(p, limit); got != want {
			t.Errorf("GOMAXPROCS %d, GORNN_THREADS %q: Threads() = %d, want %d", p, os.Getenv("GORNN_THREADS"), got, want)
		}
	}
}

// TestKernels checks that Kernels names the path the process takes, and
// that GORNN_SIMD=off and =avx2 (read at start-up, so in a child process)
// select plain Go and the 256-bit kernels.
func TestKernels(t *testing.T) {
	if os.Getenv("GORNN_KERNELS_CHILD") != "" {
		fmt.Printf("\nkernels: %s\n", Kernels())
		return
	}
	names := []string{"AVX-512 and AVX2+FMA assembly", "AVX2+FMA assembly", "plain Go"}
	if k := Kernels(); !slices.Contains(names, k) {
		t.Fatalf("Kernels() = %q, not one of %q", k, names)
	}
	if os.Getenv("GORNN_SIMD") == "off" && Kernels() != "plain Go" {
		t.Fatalf("GORNN_SIMD=off: Kernels() = %q", Kernels())
	}
	for env, want := range map[string][]string{
		"off":  {"plain Go"},
		"avx2": {"AVX2+FMA assembly", "plain Go"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestKernels$")
		cmd.Env = append(os.Environ(), "GORNN_KERNELS_CHILD=1", "GORNN_SIMD="+env)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GORNN_SIMD=%s: %v", env, err)
		}
		_, got, _ := strings.Cut(string(out), "\nkernels: ")
		got, _, _ = strings.Cut(got, "\n")
		if !slices.Contains(want, got) {
			t.Errorf("GORNN_SIMD=%s: Kernels() = %q, want one of %q", env, got, want)
		}
	}
}
