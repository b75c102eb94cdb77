package sim

import (
	"os"
	"runtime/debug"
)

// Garbage collection of a process that serves a simulator.
const (
	// servingGCPercent lets the heap grow by 4 times the live heap
	// between collections, not once: at vCenter's maximum the live heap
	// is about 800 MB, all of it marked again at every collection.
	servingGCPercent = 400
	// servingMemoryLimit collects sooner rather than let the heap pass
	// 3 GiB, so the process stays under 4 GB.
	servingMemoryLimit = 3 << 30
)

// TuneServingProcess sets the garbage collector of a process whose work
// is serving one simulator (carpvm sim). With Go's default a 2,500-host,
// 40,000-VM simulator spent a quarter of its build's CPU and about half of
// a preflight's in collections; with these settings it is ready in about
// 30 s instead of 50, a preflight's share of its CPU halves, and it stays
// under 1.6 GB (measured on a loaded 2-CPU machine). GOGC and GOMEMLIMIT
// in the environment win over these settings.
func TuneServingProcess() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(servingGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(servingMemoryLimit)
	}
}
