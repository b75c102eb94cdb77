package node

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/config"
)

func TestLoadConfigVRRPAndUnicast(t *testing.T) {
	dir := t.TempDir()
	pass := writeFile(t, dir, "pass", "123piano2026%\n")
	path := writeFile(t, dir, "node.yaml", `
interface: ens192
groups:
  - vhid: 1
    vips: [172.27.27.14/28]
    carpver: 3
    vrrpprio: 200
    peer: 172.27.27.12
  - vhid: 2
    vips: [2001:db8::14/64]
    advbase: 2
    carpver: 3
  - vhid: 3
    vips: [172.27.27.10/28]
    pass_file: `+pass+`
    peer: 172.27.27.12
`)
	c, err := LoadConfig(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	type proto struct {
		Version  uint8
		Priority uint8
		Interval uint16
		Peer     string
		MAC      string
		Words    string
	}
	var got []proto
	for _, g := range c.Groups {
		got = append(got, proto{g.Version, g.Priority, g.Interval, g.Peer.String(), g.VirtualMAC().String(), g.ProtocolWords()})
	}
	want := []proto{
		{3, 200, 100, "172.27.27.12", "00:00:5e:00:01:01", "VRRPv3 unicast, priority 200, interval 100 cs, no authentication"},
		{3, 100, 200, "invalid IP", "00:00:5e:00:02:02", "VRRPv3 multicast, priority 100, interval 200 cs, no authentication"},
		{2, 0, 0, "172.27.27.12", "00:00:5e:00:01:03", "CARP unicast"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

func TestProtocolErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	pass := writeFile(t, dir, "pass", "123piano2026%\n")
	for _, tc := range []struct {
		name, group, key, want string
	}{
		{"carpver 4", "carpver: 4", "groups[0].carpver", "want 2 (CARP) or 3 (VRRPv3)"},
		{"VRRP settings on CARP", "vrrpprio: 100\n    pass_file: " + pass, "groups[0].carpver", "want carpver 3"},
		{"priority 0", "carpver: 3\n    vrrpprio: 300", "groups[0].vrrpprio", "1..255"},
		{"interval 4096", "carpver: 3\n    vrrpinterval: 4096", "groups[0].vrrpinterval", "1..4095"},
		{"VRRPv3 with a passphrase", "carpver: 3\n    pass_file: " + pass, "groups[0].pass_file", "no authentication"},
		{"IPv6 peer", "carpver: 3\n    peer: 2001:db8::12", "groups[0].peer", "unicast IPv4"},
		{"multicast peer", "carpver: 3\n    peer: 224.0.0.18", "groups[0].peer", "unicast IPv4"},
		{"IPv4 peer6", "carpver: 3\n    peer6: 172.27.27.12", "groups[0].peer6", "unicast IPv6"},
		{"unicast without the IPv4 peer", "carpver: 3\n    peer6: fe80::12", "groups[0].peer", "IPv4 adverts to peer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, "node.yaml", "interface: ens192\ngroups:\n  - vhid: 1\n    vips: [172.27.27.14/28]\n    "+tc.group+"\n")
			_, err := LoadConfig(path, noEnv)
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Msg, tc.want) {
				t.Errorf("error %v; want key %s saying %q", err, tc.key, tc.want)
			}
		})
	}
	path := writeFile(t, dir, "node.yaml", "interface: ens192\ngroups:\n  - vhid: 1\n    vips: [172.27.27.14/28, 2001:db8::14/64]\n    carpver: 3\n")
	if _, err := LoadConfig(path, noEnv); err == nil || !strings.Contains(err.Error(), "one family") {
		t.Errorf("mixed families in a VRRPv3 group: %v", err)
	}
}

// TestVRRPGroupRunsAMachine: the node hands the group's protocol to its
// machine: a VRRPv3 group's adverts are VRRPv3, addressed to the peer.
func TestVRRPGroupRunsAMachine(t *testing.T) {
	g := Group{Interface: "eth0", VHID: 1, VIPs: []netip.Prefix{netip.MustParsePrefix("172.27.27.14/28")}, AdvBase: 1}
	if err := (ProtocolSettings{CarpVer: 3, VRRPPrio: 200, Peer: "172.27.27.12"}).Apply(func(s string) string { return s }, &g); err != nil {
		t.Fatal(err)
	}
	m, err := carp.NewMachine(carp.Config{VHID: g.VHID, VIPs: g.Addrs(), Self: netip.MustParseAddr("172.27.27.11"),
		Version: g.Version, Priority: g.Priority, Interval: g.Interval, VRRPChecksum: vrrpChecksum(g), Peer: g.Peer, Peer6: g.Peer6})
	if err != nil {
		t.Fatal(err)
	}
	var sent []carp.SendAdvert
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.Start(t0)
	for _, a := range m.Tick(m.Deadline()) {
		if s, ok := a.(carp.SendAdvert); ok {
			sent = append(sent, s)
		}
	}
	if len(sent) != 1 || sent[0].Payload[0] != 0x31 || sent[0].Dst != g.Peer || sent[0].VRRP.Priority != 200 {
		t.Fatalf("adverts %+v; want one VRRPv3 advert of priority 200 to the peer", sent)
	}
}
