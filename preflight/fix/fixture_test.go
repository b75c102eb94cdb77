package fix

import (
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/facts"
)

func b(v bool) *bool { return &v }

func i64(n int64) *int64 { return &n }

// esx is ESXi's default security: promiscuous Reject, MAC changes and
// forged transmits Accept.
func esx() facts.Security {
	return facts.Security{Promiscuous: b(false), MacChanges: b(true), ForgedTransmits: b(true)}
}

func host(name, cluster string, teamed bool) facts.Host {
	up := []string{"vmnic0"}
	if teamed {
		up = []string{"vmnic0", "vmnic1"}
	}
	return facts.Host{
		Name: name, Ref: "host-" + name, Cluster: cluster, ConnectionState: "connected",
		ReversePathFwdCheckPromisc: i64(0),
		VSwitches: []facts.VSwitch{
			{Name: "vSwitch0", Uplinks: up, ActiveUplinks: up, Security: esx()},
			{Name: "vSwitch1", Security: esx()},
		},
		Portgroups: []facts.Portgroup{
			{Name: "Public", VSwitch: "vSwitch0", VLAN: 0, Computed: esx(), ActiveUplinks: up},
			{Name: "IntraNought", VSwitch: "vSwitch1", Computed: esx()},
		},
	}
}

func router(name, hostName, publicMAC, addrType string) facts.VM {
	return facts.VM{
		Name: name, Found: true, Ref: "vm-" + name, PowerState: "poweredOn", Host: hostName,
		Datastores: []string{"ds-" + name},
		NICs: []facts.NIC{
			{Label: "Network adapter 1", Key: 4000, MAC: "00:50:56:00:00:01", AddressType: "generated", Connected: true, StartConnected: true, Network: "IntraNought", Kind: facts.KindStandard},
			{Label: "Network adapter 2", Key: 4001, MAC: publicMAC, AddressType: addrType, Connected: true, StartConnected: true, Network: "Public", Kind: facts.KindStandard},
		},
	}
}

// standalone is the typical user's topology: one standalone host, ESXi
// defaults, the vmac set on both routers.
func standalone() *facts.Facts {
	return &facts.Facts{
		Target: "test",
		VMs: []facts.VM{
			router("router-002", "esx-01", "02:00:00:aa:bb:cc", "manual"),
			router("router-003", "esx-01", "02:00:00:aa:bb:cc", "manual"),
		},
		Hosts: []facts.Host{host("esx-01", "", false)},
		Networks: []facts.Network{
			{Name: "IntraNought", Found: true, Kind: facts.KindStandard},
			{Name: "Public", Found: true, Kind: facts.KindStandard},
		},
	}
}

// cluster is three hosts in cluster prod, teamed vSwitch0, router-003 on
// esx-02 unless sameHost.
func cluster(sameHost bool, rules ...facts.Rule) *facts.Facts {
	f := standalone()
	f.Hosts = []facts.Host{host("esx-01", "prod", true), host("esx-02", "prod", true), host("esx-03", "prod", true)}
	if !sameHost {
		f.VMs[1].Host = "esx-02"
	}
	f.Clusters = []facts.Cluster{{Name: "prod", Ref: "domain-c1", Hosts: []string{"esx-01", "esx-02", "esx-03"}, DRSEnabled: true, Rules: rules}}
	return f
}

// distributed puts both networks on dvportgroups of DSwitch (two uplinks)
// with mm as their MAC management policy (nil: none reported) and the
// security policy sec.
func distributed(sec facts.DVSecurity, mm *facts.DVMACManagement) *facts.Facts {
	f := standalone()
	f.Hosts[0].Portgroups = nil
	f.Hosts[0].VSwitches = f.Hosts[0].VSwitches[:1]
	for i, name := range []string{"IntraNought", "Public"} {
		f.Networks[i] = facts.Network{Name: name, Found: true, Kind: facts.KindDistributed, DVPortgroup: &facts.DVPortgroup{
			Key: "dvportgroup-" + name, Name: name, Switch: "DSwitch", SwitchUUID: "uuid", ConfigVersion: "1",
			Security: sec, MACManagement: mm, SwitchSecurity: sec, SwitchMACManagement: mm,
			ActiveUplinks: []string{"uplink1", "uplink2"}, Hosts: []string{"esx-01"},
		}}
		for j := range f.VMs {
			f.VMs[j].NICs[i].Kind = facts.KindDistributed
		}
	}
	return f
}

func dvSec(promisc, mac, forged bool) facts.DVSecurity {
	s := func(v bool) facts.Setting { return facts.Setting{Value: v, Set: true} }
	return facts.DVSecurity{Promiscuous: s(promisc), MacChanges: s(mac), ForgedTransmits: s(forged)}
}

func cfg() *config.Config { return config.Simulator() }

// plan runs the checks over f and plans.
func plan(f *facts.Facts, o Options) (Plan, error) {
	return NewPlan(cfg(), f, preflight.Run(cfg(), f).Findings, o)
}
