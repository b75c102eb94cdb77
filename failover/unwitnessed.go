package failover

import (
	"context"
	"fmt"
	"time"
)

// EffectReader is an Env that can read a trigger's effect back from where
// it acted, with no witness on the segment: VSphereEnv reads the NIC's
// connected state, the VM's power state and its stun snapshot from
// vSphere; the lab its switch ports and its routers' processes. A drill
// journals (journal.go) the triggers its Env reads, and a restore re-reads
// through it before and after its undo.
type EffectReader interface {
	Env
	// Reads says whether Effect can read t's action back.
	Reads(t Trigger) bool
	// Object names what t's action on router changes on n, for the
	// journal ("VM router-002's NIC on IntraNought").
	Object(t Trigger, n Network, router string) string
	// Effect says whether t's action on router is in effect on n, with
	// what was read. It needs only n's Name and VHID.
	Effect(ctx context.Context, t Trigger, n Network, router string) (inEffect bool, detail string, err error)
}

// unwitnessedFields are the report's figures only a witness measures.
var unwitnessedFields = []string{"new_master", "takeover_s", "blackout_s", "vip_mac_after", "mac_relearned", "trigger_to_master_s", "garps", "transitions"}

// unwitnessedNotice says why they are missing.
const unwitnessedNotice = "no witness (the simulator carries no CARP traffic; --no-witness watches none), so takeover, blackout, the new master, the VIP's MAC and its relearning were not measured; the trigger and the restore were read back from vSphere"

// CheckUnwitnessed refuses a trigger whose effect vSphere cannot show: a
// demote is the router's own state, a partition a lab trigger.
func CheckUnwitnessed(t Trigger) error {
	switch t.Action() {
	case TriggerNICDisconnect, TriggerPowerOff:
		return nil
	}
	return fmt.Errorf("trigger %s leaves nothing vSphere can show; without a witness use nic-disconnect, link-down or power-off", t)
}

// RunUnwitnessed drills each network where no witness can see the segment
// (the embedded vSphere simulator): gate, trigger on the preferred master,
// read the effect back, undo, read that back. What only a witness could
// measure is listed in each report's Unavailable, never made up; Pass
// means the trigger took effect and was undone. opts.Env must be an
// EffectReader, and the trigger one whose effect it can read.
func RunUnwitnessed(ctx context.Context, opts Options) ([]Report, error) {
	env, ok := opts.Env.(EffectReader)
	if !ok {
		return nil, fmt.Errorf("failover: %s cannot read a trigger's effect back without a witness", opts.Env.Target())
	}
	if err := CheckUnwitnessed(opts.Trigger); err != nil {
		return nil, fmt.Errorf("failover: %w", err)
	}
	return runEach(ctx, opts, func(d *drill, ctx context.Context) (Report, error) {
		started := d.now()
		rep, err := d.runUnwitnessed(ctx, env, started)
		rep.DurationS = seconds(d.now().Sub(started))
		return rep, err
	})
}

func (d *drill) runUnwitnessed(ctx context.Context, env EffectReader, started time.Time) (Report, error) {
	d.start(started)
	d.rep.Unavailable, d.rep.Notice = unwitnessedFields, unwitnessedNotice
	action := d.opts.Trigger.Action()
	if !d.gate(ctx) {
		return d.rep, ctxErr(ctx)
	}
	// No adverts to tell the master by: the preferred one is drilled.
	old := d.n.Routers[0]
	d.rep.OldMaster = old
	on, detail, err := env.Effect(ctx, action, d.n, old)
	if err != nil || on {
		d.rep.addPhase(PhaseBaseline, false, "read back before the trigger: %s%s; nothing was touched", detail, errText(err))
		return d.rep, ctxErr(ctx)
	}
	d.rep.addPhase(PhaseBaseline, true, "no witness: %s, the preferred master, is taken as the master; read back: %s", old, detail)

	trig, undo := env.Describe(action, d.n, old)
	if err := d.checkWrites(ctx, old); err != nil {
		d.rep.addPhase(PhaseTrigger, false, "%v", err)
		return d.rep, err
	}
	if err := d.beginJournal(ctx, old, undo); err != nil {
		d.rep.addPhase(PhaseTrigger, false, "journal: %v; nothing was touched", err)
		return d.rep, err
	}
	d.log.Info("triggering failover", "master", old, "action", trig)
	err = env.Trigger(ctx, action, d.n, old)
	if jerr := d.journalTriggered(); jerr != nil && err == nil {
		err = fmt.Errorf("journal: %w; restoring at once", jerr)
	}
	on, detail = false, ""
	if err == nil {
		on, detail, err = env.Effect(ctx, action, d.n, old)
	}
	d.rep.addPhase(PhaseTrigger, err == nil && on, "%s; read back: %s%s", trig, detail, errText(err))

	// Every way out restores, on a context of its own after Ctrl-C.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
	defer cancel()
	detail, uerr := d.undo(rctx, old)
	d.keepUndoErr(uerr)
	d.rep.Restored = uerr == nil
	d.rep.addPhase(PhaseRestore, d.rep.Restored, "%s; read back: %s%s", undo, detail, errText(uerr))
	if ctx.Err() != nil && d.undoErr == nil {
		return d.rep, ctx.Err()
	}

	d.rep.Pass = true
	for _, p := range d.rep.Phases {
		if !p.OK && !(p.Name == PhaseGate && d.opts.Force) {
			d.rep.Pass = false
		}
	}
	verdict := "trigger and restore read back from vSphere; takeover and blackout not measured (no witness)"
	if !d.rep.Pass {
		verdict = "failed"
	}
	d.rep.addPhase(PhaseReport, d.rep.Pass, "%s", verdict)
	// A restore that did not finish ends the drill neither done nor
	// undone: its error says so and names the journal kept.
	return d.rep, d.undoErr
}

// errText is ": err" when err is set.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}
