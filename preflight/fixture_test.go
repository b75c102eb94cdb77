package preflight

import (
	"fmt"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

func bptr(b bool) *bool { return &b }

func i64(n int64) *int64 { return &n }

// esxDefault is ESXi's default security policy: promiscuous Reject, MAC
// changes Accept, forged transmits Accept.
func esxDefault() facts.Security {
	return facts.Security{Promiscuous: bptr(false), MacChanges: bptr(true), ForgedTransmits: bptr(true)}
}

func nic(label string, key int32, mac, addrType, network string) facts.NIC {
	return facts.NIC{Label: label, Key: key, Type: "vmxnet3", MAC: mac, AddressType: addrType,
		Connected: true, StartConnected: true, Network: network, Kind: facts.KindStandard}
}

// typicalHost is the typical user's ESXi host: vSwitch0 with one uplink and
// portgroup Public, vSwitch1 (internal) with IntraNought, ESXi defaults.
func typicalHost(name string) facts.Host {
	return facts.Host{
		Name: name, ConnectionState: "connected", ReversePathFwdCheckPromisc: i64(0),
		VSwitches: []facts.VSwitch{
			{Name: "vSwitch0", Uplinks: []string{"vmnic0"}, ActiveUplinks: []string{"vmnic0"}, Security: esxDefault()},
			{Name: "vSwitch1", Security: esxDefault()},
		},
		Portgroups: []facts.Portgroup{
			{Name: "Public", VSwitch: "vSwitch0", Computed: esxDefault(), ActiveUplinks: []string{"vmnic0"}},
			{Name: "IntraNought", VSwitch: "vSwitch1", Computed: esxDefault()},
		},
	}
}

// typicalFacts are the facts of the typical user's topology, with the public
// network's vmac already set on both routers: every check passes except
// promiscuous mode on IntraNought (Public's vmac needs none),
// spof.same_host, spof.standalone_host and spof.same_datastore (warn).
func typicalFacts() *facts.Facts {
	router := func(name string, n byte) facts.VM {
		return facts.VM{
			Name: name, Found: true, Ref: "vm-" + name, PowerState: "poweredOn", Host: "esx-01",
			Datastores: []string{"datastore1"},
			NICs: []facts.NIC{
				nic("Network adapter 1", 4000, fmt.Sprintf("00:50:56:00:00:%02x", n), "generated", "IntraNought"),
				nic("Network adapter 2", 4001, "02:00:00:aa:bb:cc", "manual", "Public"),
			},
		}
	}
	return &facts.Facts{
		Target: "test",
		VMs:    []facts.VM{router("router-002", 2), router("router-003", 3)},
		Hosts:  []facts.Host{typicalHost("esx-01")},
		Networks: []facts.Network{
			{Name: "IntraNought", Found: true, Kind: facts.KindStandard},
			{Name: "Public", Found: true, Kind: facts.KindStandard,
				Attached: []facts.AttachedNIC{{VM: "web-01", MAC: "00:50:56:00:09:01"}}},
		},
	}
}

func typicalConfig() *config.Config { return config.Simulator() }

// clusterFacts moves the routers into cluster "prod" of three hosts, each a
// copy of the typical host with a teamed vSwitch0, router-003 on esx-02.
func clusterFacts(f *facts.Facts) {
	f.Hosts = nil
	for _, name := range []string{"esx-01", "esx-02", "esx-03"} {
		h := typicalHost(name)
		h.Cluster = "prod"
		h.VSwitches[0].Uplinks = []string{"vmnic0", "vmnic1"}
		h.VSwitches[0].ActiveUplinks = []string{"vmnic0", "vmnic1"}
		h.Portgroups[0].ActiveUplinks = []string{"vmnic0", "vmnic1"}
		h.VSwitches[1].Uplinks = []string{"vmnic2"}
		h.VSwitches[1].ActiveUplinks = []string{"vmnic2"}
		f.Hosts = append(f.Hosts, h)
	}
	f.VMs[1].Host = "esx-02"
	f.VMs[1].Datastores = []string{"datastore2"}
	f.Clusters = []facts.Cluster{{Name: "prod", Hosts: []string{"esx-01", "esx-02", "esx-03"}, DRSEnabled: true}}
}

// distributedPublic turns Public into a distributed portgroup on DSwitch,
// with the routers' NICs on it and security Reject everywhere.
func distributedPublic(f *facts.Facts) *facts.DVPortgroup {
	reject := facts.Setting{Value: false, Set: true}
	pg := &facts.DVPortgroup{
		Key: "dvportgroup-11", Name: "Public", Switch: "DSwitch", SwitchUUID: "50 2a", ConfigVersion: "1",
		VLAN:           10,
		Security:       facts.DVSecurity{Promiscuous: reject, MacChanges: reject, ForgedTransmits: reject},
		SwitchSecurity: facts.DVSecurity{Promiscuous: reject, MacChanges: reject, ForgedTransmits: reject},
		ActiveUplinks:  []string{"uplink1", "uplink2"},
		Hosts:          []string{"esx-01"},
	}
	for i := range f.Networks {
		if f.Networks[i].Name == "Public" {
			f.Networks[i].Kind = facts.KindDistributed
			f.Networks[i].DVPortgroup = pg
		}
	}
	for i := range f.VMs {
		for j := range f.VMs[i].NICs {
			if n := &f.VMs[i].NICs[j]; n.Network == "Public" {
				n.Kind, n.PortgroupKey, n.SwitchUUID = facts.KindDistributed, pg.Key, pg.SwitchUUID
			}
		}
	}
	for i := range f.Hosts {
		h := &f.Hosts[i]
		h.Portgroups = h.Portgroups[1:] // Public is no longer a standard portgroup
	}
	return pg
}
