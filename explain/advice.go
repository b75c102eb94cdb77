package explain

import (
	"fmt"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/transition"
)

// advise says what to do about t's causes: one piece of advice per kind
// and entity, nearest first.
func advise(t transition.Transition, n Network, causes []Cause, window time.Duration) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range causes {
		key := string(c.Kind) + "\x00" + c.Entity
		if seen[key] {
			continue
		}
		seen[key] = true
		if a := adviceFor(t, n, c, window); a != "" {
			out = append(out, a)
		}
	}
	if t.Planned != "" {
		out = append([]string{"planned: " + t.Planned + " (a drill's own transition)"}, out...)
	}
	return out
}

func adviceFor(t transition.Transition, n Network, c Cause, window time.Duration) string {
	who := c.Router
	if who == "" {
		who = c.Entity
	}
	when := offsetText(c.OffsetS)
	switch c.Kind {
	case KindSnapshot:
		return snapshotAdvice(who, n, c, when)
	case KindVMotion:
		md, ok := masterDown(n)
		tail := ""
		if ok {
			tail = " outlasted master-down " + mdText(md)
		}
		return fmt.Sprintf("%s was vMotioned (%s %s): the switch-over stun%s; if the VIP stayed dark longer than one advert after it, the vSwitch did not relearn the virtual MAC: run `carpvm drill --trigger stun` to reproduce", who, c.Event, when, tail)
	case KindHARestart:
		return fmt.Sprintf("vSphere HA restarted %s on another host (%s %s): its host failed or was isolated; look at that host's events", who, c.Event, when)
	case KindPower:
		return fmt.Sprintf("%s was powered off, on or reset (%s %s): a takeover then is CARP doing its job; find who did it if it was not planned", who, c.Event, when)
	case KindNIC:
		return fmt.Sprintf("%s's network adapter changed (%s %s): reconnect it to its portgroup; the vCenter event names the user", who, c.Detail, when)
	case KindHost:
		return fmt.Sprintf("host %s lost its connection or an uplink (%s %s): check its physical uplinks and management network", c.Entity, c.Event, when)
	case KindPolicy:
		return fmt.Sprintf("a portgroup or vSwitch security policy changed on %s (%s %s), the kind of change carpvm's own --fix makes: run `carpvm preflight` to check promiscuous mode, MAC changes and forged transmits", c.Entity, c.Event, when)
	case KindNone:
		return fmt.Sprintf("no vCenter event within %s: the cause is in the router (a CPU stall, a crash: its logs) or the physical network; `carpvm watch` shows who sends adverts", windowText(window))
	}
	return ""
}

// snapshotAdvice compares the stun a snapshot task stands for with the
// network's master-down and names the advbase that would outlast it.
func snapshotAdvice(who string, n Network, c Cause, when string) string {
	md, ok := masterDown(n)
	if c.DurationS == 0 || !ok {
		return fmt.Sprintf("%s was stunned by a snapshot (%s %s): exclude the routers from quiescing and memory snapshots, or schedule backups apart", who, c.Event, when)
	}
	stun := time.Duration(c.DurationS * float64(time.Second))
	if stun < md {
		return fmt.Sprintf("%s was stunned up to %s by a snapshot (task %s), shorter than master-down %s: the stun alone does not explain the takeover unless the snapshot's memory write outlasted its task; look for a second cause", who, secondsText(c.DurationS), when, mdText(md))
	}
	raise := ""
	if adv, newMD, ok := advbaseOutlasting(n, stun); ok {
		knob := "advbase"
		if n.VRRP {
			knob, adv = "vrrpinterval", adv*100
		}
		raise = fmt.Sprintf("raise %s to %d (master-down %s), or ", knob, adv, mdText(newMD))
	}
	return fmt.Sprintf("%s was stunned up to %s by a snapshot (task %s) while master-down is %s: %sexclude the routers from quiescing, or schedule backups apart", who, secondsText(c.DurationS), when, mdText(md), raise)
}

// masterDown is how long the network's backup waits for adverts before it
// takes over (carp.MasterDown; carp.VRRPMasterDown for VRRPv3).
func masterDown(n Network) (time.Duration, bool) {
	switch {
	case n.VRRP && n.Interval > 0:
		return carp.VRRPMasterDown(uint8(n.Priority), uint16(n.Interval)), true
	case !n.VRRP && n.AdvBase > 0:
		return carp.MasterDown(uint8(n.AdvBase), n.AdvSkew), true
	}
	return 0, false
}

// advbaseOutlasting is the smallest advbase (a VRRPv3 interval in whole
// seconds) whose master-down outlasts stun.
func advbaseOutlasting(n Network, stun time.Duration) (int, time.Duration, bool) {
	for adv := 1; adv <= 255; adv++ {
		m := n
		if n.VRRP {
			m.Interval = adv * 100
			if m.Interval > 4095 {
				return 0, 0, false
			}
		} else {
			m.AdvBase = adv
		}
		if md, _ := masterDown(m); md > stun {
			return adv, md, true
		}
	}
	return 0, 0, false
}

// offsetText says when a cause was relative to its transition.
func offsetText(s float64) string {
	switch {
	case s < 0:
		return secondsText(-s) + " before the transition"
	case s > 0:
		return secondsText(s) + " after the transition"
	}
	return "at the transition"
}

// mdText writes a master-down to the hundredth, as carp(4) timers are
// advbase plus advskew/256 s.
func mdText(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
