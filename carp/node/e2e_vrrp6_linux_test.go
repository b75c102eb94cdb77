package node

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/internal/netns"
)

// The IPv6 VRRPv3 wire test: carpvm and keepalived on one bridge, routers
// 2001:db8:27::11 and ::12, a client ::9, the VIP 2001:db8:27::14. Adverts
// go to ff02::12 from each router's link-local address, the checksum
// covering that pseudo-header.
const (
	v6vrrpVIP  = "2001:db8:27::14"
	v6vrrpCIDR = "2001:db8:27::14/64"
)

func newVRRP6Lab(t testing.TB) *pairLab {
	t.Helper()
	p := newPairLab(t)
	for port, a := range map[*netns.Port]string{p.r1: "2001:db8:27::11/64", p.r2: "2001:db8:27::12/64", p.client: "2001:db8:27::9/64"} {
		addr6(t, port, a)
	}
	return p
}

// vrrp6Node starts a carpvm VRRPv3 router of priority prio for the IPv6
// VIP on r.
func (p *pairLab) vrrp6Node(t testing.TB, r *netns.Port, prio int) (*netns.Process, string) {
	return p.vrrpNodeFor(t, r, v6vrrpCIDR, prio)
}

// keepalived6 starts keepalived for the IPv6 VIP on r (a global address:
// keepalived takes it, with a warning that RFC 5798 wants the first one
// link-local).
func (p *pairLab) keepalived6(t testing.TB, r *netns.Port, prio int) (*netns.Process, string) {
	return p.keepalivedFor(t, r, r.NS.Short+"-ka6", v6vrrpCIDR, prio)
}

// killKeepalived kills keepalived as a crash would: its VRRP child (the
// process that advertises) and its parent, both with SIGKILL. Killing the
// parent alone is not a crash: its child sees the parent die and stops
// gracefully, with a priority-0 advert. The parent is stopped first so
// that it cannot respawn the child.
func killKeepalived(t testing.TB, parent *netns.Process, vrrpPidFile string) {
	t.Helper()
	b, err := os.ReadFile(vrrpPidFile)
	if err != nil {
		t.Fatalf("keepalived's VRRP child: %v", err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("keepalived's VRRP pid file: %v", err)
	}
	if err := parent.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL keepalived's VRRP child %d: %v", child, err)
	}
	if err := parent.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// clientReaches6 pings the IPv6 VIP from the client until it answers.
func (p *pairLab) clientReaches6(t testing.TB, within time.Duration) {
	t.Helper()
	newPinger6(t, p.client.NS).pingUntil(t, netip.MustParseAddr(v6vrrpVIP), within)
}
