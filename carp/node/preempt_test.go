package node

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// The preferred router (advskew 0, --preempt) is restarted while its peer
// holds the group. Its counter continues from its file, so the peer takes
// its first advert as the growth of the stream it knows and steps down at
// once: the VIPs are never on both for an interval.
func TestRestartedPreferredRouterPreemptsOnItsFirstAdvert(t *testing.T) {
	state := filepath.Join(t.TempDir(), "node-eth0-vhid1.json")
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		preferred := simOpts{self: "172.27.27.11", advskew: 0, preempt: true, replayState: state}
		a := startSim(t, h, preferred)
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)
		wantState(t, "b", b, carp.Backup)
		a.stop(t) // bows out: b takes over at once
		synctest.Wait()
		wantState(t, "b after a stopped", b, carp.Master)
		time.Sleep(5 * time.Second)

		a = startSim(t, h, preferred)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "restarted a", a, carp.Master)
		wantState(t, "b after a's restart", b, carp.Backup)
		stA, stB := a.status(t), b.status(t)
		if n := stB.Rejected.Of(carp.RejectReplay); n != 0 {
			t.Errorf("b rejected %d of restarted a's adverts as replays; want none", n)
		}
		if took, left := stA.LastTransition.At, stB.LastTransition.At; !left.Equal(took) {
			t.Errorf("b left MASTER %s after restarted a took over; want at a's first advert", left.Sub(took))
		}
		a.stop(t)
		b.stop(t)
	})
	var f replayFile
	if b, err := os.ReadFile(state); err != nil || json.Unmarshal(b, &f) != nil || f.TxCounter == 0 {
		t.Errorf("a's file keeps no advert counter: %v\n%s", err, b)
	}
}

// A node that crashed (no clean stop) never reuses a counter: its file
// reserves counters ahead of the adverts it sends.
func TestCounterReservedAheadOfAdverts(t *testing.T) {
	state := filepath.Join(t.TempDir(), "node-eth0-vhid1.json")
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		tap := h.port(carp.VirtualMAC(9))
		a := startSim(t, h, simOpts{self: "172.27.27.11", replayState: state})
		// Long enough for more adverts than one reservation holds.
		time.Sleep(3 * counterReserve * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)
		var last uint64
		for _, raw := range drainFrames(tap) {
			f, err := carp.ParseFrame(raw)
			var adv carp.Advert
			if err != nil || adv.UnmarshalBinary(f.Payload) != nil {
				continue
			}
			last = adv.Counter
		}
		b, err := os.ReadFile(state) // as a crash would leave it
		var file replayFile
		if err != nil || json.Unmarshal(b, &file) != nil {
			t.Fatalf("a's file: %v\n%s", err, b)
		}
		if file.TxCounter <= last {
			t.Errorf("a's file says it starts at %d, but a sent %d already", file.TxCounter, last)
		}
		if file.TxCounter-last > counterReserve+1 {
			t.Errorf("a's file reserves %d counters ahead; want at most %d (a peer's guard takes up to 1024 as growth)", file.TxCounter-last, counterReserve)
		}
		a.stop(t)
	})
}
