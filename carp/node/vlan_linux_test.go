package node

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// A frame whose tag the kernel took out reads as tagged again, and its
// VLAN is the tag's.
func TestInsertVLANTag(t *testing.T) {
	t.Parallel()
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

// An authentic, better advert of the group tagged for another VLAN leaves
// the master MASTER and is counted as other_vlan, in the status and the
// metrics; the same advert untagged makes it step down.
func TestOtherVLANAdvertIgnored(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 100})
		time.Sleep(5 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)
		peer := h.port(carp.VirtualMAC(1))
		key := testKey(t, "123piano2026%")
		advert := func(counter uint64, vlan uint16) []byte {
			adv := carp.Advert{VHID: 1, AdvBase: 1, Counter: counter, HMAC: key.Sum(1, []netip.Addr{testVIP.Addr()}, counter)}
			payload, err := adv.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			return carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1), VLAN: vlan, Src: netip.MustParseAddr("172.27.27.9"),
				Dst: carp.GroupV4, TOS: carp.TOSFreeBSD, Payload: payload})
		}
		for i := range uint64(3) {
			if err := peer.WriteFrame(advert(500+i, 7)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
			synctest.Wait()
		}
		wantState(t, "a after adverts of VLAN 7", a, carp.Master)
		st, err := a.n.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Interfaces[0].OtherVLAN != 3 {
			t.Errorf("other_vlan = %d, want 3", st.Interfaces[0].OtherVLAN)
		}
		if got, _ := metricValue(t, mustGather(t, a), "carpvm_node_frames_ignored_total", map[string]string{"iface": "eth0", "reason": "other_vlan"}); got != 3 {
			t.Errorf("frames_ignored_total{reason=other_vlan} = %v, want 3", got)
		}
		// The same advert untagged counts.
		if err := peer.WriteFrame(advert(600, 0)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		wantState(t, "a after an untagged better advert", a, carp.Backup)
		a.stop(t)
	})
}
