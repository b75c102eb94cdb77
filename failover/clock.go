package failover

import "time"

// Clock is a drill's source of time, injected (Options.Clock) as the node's
// is, so that phase timing can be driven by a test instead of waited for.
// The witness's packet timestamps stay the system's: they come from the
// wire.
type Clock interface {
	Now() time.Time
	// After delivers the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock (testing/synctest's fake time drives it
// too).
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
