package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
)

// A drill restore reads the power-off back right after the power-on: the
// router's switch ports must forward by then. A veth's carrier comes back
// through the kernel's link watch, which runs at most once a second, so a
// port set up just after it was set down stays "disabled" for up to a
// second unless the power-on waits for it.
func TestPowerOnReturnsWithPortsForwarding(t *testing.T) {
	l := upLab(t, testOptions(t, PeerCarpvm))
	env := &Env{Lab: l}
	nets, err := l.Networks("intranought")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3 {
		if err := env.Trigger(ctx, failover.TriggerPowerOff, nets[0], Router1); err != nil {
			t.Fatal(err)
		}
		if err := env.Undo(ctx, failover.TriggerPowerOff, nets[0], Router1); err != nil {
			t.Fatal(err)
		}
		if on, state, err := env.Effect(ctx, failover.TriggerPowerOff, nets[0], Router1); err != nil || on {
			t.Fatalf("power-off %d, read back right after the power-on: in effect %t (%s), %v; want off", i+1, on, state, err)
		}
	}
}

// waitForwarding gives up on a port that does not forward, naming it, and
// returns once it does.
func TestWaitForwardingNamesThePortThatDoesNot(t *testing.T) {
	l := upLab(t, testOptions(t, PeerCarpvm))
	ctx := context.Background()
	port := BridgePort(Router2, Nets[0])
	if _, err := nsRun(ctx, l.ns(Switch), "bridge", "link", "set", "dev", port, "state", portDisabled); err != nil {
		t.Fatal(err)
	}
	if err := l.waitForwarding(ctx, Router2, 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "not forwarding: "+port+" disabled") {
		t.Fatalf("waitForwarding with %s disabled = %v; want an error naming it", port, err)
	}
	if _, err := nsRun(ctx, l.ns(Switch), "bridge", "link", "set", "dev", port, "state", portForwarding); err != nil {
		t.Fatal(err)
	}
	if err := l.waitForwarding(ctx, Router2, portWait); err != nil {
		t.Fatalf("waitForwarding once %s forwards: %v", port, err)
	}
}

// A dead router process is named with the last line of its log, which
// says why it went.
func TestDeadNoteQuotesTheLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "router-002.log")
	if err := os.WriteFile(log, []byte("level=INFO msg=starting\nlevel=ERROR msg=\"node: vhid 1 on eth0 is run by another carpvm node\"\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := deadNote([]Proc{{Pid: 42, Log: log}})
	if want := " (pid 42, " + log + `: level=ERROR msg="node: vhid 1 on eth0 is run by another carpvm node")`; got != want {
		t.Errorf("deadNote = %q\nwant %q", got, want)
	}
	if got := deadNote([]Proc{{Pid: 7, Log: filepath.Join(t.TempDir(), "none.log")}}); !strings.HasSuffix(got, ": its log is empty or missing)") {
		t.Errorf("deadNote without a log = %q; want it to say the log has no line", got)
	}
}
