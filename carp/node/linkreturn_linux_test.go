package node

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// TestWireFirstAdvertAfterLinkReturn: an interface goes down and comes
// back; the first advert written then goes out. The kernel reports the
// link's going down on the packet socket's next send, which sends nothing:
// a master preempting at the link's return lost its first advert, and its
// peer stayed MASTER next to it for an interval.
func TestWireFirstAdvertAfterLinkReturn(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	a := lb.host(t, "a", "10.79.0.1/24")
	b := lb.host(t, "b", "10.79.0.2/24")
	tx := openLink(t, a, LinkOptions{IgnoreOutgoing: true, VLANTags: true, Ring: true}) // as a node opens it
	rx := openLink(t, b, LinkOptions{})
	ctx := context.Background()
	run, _ := inNamespace(t, ctx, a)
	run("ip", "link", "set", a.IfName, "down")
	run("ip", "link", "set", a.IfName, "up")
	eventually(t, "the link back up and its bridge port forwarding", 10*time.Second, func() (bool, string) {
		link := run("ip", "-o", "link", "show", a.IfName)
		ports, _ := lb.br.NS.Run(ctx, "bridge", "link", "show")
		return strings.Contains(link, "state UP") && !strings.Contains(ports, "state disabled") && !strings.Contains(ports, "state learning") &&
			!strings.Contains(ports, "state listening") && !strings.Contains(ports, "state blocking"), link + ports
	})

	adv := carp.Advert{VHID: 1, AdvBase: 1, Counter: 4242}
	payload, err := adv.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	frame := carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1), Src: netip.MustParseAddr("10.79.0.1"),
		Dst: carp.GroupV4, TTL: carp.TTL, Payload: payload})
	if err := tx.WriteFrame(frame); err != nil {
		t.Fatalf("the first advert after the link returned: %v", err)
	}
	for {
		f, err := readFrame(t, rx, 3*time.Second)
		if err != nil {
			t.Fatalf("the first advert after the link returned never arrived: %v", err)
		}
		var got carp.Advert
		if got.UnmarshalBinary(f.Payload) == nil && got.Counter == adv.Counter {
			return
		}
	}
}
