package main

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/internal/table/tabletest"
	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/vsphere/change"
)

// Every terminal table fits the terminal's width, names never split, and
// turns into key: value blocks when too narrow: watch's tables, node
// status, explain and audit --fix's plan (preflight's and audit's have
// their own tests).
func TestTerminalTablesFitTheWidth(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	snap := witness.Snapshot{
		Frames: 120,
		Groups: []witness.Group{{Protocol: witness.CARP, ID: 1, Family: witness.IPv4, Advertisers: []witness.Advertiser{{
			Src: netip.MustParseAddr("172.27.27.11"), MAC: "00:00:5e:00:01:01", Role: witness.RoleMaster, AdvBase: 1, AdvSkew: 100,
			Interval: time.Second, Observed: 1002 * time.Millisecond, Auth: witness.AuthNone, Adverts: 117,
		}}}},
		Ownership: []witness.Owner{{
			Expected: witness.Expected{Network: "intranought", VHID: 1, VIPs: []netip.Prefix{netip.MustParsePrefix("172.27.27.14/24"), netip.MustParsePrefix("172.27.27.15/24")}, Preferred: "router-002"},
			Masters:  []string{"router-002"}, State: "as planned",
		}},
	}
	t.Run("watch", func(t *testing.T) {
		tabletest.Fits(t, "watch", func(term table.Terminal) string {
			var b bytes.Buffer
			if err := writeWatchTable(&b, term, snap); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}, "proto:", "intranought", "router-002")
	})

	st := &node.Status{Groups: []node.GroupStatus{{Interface: "intranought0", AdvBase: 1, AdvSkew: 100}}}
	st.Groups[0].VHID = 1
	st.Groups[0].State = carp.Backup
	st.Groups[0].LastTransition = carp.TransitionRecord{At: at, From: carp.Init, To: carp.Backup, Reason: "started"}
	t.Run("node status", func(t *testing.T) {
		tabletest.Fits(t, "node status", func(term table.Terminal) string {
			var b bytes.Buffer
			if err := printNodeStatus(&b, term, "table", st); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}, "vhid:", "intranought0")
	})

	rep := explain.Report{Pair: "lab-cvl", WindowS: 30, Transitions: []explain.Explained{{
		Transition: transition.Transition{Time: at, Router: "router-003", Network: "intranought", VHID: 1, From: "BACKUP", To: "MASTER"},
		Verdict:    "unplanned",
		Causes:     []explain.Cause{{Kind: explain.KindNone, Detail: "no vCenter event or task within 30 s of the transition"}},
		Advice:     []string{"look at the routers' own logs: carpvm logs --since 2026-01-02T03:00:00Z"},
	}}}
	t.Run("explain", func(t *testing.T) {
		tabletest.Fits(t, "explain", func(term table.Terminal) string {
			var b bytes.Buffer
			if err := printExplain(IOStreams{Out: &b, OutTTY: term.TTY, Width: term.Width}, "table", rep); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}, "time:", "router-003", "intranought")
	})

	plan := []change.Change{{Object: "portgroup IntraNought on vswitch0 of esxi-01", Setting: change.SettingPromiscuous,
		Current: "true", Desired: "inherit (false)", Network: "intranought", Note: "the routers' ports keep promiscuous mode through their own override"}}
	t.Run("audit --fix plan", func(t *testing.T) {
		tabletest.Fits(t, "audit --fix plan", func(term table.Terminal) string {
			var b bytes.Buffer
			if err := writeAuditPlan(&b, term, plan); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}, "object:", "intranought")
	})
}
