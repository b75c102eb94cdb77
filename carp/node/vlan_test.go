package node

import (
	"net/netip"
	"testing"

	"github.com/carpvm/carpvm/carp"
)

// A frame whose tag the kernel took out reads as tagged again, and its
// VLAN is the tag's.
func TestInsertVLANTag(t *testing.T) {
	payload, err := (&carp.Advert{VHID: 1, AdvBase: 1}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	frame := carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1), Src: netip.MustParseAddr("10.0.0.1"),
		Dst: carp.GroupV4, Payload: payload})
	buf := make([]byte, 2048)
	n := copy(buf, frame)
	n = insertVLANTag(buf, n, 0x8100, 0x2007) // priority 1, VLAN 7
	f, err := carp.ParseFrame(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	if f.VLAN != 7 || n != len(frame)+4 || f.Src != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("VLAN %d, %d bytes, src %s; want VLAN 7, %d bytes, src 10.0.0.1", f.VLAN, n, f.Src, len(frame)+4)
	}
}
