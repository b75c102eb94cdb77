// Package flock takes exclusive, non-blocking flock(2) locks on files: the
// one way carpvm keeps two of its own processes (nodes, fixes, drills, labs)
// off the same target. A process killed outright leaves no stale lock,
// because the kernel drops an flock with the last descriptor.
package flock
