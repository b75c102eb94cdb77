package explain

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// Pair is what explain knows of the router pair, from carpvm.yaml.
type Pair struct {
	Name    string
	Routers []Router
	// Networks are the pair's networks; a transition on another network
	// is still explained, with no portgroup or timers of its own.
	Networks []Network
}

// Router is one router: its name in carpvm.yaml and its VM's.
type Router struct{ Name, VM string }

// Network is one network's portgroup and the timers of the router that
// takes over (the backup's): master-down is what a stun must outlast.
type Network struct {
	Name, Portgroup string
	// VRRP is true for a VRRPv3 network (Interval in centiseconds,
	// Priority the backup's), else CARP (AdvBase s, AdvSkew the backup's).
	VRRP     bool
	AdvBase  int
	AdvSkew  int
	Interval int
	Priority int
}

// DefaultWindow is how far from a transition causes are looked for
// unless told (explain --window; a drill's own transitions).
const DefaultWindow = 2 * time.Minute

// Verdicts of a transition.
const (
	VerdictExplained   = "explained"   // a vCenter event or task lies within the window
	VerdictPlanned     = "planned"     // a drill's own transition
	VerdictUnexplained = "unexplained" // nothing within the window
)

// Report is the explanation of every transition, in time order.
type Report struct {
	Pair string `json:"pair"`
	// WindowS is how far (s) from a transition causes are looked for.
	WindowS     float64     `json:"window_s"`
	Transitions []Explained `json:"transitions"`
}

// Explained is one transition with its likely causes, nearest first, and
// what to do about them.
type Explained struct {
	transition.Transition
	Verdict string   `json:"verdict"`
	Causes  []Cause  `json:"causes"`
	Advice  []string `json:"advice"`
}

// Cause is one vCenter event or task near a transition.
type Cause struct {
	Kind Kind `json:"kind"`
	// Event is the vCenter event type or task descriptionId; empty for
	// KindNone.
	Event  string `json:"event,omitempty"`
	Entity string `json:"entity,omitempty"`
	// Router is the router whose VM the cause is about, when it is one.
	Router string    `json:"router,omitempty"`
	Time   time.Time `json:"time"`
	// OffsetS is Time less the transition's, in seconds: negative before.
	OffsetS float64 `json:"offset_s"`
	// DurationS is a task's run time (s), 0 for an event.
	DurationS float64 `json:"duration_s,omitempty"`
	Detail    string  `json:"detail"`

	// distance orders causes: 0 when the transition fell within a task.
	distance time.Duration
}

// CausesText lists causes nearest first, on one line:
// "snapshot VirtualMachine.createSnapshot router-002 -3.2s; ...", or
// "none: no vCenter event within 2m".
func CausesText(cs []Cause) string {
	var parts []string
	for _, c := range cs {
		if c.Kind == KindNone {
			parts = append(parts, "none: "+c.Detail)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s %s %+.1fs", c.Kind, c.Event, c.Entity, c.OffsetS))
	}
	return strings.Join(parts, "; ")
}

// Unexplained says whether some transition has neither a cause nor a
// plan: `carpvm explain` then exits 1.
func (r Report) Unexplained() int {
	n := 0
	for _, t := range r.Transitions {
		if t.Verdict == VerdictUnexplained {
			n++
		}
	}
	return n
}

// Explain correlates each transition with the events within window of it.
// Events of a pair's VM or host count for every network; a portgroup's
// only for its own network's transitions.
func Explain(p Pair, ts []transition.Transition, events []facts.Event, window time.Duration) Report {
	ix := newKindIndex()
	hist := make([]classified, 0, len(events))
	var longest time.Duration
	for _, e := range events {
		k, ok := ix.kindOf(e)
		if !ok {
			continue
		}
		hist = append(hist, classified{Event: e, kind: k})
		if !e.End.IsZero() {
			longest = max(longest, e.End.Sub(e.Time))
		}
	}
	sort.SliceStable(hist, func(i, j int) bool { return hist[i].Time.Before(hist[j].Time) })

	ts = slices.Clone(ts)
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Time.Before(ts[j].Time) })
	rep := Report{Pair: p.Name, WindowS: window.Seconds(), Transitions: make([]Explained, 0, len(ts))}
	routers := map[string]string{}
	for _, r := range p.Routers {
		routers[r.VM] = r.Name
	}
	for _, t := range ts {
		n, _ := p.network(t.Network)
		x := Explained{Transition: t, Causes: causesOf(t, n, hist, longest, window, routers)}
		switch {
		case t.Planned != "":
			x.Verdict = VerdictPlanned
		case len(x.Causes) > 0:
			x.Verdict = VerdictExplained
		default:
			x.Verdict = VerdictUnexplained
			x.Causes = []Cause{{Kind: KindNone, Time: t.Time, Detail: "no vCenter event within " + windowText(window)}}
		}
		x.Advice = advise(t, n, x.Causes, window)
		rep.Transitions = append(rep.Transitions, x)
	}
	return rep
}

// classified is an event and its kind.
type classified struct {
	facts.Event
	kind Kind
}

func (p Pair) network(name string) (Network, bool) {
	for _, n := range p.Networks {
		if n.Name == name {
			return n, true
		}
	}
	return Network{Name: name}, false
}

// causesOf finds the events within window of t in hist (sorted by time;
// longest is the longest task, so that one that began before the window
// and still ran in it is found).
func causesOf(t transition.Transition, n Network, hist []classified, longest, window time.Duration, routers map[string]string) []Cause {
	from, to := t.Time.Add(-window-longest), t.Time.Add(window)
	i := sort.Search(len(hist), func(i int) bool { return !hist[i].Time.Before(from) })
	var causes []Cause
	for ; i < len(hist) && !hist[i].Time.After(to); i++ {
		e := hist[i]
		if e.Kind == facts.EntityNetwork && n.Portgroup != "" && e.Entity != n.Portgroup {
			continue
		}
		d := distance(t.Time, e.Event)
		if d > window {
			continue
		}
		c := Cause{Kind: e.kind, Event: e.Type, Entity: e.Entity, Time: e.Time,
			OffsetS: seconds(e.Time.Sub(t.Time)), Detail: e.Detail, distance: d}
		if e.Kind == facts.EntityVM {
			c.Router = routers[e.Entity]
		}
		if !e.End.IsZero() {
			c.DurationS = seconds(e.End.Sub(e.Time))
		}
		if e.NICChange != "" {
			c.Detail = e.NICChange
		}
		causes = append(causes, c)
	}
	sort.SliceStable(causes, func(i, j int) bool { return causes[i].distance < causes[j].distance })
	return causes
}

// distance is how far e is from at: 0 when at falls within a task's run.
func distance(at time.Time, e facts.Event) time.Duration {
	if !e.End.IsZero() && !at.Before(e.Time) && !at.After(e.End) {
		return 0
	}
	d := at.Sub(e.Time).Abs()
	if !e.End.IsZero() {
		d = min(d, at.Sub(e.End).Abs())
	}
	return d
}

// seconds rounds d to milliseconds, in seconds.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

// windowText is a window as an operator writes it: "2m", "90s", "1h".
func windowText(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// secondsText writes s seconds as "3.2 s".
func secondsText(s float64) string { return fmt.Sprintf("%.1f s", s) }
