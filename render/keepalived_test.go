package render

import (
	"strings"
	"testing"
)

// TestKeepalivedGolden renders the VRRPv3 example for a Linux router-003.
func TestKeepalivedGolden(t *testing.T) {
	c := loadExample(t, "vrrp3-unicast.yaml")
	fs, err := Keepalived(c, "router-003", LinuxOptions{Interface: map[string]string{"intranought": "ens192", "public": "ens224"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "keepalived-router-003", print(t, fs))
}

func TestKeepalivedRefusesCARP(t *testing.T) {
	c := loadExample(t, "active-active.yaml")
	_, err := Keepalived(c, "router-003", LinuxOptions{})
	if err == nil || !strings.Contains(err.Error(), "keepalived speaks VRRP, not CARP") || !strings.Contains(err.Error(), "networks[0]") {
		t.Errorf("error %v; want one naming networks[0] and saying keepalived does not speak CARP", err)
	}
}

// The node and ucarp do not speak VRRPv3 or unicast: rendering for them
// says so rather than writing a config that would not pair.
func TestLinuxTargetsRefuseVRRP(t *testing.T) {
	c := loadExample(t, "vrrp3-unicast.yaml")
	opts := LinuxOptions{Interface: map[string]string{"intranought": "ens192", "public": "ens224"}}
	if _, err := Node(c, "router-003", opts); err == nil || !strings.Contains(err.Error(), "not finished") {
		t.Errorf("node: %v", err)
	}
	if _, err := Ucarp(c, "router-003", opts); err == nil || !strings.Contains(err.Error(), "multicast CARP only") {
		t.Errorf("ucarp: %v", err)
	}
}

func TestFreeBSDVRRPUnicast(t *testing.T) {
	c := loadExample(t, "vrrp3-unicast.yaml")
	fs, err := FreeBSD(c, "router-002", nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "freebsd-vrrp3-unicast-router-002", print(t, fs))
	rc := fs[2].Content
	for _, want := range []string{
		`ifconfig_vmx0_alias0="inet vhid 1 carpver 3 vrrpprio 254 vrrpinterval 100 peer 172.27.27.12 alias 172.27.27.14/32"`,
		`ifconfig_vmx0_alias1="inet vhid 3 carpver 3 vrrpprio 154 vrrpinterval 100 peer 172.27.27.12 alias 172.27.27.10/32"`,
		`ifconfig_vmx1_alias0="inet vhid 2 carpver 3 vrrpprio 254 vrrpinterval 100 alias 203.0.113.10/32"`,
	} {
		if !strings.Contains(rc, want) {
			t.Errorf("rc.conf lacks %s:\n%s", want, rc)
		}
	}
	if strings.Contains(rc, "pass") {
		t.Errorf("a VRRPv3 rc.conf carries a pass:\n%s", rc)
	}
}
