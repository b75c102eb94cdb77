package preflight

import (
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// vmacReason is why a network with a vmac needs no promiscuous mode.
const vmacReason = "the VIPs' traffic is addressed to vmac 02:00:00:aa:bb:cc, the routers' NICs' own MAC (vmac.shared), which the vSwitch delivers without promiscuous mode"

// A network whose routers' NICs carry its vmac (OVH IPFO) gets the VIPs'
// traffic at the NICs' own MAC: promiscuous mode is not needed there (the
// lab fails Public over with it Reject), the other two still are.
func TestSecurityNeedsVMAC(t *testing.T) {
	public := config.Simulator().Networks[1]
	needs := SecurityNeeds(public, false)
	want := map[Check]bool{CheckPromiscuous: false, CheckMACChanges: true, CheckForgedTransmits: true}
	for _, n := range needs {
		if n.Needed != want[n.Check] {
			t.Errorf("%s on %s (vmac %s): needed %v, want %v (%s)", n.Check, public.Name, public.VMAC, n.Needed, want[n.Check], n.Reason)
		}
	}
	if needs[0].Reason != vmacReason {
		t.Errorf("promiscuous reason %q, want %q", needs[0].Reason, vmacReason)
	}
	public.VMAC = nil
	if !SecurityNeeds(public, false)[0].Needed {
		t.Error("without a vmac, promiscuous mode is needed")
	}
}

func TestSecurityVMAC(t *testing.T) {
	team := func(f *facts.Facts) {
		h := host(f, "esx-01")
		h.VSwitches[0].Uplinks = []string{"vmnic0", "vmnic1"}
		h.VSwitches[0].ActiveUplinks = []string{"vmnic0", "vmnic1"}
		pg(h, "Public").ActiveUplinks = []string{"vmnic0", "vmnic1"}
	}
	runCases(t, CheckPromiscuous, []checkCase{
		{name: "vmac: Reject passes", want: []view{
			{Fail, "intranought", "portgroup IntraNought on esx-01", "Reject, inherited from vSwitch1"},
			{Pass, "public", "portgroup Public on esx-01", "Reject, inherited from vSwitch0; " + vmacReason},
		}},
		{name: "no vmac: Reject fails", mutate: func(c *config.Config, f *facts.Facts) {
			c.Networks[1].VMAC = nil
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought on esx-01", "Reject, inherited from vSwitch1"},
			{Fail, "public", "portgroup Public on esx-01", "Reject, inherited from vSwitch0"},
		}},
	})
	runCases(t, CheckReversePathPromisc, []checkCase{
		{name: "vmac over a team, promiscuous off: nothing to warn of", mutate: func(c *config.Config, f *facts.Facts) {
			team(f)
			c.Networks = c.Networks[1:]
		}, want: []view{{Pass, "public", "host esx-01", "not applicable: " + vmacReason + "; promiscuous Reject on portgroup Public, 2 active uplinks (vmnic0, vmnic1), Net.ReversePathFwdCheckPromisc=0"}}},
		{name: "vmac over a team, promiscuous on all the same: it reflects", mutate: func(c *config.Config, f *facts.Facts) {
			team(f)
			p := pg(host(f, "esx-01"), "Public")
			p.Override.Promiscuous, p.Computed.Promiscuous = bptr(true), bptr(true)
			c.Networks = c.Networks[1:]
		}, want: []view{{Fail, "public", "host esx-01", "promiscuous Accept on portgroup Public, 2 active uplinks (vmnic0, vmnic1), Net.ReversePathFwdCheckPromisc=0"}}},
	})
}
