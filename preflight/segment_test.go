package preflight

import (
	"testing"

	"github.com/carpvm/carpvm/vsphere/facts"
)

func TestSegments(t *testing.T) {
	cfg := typicalConfig()
	for _, tc := range []struct {
		name string
		edit func(f *facts.Facts)
		net  int
		want Segment
	}{
		{"typical IntraNought", func(*facts.Facts) {}, 0,
			Segment{Network: "intranought", Portgroup: "IntraNought", MACChanges: true, ForgedTransmits: true}},
		{"typical Public: the shared vmac", func(*facts.Facts) {}, 1,
			Segment{Network: "public", Portgroup: "Public", MACChanges: true, ForgedTransmits: true, SharedMAC: "02:00:00:aa:bb:cc"}},
		{"forged transmits Reject on the vSwitch", func(f *facts.Facts) {
			h := &f.Hosts[0]
			h.VSwitches[1].Security.ForgedTransmits = bptr(false)
			h.Portgroups[1].Computed.ForgedTransmits = bptr(false)
		}, 0, Segment{Network: "intranought", Portgroup: "IntraNought", MACChanges: true}},
		{"teamed Public with promiscuous Accept reflects", func(f *facts.Facts) {
			clusterFacts(f)
			for i := range f.Hosts {
				f.Hosts[i].Portgroups[0].Override.Promiscuous = bptr(true)
				f.Hosts[i].Portgroups[0].Computed.Promiscuous = bptr(true)
			}
		}, 1, Segment{Network: "public", Portgroup: "Public", Promiscuous: true, MACChanges: true, ForgedTransmits: true, Reflect: true, SharedMAC: "02:00:00:aa:bb:cc"}},
		{"distributed with MAC learning", func(f *facts.Facts) {
			pg := distributedPublic(f)
			pg.MACManagement = &facts.DVMACManagement{MacChanges: true, ForgedTransmits: true, MACLearning: true}
		}, 1, Segment{Network: "public", Portgroup: "Public", Distributed: true, MACChanges: true, ForgedTransmits: true, MACLearning: true, SharedMAC: "02:00:00:aa:bb:cc"}},
		{"a router without the vmac shares no MAC", func(f *facts.Facts) {
			f.VMs[1].NICs[1].MAC = "00:50:56:00:00:99"
		}, 1, Segment{Network: "public", Portgroup: "Public", MACChanges: true, ForgedTransmits: true}},
	} {
		f := typicalFacts()
		tc.edit(f)
		got := Segments(cfg, f)
		if len(got) != 2 || got[tc.net] != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}
