package workflow

import (
	"context"
	"errors"
	"time"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// Historian is what explaining needs of vSphere: *vsphere.Session.
type Historian interface {
	History(ctx context.Context, scope vsphere.HistoryScope) ([]facts.Event, error)
	RoundTrips() int
}

// errNoHistory is a backend that cannot say what vCenter did.
var errNoHistory = errors.New("explain: this vSphere backend has no event history")

// Explain opens cfg's vCenter (the simulator of topology when one is
// named), asks it once for the history of the pair's VMs, hosts and
// portgroups from the first transition less window to the last plus it,
// and explains each transition (explain.Explain).
func Explain(ctx context.Context, cfg *config.Config, topology string, ts []transition.Transition, window time.Duration, progress Progress) (explain.Report, error) {
	if len(ts) == 0 {
		return ExplainWith(ctx, nil, cfg, ts, window, progress)
	}
	be, err := Open(ctx, cfg, topology, progress)
	if err != nil {
		return explain.Report{}, err
	}
	h, ok := be.(Historian)
	if !ok {
		_ = be.Close(ctx)
		return explain.Report{}, errNoHistory
	}
	rep, err := ExplainWith(ctx, h, cfg, ts, window, progress)
	if cerr := be.Close(ctx); cerr != nil && err == nil {
		progress("warning: log out: %v", cerr)
	}
	return rep, err
}

// ExplainWith is Explain on an open session; h may be nil when there are
// no transitions.
func ExplainWith(ctx context.Context, h Historian, cfg *config.Config, ts []transition.Transition, window time.Duration, progress Progress) (explain.Report, error) {
	pair := ExplainPair(cfg)
	if len(ts) == 0 {
		return explain.Explain(pair, nil, nil, window), nil
	}
	if h == nil {
		return explain.Report{}, errors.New("explain: no vSphere session")
	}
	first, last := ts[0].Time, ts[0].Time
	for _, t := range ts[1:] {
		first, last = minTime(first, t.Time), maxTime(last, t.Time)
	}
	scope := vsphere.HistoryScope{VMs: cfg.RouterVMs(), Begin: first.Add(-window), End: last.Add(window),
		EventTypes: explain.EventTypes()}
	for _, n := range cfg.Networks {
		scope.Portgroups = append(scope.Portgroups, n.Portgroup)
	}
	progress("reading vCenter's events and tasks of %d VMs and their hosts from %s to %s",
		len(scope.VMs), scope.Begin.Format(time.RFC3339), scope.End.Format(time.RFC3339))
	before := h.RoundTrips()
	events, err := h.History(ctx, scope)
	if err != nil {
		return explain.Report{}, &BackendError{Step: "read events and tasks", Err: err}
	}
	progress("read %d events and tasks in %d round trips", len(events), h.RoundTrips()-before)
	return explain.Explain(pair, ts, events, window), nil
}

// ExplainPair is what explain needs of cfg: the routers' VMs, and per
// network its portgroup and the timers of the router that takes over
// (the preferred master's peer: the higher advskew, the lower priority).
func ExplainPair(cfg *config.Config) explain.Pair {
	p := explain.Pair{Name: cfg.Pair.Name}
	for _, r := range cfg.Pair.Routers {
		p.Routers = append(p.Routers, explain.Router{Name: r.Name, VM: r.VM})
	}
	for _, n := range cfg.Networks {
		en := explain.Network{Name: n.Name, Portgroup: n.Portgroup, AdvBase: n.AdvBase}
		backup := backupOf(cfg, n.Group)
		if n.Protocol == config.ProtocolVRRP3 {
			en.VRRP, en.Interval, en.Priority = true, n.VRRPInterval, cfg.VRRPPriority(backup, n.Group)
		} else {
			en.AdvSkew = cfg.AdvSkew(backup, n.Group)
		}
		p.Networks = append(p.Networks, en)
	}
	return p
}

// backupOf is the router of the pair that is not g's preferred master.
func backupOf(cfg *config.Config, g config.Group) string {
	for _, r := range cfg.Pair.Routers {
		if r.Name != g.Master {
			return r.Name
		}
	}
	return g.Master
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
