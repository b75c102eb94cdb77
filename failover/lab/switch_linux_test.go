package lab

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/carpvm/carpvm/internal/netns"
)

// switchWorld is one portgroup of the vSwitch model in namespaces of its
// own: a switch namespace with bridge br0, routers a and b and a client c,
// each with a leg l0 on it.
type switchWorld struct {
	w       *netns.World
	sw      *netns.Namespace
	br      *netns.Bridge
	a, b, c *netns.Namespace
	ports   map[string]*netns.Port // by namespace short name
}

var (
	vipMAC  = net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x01, 0x01}
	swAddrs = map[string]netip.Prefix{
		"a": netip.MustParsePrefix("10.77.0.1/24"),
		"b": netip.MustParsePrefix("10.77.0.2/24"),
		"c": netip.MustParsePrefix("10.77.0.3/24"),
	}
	swVIP = netip.MustParsePrefix("10.77.0.14/24")
)

func newSwitchWorld(t *testing.T) *switchWorld {
	t.Helper()
	if err := netns.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	if err := checkSwitchTools(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	w, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("close world: %v", err)
		}
	})
	sw := &switchWorld{w: w, ports: map[string]*netns.Port{}}
	if sw.sw, err = w.Namespace(t.Context(), "sw"); err != nil {
		t.Fatal(err)
	}
	if sw.br, err = w.Bridge(t.Context(), sw.sw, "br0"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		ns, err := w.Namespace(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		if sw.ports[name], err = w.Attach(t.Context(), sw.br, ns, "l0", swAddrs[name]); err != nil {
			t.Fatal(err)
		}
		switch name {
		case "a":
			sw.a = ns
		case "b":
			sw.b = ns
		default:
			sw.c = ns
		}
	}
	if err := prepareSwitch(context.Background(), sw.sw.Name); err != nil {
		t.Fatal(err)
	}
	return sw
}

// port is the model's view of router ns's port.
func (s *switchWorld) port(t *testing.T, short string) Port {
	t.Helper()
	p := s.ports[short]
	mac, err := p.NS.MAC(t.Context(), p.IfName)
	if err != nil {
		t.Fatal(err)
	}
	return Port{Name: p.BridgePort, Assigned: p.MAC, Effective: mac}
}

// apply gives the bridge policy p, routers a and b.
func (s *switchWorld) apply(t *testing.T, p Policy) {
	t.Helper()
	if err := applyPolicy(context.Background(), s.sw.Name, p, []Port{s.port(t, "a"), s.port(t, "b")}, []string{s.ports["c"].BridgePort}); err != nil {
		t.Fatal(err)
	}
}

// carpVIP gives router a the VIP on a macvlan with the CARP virtual MAC,
// as a carpvm node does on becoming master.
func (s *switchWorld) carpVIP(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, args := range [][]string{
		{"ip", "link", "add", "carp1", "link", "l0", "type", "macvlan", "mode", "bridge"},
		{"ip", "link", "set", "carp1", "address", vipMAC.String()},
		{"ip", "addr", "add", swVIP.String(), "dev", "carp1"},
		{"ip", "link", "set", "carp1", "up"},
		// Answer ARP for the VIP only from the macvlan.
		{"sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1"},
	} {
		if _, err := s.a.Run(ctx, args[0], args[1:]...); err != nil {
			t.Fatal(err)
		}
	}
}

// pings says whether from answers an echo to dst within a second, trying
// three times.
func pings(t *testing.T, from *netns.Namespace, dst netip.Addr) bool {
	t.Helper()
	p, err := from.Pinger()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 3 {
		if p.Ping(dst, 400*time.Millisecond) == nil {
			return true
		}
	}
	return false
}

// Promiscuous Reject: the port gets broadcast, multicast and frames to its
// vNIC's own MAC only, so unicast to the CARP virtual MAC reaches nobody
// and the VIP does not answer; at Accept it does.
func TestSwitchModelPromiscuous(t *testing.T) {
	t.Parallel()
	vipUnderPolicy(t, func(accept bool) Policy {
		return Policy{Portgroup: "IntraNought", Promiscuous: accept, MACChanges: true, ForgedTransmits: true}
	})
}

// Forged transmits Reject: frames whose source MAC is not the vNIC's are
// dropped, so nothing the router sends from the virtual MAC (the VIP's ARP
// and echo replies) arrives.
func TestSwitchModelForgedTransmits(t *testing.T) {
	t.Parallel()
	vipUnderPolicy(t, func(accept bool) Policy {
		return Policy{Portgroup: "IntraNought", Promiscuous: true, MACChanges: true, ForgedTransmits: accept}
	})
}

// vipUnderPolicy checks a CARP VIP on the portgroup at Reject and at
// Accept of one security setting (policy): the router's own address
// answers either way (frames to and from its vNIC's MAC pass), the VIP
// only at Accept.
func vipUnderPolicy(t *testing.T, policy func(accept bool) Policy) {
	for _, ok := range []bool{false, true} {
		t.Run(accept(ok), func(t *testing.T) {
			t.Parallel()
			s := newSwitchWorld(t)
			s.apply(t, policy(ok))
			s.carpVIP(t)
			if !pings(t, s.c, swAddrs["a"].Addr()) {
				t.Fatal("the router's own address does not answer: frames to and from its vNIC's MAC must pass")
			}
			if got := pings(t, s.c, swVIP.Addr()); got != ok {
				t.Errorf("VIP on %s answers: %v, want %v", vipMAC, got, ok)
			}
		})
	}
}

// MAC address changes Reject: once the guest changes its interface's MAC,
// nothing reaches it; at Accept frames to the new MAC do.
func TestSwitchModelMACChanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		accept bool
		want   bool
	}{{false, false}, {true, true}} {
		t.Run(accept(tc.accept), func(t *testing.T) {
			t.Parallel()
			s := newSwitchWorld(t)
			p := Policy{Portgroup: "IntraNought", Promiscuous: false, MACChanges: tc.accept, ForgedTransmits: true}
			s.apply(t, p)
			if !pings(t, s.c, swAddrs["b"].Addr()) {
				t.Fatal("router b does not answer before its MAC changes")
			}
			ctx := context.Background()
			if _, err := s.b.Run(ctx, "ip", "link", "set", "l0", "address", "02:11:22:33:44:55"); err != nil {
				t.Fatal(err)
			}
			// The switch sees the change (SyncSwitch in a lab); the client
			// forgets the old MAC.
			if err := applyPort(ctx, s.sw.Name, s.port(t, "b"), p); err != nil {
				t.Fatal(err)
			}
			if _, err := s.c.Run(ctx, "ip", "neigh", "flush", "dev", "l0"); err != nil {
				t.Fatal(err)
			}
			if got := pings(t, s.c, swAddrs["b"].Addr()); got != tc.want {
				t.Errorf("router b answers after changing its MAC: %v, want %v", got, tc.want)
			}
		})
	}
}

// Teamed uplinks with promiscuous Accept and
// Net.ReversePathFwdCheckPromisc=0: a router's own multicast comes back to
// it; with 1 (Reflect false) it does not.
func TestSwitchModelReflection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		reflect bool
	}{{"ReversePathFwdCheckPromisc=0", true}, {"ReversePathFwdCheckPromisc=1", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSwitchWorld(t)
			s.apply(t, Policy{Portgroup: "Public", Promiscuous: true, MACChanges: true, ForgedTransmits: true, Reflect: tc.reflect})
			own := s.ports["a"].MAC
			got, err := ownMulticastReturns(s.a, "l0", own)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.reflect {
				t.Errorf("router a receives its own multicast back: %v, want %v", got, tc.reflect)
			}
		})
	}
}

// ownMulticastReturns sends a multicast frame (to 01:00:5e:00:00:12, as a
// CARP advert) from ifname in ns and says whether it comes back in.
func ownMulticastReturns(ns *netns.Namespace, ifname string, own net.HardwareAddr) (bool, error) {
	var back bool
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		proto := int(htons(unix.ETH_P_ALL))
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, proto)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		addr := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}
		if err := unix.Bind(fd, addr); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
			return err
		}
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100000}); err != nil {
			return err
		}
		frame := make([]byte, 60)
		copy(frame, []byte{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12})
		copy(frame[6:], own)
		binary.BigEndian.PutUint16(frame[12:], 0x88b5) // local experimental ethertype
		copy(frame[14:], "carpvm reflection probe")
		if err := unix.Sendto(fd, frame, 0, addr); err != nil {
			return err
		}
		buf := make([]byte, 2048)
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				return err
			}
			if n >= 14 && net.HardwareAddr(buf[6:12]).String() == own.String() && binary.BigEndian.Uint16(buf[12:]) == 0x88b5 {
				back = true
				return nil
			}
		}
		return nil
	})
	return back, err
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// The public network's OVH virtual MAC: both routers' vNICs carry one MAC.
// Frames to it go to the port that last sent from it, so the backup's own
// traffic steals the master's frames until the master sends again; while
// the backup is silent the master keeps them.
func TestSwitchModelSharedMAC(t *testing.T) {
	t.Parallel()
	s := newSwitchWorld(t)
	ctx := context.Background()
	shared := "02:00:00:aa:bb:cc"
	for _, ns := range []*netns.Namespace{s.a, s.b} {
		// No IPv6: its solicitations after the MAC change would move the
		// MAC between the ports on their own (as they do on ESXi).
		if err := ns.Sysctl(ctx, "net.ipv6.conf.l0.disable_ipv6", "1"); err != nil {
			t.Fatal(err)
		}
		if _, err := ns.Run(ctx, "ip", "link", "set", "l0", "address", shared); err != nil {
			t.Fatal(err)
		}
	}
	a, b := s.port(t, "a"), s.port(t, "b")
	a.Assigned, b.Assigned = a.Effective, b.Effective
	p := Policy{Portgroup: "Public", Promiscuous: false, MACChanges: true, ForgedTransmits: true, SharedMAC: shared}
	if err := applyPolicy(ctx, s.sw.Name, p, []Port{a, b}, []string{s.ports["c"].BridgePort}); err != nil {
		t.Fatal(err)
	}
	// The master (a) sends from the shared MAC: the client reaches it.
	if !pings(t, s.a, swAddrs["c"].Addr()) || !pings(t, s.c, swAddrs["a"].Addr()) {
		t.Fatal("the master does not answer while the backup is silent")
	}
	// The backup (b) pings the client from the same MAC: the switch now
	// sends the shared MAC to b's port, and the master's frames are lost.
	if !pings(t, s.b, swAddrs["c"].Addr()) {
		t.Fatal("the backup's own ping got no answer")
	}
	fdb, err := s.br.FDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fdb[shared] != b.Name {
		t.Errorf("the switch forwards %s to %q, want the backup's port %s", shared, fdb[shared], b.Name)
	}
	// One echo: its loss makes the client re-resolve the address, and the
	// master's ARP reply would take the MAC back.
	pinger, err := s.c.Pinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pinger.Close()
	if pinger.Ping(swAddrs["a"].Addr(), 500*time.Millisecond) == nil {
		t.Error("the master still answers after the backup sent from the shared MAC: its frames were not stolen")
	}
	// The master's next frame (an advert) takes the MAC back.
	if !pings(t, s.a, swAddrs["c"].Addr()) {
		t.Error("the master's own ping, from the shared MAC, got no answer")
	}
	if !pings(t, s.c, swAddrs["a"].Addr()) {
		t.Error("the master does not answer again after sending from the shared MAC")
	}
}

// A distributed switch with MAC learning: the port learns the virtual MAC
// from the router's own frames, so the VIP answers with promiscuous mode
// rejected.
func TestSwitchModelMACLearning(t *testing.T) {
	t.Parallel()
	s := newSwitchWorld(t)
	s.apply(t, Policy{Portgroup: "IntraNought", Distributed: true, Promiscuous: false, MACChanges: true, ForgedTransmits: true, MACLearning: true})
	s.carpVIP(t)
	if !pings(t, s.c, swVIP.Addr()) {
		t.Fatal("VIP does not answer on a distributed portgroup with MAC learning")
	}
	fdb, err := s.br.FDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fdb[vipMAC.String()], s.ports["a"].BridgePort; got != want {
		t.Errorf("the switch forwards %s to %q, want the master's port %s (learnt)", vipMAC, got, want)
	}
}
