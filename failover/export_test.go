package failover

import (
	"context"
	"time"
)

// The synthetic segment (world_test.go), for the external tests that drill
// it through another package's Env (vsphere_drill_test.go: vsphereenv).

// World is the synthetic segment.
type World = world

// NewWorld starts one; Close stops it.
func NewWorld() *World { return newWorld() }

// Close stops the world.
func (w *world) Close() { w.close() }

// Set makes router alive or failed.
func (w *world) Set(router string, alive bool) { w.set(router, alive) }

// Observe hands the world's events to one drill.
func (w *world) Observe(ctx context.Context, n Network) (Observer, error) { return w.observe(ctx, n) }

// NeverTakeOver keeps the backup from taking over.
func (w *world) NeverTakeOver() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.never = true
}

// Write writes the journal, as a drill does before its trigger.
func (j *Journal) Write(dir string, now time.Time) error { return j.write(dir, now) }
