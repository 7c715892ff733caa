//go:build race

package trace

// raceEnabled is set under the race detector, whose instrumentation
// allocates: allocation counts there are not the program's.
const raceEnabled = true
