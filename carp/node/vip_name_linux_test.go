package node

import "testing"

func TestMacvlanName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vhid   uint8
		parent string
		want   string
	}{
		{1, "eth0", "carp1-eth0"},
		{255, "enp11s0f1np1", "carp255-enp11s0"},
		{2, "vmx0", "carp2-vmx0"},
	} {
		if got := MacvlanName(tc.vhid, tc.parent); got != tc.want || len(got) > 15 {
			t.Errorf("MacvlanName(%d, %q) = %q, want %q", tc.vhid, tc.parent, got, tc.want)
		}
	}
	if got := dotsToSlashes("net.ipv4.conf." + sysctlIf("eth0.100") + ".arp_ignore"); got != "net/ipv4/conf/eth0.100/arp_ignore" {
		t.Errorf("sysctl path for a VLAN interface = %q", got)
	}
}
