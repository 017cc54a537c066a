package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseThreads(t *testing.T) {
	for in, want := range map[string]int{"": 0, "1": 1, " 4 ": 4, "16": 16, "0": 0, "-2": 0, "two": 0, "2.5": 0} {
		if got := parseThreads(in); got != want {
			t.Errorf("parseThreads(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestThreadsEnv runs this test binary again with GORNN_THREADS and
// GOMAXPROCS set, as a user would start a program.
func TestThreadsEnv(t *testing.T) {
	if os.Getenv("GORNN_SIMD_THREADS_CHILD") != "" {
		fmt.Printf("threads=%d\n", Threads())
		return
	}
	for _, c := range []struct {
		env  []string
		want int
	}{
		{[]string{"GOMAXPROCS=3"}, 3},
		{[]string{"GOMAXPROCS=3", "GORNN_THREADS=1"}, 1},
		{[]string{"GOMAXPROCS=3", "GORNN_THREADS=2"}, 2},
		{[]string{"GOMAXPROCS=3", "GORNN_THREADS=8"}, 3},
		{[]string{"GOMAXPROCS=3", "GORNN_THREADS=lots"}, 3},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestThreadsEnv$", "-test.v")
		env := []string{"GORNN_SIMD_THREADS_CHILD=1"}
		for _, e := range os.Environ() {
			if !strings.HasPrefix(e, "GOMAXPROCS=") && !strings.HasPrefix(e, "GORNN_THREADS=") {
				env = append(env, e)
			}
		}
		cmd.Env = append(env, c.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", c.env, err, out)
		}
		if want := fmt.Sprintf("threads=%d\n", c.want); !strings.Contains(string(out), want) {
			t.Errorf("%v: output %q, want %q", c.env, out, want)
		}
	}
}

func TestThreadsFollowsGOMAXPROCS(t *testing.T) {
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	savedLimit := threadLimit
	defer func() { threadLimit = savedLimit }()
	threadLimit = 0
	for _, p := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(p)
		if got := Threads(); got != p {
			t.Errorf("GOMAXPROCS %d: Threads() = %d", p, got)
		}
	}
	threadLimit = 2
	runtime.GOMAXPROCS(8)
	if got := Threads(); got != 2 {
		t.Errorf("GOMAXPROCS 8, GORNN_THREADS=2: Threads() = %d, want 2", got)
	}
	runtime.GOMAXPROCS(1)
	if got := Threads(); got != 1 {
		t.Errorf("GOMAXPROCS 1, GORNN_THREADS=2: Threads() = %d, want 1", got)
	}
}

func TestGemmSplit(t *testing.T) {
	for _, tc := range []struct {
		m, n, k, threads int
		parts            int
		rows             bool
	}{
		{8, 80, 20, 2, 1, true},        // the seed step's product: too small
		{256, 80, 20, 2, 1, true},      // 410k multiply-adds: below two parts' worth
		{64, 128, 128, 2, 1, true},     // W4's recurrent products, 1M: not worth splitting
		{64, 128, 512, 1, 1, true},     // one thread
		{64, 128, 512, 2, 2, true},     // 4M multiply-adds
		{64, 128, 512, 16, 4, true},    // four parts at most
		{10000, 80, 20, 16, 15, true},  // W6 in one batch: 16M
		{4, 4096, 512, 2, 2, false},    // one row block: by columns
		{1, 8, 1 << 22, 4, 1, false},   // one row and one column block: not split
		{12, 64, 1 << 15, 8, 8, false}, // three row blocks, eight column blocks
	} {
		parts, rows := gemmSplit(tc.m, tc.n, tc.k, tc.threads)
		if parts != tc.parts || (parts > 1 && rows != tc.rows) {
			t.Errorf("gemmSplit(%d, %d, %d, %d) = %d, %v; want %d, %v", tc.m, tc.n, tc.k, tc.threads, parts, rows, tc.parts, tc.rows)
		}
	}
}

// TestGemmParallelBitIdentical splits products of many shapes into 2 to 9
// parts by rows and by columns and checks every element of c, bit for bit,
// against one serial call, and the gaps between c's rows.
func TestGemmParallelBitIdentical(t *testing.T) {
	gemmPaths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(7, 8))
		shapes := [][3]int{{64, 128, 128}, {128, 512, 64}, {67, 129, 33}, {5, 200, 17}, {33, 7, 40}, {1, 300, 9}, {200, 1, 11}, {9, 9, 1}}
		for range 40 {
			shapes = append(shapes, [3]int{1 + rnd.IntN(90), 1 + rnd.IntN(150), 1 + rnd.IntN(70)})
		}
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			lda, ldb, ldc := k+rnd.IntN(3), n+rnd.IntN(3), n+rnd.IntN(3)
			a := newGemmMatrix(m, k, lda, rnd)
			b := newGemmMatrix(k, n, ldb, rnd)
			want := newGemmMatrix(m, n, ldc, nil)
			gemmSerial(m, n, k, a.s, lda, 1, b.s, ldb, want.s, ldc)
			for _, rows := range []bool{true, false} {
				for parts := 2; parts <= 9; parts++ {
					name := fmt.Sprintf("%dx%dx%d rows=%v parts=%d", m, n, k, rows, parts)
					c := newGemmMatrix(m, n, ldc, nil)
					gemmParallel(parts, rows, m, n, k, a.s, lda, 1, b.s, ldb, c.s, ldc)
					c.checkGaps(t, name)
					sameBits(t, name, c, want)
				}
			}
		}
	})
}

func sameBits(t *testing.T, name string, got, want gemmMatrix) {
	t.Helper()
	for i := 0; i < want.rows; i++ {
		for j := 0; j < want.cols; j++ {
			if g, w := got.at(i, j), want.at(i, j); math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("%s: c[%d][%d] = %v (%#08x), serial %v (%#08x)", name, i, j, g, math.Float32bits(g), w, math.Float32bits(w))
			}
		}
	}
}

// TestGemmThreadsBitIdentical runs Gemm itself, with 1 to 5 threads, on
// products large enough to be split, from several goroutines at once (so
// that jobs meet busy workers and the caller computes the parts nobody
// took): c is the same bit for bit every time.
func TestGemmThreadsBitIdentical(t *testing.T) {
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	savedLimit := threadLimit
	defer func() { threadLimit = savedLimit }()
	threadLimit = 0
	paths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(9, 10))
		type tc struct {
			a, b, want gemmMatrix
		}
		var cases []tc
		for _, s := range [][3]int{{64, 128, 128}, {128, 128, 64}, {64, 128, 512}, {8, 1000, 160}, {300, 80, 20}, {4, 2048, 130}, {4, 4096, 160}, {256, 128, 128}} {
			m, n, k := s[0], s[1], s[2]
			a := newGemmMatrix(m, k, k, rnd)
			b := newGemmMatrix(k, n, n, rnd)
			want := newGemmMatrix(m, n, n, nil)
			gemmSerial(m, n, k, a.s, k, 1, b.s, n, want.s, n)
			cases = append(cases, tc{a, b, want})
		}
		for procs := 1; procs <= 5; procs++ {
			runtime.GOMAXPROCS(procs)
			var wg sync.WaitGroup
			errs := make(chan string, 3*len(cases))
			for g := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := range 4 {
						for i := range cases {
							c := cases[(i+g+r)%len(cases)]
							m, k, n := c.a.rows, c.a.cols, c.b.cols
							got := newGemmMatrix(m, n, n, nil)
							Gemm(m, n, k, c.a.s, k, c.b.s, n, got.s, n)
							for p := range got.s {
								if math.Float32bits(got.s[p]) != math.Float32bits(c.want.s[p]) {
									errs <- fmt.Sprintf("GOMAXPROCS %d: %dx%dx%d: element %d = %v, serial %v", procs, m, n, k, p, got.s[p], c.want.s[p])
									return
								}
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Fatal(e)
			}
		}
	})
}

// BenchmarkGemmThreads times the products of the LSTM(128) step and of W6
// in one batch; run with -cpu 1,2 to see the split.
func BenchmarkGemmThreads(b *testing.B) {
	for _, s := range [][3]int{{64, 128, 128}, {128, 64, 128}, {64, 128, 512}, {10000, 20, 80}} {
		m, k, n := s[0], s[1], s[2]
		rnd := rand.New(rand.NewPCG(5, 6))
		x := newGemmMatrix(m, k, k, rnd)
		w := newGemmMatrix(k, n, n, rnd)
		y := make([]float32, m*n)
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			b.SetBytes(int64(2 * m * n * k)) // "MB/s" reads as MFLOP/s
			for b.Loop() {
				Gemm(m, n, k, x.s, k, w.s, n, y, n)
			}
		})
	}
}

// TestElemParallelBitIdentical splits every elementwise kernel into 2 to 7
// parts over lengths around the part boundaries and checks dst bit for
// bit against one serial call, in place (dst = a) too.
func TestElemParallelBitIdentical(t *testing.T) {
	paths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(11, 12))
		special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, 88.7, -89, 17.5}
		for _, n := range []int{1, 7, 8, 9, 63, 1000, 8191, 8192, 8193, 10007, 40000} {
			a := make([]float32, n)
			b := make([]float32, n)
			for i := range a {
				a[i] = float32(rnd.NormFloat64() * 6)
				b[i] = float32(rnd.NormFloat64() * 6)
				if i%97 == 0 {
					a[i] = special[(i/97)%len(special)]
				}
			}
			type call struct {
				name   string
				serial func(dst []float32)
				args   elemArgs
			}
			var calls []call
			for _, op := range []Op{Add, Sub, Mul, Div} {
				calls = append(calls,
					call{fmt.Sprint("VV", op), func(dst []float32) { vv(op, dst, a, b) }, elemArgs{kind: vvKind, op: op, a: a, b: b}},
					call{fmt.Sprint("VS", op), func(dst []float32) { vs(op, dst, a, 1.7) }, elemArgs{kind: vsKind, op: op, a: a, s: 1.7}})
			}
			for _, op := range []Op{Sub, Div} {
				calls = append(calls, call{fmt.Sprint("SV", op), func(dst []float32) { sv(op, dst, 0.3, a) }, elemArgs{kind: svKind, op: op, a: a, s: 0.3}})
			}
			calls = append(calls,
				call{"Sigmoid", func(dst []float32) { sigmoid(dst, a) }, elemArgs{kind: sigmoidKind, a: a}},
				call{"Tanh", func(dst []float32) { tanh(dst, a) }, elemArgs{kind: tanhKind, a: a}})
			for _, c := range calls {
				want := make([]float32, n)
				c.serial(want)
				for parts := 2; parts <= 7; parts++ {
					for _, inPlace := range []bool{false, true} {
						e := c.args
						e.dst = make([]float32, n)
						if inPlace {
							e.a = append([]float32(nil), a...)
							e.dst = e.a
						}
						elemParallel(parts, e)
						for i := range want {
							if math.Float32bits(e.dst[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s n=%d parts=%d in place %v: dst[%d] = %v, serial %v", c.name, n, parts, inPlace, i, e.dst[i], want[i])
							}
						}
					}
				}
			}
		}
	})
}

// TestElemThreadsBitIdentical calls the exported kernels on passes large
// enough to split, with 1 to 4 threads, from three goroutines at once.
func TestElemThreadsBitIdentical(t *testing.T) {
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	savedLimit := threadLimit
	defer func() { threadLimit = savedLimit }()
	threadLimit = 0
	paths(t, func(t *testing.T) {
		const n = 5*elemPartWork + 13
		rnd := rand.New(rand.NewPCG(13, 14))
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(rnd.NormFloat64()*4), float32(rnd.NormFloat64()*4)
		}
		kernels := []func(dst []float32){
			func(dst []float32) { VV(Mul, dst, a, b) },
			func(dst []float32) { VS(Sub, dst, a, 0.25) },
			func(dst []float32) { SV(Div, dst, 2, b) },
			func(dst []float32) { Sigmoid(dst, a) },
			func(dst []float32) { Tanh(dst, b) },
		}
		runtime.GOMAXPROCS(1)
		want := make([][]float32, len(kernels))
		for i, k := range kernels {
			want[i] = make([]float32, n)
			k(want[i])
		}
		for procs := 1; procs <= 4; procs++ {
			runtime.GOMAXPROCS(procs)
			var wg sync.WaitGroup
			errs := make(chan string, 3)
			for g := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					dst := make([]float32, n)
					for r := range 6 {
						i := (g + r) % len(kernels)
						kernels[i](dst)
						for p := range dst {
							if math.Float32bits(dst[p]) != math.Float32bits(want[i][p]) {
								errs <- fmt.Sprintf("GOMAXPROCS %d: kernel %d: element %d = %v, serial %v", procs, i, p, dst[p], want[i][p])
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Fatal(e)
			}
		}
	})
}

// TestShare: Share calls each part exactly once, on any number of
// threads, from several goroutines at once, and returns only when every
// call has returned; a part may wait for work another part started.
func TestShare(t *testing.T) {
	saved := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(saved)
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		var wg sync.WaitGroup
		for g := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range 200 {
					parts := (g + r) % 4
					calls := make([]atomic.Int32, parts)
					var started atomic.Int32
					Share(parts, func(p int) {
						calls[p].Add(1)
						// Part 1 waits for part 0 to have started, as a
						// plan's goroutine waits for the other's op.
						if started.Add(1); p == 1 {
							for calls[0].Load() == 0 {
								runtime.Gosched()
							}
						}
					})
					for p := range calls {
						if n := calls[p].Load(); n != 1 {
							t.Errorf("GOMAXPROCS %d, %d parts: part %d called %d times", procs, parts, p, n)
						}
					}
					if int(started.Load()) != parts {
						t.Errorf("GOMAXPROCS %d: %d of %d parts returned", procs, started.Load(), parts)
					}
				}
			}()
		}
		wg.Wait()
	}
}

// TestFirstShareGetsHelp checks, in a fresh process (no worker started
// yet), that the first Share on two threads runs its parts on two
// goroutines at once: part 0 waits until part 1 has started. Before the
// fix a worker started by that call was not yet receiving, the offer went
// unseen, and the caller ran part 0 and then part 1 itself (the first
// training step on two threads ran on one). The wait is bounded only so
// that the old behaviour fails instead of hanging.
func TestFirstShareGetsHelp(t *testing.T) {
	if os.Getenv("GORNN_SIMD_FIRST_SHARE_CHILD") != "" {
		started := make(chan struct{})
		var ok atomic.Bool
		Share(2, func(p int) {
			if p == 1 {
				close(started)
				return
			}
			select {
			case <-started:
				ok.Store(true)
			case <-time.After(20 * time.Second):
			}
		})
		fmt.Printf("helped=%v\n", ok.Load())
		return
	}
	env := []string{"GORNN_SIMD_FIRST_SHARE_CHILD=1", "GOMAXPROCS=2"}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GOMAXPROCS=") && !strings.HasPrefix(e, "GORNN_THREADS=") {
			env = append(env, e)
		}
	}
	// The worker can still miss the offer if the host stops the caller
	// for its whole first spin between starting it and offering; that is
	// a rare timing, where the old code missed it every time: three fresh
	// processes, one helped call passes.
	var out []byte
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFirstShareGetsHelp$", "-test.v")
		cmd.Env = env
		var err error
		if out, err = cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if strings.Contains(string(out), "helped=true") {
			return
		}
	}
	t.Errorf("the first Share ran both parts on the caller, three processes in a row:\n%s", out)
}
