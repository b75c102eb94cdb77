package node

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/internal/transition"
)

// A live watch writes the line of a master that fell silent while no frame
// arrives: at its master-down deadline, without waiting for a frame or the
// end of the watch.
func TestWatchRecordsSilentMaster(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		in := h.port(net.HardwareAddr{2, 0, 0, 0, 0, 1})
		out := h.port(net.HardwareAddr{2, 0, 0, 0, 0, 2})
		src := netip.MustParseAddr("172.27.27.11")
		start := time.Now()
		a := carp.Advert{VHID: 1, AdvBase: 1, Counter: 1}
		p, _ := a.MarshalBinary()
		out.WriteFrame(carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1), Src: src, Dst: carp.GroupV4, TOS: carp.TOSFreeBSD, Payload: p}))

		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		w := witness.New(witness.Options{Network: "intranought", Routers: map[netip.Addr]string{src: "router-001"}})
		type delivered struct {
			at    time.Duration // since start, when the line was handed over
			lines []transition.Transition
		}
		var got []delivered
		Watch(ctx, in, w, WatchOptions{Transitions: func(ts []transition.Transition) {
			got = append(got, delivered{time.Since(start), ts})
		}})
		if len(got) != 1 || len(got[0].lines) != 1 {
			t.Fatalf("delivered %+v, want one line", got)
		}
		l := got[0].lines[0]
		if l.Router != "router-001" || l.From != "MASTER" || l.To != "INIT" || l.Time.Sub(start) != 3*time.Second {
			t.Errorf("line %+v, want router-001 MASTER -> INIT at its master-down, 3s", l)
		}
		if got[0].at > 3*time.Second+transitionCheck {
			t.Errorf("handed over at %v, want within one check (%v) of the deadline", got[0].at, transitionCheck)
		}
	})
}
