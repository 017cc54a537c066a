package simd

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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
// workers that join it claim parts in turn until none is left; which
// goroutine computes a part never changes what the part computes.
//
// state counts the workers inside the job (joined and not yet left) and
// has the closed bit set once the caller has claimed its last part: no
// worker joins a closed job, and the caller returns only when none is
// inside, so a job is never reused while a worker can still touch it. A
// worker that finds the job again after it was recycled joins the new
// call, which is as good as any (state is reset only after the fields).
type job struct {
	parts int
	next  atomic.Int64
	state atomic.Int64
	call  atomic.Int64  // counts the calls this job has run, so a spinner joins each once
	done  chan struct{} // the last worker out of a closed job says so here
	gemm  gemmArgs
	elem  elemArgs
	fn    func(part int)
	kind  jobKind
}

type jobKind int

const (
	gemmJob jobKind = iota
	elemJob
	fnJob
)

const closed = 1 << 40

func (j *job) join() bool {
	for {
		s := j.state.Load()
		if s&closed != 0 {
			return false
		}
		if j.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

func (j *job) leave() {
	if j.state.Add(-1) == closed {
		j.done <- struct{}{}
	}
}

// close stops further joins and reports whether workers are still inside.
func (j *job) close() bool {
	for {
		s := j.state.Load()
		if j.state.CompareAndSwap(s, s|closed) {
			return s != 0
		}
	}
}

// claim computes parts until none is left to claim.
func (j *job) claim() {
	for {
		p := int(j.next.Add(1) - 1)
		if p >= j.parts {
			return
		}
		switch j.kind {
		case gemmJob:
			j.gemm.part(p)
		case elemJob:
			j.elem.part(p)
		default:
			j.fn(p)
		}
	}
}

// spinFor is how long a worker that has finished a part keeps looking for
// the next job before it sleeps: the kernels of one training step or
// prediction come microseconds apart, and waking a sleeping goroutine
// costs about as much as a small part.
const spinFor = 50 * time.Microsecond

var (
	// hot is the job on offer to spinning workers: the newest large
	// call (concurrent callers replace each other's offers, which costs
	// the replaced one its helpers, not its result).
	hot      atomic.Pointer[job]
	spinning atomic.Int64 // workers looking at hot now
	// work hands a job to a sleeping worker. It is unbuffered: a send
	// succeeds only when a worker is waiting, so a job never queues and a
	// busy pool never blocks the caller, which computes the parts nobody
	// took.
	work    = make(chan *job)
	workers atomic.Int64 // workers started; they run until the program ends
	// fresh counts the workers started that have not yet begun to spin:
	// they are not receiving on work yet, so a job must be offered in hot
	// for them (run).
	fresh atomic.Int64
	jobs  = sync.Pool{New: func() any { return &job{done: make(chan struct{}, 1)} }}
)

// worker takes jobs for the life of the program: from hot while it spins
// after a job, from work once it sleeps. A worker that wakes after the
// caller has done every part finds the job closed (or recycled for a later
// call, which it joins) and is not waited for.
func worker() {
	seen := offer{fresh: true}
	for {
		if j := seen.spin(); j != nil {
			j.claim()
			j.leave()
			continue
		}
		if j := <-work; j.join() {
			j.claim()
			j.leave()
		}
	}
}

// offer is the last call a spinning worker looked at on hot; fresh marks
// a worker that has not spun yet.
type offer struct {
	j     *job
	call  int64
	fresh bool
}

// spin looks for a job on offer for spinFor and returns it joined, or nil.
// It looks at each call once: a call still on offer after the worker has
// helped with it, or found it closed, is left alone.
func (o *offer) spin() *job {
	spinning.Add(1)
	defer spinning.Add(-1)
	if o.fresh {
		fresh.Add(-1) // counted as spinning now
		o.fresh = false
	}
	deadline := time.Now().Add(spinFor)
	for i := 1; ; i++ {
		if j := hot.Load(); j != nil && (j != o.j || j.call.Load() != o.call) {
			o.j, o.call = j, j.call.Load()
			if j.join() {
				return j
			}
		}
		if i%32 == 0 {
			if time.Now().After(deadline) {
				return nil
			}
			runtime.Gosched()
		}
	}
}

// run computes the job's parts on the calling goroutine and on up to
// helpers workers, and returns when every part is done and no worker is
// inside. Workers are started on first need, up to helpers of them.
func (j *job) run(helpers int) {
	for n := workers.Load(); n < int64(helpers); n = workers.Load() {
		if workers.CompareAndSwap(n, n+1) {
			fresh.Add(1)
			go worker()
		}
	}
	j.next.Store(0)
	j.state.Store(0) // open: the fields above are set
	// A new call number only once the job is open, so that a spinner that
	// sees it does not find the job still closed and skip the call.
	j.call.Add(1)
	offered := false
	// A worker started but not yet spinning (this call's or another's) is
	// not receiving on work either (the sends below would find no one and
	// the caller would run every part): it spins first, and finds the job
	// offered in hot.
	if s := int(spinning.Load()); s > 0 || fresh.Load() > 0 {
		hot.Store(j)
		offered = true
		helpers -= s
	}
wake:
	for range helpers {
		select {
		case work <- j:
		default:
			break wake // every worker is busy, or spinning already
		}
	}
	j.claim()
	if offered {
		hot.CompareAndSwap(j, nil)
	}
	if j.close() {
		<-j.done
	}
}

// Share calls f(0), f(1), ..., f(parts-1), each once, on the calling
// goroutine and on up to parts-1 idle workers of the pool, and returns
// when every call has returned. The caller makes the calls nobody took,
// in order, so each call must be able to finish on its own: a call may
// wait for work that another call has started, never for one to start.
// f must not panic (a worker has no caller to hand a panic to). With
// Threads() < 2 or parts < 2 every call runs on the caller.
func Share(parts int, f func(part int)) {
	if parts < 1 {
		return
	}
	if parts == 1 || Threads() < 2 {
		for p := range parts {
			f(p)
		}
		return
	}
	j := jobs.Get().(*job)
	j.parts, j.kind, j.fn = parts, fnJob, f
	j.run(min(parts, Threads()) - 1)
	j.fn = nil
	jobs.Put(j)
}
