package lab

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/failover"
)

// TestLabDrillsKeepalived: router-003 is keepalived (VRRPv3), router-002
// carpvm's node in VRRPv3; the drills pass against it as against ucarp
// (demote acts on router-002, the carpvm master). Not the partition: when
// it heals, the clients keep keepalived's NIC MAC for the VIP (keepalived
// holds it on its leg, without a virtual MAC) until carpvm's next
// gratuitous ARP, and the drill reports a blackout past its objective
// (4.2 s measured), as it should.
func TestLabDrillsKeepalived(t *testing.T) {
	t.Parallel()
	runLabDrillsWith(t, testOptions(t, PeerKeepalived), allLabDrills[:3])
}

// TestLabDrillsUnicast: a lab whose switch drops multicast, the carpvm
// nodes advertising to each other's address: one master per group, and
// the power-off drill passes (the witness sees the unicast adverts on
// its mirrored port). The same switch with multicast adverts leaves both
// routers master: the mode is what keeps the pair whole.
func TestLabDrillsUnicast(t *testing.T) {
	t.Parallel()
	for _, peer := range []string{PeerCarpvm, PeerKeepalived} {
		t.Run(peer, func(t *testing.T) {
			t.Parallel()
			opts := testOptions(t, peer)
			opts.Mode = ModeUnicast
			l := runLabDrillsWith(t, opts, []labDrill{{failover.TriggerPowerOff, "public"}})
			flooding, err := mcastFlooding(l)
			if err != nil {
				t.Fatal(err)
			}
			if len(flooding) > 0 {
				t.Errorf("unicast lab: switch ports still flood multicast: %v", flooding)
			}
		})
	}
}

// mcastFlooding lists the lab switch's bridge ports that flood multicast.
func mcastFlooding(l *Lab) ([]string, error) {
	out, err := nsRun(context.Background(), l.ns(Switch), "bridge", "-j", "-d", "link", "show")
	if err != nil {
		return nil, err
	}
	var ports []struct {
		Name  string `json:"ifname"`
		Flood *bool  `json:"mcast_flood"`
	}
	if err := json.Unmarshal([]byte(out), &ports); err != nil {
		return nil, err
	}
	var on []string
	for _, p := range ports {
		if p.Flood == nil || *p.Flood {
			on = append(on, p.Name)
		}
	}
	return on, nil
}

// TestLabMulticastDropped: a multicast lab whose switch then drops
// multicast splits: both routers become master of every group.
func TestLabMulticastDropped(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerCarpvm)
	l := upLab(t, opts)
	ctx := context.Background()
	if on, err := mcastFlooding(l); err != nil || len(on) != 6 {
		t.Fatalf("multicast lab: ports flooding multicast %v (%v), want all 6", on, err)
	}
	if err := l.SetMulticast(ctx, false); err != nil {
		t.Fatal(err)
	}
	var last Status
	deadline := time.Now().Add(carp.MasterDown(uint8(*opts.AdvBase), int(AdvSkew[Router2])) + 5*time.Second)
	for time.Now().Before(deadline) {
		last = l.Status(ctx)
		split := 0
		for _, n := range last.Networks {
			if n.Master == Router1+"+"+Router2 {
				split++
			}
		}
		if split == len(last.Networks) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("with multicast dropped, not every group split: %+v", last.Networks)
}

// TestLabKeepalivedDown: lab down stops keepalived and its VRRP child and
// leaves none of its files.
func TestLabKeepalivedDown(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerKeepalived)
	l, _, err := Up(context.Background(), opts, nil)
	if err != nil {
		t.Fatalf("lab up --peer keepalived: %v", err)
	}
	procs := l.State.Procs
	if len(procs) != 3 {
		t.Errorf("%d processes, want the carpvm node, keepalived and its VRRP child: %+v", len(procs), procs)
	}
	st := l.Status(context.Background())
	if err := st.Err(); err != nil {
		t.Fatalf("lab unhealthy: %v", err)
	}
	for _, n := range st.Networks {
		if n.Master != Router1 || n.States[Router2] != "BACKUP" {
			t.Errorf("%s vhid %d: master %q, router-003 %q; want router-002 master, keepalived BACKUP", n.Name, n.VHID, n.Master, n.States[Router2])
		}
	}
	if err := Down(context.Background(), opts, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if procAlive(p) {
			t.Errorf("%s %s (pid %d) still runs after down", p.Router, p.Kind, p.Pid)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(opts.StateDir, "*")); len(left) > 0 {
		t.Errorf("left after down: %v", left)
	}
	if _, err := os.Stat(opts.StateDir); err == nil {
		t.Errorf("state directory %s left after down", opts.StateDir)
	}
}
