package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const activeActiveYAML = `
pair:
  routers: [router-002, router-003]
networks:
  - name: intranought
    portgroup: IntraNought
    interface: vmx0
    pass_file: /etc/carpvm/intranought.pass
    groups:
      - {vhid: 1, vips: [172.27.27.14/28]}
      - {vhid: 3, vips: [172.27.27.10/28], master: Router-003}
  - {name: public, portgroup: Public, vhid: 2, vips: [203.0.113.10/32]}
`

func TestGroupsActiveActive(t *testing.T) {
	c, err := loadYAML(t, activeActiveYAML, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := c.Network("intranought")
	type group struct {
		VHID    int
		VIP     string
		Master  string
		Skew002 int
		Skew003 int
	}
	var got []group
	for _, n := range c.Networks {
		for _, g := range n.Groups() {
			got = append(got, group{g.VHID, g.VIPs[0].String(), g.Master, c.AdvSkew("router-002", g), c.AdvSkew("router-003", g)})
		}
	}
	want := []group{
		{1, "172.27.27.14/28", "router-002", 0, 100},
		{3, "172.27.27.10/28", "router-003", 100, 0}, // master: named in another case
		{2, "203.0.113.10/32", "router-002", 0, 100}, // the one-group shorthand
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if in.VHID != 1 || in.VirtualMAC().String() != "00:00:5e:00:01:01" || in.MoreGroups[0].VirtualMAC().String() != "00:00:5e:00:01:03" {
		t.Errorf("first group %d / MACs wrong: %+v", in.VHID, in)
	}
	if diff := cmp.Diff([]string{"router-002", "router-003"}, in.Masters()); diff != "" {
		t.Errorf("masters (-want +got):\n%s", diff)
	}
}

// With explicit advskews, the default master is the router with the lower
// one, as it was before groups existed.
func TestGroupDefaultMasterFollowsAdvskew(t *testing.T) {
	c, err := loadYAML(t, `
pair:
  routers:
    - {name: router-002, advskew: 120}
    - {name: router-003, advskew: 20}
networks:
  - {name: n, portgroup: P, vhid: 9, vips: [10.0.0.1]}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := c.Networks[0].Group
	if g.Master != "router-003" || c.AdvSkew("router-003", g) != 20 || c.AdvSkew("router-002", g) != 120 {
		t.Errorf("master %q, advskews %d/%d; want router-003 with 20, router-002 with 120", g.Master, c.AdvSkew("router-003", g), c.AdvSkew("router-002", g))
	}
}

func TestGroupErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct {
		name, networks string
		key, words     string
	}{
		{"vhid twice in one network", `
  - name: n
    portgroup: P
    groups:
      - {vhid: 1, vips: [10.0.0.1/24]}
      - {vhid: 1, vips: [10.0.0.2/24]}`, "networks[0].groups[1].vhid", "vhid 1 is already used"},
		{"vhid twice on one portgroup", `
  - {name: a, portgroup: P, vhid: 4, vips: [10.0.0.1/24]}
  - name: b
    portgroup: P
    groups: [{vhid: 4, vips: [10.0.0.2/24]}]`, "networks[1].groups[0].vhid", `network "a" on portgroup "P"`},
		{"VIP in two groups", `
  - name: n
    portgroup: P
    groups:
      - {vhid: 1, vips: [10.0.0.1/24]}
      - {vhid: 2, vips: [10.0.0.5/24, 10.0.0.1/24]}`, "networks[0].groups[1].vips[1]", "10.0.0.1 is already in vhid 1 of network n"},
		{"master not a router", `
  - name: n
    portgroup: P
    groups: [{vhid: 1, vips: [10.0.0.1/24], master: router-004}]`, "networks[0].groups[0].master", `"router-004"`},
		{"shorthand beside groups", `
  - name: n
    portgroup: P
    vhid: 1
    groups: [{vhid: 2, vips: [10.0.0.1/24]}]`, "networks[0].vhid", "not both"},
		{"unknown group key", `
  - name: n
    portgroup: P
    groups: [{vhid: 2, vips: [10.0.0.1/24], advskw: 3}]`, "networks[0].groups[0].advskw", "unknown key"},
		{"empty groups", `
  - name: n
    portgroup: P
    groups: []`, "networks[0].groups", "want a list of groups"},
		{"group without vips", `
  - name: n
    portgroup: P
    groups: [{vhid: 2}]`, "networks[0].groups[0].vips", "at least one VIP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadYAML(t, "pair: {routers: [router-002, router-003]}\nnetworks:"+tc.networks+"\n", nil)
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			if !strings.Contains(err.Error(), "config: "+tc.key+":") || !strings.Contains(err.Error(), tc.words) {
				t.Errorf("error %q; want key %s and %q", err, tc.key, tc.words)
			}
		})
	}
}
