package lab

import (
	"testing"

	"github.com/carpvm/carpvm/failover"
)

// Every trigger a drill can ask for is carried out by the lab: its action
// (link-down acts as nic-disconnect) has a description, a do, an undo and
// a read-back in labTriggers, and an unknown trigger is refused, never a
// no-op.
func TestLabTriggersCoverEveryAction(t *testing.T) {
	e := &Env{Lab: &Lab{Opts: Options{Prefix: "x-", Peer: PeerCarpvm}, State: &State{}}}
	n, err := e.Lab.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range failover.Triggers() {
		lt, ok := labTriggers[tr.Action()]
		if !ok || lt.describe == nil || lt.do == nil || lt.undo == nil || lt.effect == nil {
			t.Errorf("trigger %s (action %s): %+v, want a describe, a do, an undo and an effect read back", tr, tr.Action(), ok)
			continue
		}
		if do, _ := e.Describe(tr.Action(), n[0], Router1); do == "" || do == string(tr.Action()) {
			t.Errorf("trigger %s: description %q", tr, do)
		}
	}
	if err := e.Trigger(t.Context(), "no-such-trigger", n[0], Router1); err == nil {
		t.Error("an unknown trigger: no error")
	}
}
