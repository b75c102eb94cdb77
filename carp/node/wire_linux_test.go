package node

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// lab is a bridge namespace and router namespaces attached to it.
type lab struct {
	w  *netns.World
	br *netns.Bridge
}

func newLab(t testing.TB) *lab {
	t.Helper()
	if err := netns.Available(); err != nil {
		t.Skipf("skipping wire test: %v", err)
	}
	w, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("tear down: %v", err)
		}
	})
	sw, err := w.Namespace(t.Context(), "sw")
	if err != nil {
		t.Fatal(err)
	}
	br, err := w.Bridge(t.Context(), sw, "br0")
	if err != nil {
		t.Fatal(err)
	}
	return &lab{w: w, br: br}
}

func (l *lab) host(t testing.TB, name, cidr string) *netns.Port {
	t.Helper()
	ns, err := l.w.Namespace(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.w.Attach(t.Context(), l.br, ns, "eth0", netip.MustParsePrefix(cidr))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func openLink(t testing.TB, p *netns.Port, opts LinkOptions) *PacketLink {
	t.Helper()
	var l *PacketLink
	if err := p.NS.Do(func() error {
		var err error
		l, err = OpenPacketLink(p.IfName, opts)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// readAdvert reads frames until a parseable CARP frame arrives or timeout.
func readFrame(t *testing.T, l *PacketLink, timeout time.Duration) (carp.Frame, error) {
	t.Helper()
	if err := l.conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	n, err := l.ReadFrame(buf)
	if err != nil {
		return carp.Frame{}, err
	}
	return carp.ParseFrame(buf[:n])
}

func TestPacketLinkSendsAndFilters(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	a := lb.host(t, "a", "10.77.0.1/24")
	b := lb.host(t, "b", "10.77.0.2/24")
	la := openLink(t, a, LinkOptions{IgnoreOutgoing: true})
	lbk := openLink(t, b, LinkOptions{})

	// Something that is not protocol 112 first: the filter drops it.
	garp, err := appendGARP(nil, carp.VirtualMAC(1), netip.MustParseAddr("10.77.0.14"))
	if err != nil {
		t.Fatal(err)
	}
	if err := la.WriteFrame(garp); err != nil {
		t.Fatal(err)
	}
	adv := carp.Advert{VHID: 1, AdvBase: 1, Counter: 7}
	payload, err := adv.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	frame := carp.AppendFrame(nil, carp.Frame{
		SrcMAC: carp.VirtualMAC(1), Src: netip.MustParseAddr("10.77.0.1"), Dst: carp.GroupV4,
		TOS: carp.TOSFreeBSD, Payload: payload,
	})
	if err := la.WriteFrame(frame); err != nil {
		t.Fatal(err)
	}
	got, err := readFrame(t, lbk, 5*time.Second)
	if err != nil {
		t.Fatalf("b reading a's advert: %v", err)
	}
	if got.SrcMAC.String() != "00:00:5e:00:01:01" || got.Src != netip.MustParseAddr("10.77.0.1") || got.TTL != 255 || got.TOS != 0xe0 {
		t.Errorf("received frame %+v; want from 00:00:5e:00:01:01 10.77.0.1 TTL 255 TOS 0xe0", got)
	}
	var back carp.Advert
	if err := back.UnmarshalBinary(got.Payload); err != nil || back.Counter != 7 {
		t.Errorf("payload %+v, %v; want counter 7", back, err)
	}
	// a ignores its own outgoing frames.
	if _, err := readFrame(t, la, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a read %v; want nothing (its own frames are ignored)", err)
	}
}

func TestNetlinkVIPsVirtualMAC(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	r := lb.host(t, "r", "10.78.0.1/24")
	c := lb.host(t, "c", "10.78.0.9/24")
	vip := netip.MustParsePrefix("10.78.0.14/24")
	h := &NetlinkVIPs{Parent: "eth0", VHID: 7, VIPs: []netip.Prefix{vip}, VMAC: true}
	ctx := context.Background()

	// A stale macvlan from a crashed run, and a stale VIP on the parent.
	if _, err := r.NS.Run(ctx, "ip", "link", "add", "carp7-eth0", "link", "eth0", "address", "00:00:5e:00:01:07", "type", "macvlan"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NS.Run(ctx, "ip", "addr", "add", "10.78.0.14/24", "dev", "eth0"); err != nil {
		t.Fatal(err)
	}
	do := func(fn func() error) {
		t.Helper()
		if err := r.NS.Do(fn); err != nil {
			t.Fatal(err)
		}
	}
	do(h.Prepare)
	out, _ := r.NS.Run(ctx, "ip", "-o", "addr", "show")
	if strings.Contains(out, "10.78.0.14") || strings.Contains(out, "carp7-eth0") {
		t.Fatalf("after Prepare, stale VIP or macvlan left:\n%s", out)
	}
	if v, _ := r.NS.Run(ctx, "cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore"); strings.TrimSpace(v) != "1" {
		t.Errorf("parent arp_ignore = %q, want 1", v)
	}

	do(h.Claim)
	do(h.Claim) // idempotent
	out, err := r.NS.Run(ctx, "ip", "-o", "addr", "show", "dev", "carp7-eth0")
	if err != nil || !strings.Contains(out, "10.78.0.14/24") {
		t.Fatalf("VIP not on the macvlan: %v\n%s", err, out)
	}
	pinger, err := c.NS.Pinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pinger.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pinger.PingUntil(pctx, vip.Addr(), 500*time.Millisecond); err != nil {
		t.Fatalf("client cannot reach the VIP: %v", err)
	}
	neigh, _ := c.NS.Run(ctx, "ip", "neigh", "show", "10.78.0.14")
	if !strings.Contains(neigh, "00:00:5e:00:01:07") {
		t.Errorf("client resolves the VIP to %q; want the virtual MAC 00:00:5e:00:01:07 (not the parent's)", neigh)
	}

	do(h.Release)
	do(h.Release) // idempotent
	out, _ = r.NS.Run(ctx, "ip", "-o", "link", "show")
	if strings.Contains(out, "carp7-eth0") {
		t.Errorf("macvlan left after Release:\n%s", out)
	}
	if _, err := c.NS.Run(ctx, "ip", "neigh", "flush", "dev", "eth0"); err != nil {
		t.Fatal(err)
	}
	if err := pinger.Ping(vip.Addr(), 500*time.Millisecond); err == nil {
		t.Error("VIP still answers after Release")
	}
}

func TestNetlinkVIPsParent(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	r := lb.host(t, "r", "10.79.0.1/24")
	h := &NetlinkVIPs{Parent: "eth0", VHID: 3, VIPs: []netip.Prefix{
		netip.MustParsePrefix("10.79.0.14/24"), netip.MustParsePrefix("10.79.0.15/32"),
	}}
	ctx := context.Background()
	addrs := func() string {
		out, err := r.NS.Run(ctx, "ip", "-o", "addr", "show", "dev", "eth0")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, step := range []struct {
		name string
		fn   func() error
		want bool
	}{
		{"prepare", h.Prepare, false},
		{"claim", h.Claim, true},
		{"release", h.Release, false},
	} {
		if err := r.NS.Do(step.fn); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		out := addrs()
		for _, v := range []string{"10.79.0.14/24", "10.79.0.15/32"} {
			if strings.Contains(out, v) != step.want {
				t.Errorf("after %s: VIP %s present=%v, want %v\n%s", step.name, v, !step.want, step.want, out)
			}
		}
	}
	if mac := (&NetlinkVIPs{VHID: 9, VMAC: true}).GARPSource(); mac.String() != "00:00:5e:00:01:09" {
		t.Errorf("virtual-MAC GARP source = %s", mac)
	}
	var hw net.HardwareAddr
	_ = r.NS.Do(func() error { hw = h.GARPSource(); return nil })
	if hw.String() != r.MAC.String() {
		t.Errorf("parent-mode GARP source = %s, want the parent's MAC %s", hw, r.MAC)
	}
}

// refuse to delete an interface with the macvlan's name that is not ours.
func TestNetlinkVIPsRefusesForeignInterface(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	r := lb.host(t, "r", "10.80.0.1/24")
	if _, err := r.NS.Run(context.Background(), "ip", "link", "add", "carp4-eth0", "type", "veth", "peer", "name", "other0"); err != nil {
		t.Fatal(err)
	}
	h := &NetlinkVIPs{Parent: "eth0", VHID: 4, VIPs: []netip.Prefix{netip.MustParsePrefix("10.80.0.14/24")}, VMAC: true}
	err := r.NS.Do(h.Prepare)
	if err == nil || !strings.Contains(err.Error(), "not carpvm's macvlan") {
		t.Errorf("Prepare with a foreign carp4-eth0 = %v; want a refusal", err)
	}
}
