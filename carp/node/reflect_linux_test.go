package node

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/internal/netns"
)

// reflectBack makes the switch hand every protocol-112 frame that r sends
// back to r, besides forwarding it: what a teamed ESXi vSwitch with
// promiscuous mode does to multicast when Net.ReversePathFwdCheckPromisc
// is 0 (the copy leaves by one uplink and comes back in by another).
func reflectBack(t *testing.T, r *netns.Port) {
	t.Helper()
	sw := r.Bridge.NS
	ctx := context.Background()
	for _, args := range [][]string{
		{"tc", "qdisc", "add", "dev", r.BridgePort, "ingress"},
		{"tc", "filter", "add", "dev", r.BridgePort, "ingress", "protocol", "ip", "u32",
			"match", "ip", "protocol", "112", "0xff", "action", "mirred", "egress", "mirror", "dev", r.BridgePort},
	} {
		if out, err := sw.Run(ctx, args[0], args[1:]...); err != nil {
			t.Skipf("skipping: this kernel cannot mirror frames with tc (%v: %v, %s)", args, err, out)
		}
	}
}

// TestWireReflectingSwitch: with its own adverts coming back, a FreeBSD
// master would take them for another master's and step down. The carpvm
// master recognises them (echo rejections) and stays master, and carpvm
// watch on the master reports the reflection.
func TestWireReflectingSwitch(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	_, s1 := p.node(t, p.r1, 0)
	_, s2 := p.node(t, p.r2, 100)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	p.waitState(t, "r2", s2, carp.Backup, 5*time.Second)
	before, err := p.status(t, s1)
	if err != nil {
		t.Fatal(err)
	}
	reflectBack(t, p.r1)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := p.r1.NS.Command(ctx, p.bin, "watch", "--interface", p.r1.IfName, "--duration", "4s", "-o", "json",
		"--pass-file", filepath.Join(p.dir, "pass"), "--vip", "1="+e2eVIP).Output()
	if err != nil {
		t.Fatalf("carpvm watch: %v\n%s", err, out)
	}
	var snap witness.Snapshot
	if err := json.Unmarshal(out, &snap); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	var reflected []witness.Warning
	for _, w := range snap.Warnings {
		if w.Code == witness.WarnReflected {
			reflected = append(reflected, w)
		}
	}
	if len(reflected) != 1 || reflected[0].Src.String() != "172.27.27.11" {
		t.Errorf("warnings %+v; want one %q for r1 (172.27.27.11)", snap.Warnings, witness.WarnReflected)
	}
	for _, g := range snap.Groups {
		for _, a := range g.Advertisers {
			if a.Src.String() == "172.27.27.11" && (a.Duplicates == 0 || a.Auth != witness.AuthOK) {
				t.Errorf("r1 as watched on r1: %d duplicates, auth %s; want copies counted and a verified HMAC", a.Duplicates, a.Auth)
			}
		}
	}

	after := p.waitState(t, "r1 with its adverts reflected", s1, carp.Master, 5*time.Second)
	if after.Transitions != before.Transitions {
		t.Errorf("r1 changed state under reflection: %+v", after.LastTransition)
	}
	if got := after.Rejected.Of(carp.RejectEcho) - before.Rejected.Of(carp.RejectEcho); got < 3 {
		t.Errorf("r1 rejected %d of its own adverts as echoes in 4 s; want one per advert", got)
	}
	if st, err := p.status(t, s2); err != nil || st.State != carp.Backup {
		t.Errorf("r2: %s, %v; want it still BACKUP", st.State, err)
	}
}
