package witness

import (
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/capture"
)

// Replayed is what a replay read: how many packets over which span, and
// how many of them were not protocol 112 (skipped, as the live socket's
// filter skips them).
type Replayed struct {
	Packets     int
	Skipped     int
	First, Last time.Time
}

// Replay feeds every CARP/VRRP frame of pkts (a capture, in order) into w
// at its captured time, and returns the snapshot at the last packet: the
// segment as it was when the capture ended. Its transitions are then
// w.Transitions(r.Last).
func (w *Witness) Replay(pkts []capture.Packet) (Snapshot, Replayed) {
	var r Replayed
	if len(pkts) == 0 {
		return w.Snapshot(time.Time{}), r
	}
	r.Packets, r.First, r.Last = len(pkts), pkts[0].At, pkts[len(pkts)-1].At
	for _, p := range pkts {
		f, err := carp.ParseFrame(p.Data)
		if err != nil {
			r.Skipped++
			continue
		}
		w.Observe(p.At, f)
	}
	return w.Snapshot(r.Last), r
}
