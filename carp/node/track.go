package node

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
)

// Track defaults.
const (
	DefaultTrackInterval = 5 * time.Second
	DefaultTrackTimeout  = 2 * time.Second
	// MaxTrackOutput bounds what a track command's output may hold in
	// memory and in the log: a chatty or hostile command cannot grow the
	// node or flood its log.
	MaxTrackOutput = 4 << 10
	// trackLogLine is how much of the output a log line quotes.
	trackLogLine = 200
)

// Track is a health check that demotes the whole router while it fails,
// as keepalived's track_script and track_interface do: a command run every
// Interval (failing when it exits non-zero or outlives Timeout), or an
// interface (failing while it is down). Fall failures in a row make it
// failing, Rise successes in a row healthy again.
type Track struct {
	Name      string
	Weight    int // added to every group's advskew while failing (1..255)
	Command   string
	Interface string
	Interval  time.Duration
	Timeout   time.Duration
	Fall      int
	Rise      int
}

// trackResult is one run of a command track.
type trackResult struct {
	track  int
	ok     bool
	detail string
}

// trackState is what the loop knows of a track.
type trackState struct {
	Track
	failing bool
	fails   int
	oks     int
	last    string
}

// cause is the track's name among the router's demotion causes.
func (t Track) cause() string { return "track " + t.Name }

// observe counts one result and reports whether the track changed between
// healthy and failing.
func (s *trackState) observe(ok bool, detail string) bool {
	s.last = detail
	if ok {
		s.fails, s.oks = 0, s.oks+1
		if s.failing && s.oks >= max(s.Rise, 1) {
			s.failing = false
			return true
		}
		return false
	}
	s.oks, s.fails = 0, s.fails+1
	if !s.failing && s.fails >= max(s.Fall, 1) {
		s.failing = true
		return true
	}
	return false
}

// runTracks starts one goroutine per command track; each sends its results
// to the loop until ctx ends. It returns a function that waits for them.
func (n *Node) runTracks(ctx context.Context) (wait func()) {
	done := make(chan struct{})
	running := 0
	for i, t := range n.tracks {
		if t.Command == "" {
			continue
		}
		running++
		go func() {
			defer func() { done <- struct{}{} }()
			interval := t.Interval
			if interval <= 0 {
				interval = DefaultTrackInterval
			}
			tick := n.clock.NewTimer(0)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C():
				}
				ok, detail := n.runTrack(ctx, t.Track)
				select {
				case n.trackRes <- trackResult{track: i, ok: ok, detail: detail}:
				case <-ctx.Done():
					return
				}
				tick.Reset(interval)
			}
		}()
	}
	return func() {
		for range running {
			<-done
		}
	}
}

// runTrack runs a command track once, bounded by its timeout; the loop
// never waits for it.
func (n *Node) runTrack(ctx context.Context, t Track) (bool, string) {
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTrackTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := n.opts.RunCommand(ctx, t.Command)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return false, fmt.Sprintf("timed out after %s", timeout)
		}
		return false, firstLine(err.Error() + ": " + string(out))
	}
	return true, "ok"
}

// firstLine is s's first line, at most trackLogLine bytes, for a log.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > trackLogLine {
		s = s[:trackLogLine] + "..."
	}
	return s
}

// boundedBuffer keeps the first max bytes written and drops the rest. It
// only has Write, so that io.Copy cannot bypass the bound with ReadFrom.
type boundedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *boundedBuffer) Bytes() []byte { return b.buf.Bytes() }

// trackResult applies a command track's result: a change demotes or
// restores the whole router.
func (n *Node) trackResult(r trackResult) {
	s := &n.tracks[r.track]
	if !s.observe(r.ok, r.detail) {
		return
	}
	n.setTrackCause(s)
}

func (n *Node) setTrackCause(s *trackState) {
	weight := 0
	if s.failing {
		weight = s.Weight
		n.log.Warn("track failing: demoting the router", "track", s.Name, "weight", s.Weight, "detail", s.last)
	} else {
		n.log.Info("track healthy again", "track", s.Name)
	}
	n.performAll(n.router.SetCause(n.clock.Now(), s.cause(), weight))
}

// TrackStatus is a track's state, for node status.
type TrackStatus struct {
	Name      string `json:"name"`
	Interface string `json:"interface,omitempty"`
	Command   bool   `json:"command"` // a command track (its text is not shown)
	Weight    int    `json:"weight"`
	Failing   bool   `json:"failing"`
	Last      string `json:"last,omitempty"`
}
