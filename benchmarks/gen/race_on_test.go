//go:build race

package gen

// raceEnabled tells the heaviest tests to shrink: under the race detector
// they would take minutes, and their data volume adds nothing to what the
// smaller cases show about concurrency.
const raceEnabled = true
