package sim

import (
	"runtime/debug"
	"testing"
)

// A serving process collects at 4 times its live heap under a 3 GiB soft
// limit, unless GOGC or GOMEMLIMIT say otherwise.
func TestTuneServingProcess(t *testing.T) {
	gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	TuneServingProcess()
	if got := debug.SetGCPercent(100); got != servingGCPercent {
		t.Errorf("GC percent %d, want %d", got, servingGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != servingMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, servingMemoryLimit)
	}

	t.Setenv("GOGC", "50")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(50)
	debug.SetMemoryLimit(1 << 30)
	TuneServingProcess()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("GC percent %d with GOGC=50, want it left at 50", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("memory limit %d with GOMEMLIMIT=1GiB, want it left", got)
	}
}
