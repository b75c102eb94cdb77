package node

import (
	"context"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/witness"
)

// Watch feeds every protocol-112 frame read from link into w until ctx
// ends, and returns the final snapshot. It never sends. Every refresh
// (0: never) it calls show with a snapshot, from the calling goroutine.
// Frames that are not Ethernet + IPv4 protocol 112 or IPv6 next header 112
// are skipped.
func Watch(ctx context.Context, link Link, w *witness.Witness, clock Clock, refresh time.Duration, show func(witness.Snapshot)) witness.Snapshot {
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
	var tick <-chan time.Time
	if refresh > 0 && show != nil {
		t := clock.NewTimer(refresh)
		defer t.Stop()
		tick = t.C()
		for {
			select {
			case <-ctx.Done():
				return finishWatch(link, stop, readerDone, w, clock)
			case f := <-frames:
				w.Observe(clock.Now(), f)
			case <-tick:
				show(w.Snapshot(clock.Now()))
				t.Reset(refresh)
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			return finishWatch(link, stop, readerDone, w, clock)
		case f := <-frames:
			w.Observe(clock.Now(), f)
		}
	}
}

func finishWatch(link Link, stop, readerDone chan struct{}, w *witness.Witness, clock Clock) witness.Snapshot {
	close(stop)
	link.Close()
	<-readerDone
	return w.Snapshot(clock.Now())
}
