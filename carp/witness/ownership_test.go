package witness

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// feedVHID sends adverts of vhid from src every interval in [from, to).
func feedVHID(w *Witness, t *testing.T, vhid uint8, src netip.Addr, advskew uint8, from, to time.Duration) {
	k := key(t, "pass")
	iv := time.Second + time.Duration(advskew)*time.Second/256
	c := uint64(src.As4()[3])<<32 | uint64(vhid)<<24
	for at := from; at < to; at += iv {
		c++
		w.Observe(t0.Add(at), carpFrame(k, vhid, src, 1, advskew, c))
	}
}

// The ownership map of an active/active pair: per planned group, the master
// seen by router name and whether it is the preferred one.
func TestOwnershipMap(t *testing.T) {
	stranger := netip.MustParseAddr("172.27.27.13")
	opts := Options{
		Key: key(t, "pass"), VIPs: map[uint8][]netip.Addr{1: {vip}, 3: {vip}, 5: {vip}, 6: {vip}, 7: {vip}},
		Routers: map[netip.Addr]string{nodeA: "router-002", nodeB: "router-003"},
		Expected: []Expected{
			{Network: "intranought", VHID: 1, Preferred: "router-002"},
			{Network: "intranought", VHID: 3, Preferred: "router-003"},
			{Network: "intranought", VHID: 5, Preferred: "router-003"},
			{Network: "intranought", VHID: 6, Preferred: "router-002"},
			{Network: "intranought", VHID: 7, Preferred: "router-002"},
			{Network: "intranought", VHID: 9, Preferred: "router-002"},
		},
	}
	w := New(opts)
	feedVHID(w, t, 1, nodeA, 0, 0, 10*time.Second)    // preferred
	feedVHID(w, t, 3, nodeB, 0, 0, 10*time.Second)    // preferred
	feedVHID(w, t, 5, nodeA, 100, 0, 10*time.Second)  // stuck on the peer
	feedVHID(w, t, 6, nodeA, 0, 0, 10*time.Second)    // split brain
	feedVHID(w, t, 6, nodeB, 100, 0, 10*time.Second)  //
	feedVHID(w, t, 7, stranger, 0, 0, 10*time.Second) // somebody else
	s := w.Snapshot(t0.Add(10 * time.Second))         // vhid 9: nobody
	type row struct {
		VHID    uint8
		Masters []string
		State   string
	}
	var got []row
	for _, o := range s.Ownership {
		got = append(got, row{o.VHID, o.Masters, o.State})
	}
	want := []row{
		{1, []string{"router-002"}, OwnerPreferred},
		{3, []string{"router-003"}, OwnerPreferred},
		{5, []string{"router-002"}, OwnerPeer},
		{6, []string{"router-002", "router-003"}, OwnerSplit},
		{7, []string{"172.27.27.13"}, OwnerUnknown},
		{9, []string{}, OwnerNone},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ownership (-want +got):\n%s", diff)
	}
	if New(Options{}).Snapshot(t0).Ownership != nil {
		t.Error("a witness without a plan reports an ownership map")
	}
}
