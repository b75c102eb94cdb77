package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/carp/node"
)

// TestPeerModeValidation: what cannot work is refused, saying why: ucarp
// has no unicast; keepalived's VRRPv3 has no advbase 0 and no interval
// above 40.95 s.
func TestPeerModeValidation(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want []string
	}{
		{Options{Peer: PeerUcarp, Mode: ModeUnicast}, []string{"ucarp", "no unicast", "--peer carpvm"}},
		{Options{Mode: "broadcast"}, []string{"broadcast", "multicast, unicast"}},
		{Options{Peer: PeerKeepalived, AdvBase: AdvBase(0)}, []string{"advbase 0", "VRRPv3", "1..40"}},
		{Options{Peer: PeerKeepalived, AdvBase: AdvBase(41)}, []string{"advbase 41", "1..40"}},
	} {
		_, err := tc.o.withDefaults()
		if err == nil {
			t.Errorf("%+v accepted", tc.o)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: error %q does not say %q", tc.o, err, w)
			}
		}
	}
	for _, o := range []Options{{Peer: PeerKeepalived}, {Peer: PeerKeepalived, Mode: ModeUnicast, AdvBase: AdvBase(40)}, {Mode: ModeUnicast}} {
		if _, err := o.withDefaults(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if o, _ := (Options{}).withDefaults(); o.Mode != ModeMulticast {
		t.Errorf("default mode %q, want multicast", o.Mode)
	}
}

// TestVRRPNodeConfig: with keepalived as its peer, router-002's node runs
// every group in VRRPv3 at 254 less its advskew, interval advbase x 100 cs,
// no passphrase; in unicast mode each group names router-003's address on
// its network as the peer. The node's own loader takes the file.
func TestVRRPNodeConfig(t *testing.T) {
	for _, mode := range Modes() {
		opts, err := Options{Peer: PeerKeepalived, Mode: mode, AdvBase: AdvBase(2), ActiveActive: true, StateDir: t.TempDir()}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		l := &Lab{Opts: opts, State: &State{AdvBase: *opts.AdvBase, ActiveActive: true}}
		path := filepath.Join(opts.StateDir, Router1+".yaml")
		if err := os.WriteFile(path, []byte(l.nodeYAML(Router1)), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := node.LoadConfig(path, func(string) string { return "" })
		if err != nil {
			t.Fatalf("%s: %v\n%s", mode, err, l.nodeYAML(Router1))
		}
		if len(cfg.Groups) != len(l.Groups()) {
			t.Fatalf("%s: %d groups, want %d", mode, len(cfg.Groups), len(l.Groups()))
		}
		for i, g := range cfg.Groups {
			lg := l.Groups()[i]
			wantPrio := 254
			if lg.Preferred != Router1 {
				wantPrio = 154
			}
			if !g.VRRP() || int(g.Priority) != wantPrio || g.Interval != 200 {
				t.Errorf("%s vhid %d: vrrp %t prio %d interval %d, want VRRPv3 prio %d interval 200", mode, g.VHID, g.VRRP(), g.Priority, g.Interval, wantPrio)
			}
			wantPeer := ""
			if mode == ModeUnicast {
				wantPeer = lg.Net.Addrs[Router2].Addr().String()
			}
			if got := peerString(g); got != wantPeer {
				t.Errorf("%s vhid %d: peer %q, want %q", mode, g.VHID, got, wantPeer)
			}
		}
	}
}

func peerString(g node.Group) string {
	if !g.Peer.IsValid() {
		return ""
	}
	return g.Peer.String()
}

// TestKeepalivedConf: router-003's keepalived.conf has one VRRPv3 instance
// per group, at router-003's priority, with the unicast peer in unicast
// mode.
func TestKeepalivedConf(t *testing.T) {
	opts, err := Options{Peer: PeerKeepalived, Mode: ModeUnicast, ActiveActive: true, StateDir: "/run/x"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	l := &Lab{Opts: opts, State: &State{AdvBase: 1, ActiveActive: true}}
	conf := l.keepalivedConf()
	if got := strings.Count(conf, "vrrp_instance "); got != len(l.Groups()) {
		t.Errorf("%d instances, want %d:\n%s", got, len(l.Groups()), conf)
	}
	for _, want := range []string{"version 3", "virtual_router_id 3", "priority 254", "priority 154", "advert_int 1\n",
		"unicast_src_ip 172.27.27.12", "unicast_peer {\n        172.27.27.11", "172.27.27.14/28 dev intra0", "notify /run/x/" + keepalivedNotify} {
		if !strings.Contains(conf, want) {
			t.Errorf("keepalived.conf lacks %q:\n%s", want, conf)
		}
	}
}
