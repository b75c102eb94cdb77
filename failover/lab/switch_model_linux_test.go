package lab

import (
	"net"
	"strings"
	"testing"
)

func TestTCCommandsPerRow(t *testing.T) {
	own, _ := net.ParseMAC("02:aa:00:00:00:01")
	other, _ := net.ParseMAC("02:aa:00:00:00:02")
	port := Port{Name: "r2-intra0", Assigned: own, Effective: own}
	accept := Policy{Promiscuous: true, MACChanges: true, ForgedTransmits: true}
	joined := func(p Policy, port Port) string {
		var lines []string
		for _, c := range tcCommands(port, p) {
			lines = append(lines, strings.Join(c, " "))
		}
		return strings.Join(lines, "\n")
	}
	if got := tcCommands(port, accept); len(got) != 1 {
		t.Errorf("all Accept: want only the clsact qdisc, got %q", got)
	}
	for _, tc := range []struct {
		name   string
		p      Policy
		port   Port
		want   []string
		absent []string
	}{
		{"promiscuous Reject", Policy{MACChanges: true, ForgedTransmits: true}, port,
			[]string{"egress pref 10 protocol all u32 match u8 0x01 0x01 at -14", "egress pref 20 protocol all u32 match ether dst 02:aa:00:00:00:01", "egress pref 30 protocol all u32 match u32 0 0 at 0 action mirred egress redirect dev " + blackhole},
			[]string{"ingress"}},
		{"forged transmits Reject", Policy{Promiscuous: true, MACChanges: true}, port,
			[]string{"ingress pref 20 protocol all u32 match ether src 02:aa:00:00:00:01", "ingress pref 30 protocol all u32 match u32 0 0 at 0 action mirred egress redirect dev " + blackhole},
			[]string{"egress"}},
		{"MAC changes Reject, MAC changed", Policy{Promiscuous: true, ForgedTransmits: true}, Port{Name: "r2-intra0", Assigned: own, Effective: other},
			[]string{"egress pref 10 protocol all u32 match u32 0 0 at 0 action mirred egress redirect dev " + blackhole},
			[]string{"ingress"}},
		{"MAC changes Reject, MAC unchanged", Policy{Promiscuous: true, ForgedTransmits: true}, port, nil, []string{"egress", "ingress"}},
		{"reflection", Policy{Promiscuous: true, MACChanges: true, ForgedTransmits: true, Reflect: true}, port,
			[]string{"ingress pref 10 protocol all u32 match u8 0x01 0x01 at -14 action mirred egress mirror dev r2-intra0"}, []string{"egress"}},
		{"MAC learning", Policy{MACChanges: true, ForgedTransmits: true, MACLearning: true}, port, nil, []string{"egress", "ingress"}},
		{"unicast lab's advert mirror", accept, Port{Name: "r2-intra0", Assigned: own, Effective: own, MirrorAdverts: "cl-intra0"},
			[]string{"ingress pref 15 protocol ip u32 match ip protocol 112 0xff action mirred egress mirror dev cl-intra0"}, []string{"egress"}},
		{"unicast lab's advert mirror, forged transmits Reject", Policy{Promiscuous: true, MACChanges: true}, Port{Name: "r2-intra0", Assigned: own, Effective: own, MirrorAdverts: "cl-intra0"},
			[]string{"ingress pref 15 protocol ip u32 match ip protocol 112 0xff match ether src 02:aa:00:00:00:01 action mirred egress mirror dev cl-intra0", "ingress pref 30"}, []string{"egress"}},
	} {
		got := joined(tc.p, tc.port)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: missing %q in\n%s", tc.name, w, got)
			}
		}
		for _, a := range tc.absent {
			if strings.Contains(got, "dev r2-intra0 "+a+" pref") {
				t.Errorf("%s: unexpected %s filter in\n%s", tc.name, a, got)
			}
		}
	}
}

func TestSwitchModelValidate(t *testing.T) {
	m := &SwitchModel{Source: "facts.json", Nets: map[string]Policy{"intranought": {}}}
	err := m.Validate()
	if err == nil || !strings.Contains(err.Error(), `no policy for network "public"`) || !strings.Contains(err.Error(), "facts.json") {
		t.Errorf("missing network: %v", err)
	}
	m.Nets["public"] = Policy{SharedMAC: "nope"}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), `shared MAC "nope"`) {
		t.Errorf("bad shared MAC: %v", err)
	}
	var none *SwitchModel
	if err := none.Validate(); err != nil || !none.Equal(nil) || none.Equal(m) {
		t.Errorf("nil model: %v", err)
	}
}

func TestCausesNameTheCheck(t *testing.T) {
	p := Policy{Portgroup: "IntraNought", MACChanges: true, ForgedTransmits: true, Checks: Checks{Promiscuous: "security.promiscuous"}}
	l := &Lab{State: &State{Switch: &SwitchModel{Nets: map[string]Policy{"intranought": p}}}}
	got := l.Causes("intranought", 1, Router1)
	want := "VIP 172.27.27.14 does not answer: unicast to 00:00:5e:00:01:01 is not delivered to router-002's port (promiscuous Reject on IntraNought) [predicted by security.promiscuous]"
	if len(got) != 1 || got[0].String() != want {
		t.Errorf("causes %q, want [%q]", got, want)
	}
	if c := (&Lab{State: &State{}}).Causes("", 0, ""); c != nil {
		t.Errorf("no model: causes %v", c)
	}
}
