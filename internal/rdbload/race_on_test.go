//go:build race

package rdbload

// raceEnabled: the race detector slows decoding about tenfold, so the
// randomized robustness tests run fewer cases under -race (the default
// run must stay well under a minute); -long runs them all.
const raceEnabled = true
