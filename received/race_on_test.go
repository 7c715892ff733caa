//go:build race

package received

// raceEnabled is set under the race detector, where sync.Pool drops
// items at random and allocation counts are not the program's.
const raceEnabled = true
