package failover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/table"
)

// Options configure a drill.
type Options struct {
	Env      Env
	Trigger  Trigger
	Networks []Network
	// Map is every network of the pair with all its groups: given, each
	// drill also checks the pair's ownership map, that every group the
	// failed router held moves to the peer (every one for power-off and
	// link-down) and that every group returns to its preferred router.
	Map []Network
	// MaxTakeover and MaxBlackout are the objectives; 0 means the
	// network's master-down + 1 s.
	MaxTakeover, MaxBlackout time.Duration
	// Force runs the drill although the gate failed.
	Force bool
	// Unwitnessed says the drill runs without a witness (RunUnwitnessed:
	// the simulator, --no-witness), for its plan: nothing measured, nothing
	// appended to the history.
	Unwitnessed bool
	// NoHistory says the run is not appended to the history
	// (--no-history), for its plan; recording is the caller's.
	NoHistory bool
	// Deadline bounds the wait for a new master (and for the replies to
	// resume); 0 means 2 * max(objective, master-down) + 2 s. Past it the
	// drill restores at once and fails.
	Deadline time.Duration
	// Settle is how long measuring goes on once the new master answers,
	// to see its follow-up gratuitous ARPs; 0 means max(0.5 s, 2 advert
	// intervals).
	Settle time.Duration
	Log    *slog.Logger
	// Stun is how long TriggerStun freezes the master (> 0; the CLI's
	// default is DefaultStun).
	Stun time.Duration
	// JournalDir is where the drill writes its journal before the trigger
	// (the history directory; see journal.go); "" writes none (the
	// embedded simulator ends with the drill's process). JournalRestore
	// is the command a journal left behind names.
	JournalDir, JournalRestore string
	// OnJournal, when set, is called once each journal phase is recorded
	// (JournalPhases): the CLI's test seam that kills a drill there.
	OnJournal func(phase string)
}

// pollEvery is how often a drill looks at the observer's events.
const pollEvery = 10 * time.Millisecond

// restoreTimeout bounds Undo and the wait for the final state when the
// drill's own context is gone (Ctrl-C): restoring must still happen.
const restoreTimeout = 2 * time.Minute

// Run drills each network in turn and returns one report per network. Its
// error is set when a drill could not run to its end (interrupted, or an
// Env failure); the reports say what happened and whether the pair was
// restored. A report's Pass is the verdict.
func Run(ctx context.Context, opts Options) ([]Report, error) {
	return runEach(ctx, opts, (*drill).run)
}

// runEach checks opts, fills its defaults, and drills each network in turn
// with run.
func runEach(ctx context.Context, opts Options, run func(*drill, context.Context) (Report, error)) ([]Report, error) {
	if opts.Env == nil {
		return nil, errors.New("failover: no environment to drill")
	}
	if _, err := ParseTrigger(string(opts.Trigger)); err != nil {
		return nil, fmt.Errorf("failover: %w", err)
	}
	if opts.Trigger == TriggerStun {
		if err := CheckStun(opts.Stun); err != nil {
			return nil, fmt.Errorf("failover: %w", err)
		}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	var reps []Report
	for _, n := range opts.Networks {
		d := &drill{opts: opts, n: n, log: opts.Log.With("network", n.Name, "vhid", n.VHID, "trigger", string(opts.Trigger))}
		rep, err := run(d, ctx)
		reps = append(reps, rep)
		if err != nil {
			return reps, err
		}
	}
	return reps, nil
}

type drill struct {
	opts Options
	n    Network
	log  *slog.Logger
	rep  Report
	obs  Observer
	om   *ownershipMap // nil without Options.Map
	// j is the drill's journal while the trigger may be in effect.
	j *Journal
	// undoErr is why the restore did not finish with the journal removed
	// (a *PendingError, a *StillInEffectError): the drill's error.
	undoErr error
}

func (d *drill) maxTakeover() time.Duration {
	if d.opts.MaxTakeover > 0 {
		return d.opts.MaxTakeover
	}
	return d.n.MasterDown() + time.Second
}

func (d *drill) maxBlackout() time.Duration {
	if d.opts.MaxBlackout > 0 {
		return d.opts.MaxBlackout
	}
	return d.n.MasterDown() + time.Second
}

func (d *drill) deadline() time.Duration {
	if d.opts.Deadline > 0 {
		return d.opts.Deadline
	}
	return 2*max(d.maxTakeover(), d.maxBlackout(), d.n.MasterDown()) + 2*time.Second
}

func (d *drill) settle() time.Duration {
	if d.opts.Settle > 0 {
		return d.opts.Settle
	}
	return max(500*time.Millisecond, 2*d.n.interval())
}

// run drills and stamps the report with the drill's whole duration.
func (d *drill) run(ctx context.Context) (Report, error) {
	started := d.now()
	rep, err := d.runPhases(ctx, started)
	if d.undoErr != nil {
		// Neither done nor undone: that, with the journal kept, is what
		// the drill ends with, even when it was interrupted.
		err = d.undoErr
	}
	rep.explain(d.opts.Env, d.n)
	if d.obs != nil {
		d.explainTransitions(ctx, &rep, drillTransitions(d.obs.Events(), d.n.Name, d.opts.Trigger, rep.OldMaster, d.name))
	}
	rep.DurationS = seconds(d.now().Sub(started))
	return rep, err
}

// start begins the report of a drill started at started.
func (d *drill) start(started time.Time) {
	d.rep = Report{
		Network: d.n.Name, VHID: int(d.n.VHID), Trigger: string(d.opts.Trigger),
		Target: d.opts.Env.Target(), Pair: d.opts.Env.Pair(), Started: started,
		MasterDownS: seconds(d.n.MasterDown()), MaxTakeoverS: seconds(d.maxTakeover()), MaxBlackoutS: seconds(d.maxBlackout()),
	}
}

// gate runs the Env's gate; false means the drill stops there (failed,
// without --force).
func (d *drill) gate(ctx context.Context) bool {
	detail, err := d.opts.Env.Gate(ctx, d.n)
	switch {
	case err == nil:
		d.rep.addPhase(PhaseGate, true, "%s", detail)
	case d.opts.Force:
		d.rep.addPhase(PhaseGate, false, "%v (ignored: --force)", err)
	default:
		d.rep.addPhase(PhaseGate, false, "%v; nothing was touched (--force drills anyway)", err)
		return false
	}
	return true
}

func (d *drill) runPhases(ctx context.Context, started time.Time) (Report, error) {
	env := d.opts.Env
	d.start(started)
	// 1. Gate.
	if !d.gate(ctx) {
		return d.rep, ctxErr(ctx)
	}

	// 2. Baseline.
	obs, err := env.Observe(ctx, d.n)
	if err != nil {
		d.rep.addPhase(PhaseBaseline, false, "witness: %v", err)
		return d.rep, err
	}
	d.obs = obs
	defer obs.Close()
	oldSrc, ok := d.baseline(ctx)
	if !ok {
		return d.rep, ctxErr(ctx)
	}
	old := d.name(oldSrc)
	if ok := d.mapBaseline(ctx, old); !ok {
		return d.rep, ctxErr(ctx)
	}
	if d.om != nil {
		defer d.om.close()
	}

	// 3. Trigger, journaled first. From here on, every way out restores.
	trig, undo := env.Describe(d.opts.Trigger.Action(), d.n, old)
	if err := d.checkWrites(ctx, old); err != nil {
		d.rep.addPhase(PhaseTrigger, false, "%v", err)
		return d.rep, err
	}
	if err := d.beginJournal(ctx, old, undo); err != nil {
		d.rep.addPhase(PhaseTrigger, false, "journal: %v; nothing was touched", err)
		return d.rep, err
	}
	d.log.Info("triggering failover", "master", old, "action", trig)
	obs.Mark(MarkTrigger)
	err = env.Trigger(ctx, d.opts.Trigger.Action(), d.n, old)
	if jerr := d.journalTriggered(); jerr != nil && err == nil {
		err = fmt.Errorf("journal: %w; restoring at once", jerr)
	}
	if err != nil {
		d.rep.addPhase(PhaseTrigger, false, "%s: %v", trig, err)
		d.restore(ctx, old, undo, false)
		return d.rep, err
	}
	d.rep.addPhase(PhaseTrigger, true, "%s", trig)

	// 4. Measure.
	m, healed, measured := d.measure(ctx, oldSrc, old)
	if ctx.Err() != nil {
		d.rep.addPhase(PhaseMeasure, false, "interrupted: %v; restoring", ctx.Err())
		d.restore(ctx, old, undo, healed)
		return d.rep, ctx.Err()
	}
	if !measured {
		d.restore(ctx, old, undo, healed)
		d.finish(false)
		return d.rep, nil
	}
	if d.om != nil {
		ok, detail := d.om.handover(ctx, markTime(obs.Events(), MarkTrigger), d.deadline())
		d.rep.addPhase(PhaseHandover, ok, "%s", detail)
	}
	relearned := true
	if !d.opts.Trigger.returns() {
		relearned = d.relearned(ctx, m, d.rep.NewMaster)
	}

	// 5. Restore.
	final := d.restore(ctx, old, undo, healed)
	if d.opts.Trigger.returns() && final != "" {
		// The split is over: the switch must now send the VIP's MAC to the
		// router that kept it. The replies since the restore go with the
		// MAC: vSphere tells a relearned MAC by the VIP answering again.
		events := obs.Events()
		relearned = d.relearned(ctx, Analyze(events, Window{VHID: d.n.VHID, Trigger: markTime(events, MarkRestore)}), final)
	}
	if ctx.Err() != nil {
		return d.rep, ctx.Err()
	}
	d.finish(relearned)
	return d.rep, nil
}

// ctxErr is the context's error, if it ended.
func ctxErr(ctx context.Context) error { return ctx.Err() }

func (d *drill) name(src netip.Addr) string {
	if n := d.opts.Env.RouterName(d.n, src); n != "" {
		return n
	}
	return src.String()
}

// baseline waits for the master's adverts and the VIP's replies, and
// checks the VIP answers from the MAC it should.
func (d *drill) baseline(ctx context.Context) (netip.Addr, bool) {
	wait := d.n.MasterDown() + 2*d.n.interval() + 2*time.Second
	var master netip.Addr
	var arpMAC net.HardwareAddr
	var echo bool
	err := d.poll(ctx, wait, func(events []Event) bool {
		master, _ = Master(events, d.n.VHID, time.Time{})
		arpMAC, echo = nil, false
		for _, e := range events {
			switch e.Kind {
			case KindARPReply:
				arpMAC = e.MAC
			case KindEchoReply:
				echo = true
			}
		}
		return master.IsValid() && arpMAC != nil && echo
	})
	switch {
	case ctx.Err() != nil:
		d.rep.addPhase(PhaseBaseline, false, "interrupted: %v", ctx.Err())
		return master, false
	case err != nil && !master.IsValid():
		d.rep.addPhase(PhaseBaseline, false, "no CARP advert for vhid %d within %s: no master to fail over from; nothing was touched", d.n.VHID, wait.Round(time.Millisecond))
		return master, false
	case err != nil:
		d.rep.addPhase(PhaseBaseline, false, "master %s advertises but VIP %s does not answer ARP and ping within %s; nothing was touched", d.name(master), d.n.VIP, wait.Round(time.Millisecond))
		return master, false
	}
	name := d.name(master)
	d.rep.OldMaster = name
	if want := d.opts.Env.VIPMAC(ctx, d.n, name); want != nil && arpMAC.String() != want.String() {
		d.rep.addPhase(PhaseBaseline, false, "master %s, but VIP %s answers from %s, want %s; nothing was touched", name, d.n.VIP, arpMAC, want)
		return master, false
	}
	d.rep.addPhase(PhaseBaseline, true, "master %s (%s), VIP %s answers from %s", name, master, d.n.VIP, arpMAC)
	return master, true
}

// measure waits for the new master and the client's replies; for a
// partition it also waits for the split, heals it and waits for it to end.
// measured is false when the deadline passed (the phase says why).
func (d *drill) measure(ctx context.Context, oldSrc netip.Addr, old string) (m Measurement, healed, measured bool) {
	trigger := markTime(d.obs.Events(), MarkTrigger)
	w := Window{VHID: d.n.VHID, Trigger: trigger, OldMaster: oldSrc}
	if d.opts.Trigger == TriggerStun {
		return d.measureStun(ctx, w, oldSrc, old)
	}
	deadline := d.deadline()
	err := d.poll(ctx, deadline, func(events []Event) bool {
		m = Analyze(events, w)
		return m.NewMaster.IsValid() && (d.opts.Trigger == TriggerPartition || m.RepliesResumed)
	})
	if ctx.Err() != nil {
		return m, false, false
	}
	if err != nil {
		if !m.NewMaster.IsValid() {
			d.rep.addPhase(PhaseMeasure, false, "no new master within the %s deadline; restoring at once", deadline.Round(time.Millisecond))
		} else {
			d.fill(m)
			d.rep.addPhase(PhaseMeasure, false, "new master %s, but VIP %s did not answer again within the %s deadline; restoring at once", d.rep.NewMaster, d.n.VIP, deadline.Round(time.Millisecond))
		}
		return m, false, false
	}
	if d.opts.Trigger == TriggerPartition {
		// Let the split last a couple of adverts, heal, and wait for one
		// master to step down.
		sleep(ctx, 2*d.n.interval())
		if ctx.Err() != nil {
			return m, false, false
		}
		_, undo := d.opts.Env.Describe(d.opts.Trigger.Action(), d.n, old)
		d.obs.Mark(MarkHeal)
		if _, err := d.undo(ctx, old); err != nil {
			d.rep.addPhase(PhaseMeasure, false, "heal (%s): %v", undo, err)
			return m, false, false
		}
		w.Heal = markTime(d.obs.Events(), MarkHeal)
		err := d.poll(ctx, deadline, func(events []Event) bool {
			w.End = d.now()
			m = Analyze(events, w)
			return m.SplitEnded
		})
		w.End = time.Time{}
		if ctx.Err() != nil {
			return m, true, false
		}
		if err != nil {
			d.fill(m)
			d.rep.addPhase(PhaseMeasure, false, "split brain did not end within %s of the heal", deadline.Round(time.Millisecond))
			return m, true, false
		}
		healed = true
	}
	// See the follow-up gratuitous ARPs and the replies settle.
	sleep(ctx, d.settle())
	if ctx.Err() != nil {
		return m, healed, false
	}
	w.End = d.now()
	m = Analyze(d.obs.Events(), w)
	d.fill(m)
	detail := fmt.Sprintf("new master %s after %.3f s (trigger to master %.3f s); blackout %.3f s%s; %d gratuitous ARP(s)",
		d.rep.NewMaster, d.rep.TakeoverS, d.rep.TriggerToMasterS, d.rep.BlackoutS, d.rep.unsentNote(), d.rep.GARPs)
	if m.SplitBrain > 0 || healed {
		detail += fmt.Sprintf("; split brain %.3f s", seconds(m.SplitBrain))
	}
	d.rep.addPhase(PhaseMeasure, m.RepliesResumed, "%s", detail)
	return m, healed, true
}

// fill copies a measurement's figures into the report.
func (d *drill) fill(m Measurement) {
	if m.NewMaster.IsValid() {
		d.rep.NewMaster = d.name(m.NewMaster)
	}
	d.rep.TakeoverS = seconds(m.Detection)
	if d.opts.Trigger == TriggerPartition {
		// Both stay master: detection is meaningless, the time until the
		// backup declared itself master is the figure.
		d.rep.TakeoverS = seconds(m.TriggerToNewMaster)
		s := seconds(m.SplitBrain)
		d.rep.SplitBrainS = &s
	}
	d.rep.TriggerToMasterS = seconds(m.TriggerToNewMaster)
	d.rep.BlackoutS = seconds(m.Blackout)
	d.rep.ProbesUnsent = m.ProbesUnsent
	if m.VIPMAC != nil {
		d.rep.VIPMACAfter = m.VIPMAC.String()
	}
	d.rep.GARPs = len(m.GARPs)
}

func (d *drill) relearned(ctx context.Context, m Measurement, router string) bool {
	if m.VIPMAC == nil {
		d.rep.addPhase("relearn", false, "no reply from VIP %s after the failover: cannot tell which MAC answers", d.n.VIP)
		return false
	}
	ok, detail, err := d.opts.Env.Relearned(ctx, d.n, m.VIPMAC, router, m)
	if err != nil {
		d.rep.addPhase("relearn", false, "%v", err)
		return false
	}
	d.rep.MACRelearned = ok
	d.rep.addPhase("relearn", ok, "%s", detail)
	return ok
}

// restore undoes the trigger (unless already healed) and waits for the
// final state: the preferred master back when preempt is on, else any one
// master; and the VIP answering. It runs even when ctx has ended, on a
// context of its own. It returns the final master's name ("" if none).
func (d *drill) restore(ctx context.Context, old, undo string, healed bool) string {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
	defer cancel()
	if !healed {
		d.obs.Mark(MarkRestore)
		if _, err := d.undo(rctx, old); err != nil {
			d.rep.addPhase(PhaseRestore, false, "%s: %v", undo, err)
			d.keepUndoErr(err)
			return ""
		}
	} else {
		d.obs.Mark(MarkRestore)
		undo = "healed during measure"
	}
	want := ""
	if d.n.Preempt && len(d.n.Routers) > 0 {
		want = d.n.Routers[0]
	}
	restoreAt := markTime(d.obs.Events(), MarkRestore)
	quiet := 2*d.n.interval() + 200*time.Millisecond
	wait := 3*d.n.MasterDown() + 5*time.Second
	var final string
	err := d.poll(rctx, wait, func(events []Event) bool {
		final = ""
		var last Event
		others := false
		echo := false
		for _, e := range events {
			if !e.At.After(restoreAt) {
				continue
			}
			switch {
			case e.Kind == KindAdvert && e.VHID == d.n.VHID:
				if last.Src.IsValid() && e.Src != last.Src && d.now().Sub(e.At) < quiet {
					others = true
				}
				last = e
			case e.Kind == KindEchoReply && d.now().Sub(e.At) < 500*time.Millisecond:
				echo = true
			}
		}
		if !last.Src.IsValid() || others || d.now().Sub(restoreAt) < quiet {
			return false
		}
		final = d.name(last.Src)
		return echo && (want == "" || final == want)
	})
	if err != nil {
		what := "one master"
		if want != "" {
			what = want + " master again (preempt)"
		}
		d.rep.addPhase(PhaseRestore, false, "%s; but not %s with VIP %s answering within %s (master now: %s)", undo, what, d.n.VIP, wait.Round(time.Millisecond), table.Dash(final))
		return final
	}
	d.rep.Restored = true
	d.rep.addPhase(PhaseRestore, true, "%s; %s is master, VIP %s answers", undo, final, d.n.VIP)
	if d.om != nil {
		ok, detail := d.om.giveBack(rctx, wait)
		d.rep.Restored = ok
		d.rep.addPhase(PhaseReturn, ok, "%s", detail)
		d.rep.Ownership = d.om.own
	}
	return final
}

// mapBaseline starts watching the ownership map (Options.Map), waits for
// every group's holder, and says who should hold what after the trigger.
func (d *drill) mapBaseline(ctx context.Context, old string) bool {
	om, err := d.openMap(ctx)
	if err == nil && om != nil {
		wait := d.n.MasterDown() + 2*d.n.interval() + 2*time.Second
		if err = om.baseline(ctx, wait); err != nil {
			om.close()
		}
	}
	if err != nil {
		d.rep.addPhase(PhaseBaseline, false, "ownership map: %v; nothing was touched", err)
		return false
	}
	if om == nil {
		return true
	}
	d.om = om
	peer := ""
	for _, r := range d.n.Routers {
		if r != old {
			peer = r
		}
	}
	om.expect(d.opts.Trigger, old, peer)
	last := &d.rep.Phases[len(d.rep.Phases)-1]
	last.Detail += "; groups: " + om.words(func(o GroupOwnership) string { return o.Before })
	return true
}

func (d *drill) finish(relearned bool) {
	d.rep.MACFlaps = macFlaps(d.obs.Events())
	ok := true
	for _, p := range d.rep.Phases {
		if !p.OK && !(p.Name == PhaseGate && d.opts.Force) {
			ok = false
		}
	}
	var why []string
	if d.rep.TakeoverS > d.rep.MaxTakeoverS {
		why = append(why, fmt.Sprintf("takeover %.3f s > %.3f s", d.rep.TakeoverS, d.rep.MaxTakeoverS))
	}
	if d.rep.BlackoutS > d.rep.MaxBlackoutS {
		why = append(why, fmt.Sprintf("blackout %.3f s > %.3f s", d.rep.BlackoutS, d.rep.MaxBlackoutS))
	}
	if d.rep.ReturnBlackoutS != nil && *d.rep.ReturnBlackoutS > d.rep.MaxBlackoutS {
		why = append(why, fmt.Sprintf("blackout after the return %.3f s > %.3f s", *d.rep.ReturnBlackoutS, d.rep.MaxBlackoutS))
	}
	if !relearned {
		why = append(why, "MAC not relearned")
	}
	d.rep.Pass = ok && len(why) == 0 && d.rep.Restored
	detail := "all phases passed and objectives met"
	if !d.rep.Pass {
		detail = "failed"
		if len(why) > 0 {
			detail += ": " + strings.Join(why, ", ")
		}
	}
	d.rep.addPhase(PhaseReport, d.rep.Pass, "%s", detail)
}

// poll calls done with the observer's events every pollEvery until it
// returns true (nil), wait passes (an error) or ctx ends (ctx's error).
func (d *drill) poll(ctx context.Context, wait time.Duration, done func([]Event) bool) error {
	deadline := d.now().Add(wait)
	for {
		if done(d.obs.Events()) {
			return nil
		}
		if !d.now().Before(deadline) {
			return fmt.Errorf("failover: not within %s", wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(pollEvery, deadline.Sub(d.now()))):
		}
	}
}

// sleep waits d, or until ctx ends. The caller checks ctx.Err().
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// now is the drill's clock: the system's (testing/synctest's fake time
// drives it in tests).
func (d *drill) now() time.Time { return time.Now() }
