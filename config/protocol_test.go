package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const vrrpUnicastYAML = `
pair:
  routers: [router-002, router-003]
networks:
  - name: intranought
    portgroup: IntraNought
    interface: vmx0
    protocol: vrrp3
    mode: unicast
    addresses: {router-002: 172.27.27.11/28, router-003: 172.27.27.12/28}
    groups:
      - {vhid: 1, vips: [172.27.27.14/28]}
      - {vhid: 3, vips: [172.27.27.10/28], master: router-003}
  - {name: public, portgroup: Public, vhid: 2, vips: [203.0.113.10/32], advbase: 2, protocol: VRRP3}
`

func TestProtocolAndMode(t *testing.T) {
	c, err := loadYAML(t, vrrpUnicastYAML, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := c.Network("intranought")
	pub, _ := c.Network("public")
	type net struct {
		Protocol Protocol
		Mode     Mode
		Interval int
	}
	got := []net{{in.Protocol, in.Mode, in.VRRPInterval}, {pub.Protocol, pub.Mode, pub.VRRPInterval}}
	want := []net{{ProtocolVRRP3, ModeUnicast, 100}, {ProtocolVRRP3, ModeMulticast, 200}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("networks (-want +got):\n%s", diff)
	}
	// The preferred master of each group has the higher priority.
	if p2, p3 := c.VRRPPriority("router-002", in.Group), c.VRRPPriority("router-003", in.Group); p2 != 254 || p3 != 154 {
		t.Errorf("vhid 1 priorities %d/%d, want 254/154", p2, p3)
	}
	if p2, p3 := c.VRRPPriority("router-002", in.MoreGroups[0]), c.VRRPPriority("router-003", in.MoreGroups[0]); p2 >= p3 {
		t.Errorf("vhid 3 (master router-003) priorities %d/%d: router-003 must be higher", p2, p3)
	}
	// Each router's unicast peer is the other's address.
	for router, want := range map[string]string{"router-002": "172.27.27.12", "router-003": "172.27.27.11"} {
		if got, ok := c.Peer(in, router); !ok || got.String() != want {
			t.Errorf("Peer(%s) = %v %v, want %s", router, got, ok, want)
		}
	}
	if _, ok := c.Peer(pub, "router-002"); ok {
		t.Error("a multicast network has no peer")
	}
	// The defaults: CARP, multicast.
	d, err := loadYAML(t, activeActiveYAML, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := d.Networks[0]; n.Protocol != ProtocolCARP || n.Mode != ModeMulticast || n.VRRPInterval != 0 {
		t.Errorf("defaults: %s %s %d", n.Protocol, n.Mode, n.VRRPInterval)
	}
}

func TestProtocolErrors(t *testing.T) {
	base := `
pair:
  routers: [router-002, router-003]
networks:
  - name: intranought
    portgroup: IntraNought
`
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown protocol", "    vhid: 1\n    vips: [172.27.27.14/28]\n    protocol: vrrp2\n",
			[]string{"networks[0].protocol", `"vrrp2"; want carp or vrrp3`}},
		{"unknown mode", "    vhid: 1\n    vips: [172.27.27.14/28]\n    mode: broadcast\n",
			[]string{"networks[0].mode", "want multicast or unicast"}},
		{"unicast without addresses", "    vhid: 1\n    vips: [172.27.27.14/28]\n    mode: unicast\n",
			[]string{"networks[0].addresses", "want both routers' addresses"}},
		{"unicast IPv6 VIP over IPv4 addresses", "    vhid: 1\n    vips: [2001:db8::14/64]\n    mode: unicast\n    addresses: {router-002: 172.27.27.11/28, router-003: 172.27.27.12/28}\n",
			[]string{"networks[0].addresses.router-002", "peer6 for IPv6"}},
		{"vrrp3 mixed families", "    vhid: 1\n    vips: [172.27.27.14/28, 2001:db8::14/64]\n    protocol: vrrp3\n",
			[]string{"networks[0].vips", "one family"}},
		{"vrrp3 with a passphrase", "    vhid: 1\n    vips: [172.27.27.14/28]\n    protocol: vrrp3\n    pass_file: /etc/carpvm/x.pass\n",
			[]string{"networks[0].pass_file", "no authentication"}},
		{"vrrpinterval out of range", "    vhid: 1\n    vips: [172.27.27.14/28]\n    protocol: vrrp3\n    vrrpinterval: 5000\n",
			[]string{"networks[0].vrrpinterval", "1..4095"}},
		{"vrrpinterval on CARP", "    vhid: 1\n    vips: [172.27.27.14/28]\n    vrrpinterval: 100\n",
			[]string{"networks[0].vrrpinterval", "want protocol: vrrp3"}},
		{"misspelt key", "    vhid: 1\n    vips: [172.27.27.14/28]\n    protcol: vrrp3\n",
			[]string{"networks[0].protcol", "did you mean protocol?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadYAML(t, base+tc.yaml, nil)
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
