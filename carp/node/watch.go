package node

import (
	"context"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/internal/transition"
)

// WatchOptions configure Watch.
type WatchOptions struct {
	// Clock is SystemClock when nil.
	Clock Clock
	// Every Refresh (0: never) Show is called with a snapshot, from the
	// calling goroutine.
	Refresh time.Duration
	Show    func(witness.Snapshot)
	// Transitions, when set, receives the witness's transition lines
	// (witness.Options.Network must be set): after each frame, every
	// transitionCheck for the masters that fell silent, and at the end.
	Transitions func([]transition.Transition)
}

// transitionCheck is how often Watch looks for masters that fell silent
// between frames. The lines carry the master-down deadline as their time,
// so this only delays their writing.
const transitionCheck = 250 * time.Millisecond

// Watch feeds every protocol-112 frame read from link into w until ctx
// ends, and returns the final snapshot. It never sends. Frames that are
// not Ethernet + IPv4 protocol 112 or IPv6 next header 112 are skipped.
func Watch(ctx context.Context, link Link, w *witness.Witness, opts WatchOptions) witness.Snapshot {
	clock := opts.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	frames := make(chan carp.Frame, 256)
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, 2048)
		for {
			n, err := link.ReadFrame(buf)
			if err != nil {
				return
			}
			f, err := carp.ParseFrame(buf[:n])
			if err != nil {
				continue
			}
			f.Payload = append([]byte(nil), f.Payload...)
			f.SrcMAC = append([]byte(nil), f.SrcMAC...)
			f.DstMAC = append([]byte(nil), f.DstMAC...)
			select {
			case frames <- f:
			case <-stop:
				return
			}
		}
	}()
	record := func(now time.Time) {
		if opts.Transitions != nil {
			if ts := w.Transitions(now); len(ts) > 0 {
				opts.Transitions(ts)
			}
		}
	}
	// A nil channel never fires: no refresh without Show, no check
	// without Transitions.
	var refresh, check <-chan time.Time
	var refreshTimer, checkTimer Timer
	if opts.Refresh > 0 && opts.Show != nil {
		refreshTimer = clock.NewTimer(opts.Refresh)
		defer refreshTimer.Stop()
		refresh = refreshTimer.C()
	}
	if opts.Transitions != nil {
		checkTimer = clock.NewTimer(transitionCheck)
		defer checkTimer.Stop()
		check = checkTimer.C()
	}
	for {
		select {
		case <-ctx.Done():
			close(stop)
			link.Close()
			<-readerDone
			now := clock.Now()
			record(now)
			return w.Snapshot(now)
		case f := <-frames:
			now := clock.Now()
			w.Observe(now, f)
			record(now)
		case <-refresh:
			opts.Show(w.Snapshot(clock.Now()))
			refreshTimer.Reset(opts.Refresh)
		case <-check:
			record(clock.Now())
			checkTimer.Reset(transitionCheck)
		}
	}
}
