package simd

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// threadLimit is GORNN_THREADS as read at start-up: the most goroutines a
// kernel may use, or 0 for no limit beyond GOMAXPROCS (unset, or not a
// positive integer).
var threadLimit = parseThreads(os.Getenv("GORNN_THREADS"))

// parseThreads reads a GORNN_THREADS value: a positive integer, or 0 for
// anything else.
func parseThreads(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// Threads returns how many goroutines one large kernel call may run on:
// runtime.GOMAXPROCS(0) at the time of the call, and at most GORNN_THREADS
// when that was set to a positive integer before the program started.
func Threads() int {
	n := runtime.GOMAXPROCS(0)
	if threadLimit > 0 && threadLimit < n {
		n = threadLimit
	}
	return n
}

// A job is one kernel call split into parts 0..parts-1. The caller and the
// pool workers it was handed to claim parts in turn until none is left;
// which goroutine computes a part never changes what the part computes.
type job struct {
	parts int
	next  atomic.Int64
	wg    sync.WaitGroup // one count per worker the job was handed to
	gemm  gemmArgs
}

// claim computes parts until none is left to claim.
func (j *job) claim() {
	for {
		p := int(j.next.Add(1) - 1)
		if p >= j.parts {
			return
		}
		j.gemm.part(p)
	}
}

var (
	// work hands a job to an idle worker. It is unbuffered: a send
	// succeeds only when a worker is waiting, so a job never queues
	// behind another and a busy pool never blocks the caller, which
	// computes the parts nobody took.
	work    = make(chan *job)
	workers atomic.Int64 // workers started; they run until the program ends
	jobs    = sync.Pool{New: func() any { return new(job) }}
)

// worker takes jobs for the life of the program.
func worker() {
	for j := range work {
		j.claim()
		j.wg.Done()
	}
}

// run computes the job's parts on the calling goroutine and on up to
// helpers idle workers, and returns when every part is done. Workers are
// started on first need, up to helpers of them.
func (j *job) run(helpers int) {
	for n := workers.Load(); n < int64(helpers); n = workers.Load() {
		if workers.CompareAndSwap(n, n+1) {
			go worker()
		}
	}
	j.next.Store(0)
offer:
	for range helpers {
		j.wg.Add(1)
		select {
		case work <- j:
		default:
			j.wg.Done() // every worker is busy (or not started yet)
			break offer
		}
	}
	j.claim()
	j.wg.Wait()
}
