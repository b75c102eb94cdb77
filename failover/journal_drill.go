package failover

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// The drill's side of the journal: written before the trigger, its phase
// recorded after the trigger, removed once the undo was read back.

// reader is the drill's Env as an EffectReader that reads the trigger's
// effect back; nil when it cannot.
func (d *drill) reader() EffectReader {
	if r, ok := d.opts.Env.(EffectReader); ok && r.Reads(d.opts.Trigger.Action()) {
		return r
	}
	return nil
}

// beginJournal reads the object the trigger will change and records it,
// with the undo, before the trigger (Options.JournalDir; none without it,
// or when the Env cannot read the trigger's effect back). An effect
// already in place refuses the drill: it is not the drill's to undo.
func (d *drill) beginJournal(ctx context.Context, router, undo string) error {
	r := d.reader()
	if d.opts.JournalDir == "" || r == nil {
		return nil
	}
	action := d.opts.Trigger.Action()
	on, before, err := r.Effect(ctx, action, d.n, router)
	if err != nil {
		return fmt.Errorf("read %s back before the trigger: %w", r.Object(action, d.n, router), err)
	}
	if on {
		return fmt.Errorf("%s before the trigger: %s, as the trigger would leave it; not the drill's to undo", r.Object(action, d.n, router), before)
	}
	now := d.now()
	j := &Journal{
		Target: d.opts.Env.Target(), Pair: d.opts.Env.Pair(), Trigger: string(d.opts.Trigger), Action: string(action),
		Network: d.n.Name, VHID: int(d.n.VHID), Router: router, Phase: JournalJournaled, PID: os.Getpid(), Started: now,
		Objects:        []JournalObject{{Object: r.Object(action, d.n, router), Original: before, Undo: undo}},
		RestoreCommand: d.opts.JournalRestore,
	}
	if err := j.write(d.opts.JournalDir, now); err != nil {
		return err
	}
	d.j = j
	d.onJournal(JournalJournaled)
	return nil
}

// journalTriggered records that the trigger was sent.
func (d *drill) journalTriggered() error {
	if d.j == nil {
		return nil
	}
	d.j.Phase = JournalTriggered
	if err := d.j.write(d.opts.JournalDir, d.now()); err != nil {
		return err
	}
	d.onJournal(JournalTriggered)
	return nil
}

func (d *drill) onJournal(phase string) {
	if d.opts.OnJournal != nil {
		d.opts.OnJournal(phase)
	}
}

// undo reverses the trigger on router and reads the effect back when the
// Env can. With a journal, the restoring phase is recorded first and the
// journal removed once the read-back shows the effect gone; when it does
// not, the error is a *PendingError or a *StillInEffectError and the
// journal stays. It returns what was read back ("" when nothing could be).
func (d *drill) undo(ctx context.Context, router string) (string, error) {
	action := d.opts.Trigger.Action()
	if d.j != nil {
		after, err := undoJournaled(ctx, d.reader(), d.j, d.opts.JournalDir, d.n, d.opts.OnJournal)
		if err == nil {
			d.j = nil
		}
		return after, err
	}
	if err := d.opts.Env.Undo(ctx, action, d.n, router); err != nil {
		return "", err
	}
	r := d.reader()
	if r == nil {
		return "", nil
	}
	on, after, err := r.Effect(ctx, action, d.n, router)
	if err != nil {
		return "", fmt.Errorf("read the undo back: %w", err)
	}
	if on {
		return after, fmt.Errorf("undone, but read back still in effect: %s", after)
	}
	return after, nil
}

// keepUndoErr keeps an undo's error as the drill's when the journal stays
// behind for it: the drill then ends neither done nor undone, and says so.
func (d *drill) keepUndoErr(err error) {
	var pending *PendingError
	var still *StillInEffectError
	if errors.As(err, &pending) || errors.As(err, &still) {
		d.undoErr = err
	}
}
