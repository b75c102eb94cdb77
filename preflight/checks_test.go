package preflight

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// view is what the check tables compare: everything but the Expected and
// Fix wording, which TestFindingInvariants covers.
type view struct {
	Status  Status
	Network string
	Object  string
	Actual  string
}

func pick(rep Report, check Check) []view {
	var out []view
	for _, f := range rep.Findings {
		if f.Check == check {
			out = append(out, view{f.Status, f.Network, f.Object, f.Actual})
		}
	}
	return out
}

type checkCase struct {
	name   string
	mutate func(c *config.Config, f *facts.Facts)
	want   []view
}

// runCases runs every case against the typical topology, mutated.
func runCases(t *testing.T, check Check, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, f := typicalConfig(), typicalFacts()
			if tc.mutate != nil {
				tc.mutate(c, f)
			}
			rep := Run(c, f)
			if diff := cmp.Diff(tc.want, pick(rep, check)); diff != "" {
				t.Errorf("%s findings (-want +got):\n%s", check, diff)
			}
			checkInvariants(t, rep)
		})
	}
}

// vm returns the router VM named name of f, for mutation.
func vm(f *facts.Facts, name string) *facts.VM {
	for i := range f.VMs {
		if f.VMs[i].Name == name {
			return &f.VMs[i]
		}
	}
	panic("no VM " + name)
}

func host(f *facts.Facts, name string) *facts.Host {
	for i := range f.Hosts {
		if f.Hosts[i].Name == name {
			return &f.Hosts[i]
		}
	}
	panic("no host " + name)
}

func pg(h *facts.Host, name string) *facts.Portgroup {
	for i := range h.Portgroups {
		if h.Portgroups[i].Name == name {
			return &h.Portgroups[i]
		}
	}
	panic("no portgroup " + name)
}

// renameRouter makes the configuration name a VM vSphere does not know, as
// a typo would.
func renameRouter(c *config.Config, i int, vmName string) {
	c.Pair.Routers[i].Name, c.Pair.Routers[i].VM = vmName, vmName
}

func TestVMFound(t *testing.T) {
	runCases(t, CheckVMFound, []checkCase{
		{name: "both running", want: []view{
			{Pass, "", "vm router-002", "poweredOn on host esx-01"},
			{Pass, "", "vm router-003", "poweredOn on host esx-01"},
		}},
		{name: "unknown VM in config", mutate: func(c *config.Config, f *facts.Facts) {
			renameRouter(c, 1, "router-009")
		}, want: []view{
			{Pass, "", "vm router-002", "poweredOn on host esx-01"},
			{Fail, "", "vm router-009", `no VM named "router-009" in vSphere`},
		}},
		{name: "listed but not found", mutate: func(c *config.Config, f *facts.Facts) {
			*vm(f, "router-003") = facts.VM{Name: "router-003"}
		}, want: []view{
			{Pass, "", "vm router-002", "poweredOn on host esx-01"},
			{Fail, "", "vm router-003", `no VM named "router-003" in vSphere`},
		}},
		{name: "powered off", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-002").PowerState = "poweredOff"
		}, want: []view{
			{Fail, "", "vm router-002", "poweredOff on host esx-01"},
			{Pass, "", "vm router-003", "poweredOn on host esx-01"},
		}},
	})
}

func TestNICAttached(t *testing.T) {
	pass := func(vmName, nicDesc, network string) view {
		return view{Pass, network, "vm " + vmName, nicDesc + " connected"}
	}
	runCases(t, CheckNICAttached, []checkCase{
		{name: "all connected", want: []view{
			pass("router-002", "Network adapter 1 (vmxnet3, 00:50:56:00:00:02)", "intranought"),
			pass("router-003", "Network adapter 1 (vmxnet3, 00:50:56:00:00:03)", "intranought"),
			pass("router-002", "Network adapter 2 (vmxnet3, 02:00:00:aa:bb:cc)", "public"),
			pass("router-003", "Network adapter 2 (vmxnet3, 02:00:00:aa:bb:cc)", "public"),
		}},
		{name: "no NIC there, disconnected, not at power on", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-002").NICs[0].Network = "VM Network"
			vm(f, "router-003").NICs[0].Connected = false
			vm(f, "router-002").NICs[1].StartConnected = false
		}, want: []view{
			{Fail, "intranought", "vm router-002", "no NIC on IntraNought (its NICs are on: VM Network, Public)"},
			{Fail, "intranought", "vm router-003", "Network adapter 1 (vmxnet3, 00:50:56:00:00:03) disconnected"},
			{Warn, "public", "vm router-002", "Network adapter 2 (vmxnet3, 02:00:00:aa:bb:cc) connected, but not at power on"},
			pass("router-003", "Network adapter 2 (vmxnet3, 02:00:00:aa:bb:cc)", "public"),
		}},
		{name: "powered off VM connects at power on", mutate: func(c *config.Config, f *facts.Facts) {
			r := vm(f, "router-003")
			r.PowerState = "poweredOff"
			r.NICs[0].Connected, r.NICs[1].Connected = false, false
			r.NICs[1].StartConnected = false
			c.Networks = c.Networks[:1]
			c.Networks = append(c.Networks, typicalConfig().Networks[1])
		}, want: []view{
			pass("router-002", "Network adapter 1 (vmxnet3, 00:50:56:00:00:02)", "intranought"),
			{Pass, "intranought", "vm router-003", "Network adapter 1 (vmxnet3, 00:50:56:00:00:03) connects at power on (VM is poweredOff)"},
			pass("router-002", "Network adapter 2 (vmxnet3, 02:00:00:aa:bb:cc)", "public"),
			{Fail, "public", "vm router-003", "Network adapter 2 (vmxnet3, 02:00:00:aa:bb:cc) disconnected"},
		}},
		{name: "the best of two NICs decides", mutate: func(c *config.Config, f *facts.Facts) {
			r := vm(f, "router-002")
			spare := r.NICs[0]
			spare.Label, spare.Connected, spare.MAC = "Network adapter 3", false, "00:50:56:00:00:99"
			r.NICs = append([]facts.NIC{spare}, r.NICs...)
			c.Networks = c.Networks[:1]
		}, want: []view{
			pass("router-002", "Network adapter 1 (vmxnet3, 00:50:56:00:00:02)", "intranought"),
			pass("router-003", "Network adapter 1 (vmxnet3, 00:50:56:00:00:03)", "intranought"),
		}},
		{name: "unknown portgroup and VM in config", mutate: func(c *config.Config, f *facts.Facts) {
			c.Networks[0].Portgroup = "Intranought"
			f.Networks[0] = facts.Network{Name: "Intranought"}
			renameRouter(c, 1, "router-009")
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Fail, "intranought", "vm router-002", `no portgroup named "Intranought" in vSphere`},
			{Fail, "intranought", "vm router-009", `no VM named "router-009" in vSphere`},
		}},
	})
}

func TestVLANMatch(t *testing.T) {
	runCases(t, CheckVLANMatch, []checkCase{
		{name: "one host", want: []view{
			{Pass, "intranought", "portgroup IntraNought", "both on vSwitch1, VLAN 0, on host esx-01 (internal vSwitch: no uplink, so the routers only meet on this host)"},
			{Pass, "public", "portgroup Public", "both on vSwitch0, VLAN 0, on host esx-01"},
		}},
		{name: "two hosts, internal vSwitch", mutate: func(c *config.Config, f *facts.Facts) {
			f.Hosts = append(f.Hosts, typicalHost("esx-02"))
			vm(f, "router-003").Host = "esx-02"
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought", "vSwitch1 on host esx-01 has no uplink, and router-002 runs there while the other router runs on esx-02"},
			{Pass, "public", "portgroup Public", "VLAN 0 on esx-01/vSwitch0 and esx-02/vSwitch0, both with uplinks"},
		}},
		{name: "VLAN differs between hosts", mutate: func(c *config.Config, f *facts.Facts) {
			f.Hosts = append(f.Hosts, typicalHost("esx-02"))
			vm(f, "router-003").Host = "esx-02"
			pg(host(f, "esx-02"), "Public").VLAN = 20
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Fail, "public", "portgroup Public", "VLAN of Public differs between hosts: esx-01 0, esx-02 20"},
		}},
		{name: "VLAN differs on a host no router runs on yet", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
			pg(host(f, "esx-03"), "Public").VLAN = 7
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Fail, "public", "portgroup Public", "VLAN of Public differs between hosts: esx-01 0, esx-02 0, esx-03 7"},
		}},
		{name: "portgroup missing on the other host", mutate: func(c *config.Config, f *facts.Facts) {
			h := typicalHost("esx-02")
			h.Portgroups = h.Portgroups[:1]
			f.Hosts = append(f.Hosts, h)
			vm(f, "router-003").Host = "esx-02"
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought", "portgroup IntraNought does not exist on esx-02 (host of router-003)"},
		}},
		{name: "cluster with uplinks everywhere", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
		}, want: []view{
			{Pass, "intranought", "portgroup IntraNought", "VLAN 0 on esx-01/vSwitch1 and esx-02/vSwitch1, both with uplinks"},
			{Pass, "public", "portgroup Public", "VLAN 0 on esx-01/vSwitch0 and esx-02/vSwitch0, both with uplinks"},
		}},
		{name: "distributed, one portgroup", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f)
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Pass, "public", "dvportgroup Public on DSwitch", "both on dvportgroup Public of DSwitch, VLAN 10"},
		}},
		{name: "distributed, two switches with a portgroup of that name", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f)
			n := &vm(f, "router-003").NICs[1]
			n.PortgroupKey, n.SwitchUUID = "dvportgroup-99", "50 ff"
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Fail, "public", "dvportgroup Public on DSwitch", "router-002 on dvportgroup dvportgroup-11 (switch 50 2a), router-003 on dvportgroup dvportgroup-99 (switch 50 ff)"},
		}},
		{name: "opaque", mutate: func(c *config.Config, f *facts.Facts) {
			f.Networks[1].Kind = facts.KindOpaque
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Pass, "public", "opaque network Public", "both on opaque network Public (its segment is not inspected)"},
		}},
		{name: "a router without a NIC there", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-003").NICs = vm(f, "router-003").NICs[1:]
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought", "router-003 has no NIC on IntraNought"},
		}},
		{name: "unknown portgroup", mutate: func(c *config.Config, f *facts.Facts) {
			c.Networks[1].Portgroup = "Pubic"
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Fail, "public", "portgroup Pubic", `no portgroup named "Pubic" in vSphere`},
		}},
	})
}

func TestSecurityStandard(t *testing.T) {
	runCases(t, CheckPromiscuous, []checkCase{
		{name: "ESXi default: inherited Reject (Public's vmac needs none)", want: []view{
			{Fail, "intranought", "portgroup IntraNought on esx-01", "Reject, inherited from vSwitch1"},
			{Pass, "public", "portgroup Public on esx-01", "Reject, inherited from vSwitch0; " + vmacReason},
		}},
		{name: "portgroup override Accept", mutate: func(c *config.Config, f *facts.Facts) {
			p := pg(host(f, "esx-01"), "Public")
			p.Override.Promiscuous, p.Computed.Promiscuous = bptr(true), bptr(true)
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought on esx-01", "Reject, inherited from vSwitch1"},
			{Pass, "public", "portgroup Public on esx-01", "Accept, set on portgroup Public"},
		}},
		{name: "vSwitch Accept, portgroup override Reject", mutate: func(c *config.Config, f *facts.Facts) {
			h := host(f, "esx-01")
			h.VSwitches[1].Security.Promiscuous = bptr(true)
			p := pg(h, "IntraNought")
			p.Override.Promiscuous = bptr(false)
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought on esx-01", "Reject, set on portgroup IntraNought"},
		}},
		{name: "vSwitch Accept inherited", mutate: func(c *config.Config, f *facts.Facts) {
			h := host(f, "esx-01")
			h.VSwitches[1].Security.Promiscuous = bptr(true)
			pg(h, "IntraNought").Computed.Promiscuous = bptr(true)
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Pass, "intranought", "portgroup IntraNought on esx-01", "Accept, inherited from vSwitch1"},
		}},
		{name: "the host's computed policy wins and says so", mutate: func(c *config.Config, f *facts.Facts) {
			pg(host(f, "esx-01"), "IntraNought").Computed.Promiscuous = bptr(true)
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Pass, "intranought", "portgroup IntraNought on esx-01", "Accept, computed by host esx-01 (inherited from vSwitch1 says Reject)"},
		}},
		{name: "computed only", mutate: func(c *config.Config, f *facts.Facts) {
			h := host(f, "esx-01")
			h.VSwitches = nil
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought on esx-01", "Reject, computed by host esx-01"},
		}},
		{name: "nothing reported", mutate: func(c *config.Config, f *facts.Facts) {
			h := host(f, "esx-01")
			h.VSwitches = nil
			pg(h, "IntraNought").Computed = facts.Security{}
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought on esx-01", "unknown, not reported by host esx-01"},
		}},
		{name: "every host of the cluster", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
			p := pg(host(f, "esx-02"), "Public")
			p.Override.Promiscuous, p.Computed.Promiscuous = bptr(true), bptr(true)
			c.Networks = c.Networks[1:]
			c.Networks[0].VMAC = nil // a network that needs promiscuous mode
		}, want: []view{
			{Fail, "public", "portgroup Public on esx-01", "Reject, inherited from vSwitch0"},
			{Pass, "public", "portgroup Public on esx-02", "Accept, set on portgroup Public"},
			{Fail, "public", "portgroup Public on esx-03", "Reject, inherited from vSwitch0"},
		}},
		{name: "unknown portgroup", mutate: func(c *config.Config, f *facts.Facts) {
			c.Networks[0].Portgroup = "Nope"
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Fail, "intranought", "portgroup Nope", `no portgroup named "Nope" in vSphere`},
		}},
		{name: "found, but on no router host", mutate: func(c *config.Config, f *facts.Facts) {
			h := host(f, "esx-01")
			h.Portgroups = h.Portgroups[:1]
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought", "portgroup IntraNought is on none of the routers' hosts"},
		}},
	})
	runCases(t, CheckMACChanges, []checkCase{
		{name: "ESXi default accepts MAC changes", want: []view{
			{Pass, "intranought", "portgroup IntraNought on esx-01", "Accept, inherited from vSwitch1"},
			{Pass, "public", "portgroup Public on esx-01", "Accept, inherited from vSwitch0"},
		}},
	})
	runCases(t, CheckForgedTransmits, []checkCase{
		{name: "override Reject", mutate: func(c *config.Config, f *facts.Facts) {
			p := pg(host(f, "esx-01"), "Public")
			p.Override.ForgedTransmits, p.Computed.ForgedTransmits = bptr(false), bptr(false)
		}, want: []view{
			{Pass, "intranought", "portgroup IntraNought on esx-01", "Accept, inherited from vSwitch1"},
			{Fail, "public", "portgroup Public on esx-01", "Reject, set on portgroup Public"},
		}},
	})
}

func TestSecurityDistributed(t *testing.T) {
	// only keeps Public, without its vmac: a network that needs
	// promiscuous mode (or MAC learning).
	only := func(c *config.Config) {
		c.Networks = c.Networks[1:]
		c.Networks[0].VMAC = nil
	}
	obj := "dvportgroup Public on DSwitch"
	runCases(t, CheckPromiscuous, []checkCase{
		{name: "security policy Reject", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f)
			only(c)
		}, want: []view{{Fail, "public", obj, "Reject, set on dvportgroup Public"}}},
		{name: "security policy Accept on the portgroup", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f).Security.Promiscuous = facts.Setting{Value: true, Set: true}
			only(c)
		}, want: []view{{Pass, "public", obj, "Accept, set on dvportgroup Public"}}},
		{name: "field inherited from the switch", mutate: func(c *config.Config, f *facts.Facts) {
			pg := distributedPublic(f)
			pg.Security.Promiscuous = facts.Setting{Value: false, Inherited: true, Set: true}
			pg.SwitchSecurity.Promiscuous = facts.Setting{Value: true, Set: true}
			only(c)
		}, want: []view{{Pass, "public", obj, "Accept, inherited from DSwitch"}}},
		{name: "whole policy inherited from the switch", mutate: func(c *config.Config, f *facts.Facts) {
			pg := distributedPublic(f)
			pg.Security.Inherited = true
			pg.Security.Promiscuous = facts.Setting{Value: true, Set: true}
			only(c)
		}, want: []view{{Fail, "public", obj, "Reject, inherited from DSwitch"}}},
		{name: "not reported", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f).Security.Promiscuous = facts.Setting{}
			only(c)
		}, want: []view{{Fail, "public", obj, "unknown, not reported for dvportgroup Public"}}},
		{name: "MAC learning counts as promiscuous", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f).MACManagement = &facts.DVMACManagement{MACLearning: true, MacChanges: true, ForgedTransmits: true}
			only(c)
		}, want: []view{{Pass, "public", obj, "Reject, MAC management policy set on dvportgroup Public; MAC learning is on, so promiscuous mode is not needed"}}},
		{name: "MAC management policy supersedes the security policy", mutate: func(c *config.Config, f *facts.Facts) {
			pg := distributedPublic(f)
			pg.Security.Promiscuous = facts.Setting{Value: true, Set: true}
			pg.MACManagement = &facts.DVMACManagement{}
			only(c)
		}, want: []view{{Fail, "public", obj, "Reject, MAC management policy set on dvportgroup Public"}}},
		{name: "MAC management inherited from the switch", mutate: func(c *config.Config, f *facts.Facts) {
			pg := distributedPublic(f)
			pg.MACManagement = &facts.DVMACManagement{Inherited: true}
			pg.SwitchMACManagement = &facts.DVMACManagement{Promiscuous: true}
			only(c)
		}, want: []view{{Pass, "public", obj, "Accept, MAC management policy inherited from DSwitch"}}},
		{name: "MAC management inherited, switch policy unknown: security policy", mutate: func(c *config.Config, f *facts.Facts) {
			pg := distributedPublic(f)
			pg.MACManagement = &facts.DVMACManagement{Inherited: true, Promiscuous: true}
			only(c)
		}, want: []view{{Fail, "public", obj, "Reject, set on dvportgroup Public"}}},
		{name: "distributed facts missing", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f)
			f.Networks[1].DVPortgroup = nil
			only(c)
		}, want: []view{{Fail, "public", "portgroup Public", "the distributed portgroup's policy was not gathered"}}},
		{name: "opaque network: not supported yet", mutate: func(c *config.Config, f *facts.Facts) {
			f.Networks[1].Kind = facts.KindOpaque
			only(c)
		}, want: []view{{Warn, "public", "opaque network Public", "opaque (NSX) network: not supported yet"}}},
	})
	runCases(t, CheckForgedTransmits, []checkCase{
		{name: "MAC learning does not excuse forged transmits", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f).MACManagement = &facts.DVMACManagement{MACLearning: true, MacChanges: true}
			only(c)
		}, want: []view{{Fail, "public", obj, "Reject, MAC management policy set on dvportgroup Public"}}},
	})
}

func TestReversePathPromisc(t *testing.T) {
	acceptPublic := func(f *facts.Facts) {
		for i := range f.Hosts {
			p := pg(&f.Hosts[i], "Public")
			p.Override.Promiscuous, p.Computed.Promiscuous = bptr(true), bptr(true)
		}
	}
	team := func(f *facts.Facts) {
		h := host(f, "esx-01")
		h.VSwitches[0].Uplinks = []string{"vmnic0", "vmnic1"}
		h.VSwitches[0].ActiveUplinks = []string{"vmnic0", "vmnic1"}
		pg(h, "Public").ActiveUplinks = []string{"vmnic0", "vmnic1"}
	}
	const (
		teamOff = "promiscuous Reject on portgroup Public, 2 active uplinks (vmnic0, vmnic1), Net.ReversePathFwdCheckPromisc=0"
		teamOn  = "promiscuous Accept on portgroup Public, 2 active uplinks (vmnic0, vmnic1), Net.ReversePathFwdCheckPromisc=0"
	)
	runCases(t, CheckReversePathPromisc, []checkCase{
		{name: "typical: one uplink, none", want: []view{
			{Pass, "intranought", "host esx-01", "not applicable: reflection needs two active uplinks; promiscuous Reject on portgroup IntraNought, no active uplink, Net.ReversePathFwdCheckPromisc=0"},
			{Pass, "public", "host esx-01", "not applicable: reflection needs two active uplinks; promiscuous Reject on portgroup Public, 1 active uplink (vmnic0), Net.ReversePathFwdCheckPromisc=0"},
		}},
		{name: "promiscuous over a team", mutate: func(c *config.Config, f *facts.Facts) {
			team(f)
			acceptPublic(f)
			c.Networks = c.Networks[1:]
		}, want: []view{{Fail, "public", "host esx-01", teamOn}}},
		{name: "promiscuous over a team, unicast adverts", mutate: func(c *config.Config, f *facts.Facts) {
			team(f)
			acceptPublic(f)
			c.Networks = c.Networks[1:]
			c.Networks[0].Mode = config.ModeUnicast
		}, want: []view{{Pass, "public", "host esx-01", "not applicable: mode unicast: adverts go to the peer's address and are not flooded back; " + teamOn}}},
		{name: "promiscuous over a team, option 1", mutate: func(c *config.Config, f *facts.Facts) {
			team(f)
			acceptPublic(f)
			host(f, "esx-01").ReversePathFwdCheckPromisc = i64(1)
			c.Networks = c.Networks[1:]
		}, want: []view{{Pass, "public", "host esx-01", "promiscuous Accept on portgroup Public, 2 active uplinks (vmnic0, vmnic1), Net.ReversePathFwdCheckPromisc=1"}}},
		{name: "option not reported", mutate: func(c *config.Config, f *facts.Facts) {
			team(f)
			acceptPublic(f)
			host(f, "esx-01").ReversePathFwdCheckPromisc = nil
			c.Networks = c.Networks[1:]
		}, want: []view{{Fail, "public", "host esx-01", "promiscuous Accept on portgroup Public, 2 active uplinks (vmnic0, vmnic1), Net.ReversePathFwdCheckPromisc not reported"}}},
		{name: "team, promiscuous still off: warn before turning it on", mutate: func(c *config.Config, f *facts.Facts) {
			team(f)
			c.Networks = c.Networks[1:]
			c.Networks[0].VMAC = nil // promiscuous mode needed, so asked for
		}, want: []view{{Warn, "public", "host esx-01", teamOff + "; turning promiscuous mode on (security.promiscuous) will reflect the routers' own adverts back to them"}}},
		{name: "portgroup teaming overrides the vSwitch: one active, one standby", mutate: func(c *config.Config, f *facts.Facts) {
			team(f)
			acceptPublic(f)
			pg(host(f, "esx-01"), "Public").ActiveUplinks = []string{"vmnic1"}
			c.Networks = c.Networks[1:]
		}, want: []view{{Pass, "public", "host esx-01", "not applicable: reflection needs two active uplinks; promiscuous Accept on portgroup Public, 1 active uplink (vmnic1), Net.ReversePathFwdCheckPromisc=0"}}},
		{name: "vSwitch teaming when the portgroup reports none", mutate: func(c *config.Config, f *facts.Facts) {
			team(f)
			acceptPublic(f)
			pg(host(f, "esx-01"), "Public").ActiveUplinks = nil
			c.Networks = c.Networks[1:]
		}, want: []view{{Fail, "public", "host esx-01", teamOn}}},
		{name: "every host of the cluster", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
			acceptPublic(f)
			host(f, "esx-03").ReversePathFwdCheckPromisc = i64(1)
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Fail, "public", "host esx-01", teamOn},
			{Fail, "public", "host esx-02", teamOn},
			{Pass, "public", "host esx-03", "promiscuous Accept on portgroup Public, 2 active uplinks (vmnic0, vmnic1), Net.ReversePathFwdCheckPromisc=1"},
		}},
		{name: "distributed, promiscuous on, member hosts only", mutate: func(c *config.Config, f *facts.Facts) {
			f.Hosts = append(f.Hosts, typicalHost("esx-09"))
			distributedPublic(f).Security.Promiscuous = facts.Setting{Value: true, Set: true}
			c.Networks = c.Networks[1:]
		}, want: []view{{Fail, "public", "host esx-01", "promiscuous Accept on dvportgroup Public, 2 active uplinks (uplink1, uplink2), Net.ReversePathFwdCheckPromisc=0"}}},
		{name: "distributed, MAC learning instead of promiscuous", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f).MACManagement = &facts.DVMACManagement{MACLearning: true, MacChanges: true, ForgedTransmits: true}
			c.Networks = c.Networks[1:]
			c.Networks[0].VMAC = nil
		}, want: []view{{Pass, "public", "host esx-01", "not applicable: MAC learning is on, so promiscuous mode is not needed; promiscuous Reject on dvportgroup Public, 2 active uplinks (uplink1, uplink2), Net.ReversePathFwdCheckPromisc=0"}}},
		{name: "opaque", mutate: func(c *config.Config, f *facts.Facts) {
			f.Networks[1].Kind = facts.KindOpaque
			f.Hosts = append(f.Hosts, typicalHost("esx-02"))
			host(f, "esx-02").ReversePathFwdCheckPromisc = i64(1)
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Warn, "public", "host esx-01", "opaque (NSX) network: not supported yet"},
			{Pass, "public", "host esx-02", "Net.ReversePathFwdCheckPromisc=1"},
		}},
		{name: "unknown portgroup", mutate: func(c *config.Config, f *facts.Facts) {
			c.Networks[1].Portgroup = "Pubic"
			c.Networks = c.Networks[1:]
		}, want: []view{{Fail, "public", "portgroup Pubic", `no portgroup named "Pubic" in vSphere`}}},
	})
}

func TestSameHost(t *testing.T) {
	runCases(t, CheckSameHost, []checkCase{
		{name: "one host", want: []view{{Fail, "", "vms router-002, router-003", "both on host esx-01"}}},
		{name: "two hosts", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-003").Host = "esx-02"
		}, want: []view{{Pass, "", "vms router-002, router-003", "router-002 on esx-01, router-003 on esx-02"}}},
		{name: "unknown VM", mutate: func(c *config.Config, f *facts.Facts) {
			renameRouter(c, 0, "router-001")
		}, want: []view{{Fail, "", "vms router-001, router-003", `no VM named "router-001" in vSphere`}}},
		{name: "both unknown", mutate: func(c *config.Config, f *facts.Facts) {
			f.VMs = nil
		}, want: []view{{Fail, "", "vms router-002, router-003", `no VMs named "router-002", "router-003" in vSphere`}}},
		{name: "host not reported", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-002").Host = ""
		}, want: []view{{Fail, "", "vms router-002, router-003", "the host of router-002 is not reported"}}},
	})
}

func TestStandaloneHost(t *testing.T) {
	runCases(t, CheckStandaloneHost, []checkCase{
		{name: "one standalone host", want: []view{
			{Fail, "", "host esx-01", "standalone host (no cluster) running router-002 and router-003"},
		}},
		{name: "two standalone hosts", mutate: func(c *config.Config, f *facts.Facts) {
			f.Hosts = append(f.Hosts, typicalHost("esx-02"))
			vm(f, "router-003").Host = "esx-02"
		}, want: []view{
			{Fail, "", "host esx-01", "standalone host (no cluster) running router-002"},
			{Fail, "", "host esx-02", "standalone host (no cluster) running router-003"},
		}},
		{name: "cluster", mutate: func(c *config.Config, f *facts.Facts) { clusterFacts(f) }, want: []view{
			{Pass, "", "host esx-01", "in cluster prod, running router-002"},
			{Pass, "", "host esx-02", "in cluster prod, running router-003"},
		}},
		{name: "unknown VM, host not gathered", mutate: func(c *config.Config, f *facts.Facts) {
			renameRouter(c, 0, "router-001")
			vm(f, "router-003").Host = "esx-07"
		}, want: []view{
			{Fail, "", "host esx-07", "host esx-07 was not gathered"},
			{Fail, "", "vm router-001", `no VM named "router-001" in vSphere`},
		}},
	})
}

func TestAntiAffinity(t *testing.T) {
	const pair = "vms router-002, router-003"
	rule := func(enabled bool, vms ...string) facts.Rule {
		return facts.Rule{Name: "carp-routers", Kind: facts.RuleAntiAffinity, Enabled: enabled, VMs: vms}
	}
	runCases(t, CheckAntiAffinity, []checkCase{
		{name: "standalone: not applicable", want: []view{
			{Pass, "", pair, "not applicable: host esx-01 of router-002 is not in a cluster"},
		}},
		{name: "cluster without a rule", mutate: func(c *config.Config, f *facts.Facts) { clusterFacts(f) }, want: []view{
			{Fail, "", pair, "no anti-affinity rule in cluster prod holds both routers"},
		}},
		{name: "enabled rule", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
			f.Clusters[0].Rules = []facts.Rule{
				{Name: "keep-web", Kind: facts.RuleAffinity, Enabled: true, VMs: []string{"router-002", "router-003"}},
				rule(true, "router-002", "router-003", "dns-1"),
			}
		}, want: []view{{Pass, "", pair, `rule "carp-routers" in cluster prod`}}},
		{name: "rule holds only one router", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
			f.Clusters[0].Rules = []facts.Rule{rule(true, "router-002", "dns-1")}
		}, want: []view{{Fail, "", pair, "no anti-affinity rule in cluster prod holds both routers"}}},
		{name: "disabled rule", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
			f.Clusters[0].Rules = []facts.Rule{rule(false, "router-002", "router-003")}
		}, want: []view{{Fail, "", pair, `rule "carp-routers" holds both routers but is disabled`}}},
		{name: "DRS off", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
			f.Clusters[0].DRSEnabled = false
			f.Clusters[0].Rules = []facts.Rule{rule(true, "router-002", "router-003")}
		}, want: []view{{Warn, "", pair, `rule "carp-routers" holds both routers, but DRS is off in cluster prod, so nothing enforces it`}}},
		{name: "different clusters", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
			host(f, "esx-02").Cluster = "dr"
		}, want: []view{{Pass, "", pair, "not applicable: the routers run in different clusters (prod, dr)"}}},
		{name: "cluster not gathered", mutate: func(c *config.Config, f *facts.Facts) {
			clusterFacts(f)
			f.Clusters = nil
		}, want: []view{{Fail, "", pair, "cluster prod was not gathered"}}},
		{name: "unknown VM", mutate: func(c *config.Config, f *facts.Facts) {
			renameRouter(c, 1, "router-009")
		}, want: []view{{Fail, "", "vms router-002, router-009", `no VM named "router-009" in vSphere`}}},
	})
}

func TestSameDatastore(t *testing.T) {
	const pair = "vms router-002, router-003"
	runCases(t, CheckSameDatastore, []checkCase{
		{name: "one datastore", want: []view{{Warn, "", pair, "both on datastore datastore1"}}},
		{name: "separate datastores", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-003").Datastores = []string{"datastore2", "iso"}
		}, want: []view{{Pass, "", pair, "router-002 on datastore1, router-003 on datastore2, iso"}}},
		{name: "one of several shared", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-002").Datastores = []string{"datastore1", "iso"}
			vm(f, "router-003").Datastores = []string{"datastore2", "iso"}
		}, want: []view{{Warn, "", pair, "both on datastore iso"}}},
		{name: "not reported", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-003").Datastores = nil
		}, want: []view{{Warn, "", pair, "the datastores of the routers are not reported"}}},
		{name: "unknown VM", mutate: func(c *config.Config, f *facts.Facts) {
			renameRouter(c, 1, "router-009")
		}, want: []view{{Warn, "", "vms router-002, router-009", `no VM named "router-009" in vSphere`}}},
	})
}

func TestVMACShared(t *testing.T) {
	na := view{Pass, "intranought", "portgroup IntraNought", "not applicable: network intranought sets no vmac"}
	runCases(t, CheckVMACShared, []checkCase{
		{name: "both manual with the vmac", want: []view{
			na,
			{Pass, "public", "vm router-002", "Network adapter 2: manual 02:00:00:aa:bb:cc"},
			{Pass, "public", "vm router-003", "Network adapter 2: manual 02:00:00:aa:bb:cc"},
		}},
		{name: "groups split between the routers on one virtual MAC", mutate: func(c *config.Config, f *facts.Facts) {
			pub := &c.Networks[1]
			pub.MoreGroups = []config.Group{{VHID: 4, VIPs: pub.VIPs, Master: "router-003"}}
		}, want: []view{
			na,
			{Fail, "public", "portgroup Public", "network public binds its VIPs to one virtual MAC 02:00:00:aa:bb:cc, but its groups have different masters (vhid 2 on router-002, vhid 4 on router-003): both routers would answer from that MAC at once"},
			{Pass, "public", "vm router-002", "Network adapter 2: manual 02:00:00:aa:bb:cc"},
			{Pass, "public", "vm router-003", "Network adapter 2: manual 02:00:00:aa:bb:cc"},
		}},
		{name: "two groups on one virtual MAC, one master", mutate: func(c *config.Config, f *facts.Facts) {
			pub := &c.Networks[1]
			pub.MoreGroups = []config.Group{{VHID: 4, VIPs: pub.VIPs, Master: "router-002"}}
		}, want: []view{
			na,
			{Pass, "public", "vm router-002", "Network adapter 2: manual 02:00:00:aa:bb:cc"},
			{Pass, "public", "vm router-003", "Network adapter 2: manual 02:00:00:aa:bb:cc"},
		}},
		{name: "generated MACs", mutate: func(c *config.Config, f *facts.Facts) {
			for _, name := range []string{"router-002", "router-003"} {
				n := &vm(f, name).NICs[1]
				n.AddressType, n.MAC = "generated", "00:50:56:00:01:0"+name[len(name)-1:]
			}
		}, want: []view{
			na,
			{Fail, "public", "vm router-002", "Network adapter 2: generated 00:50:56:00:01:02"},
			{Fail, "public", "vm router-003", "Network adapter 2: generated 00:50:56:00:01:03"},
		}},
		{name: "manual, but another MAC; upper case is the same MAC", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-002").NICs[1].MAC = "02:00:00:AA:BB:CC"
			vm(f, "router-003").NICs[1].MAC = "02:00:00:aa:bb:cd"
		}, want: []view{
			na,
			{Pass, "public", "vm router-002", "Network adapter 2: manual 02:00:00:aa:bb:cc"},
			{Fail, "public", "vm router-003", "Network adapter 2: manual 02:00:00:aa:bb:cd"},
		}},
		{name: "the vmac, but generated", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-003").NICs[1].AddressType = "assigned"
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Pass, "public", "vm router-002", "Network adapter 2: manual 02:00:00:aa:bb:cc"},
			{Fail, "public", "vm router-003", "Network adapter 2: assigned 02:00:00:aa:bb:cc"},
		}},
		{name: "no NIC there, unknown VM", mutate: func(c *config.Config, f *facts.Facts) {
			vm(f, "router-002").NICs = vm(f, "router-002").NICs[:1]
			renameRouter(c, 1, "router-009")
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Fail, "public", "vm router-002", "no NIC on Public"},
			{Fail, "public", "vm router-009", `no VM named "router-009" in vSphere`},
		}},
	})
}

func TestVMACConflict(t *testing.T) {
	runCases(t, CheckVMACConflict, []checkCase{
		{name: "no conflict", want: []view{
			{Pass, "intranought", "portgroup IntraNought", "no other VM has a NIC on IntraNought"},
			{Pass, "public", "portgroup Public", "the 1 other NIC on Public uses another MAC"},
		}},
		{name: "several other VMs, no clash", mutate: func(c *config.Config, f *facts.Facts) {
			f.Networks[1].Attached = append(f.Networks[1].Attached, facts.AttachedNIC{VM: "web-02", MAC: "00:50:56:00:09:02"})
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Pass, "public", "portgroup Public", "the 2 other NICs on Public use other MACs"},
		}},
		{name: "another VM has the vmac or the CARP MAC", mutate: func(c *config.Config, f *facts.Facts) {
			f.Networks[1].Attached = append(f.Networks[1].Attached,
				facts.AttachedNIC{VM: "old-router", MAC: "02:00:00:AA:BB:CC"},
				facts.AttachedNIC{VM: "keepalived", MAC: "00:00:5e:00:01:02"},
				facts.AttachedNIC{VM: "other-group", MAC: "00:00:5e:00:01:01"})
			f.Networks[0].Attached = []facts.AttachedNIC{{VM: "lab", MAC: "00:00:5e:00:01:01"}}
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought", "VM lab uses 00:00:5e:00:01:01"},
			{Fail, "public", "portgroup Public", "VM old-router uses 02:00:00:aa:bb:cc; VM keepalived uses 00:00:5e:00:01:02"},
		}},
		{name: "another VM has the CARP MAC of a second group", mutate: func(c *config.Config, f *facts.Facts) {
			c.Networks[0].MoreGroups = []config.Group{{VHID: 3, Master: "router-003"}}
			f.Networks[0].Attached = []facts.AttachedNIC{{VM: "keepalived", MAC: "00:00:5e:00:01:03"}}
			c.Networks = c.Networks[:1]
		}, want: []view{
			{Fail, "intranought", "portgroup IntraNought", "VM keepalived uses 00:00:5e:00:01:03"},
		}},
		{name: "unknown portgroup", mutate: func(c *config.Config, f *facts.Facts) {
			c.Networks[0].Portgroup = "Nope"
			c.Networks = c.Networks[:1]
		}, want: []view{{Fail, "intranought", "portgroup Nope", `no portgroup named "Nope" in vSphere`}}},
	})
}

func TestVHIDUnique(t *testing.T) {
	// backup is a third network on its own portgroup, Backup, on vSwitch1.
	backup := func(vhid int, vlan int32) func(c *config.Config, f *facts.Facts) {
		return func(c *config.Config, f *facts.Facts) {
			n := c.Networks[0]
			n.Name, n.Portgroup, n.VHID = "backup", "Backup", vhid
			c.Networks = append(c.Networks, n)
			h := host(f, "esx-01")
			h.Portgroups = append(h.Portgroups, facts.Portgroup{Name: "Backup", VSwitch: "vSwitch1", VLAN: vlan, Computed: esxDefault()})
			f.Networks = append(f.Networks, facts.Network{Name: "Backup", Found: true, Kind: facts.KindStandard})
		}
	}
	runCases(t, CheckVHIDUnique, []checkCase{
		{name: "distinct", want: []view{
			{Pass, "intranought", "portgroup IntraNought", "vhid 1 is the only configured CARP group on vSwitch1 VLAN 0 on esx-01"},
			{Pass, "public", "portgroup Public", "vhid 2 is the only configured CARP group on vSwitch0 VLAN 0 on esx-01"},
		}},
		{name: "two portgroups, one segment, one vhid", mutate: backup(1, 0), want: []view{
			{Fail, "intranought", "portgroup IntraNought", "vhid 1 is also used by network backup (portgroup Backup) on vSwitch1 VLAN 0 on esx-01"},
			{Pass, "public", "portgroup Public", "vhid 2 is the only configured CARP group on vSwitch0 VLAN 0 on esx-01"},
			{Fail, "backup", "portgroup Backup", "vhid 1 is also used by network intranought (portgroup IntraNought) on vSwitch1 VLAN 0 on esx-01"},
		}},
		{name: "another VLAN is another segment", mutate: backup(1, 30), want: []view{
			{Pass, "intranought", "portgroup IntraNought", "vhid 1 is the only configured CARP group on vSwitch1 VLAN 0 on esx-01"},
			{Pass, "public", "portgroup Public", "vhid 2 is the only configured CARP group on vSwitch0 VLAN 0 on esx-01"},
			{Pass, "backup", "portgroup Backup", "vhid 1 is the only configured CARP group on vSwitch1 VLAN 30 on esx-01"},
		}},
		{name: "VLAN 4095 sees every VLAN", mutate: backup(1, 4095), want: []view{
			{Fail, "intranought", "portgroup IntraNought", "vhid 1 is also used by network backup (portgroup Backup) on vSwitch1 VLAN 0 on esx-01"},
			{Pass, "public", "portgroup Public", "vhid 2 is the only configured CARP group on vSwitch0 VLAN 0 on esx-01"},
			{Fail, "backup", "portgroup Backup", "vhid 1 is also used by network intranought (portgroup IntraNought) on vSwitch1 VLAN 4095 (all VLANs, guest tagging) on esx-01"},
		}},
		{name: "another vhid", mutate: backup(3, 0), want: []view{
			{Pass, "intranought", "portgroup IntraNought", "vhid 1 is the only configured CARP group on vSwitch1 VLAN 0 on esx-01"},
			{Pass, "public", "portgroup Public", "vhid 2 is the only configured CARP group on vSwitch0 VLAN 0 on esx-01"},
			{Pass, "backup", "portgroup Backup", "vhid 3 is the only configured CARP group on vSwitch1 VLAN 0 on esx-01"},
		}},
		{name: "distributed", mutate: func(c *config.Config, f *facts.Facts) {
			distributedPublic(f)
			c.Networks = c.Networks[1:]
		}, want: []view{
			{Pass, "public", "dvportgroup Public on DSwitch", "vhid 2 is the only configured CARP group on DSwitch VLAN 10"},
		}},
		{name: "unknown portgroup", mutate: func(c *config.Config, f *facts.Facts) {
			c.Networks[0].Portgroup = "Nope"
			c.Networks = c.Networks[:1]
		}, want: []view{{Fail, "intranought", "portgroup Nope", `no portgroup named "Nope" in vSphere`}}},
		{name: "every group of a segment counts", mutate: func(c *config.Config, f *facts.Facts) {
			backup(5, 0)(c, f)
			c.Networks[0].MoreGroups = []config.Group{{VHID: 3, VIPs: c.Networks[0].VIPs, Master: "router-003"}}
			c.Networks[2].MoreGroups = []config.Group{{VHID: 3, VIPs: c.Networks[0].VIPs}}
		}, want: []view{
			{Pass, "intranought", "portgroup IntraNought", "vhid 1 is the only configured CARP group on vSwitch1 VLAN 0 on esx-01"},
			{Fail, "intranought", "portgroup IntraNought", "vhid 3 is also used by network backup (portgroup Backup) on vSwitch1 VLAN 0 on esx-01"},
			{Pass, "public", "portgroup Public", "vhid 2 is the only configured CARP group on vSwitch0 VLAN 0 on esx-01"},
			{Pass, "backup", "portgroup Backup", "vhid 5 is the only configured CARP group on vSwitch1 VLAN 0 on esx-01"},
			{Fail, "backup", "portgroup Backup", "vhid 3 is also used by network intranought (portgroup IntraNought) on vSwitch1 VLAN 0 on esx-01"},
		}},
	})
}

// TestForgedTransmitsExpectationFollowsMode: a unicast network still needs
// forged transmits for the VIP's virtual MAC, and says why.
func TestForgedTransmitsExpectationFollowsMode(t *testing.T) {
	c, f := typicalConfig(), typicalFacts()
	c.Networks[0].Mode = config.ModeUnicast
	rep := Run(c, f)
	got := map[string]string{}
	for _, fd := range rep.Findings {
		if fd.Check == CheckForgedTransmits {
			got[fd.Network] = fd.Expected
		}
	}
	want := map[string]string{
		c.Networks[0].Name: "Accept (for the VIP's virtual MAC; unicast adverts leave from the NIC's MAC)",
		c.Networks[1].Name: "Accept",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("expected values (-want +got):\n%s", diff)
	}
}
