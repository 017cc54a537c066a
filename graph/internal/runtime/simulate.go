package runtime

import (
	"fmt"
	"os"
	"time"

	"github.com/gornn/gornn/graph/internal/simd"
)

// timeRun runs the plan as a run does (on two goroutines when Threads()
// ≥ 2, else every op on the caller), timing each op (the least over this
// machine's runs, which leaves out the time a busy host takes the core
// away), and prints to standard error the sum of those times and the
// time two goroutines taking the ready ops in the plan's order would take
// with them: with no cost to hand an op from one goroutine to the other,
// and with 0.5 and 2 µs for each op a goroutine runs after another than
// the one before it in program order. Timed on two goroutines, each op's
// time includes fetching its operands from the other core's cache and
// sharing the memory with the other goroutine's op.
func (pl *plan) timeRun(m *Machine) error {
	if pl.dur == nil {
		pl.dur = make([]time.Duration, len(pl.tasks))
		for i := range pl.dur {
			pl.dur[i] = time.Hour
		}
	}
	t0 := time.Now()
	simd.Share(min(2, simd.Threads()), pl.lane)
	wall := time.Since(t0)
	if pl.err != nil {
		return pl.err
	}
	if pl.wall == 0 || wall < pl.wall {
		pl.wall = wall
	}
	var serial time.Duration
	for _, d := range pl.dur {
		serial += d
	}
	for _, over := range []time.Duration{0, 500 * time.Nanosecond, 2 * time.Microsecond} {
		// Two goroutines take the most urgent ready task when free.
		pend := make([]int32, len(pl.tasks))
		copy(pend, pl.npred)
		pl.ready = pl.ready[:0]
		for t := range pl.tasks {
			if pend[t] == 0 {
				pl.push(int32(t))
			}
		}
		free := [2]time.Duration{}
		last := [2]int32{-1, -1}
		type ev struct {
			at time.Duration
			t  int32
		}
		var running []ev
		now := time.Duration(0)
		done := 0
		var one time.Duration // time with one goroutine idle
		for done < len(pl.tasks) {
			for l := 0; l < 2; l++ {
				if free[l] <= now && len(pl.ready) > 0 {
					t := pl.pop()
					d := pl.dur[t]
					if last[l] >= 0 && last[l] != t-1 {
						d += over
					}
					free[l] = now + d
					last[l] = t
					running = append(running, ev{free[l], t})
				}
			}
			// The next task to finish.
			bi := 0
			for i, e := range running {
				if e.at < running[bi].at {
					bi = i
				}
			}
			e := running[bi]
			if len(running) == 1 {
				one += e.at - now
			}
			running = append(running[:bi], running[bi+1:]...)
			now = e.at
			done++
			for _, s := range pl.succ[e.t] {
				pend[s]--
				if pend[s] == 0 {
					pl.push(s)
				}
			}
		}
		fmt.Fprintf(os.Stderr, "gornn schedule: %d ops timed on %d goroutines (least run %v), hand-off %v: sum of op times %v, on two goroutines %v (%.2fx), one of two idle %.0f%% of the time\n", len(pl.tasks), min(2, simd.Threads()), pl.wall, over, serial, now, float64(serial)/float64(now), 100*float64(one)/float64(now))
	}
	return nil
}
