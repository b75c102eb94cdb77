package failover

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/carpvm/carpvm/carp/witness"
)

// StunReturn is what a stun drill measures once the stunned master is let go
// (the thaw): it comes back believing it is still master.
type StunReturn struct {
	// Back says the old master advertised after the thaw, first at
	// FirstBack.
	Back      bool
	FirstBack time.Time
	// Survivor is the one master left: the only source advertising in the
	// last Quiet before the end; invalid while two (or none) do.
	Survivor netip.Addr
	// Settled says there was one master for Quiet before the end;
	// Advertising is how many sources advertised in that last Quiet.
	Settled     bool
	Quiet       time.Duration
	Advertising int
	// SplitBrain is how long two masters coexisted after the return: the
	// old master's first advert after the thaw to the last advert of the
	// one that stepped down (0 when it stepped down at once).
	SplitBrain time.Duration
	// Blackout is the longest the clients' echoes went unanswered after
	// the thaw (from the thaw, or a reply after it, to the next reply);
	// Resumed is false when that outage was still open at the end (the
	// VIP black-holed, as while clients wait for their ARP caches to
	// expire).
	Blackout time.Duration
	Resumed  bool
}

// AnalyzeReturn measures the return of a stunned master old from events
// (in time order) between the thaw and end.
func AnalyzeReturn(events []Event, vhid uint8, old netip.Addr, thaw, end time.Time) StunReturn {
	var r StunReturn
	last := map[netip.Addr]time.Time{}
	var slowest time.Duration
	prev := thaw
	for _, e := range events {
		if !e.At.After(thaw) || e.At.After(end) {
			continue
		}
		switch e.Kind {
		case KindAdvert:
			if e.VHID != vhid {
				continue
			}
			if e.Src == old && !r.Back {
				r.Back, r.FirstBack = true, e.At
			}
			last[e.Src] = e.At
			slowest = max(slowest, interval(e))
		case KindEchoReply:
			r.Blackout = max(r.Blackout, e.At.Sub(prev))
			prev = e.At
			r.Resumed = true
		}
	}
	if open := end.Sub(prev); open > DefaultOpenGap && (!r.Resumed || open > r.Blackout) {
		r.Blackout, r.Resumed = open, false
	}
	r.Quiet = max(2*slowest+ProbeInterval, DefaultOpenGap)
	var active []netip.Addr
	for src, at := range last {
		if end.Sub(at) <= r.Quiet {
			active = append(active, src)
		}
	}
	r.Advertising = len(active)
	if len(active) == 1 {
		r.Survivor = active[0]
		r.Settled = end.Sub(thaw) > r.Quiet
	}
	if r.Back && r.Survivor.IsValid() {
		for src, at := range last {
			if src != r.Survivor && at.After(r.FirstBack) {
				r.SplitBrain = max(r.SplitBrain, at.Sub(r.FirstBack))
			}
		}
	}
	return r
}

// Unsettled says why a return that came back has not settled: two
// masters, or none (both silent: a router starved or gone again). The
// drill adds how long after the thaw.
func (r StunReturn) Unsettled() string {
	if r.Advertising == 0 {
		return "no master advertises"
	}
	return fmt.Sprintf("%d masters still advertise (split brain)", r.Advertising)
}

// measureStun lets the backup take over while the master is stunned, lets
// the master go after Options.Stun (the thaw) and waits until one master
// is left and the VIP answers again. healed is true once the thaw is done.
func (d *drill) measureStun(ctx context.Context, w Window, oldSrc netip.Addr, old string) (m Measurement, healed, measured bool) {
	// 1. The stun: the backup takes over after master-down, if the stun
	// lasts that long.
	left := d.opts.Stun - d.now().Sub(w.Trigger)
	sleep(ctx, left)
	if ctx.Err() != nil {
		return m, false, false
	}
	w.End = d.now()
	m = Analyze(d.obs.Events(), w)
	// 2. The thaw.
	_, undo := d.opts.Env.Describe(d.opts.Trigger.Action(), d.n, old)
	d.obs.Mark(MarkThaw)
	if _, err := d.undo(ctx, old); err != nil {
		d.fill(m)
		d.rep.addPhase(PhaseMeasure, false, "thaw (%s): %v", undo, err)
		return m, false, false
	}
	thaw := markTime(d.obs.Events(), MarkThaw)
	deadline := d.deadline()
	var r StunReturn
	err := d.poll(ctx, deadline, func(events []Event) bool {
		r = AnalyzeReturn(events, d.n.VHID, oldSrc, thaw, d.now())
		return r.Settled && r.Resumed
	})
	if ctx.Err() != nil {
		return m, true, false
	}
	// 3. Settle, and measure all of it.
	if err == nil {
		sleep(ctx, d.settle())
		if ctx.Err() != nil {
			return m, true, false
		}
	}
	w.End = d.now()
	events := d.obs.Events()
	m = Analyze(events, w)
	r = AnalyzeReturn(events, d.n.VHID, oldSrc, thaw, w.End)
	d.fill(m)
	d.fillReturn(r)
	during := fmt.Sprintf("no takeover during the %s stun (master-down %s)", d.opts.Stun, d.n.MasterDown())
	if m.NewMaster.IsValid() && m.FirstNewAdvert.Before(thaw) {
		during = fmt.Sprintf("stunned %s for %s: new master %s after %.3f s", old, d.opts.Stun, d.rep.NewMaster, d.rep.TakeoverS)
	}
	switch {
	case !r.Back:
		d.rep.addPhase(PhaseMeasure, false, "%s; %s did not advertise again within %s of the thaw", during, old, deadline.Round(time.Millisecond))
		return m, true, false
	case !r.Settled:
		d.rep.addPhase(PhaseMeasure, false, "%s; %s back, but %s %s after the thaw", during, old, r.Unsettled(), deadline.Round(time.Millisecond))
		return m, true, false
	case !r.Resumed:
		d.rep.addPhase(PhaseMeasure, false, "%s; one master (%s) after a split brain of %.3f s, but VIP %s did not answer again within %s of the thaw: black-holed until the clients' ARP caches expire",
			during, d.name(r.Survivor), seconds(r.SplitBrain), d.n.VIP, deadline.Round(time.Millisecond))
		return m, true, false
	}
	d.rep.addPhase(PhaseMeasure, true, "%s; back: split brain %.3f s, one master (%s), client blackout after the return %.3f s",
		during, seconds(r.SplitBrain), d.name(r.Survivor), seconds(r.Blackout))
	return m, true, true
}

// fillReturn copies a stun's return figures into the report.
func (d *drill) fillReturn(r StunReturn) {
	s, b := seconds(r.SplitBrain), seconds(r.Blackout)
	d.rep.SplitBrainS, d.rep.ReturnBlackoutS = &s, &b
	d.rep.StunS = seconds(d.opts.Stun)
	if r.Survivor.IsValid() {
		d.rep.Survivor = d.name(r.Survivor)
	}
}

// macFlaps finds the MACs that advertised alternately from two senders
// among events (witness.MACTracker's rule).
func macFlaps(events []Event) []witness.Flap {
	var tr witness.MACTracker
	for _, e := range events {
		if e.Kind == KindAdvert {
			tr.Observe(e.At, e.MAC, e.Src, witness.CARP, e.VHID)
		}
	}
	if f := tr.Flaps(); len(f) > 0 {
		return f
	}
	return nil
}
