package failover

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/table"
)

// Phases of the ownership map (drills given Options.Map).
const (
	// PhaseHandover checks that every group the failed router held moved
	// to the peer (all of them for a whole-router trigger).
	PhaseHandover = "handover"
	// PhaseReturn checks that after the restore every group is back on
	// its preferred router (with preempt).
	PhaseReturn = "return"
)

// GroupOwnership is one group of the pair through a drill: who held it
// before, who should hold it after the trigger, who did, and who held it
// after the restore.
type GroupOwnership struct {
	Network   string `json:"network"`
	VHID      int    `json:"vhid"`
	Preferred string `json:"preferred"`
	Before    string `json:"before"`
	// Expected is the router that must hold the group after the trigger
	// ("" when the drill expects nothing of it).
	Expected string `json:"expected,omitempty"`
	After    string `json:"after_trigger"`
	// TakeoverS is from the trigger to the new holder's first advert (0
	// when the group did not move).
	TakeoverS float64 `json:"takeover_s"`
	Restored  string  `json:"after_restore"`
	OK        bool    `json:"ok"`
}

// mapGroup is one group of the map with the network it is on.
type mapGroup struct {
	net  Network
	plan GroupPlan
}

func (g mapGroup) words() string { return fmt.Sprintf("vhid %d (%s)", g.plan.VHID, g.net.Name) }

// ownershipMap watches every group of the pair on every network while a
// drill runs: the drilled network through the drill's own observer, the
// others through observers of their own.
type ownershipMap struct {
	d      *drill
	groups []mapGroup
	obs    map[string]Observer
	own    []GroupOwnership // parallel to groups
	oldSrc []netip.Addr     // each group's holder at the baseline
}

// openMap starts observers for the map's other networks; nil when the
// drill has no map.
func (d *drill) openMap(ctx context.Context) (*ownershipMap, error) {
	if len(d.opts.Map) == 0 {
		return nil, nil
	}
	om := &ownershipMap{d: d, obs: map[string]Observer{d.n.Name: d.obs}}
	for _, n := range d.opts.Map {
		if _, ok := om.obs[n.Name]; !ok {
			o, err := d.opts.Env.Observe(ctx, n)
			if err != nil {
				om.close()
				return nil, fmt.Errorf("witness on %s: %w", n.Name, err)
			}
			om.obs[n.Name] = o
		}
		groups := n.Groups
		if len(groups) == 0 {
			groups = []GroupPlan{{VHID: n.VHID, MasterDown: n.MasterDown()}}
		}
		for _, g := range groups {
			om.groups = append(om.groups, mapGroup{net: n, plan: g})
			om.own = append(om.own, GroupOwnership{Network: n.Name, VHID: int(g.VHID), Preferred: g.Preferred})
		}
	}
	om.oldSrc = make([]netip.Addr, len(om.groups))
	return om, nil
}

func (om *ownershipMap) close() {
	for name, o := range om.obs {
		if name != om.d.n.Name {
			o.Close()
		}
	}
}

// holder is the router advertising g now: the source of its last advert,
// unless that advert was a bow-out or is older than g's master-down (the
// holder fell silent). It also returns the holder's name.
func (om *ownershipMap) holder(g mapGroup, now time.Time) (netip.Addr, string) {
	var last Event
	for _, e := range om.obs[g.net.Name].Events() {
		if e.Kind == KindAdvert && e.VHID == g.plan.VHID && !e.At.After(now) {
			last = e
		}
	}
	stale := max(g.plan.MasterDown, g.net.MasterDown()) + 2*g.net.interval()
	if !last.Src.IsValid() || last.AdvBase == 255 || now.Sub(last.At) > stale {
		return netip.Addr{}, ""
	}
	return last.Src, om.d.opts.Env.RouterName(g.net, last.Src)
}

// baseline waits until every group has a holder and records them.
func (om *ownershipMap) baseline(ctx context.Context, wait time.Duration) error {
	var missing []string
	err := om.d.poll(ctx, wait, func([]Event) bool {
		missing = missing[:0]
		for i, g := range om.groups {
			src, name := om.holder(g, om.d.now())
			om.oldSrc[i], om.own[i].Before = src, name
			if !src.IsValid() {
				missing = append(missing, g.words())
			}
		}
		return len(missing) == 0
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("no master for %s within %s", strings.Join(missing, ", "), wait.Round(time.Millisecond))
	}
	return err
}

// words lists each group's holder, for the baseline's detail.
func (om *ownershipMap) words(holder func(GroupOwnership) string) string {
	parts := make([]string, len(om.groups))
	for i, g := range om.groups {
		parts[i] = g.words() + " " + table.Dash(holder(om.own[i]))
	}
	return strings.Join(parts, ", ")
}

// expect sets which groups must move after the trigger on old: every group
// old held for a whole-router trigger, the drilled group alone otherwise,
// nothing for a partition (both routers stay master) or a stun (the
// stunned master is back before the hand-over is judged).
func (om *ownershipMap) expect(t Trigger, old, peer string) {
	for i, g := range om.groups {
		drilled := g.net.Name == om.d.n.Name && g.plan.VHID == om.d.n.VHID
		switch {
		case t.returns() || om.own[i].Before != old:
		case t.wholeRouter() || drilled:
			om.own[i].Expected = peer
		}
	}
}

// handover waits until every group expected to move is held by the peer,
// and measures each one's takeover from the trigger.
func (om *ownershipMap) handover(ctx context.Context, trigger time.Time, wait time.Duration) (bool, string) {
	var stuck []string
	_ = om.d.poll(ctx, wait, func([]Event) bool {
		stuck = stuck[:0]
		for i, g := range om.groups {
			_, name := om.holder(g, om.d.now())
			om.own[i].After = name
			if om.own[i].Expected != "" && name != om.own[i].Expected {
				stuck = append(stuck, fmt.Sprintf("%s on %s, want %s", g.words(), table.Dash(name), om.own[i].Expected))
			}
		}
		return len(stuck) == 0
	})
	var moved []string
	for i, g := range om.groups {
		o := &om.own[i]
		if o.After == o.Before || o.After == "" {
			continue
		}
		m := Analyze(om.obs[g.net.Name].Events(), Window{VHID: g.plan.VHID, Trigger: trigger, OldMaster: om.oldSrc[i]})
		o.TakeoverS = seconds(m.TriggerToNewMaster)
		moved = append(moved, fmt.Sprintf("%s to %s after %.3f s", g.words(), o.After, o.TakeoverS))
	}
	if len(stuck) > 0 {
		return false, "stuck: " + strings.Join(stuck, "; ") + withMoved(moved)
	}
	if len(moved) == 0 {
		return true, "no group was expected to move"
	}
	return true, "moved: " + strings.Join(moved, "; ")
}

func withMoved(moved []string) string {
	if len(moved) == 0 {
		return ""
	}
	return "; moved: " + strings.Join(moved, "; ")
}

// giveBack waits until every group is back on its preferred router (with
// preempt; else until every group has a holder), and judges each group.
func (om *ownershipMap) giveBack(ctx context.Context, wait time.Duration) (bool, string) {
	var stuck []string
	_ = om.d.poll(ctx, wait, func([]Event) bool {
		stuck = stuck[:0]
		for i, g := range om.groups {
			_, name := om.holder(g, om.d.now())
			om.own[i].Restored = name
			want := om.own[i].Preferred
			if !om.d.n.Preempt || want == "" {
				want = om.own[i].Before
			}
			if name != want {
				stuck = append(stuck, fmt.Sprintf("%s on %s, want %s", g.words(), table.Dash(name), want))
			}
		}
		return len(stuck) == 0
	})
	for i := range om.own {
		o := &om.own[i]
		o.OK = (o.Expected == "" || o.After == o.Expected) && !slicesContainsPrefix(stuck, om.groups[i].words())
	}
	if len(stuck) > 0 {
		return false, "not back: " + strings.Join(stuck, "; ")
	}
	return true, "every group on its preferred router: " + om.words(func(o GroupOwnership) string { return o.Restored })
}

func slicesContainsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix+" ") {
			return true
		}
	}
	return false
}
