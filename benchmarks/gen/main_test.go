package gen

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain lets the heap grow further between collections: the tests
// marshal and parse a lot of short-lived YAML, and collecting less often
// keeps the suite well inside its time budget.
func TestMain(m *testing.M) {
	debug.SetGCPercent(400)
	os.Exit(m.Run())
}
