//go:build race

package models

// raceEnabled shortens the stress tests under the race detector, which
// slows every memory access several times.
const raceEnabled = true
