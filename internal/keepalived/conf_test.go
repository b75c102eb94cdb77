package keepalived

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConfString: every field in keepalived's words and order; empty
// blocks and unset options are left out (keepalived refuses an empty
// unicast_peer block). keepalived itself reads these files in render's
// `keepalived -t` test, the lab's keepalived drills and the node's
// interop tests.
func TestConfString(t *testing.T) {
	c := Conf{
		Header:     []string{"made by a test"},
		RouterID:   "router-003",
		ScriptUser: "root",
		Instances: []Instance{
			{
				Comments: []string{"intranought, vrid 1"}, Name: "intranought_1", Interface: "ens192", VRID: 1, Priority: 154, AdvertInt: "0.5",
				UseVMAC: true, VMACXmitBase: true, UnicastSrc: "172.27.27.12", UnicastPeers: []string{"172.27.27.11"}, GARPMasterRefresh: 10,
				VIPs: []string{"172.27.27.14/28"}, Notify: "/run/notify.sh", Track: []Track{{Interface: "ens224", Weight: -240}},
			},
			{Name: "public_2", Interface: "ens224", VRID: 2, Priority: 254, AdvertInt: "1", Notes: []string{"the NIC carries the OVH MAC"}, VIPs: []string{"203.0.113.10/32"}},
		},
	}
	want := `# made by a test
global_defs {
    router_id router-003
    vrrp_version 3
    script_user root
}

# intranought, vrid 1
vrrp_instance intranought_1 {
    state BACKUP
    interface ens192
    virtual_router_id 1
    priority 154
    advert_int 0.5
    use_vmac
    vmac_xmit_base
    unicast_src_ip 172.27.27.12
    unicast_peer {
        172.27.27.11
    }
    garp_master_refresh 10
    virtual_ipaddress {
        172.27.27.14/28 dev ens192
    }
    notify /run/notify.sh
    track_interface {
        ens224 weight -240
    }
}

vrrp_instance public_2 {
    state BACKUP
    interface ens224
    virtual_router_id 2
    priority 254
    advert_int 1
    # the NIC carries the OVH MAC
    virtual_ipaddress {
        203.0.113.10/32 dev ens224
    }
}
`
	if diff := cmp.Diff(want, c.String()); diff != "" {
		t.Errorf("keepalived.conf (-want +got):\n%s", diff)
	}
}
