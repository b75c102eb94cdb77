package node

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// TestWireCleanupVRRP6Macvlan: what a killed IPv6 VRRPv3 node leaves (a
// macvlan with VRRP's IPv6 MAC 00:00:5e:00:02:<vrid>) is cleaned up, not
// refused as someone else's interface.
func TestWireCleanupVRRP6Macvlan(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	r := lb.host(t, "r", "10.77.0.1/24")
	ctx := context.Background()
	g := Group{Interface: "eth0", VHID: 9, VIPs: []netip.Prefix{netip.MustParsePrefix("2001:db8:77::14/64")}, VMAC: true, ManageVIPs: true, AdvBase: 1}
	if err := (ProtocolSettings{CarpVer: 3}).Apply(func(s string) string { return s }, &g); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NS.Run(ctx, "ip", "link", "add", MacvlanName(9, "eth0"), "link", "eth0", "address", "00:00:5e:00:02:09", "type", "macvlan"); err != nil {
		t.Fatal(err)
	}
	err := r.NS.Do(func() error {
		return Cleanup([]Group{g}, nil)
	})
	if err != nil {
		t.Fatalf("cleanup: %v", err)
	}
	if out, _ := r.NS.Run(ctx, "ip", "-o", "link", "show"); strings.Contains(out, MacvlanName(9, "eth0")) {
		t.Errorf("the VRRPv3 macvlan is left:\n%s", out)
	}
}
