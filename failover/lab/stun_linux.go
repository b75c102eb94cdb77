package lab

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

// Bridge port states (bridge link set ... state N; STP is off in the lab).
const (
	portDisabled   = "0"
	portForwarding = "3"
)

// stun freezes router as ESXi stuns a VM for a memory snapshot or a
// vMotion: its CARP process(es) stop (SIGSTOP) and its switch ports go
// silent (bridge port state disabled: no frame in or out, while the
// router's own links stay up, so nothing inside it notices).
func (l *Lab) stun(ctx context.Context, router string) error {
	for _, n := range Nets {
		if _, err := nsRun(ctx, l.ns(Switch), "bridge", "link", "set", "dev", BridgePort(router, n), "state", portDisabled); err != nil {
			return err
		}
	}
	return l.signalRouter(router, syscall.SIGSTOP)
}

// thaw lets a stunned router go: its ports forward again, then its
// processes continue, finding their timers overdue. It undoes a stun that
// failed half-way too.
func (l *Lab) thaw(ctx context.Context, router string) error {
	var errs []error
	for _, n := range Nets {
		if _, err := nsRun(ctx, l.ns(Switch), "bridge", "link", "set", "dev", BridgePort(router, n), "state", portForwarding); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, l.signalRouter(router, syscall.SIGCONT))
	return errors.Join(errs...)
}

// signalRouter sends sig to every running process of router.
func (l *Lab) signalRouter(router string, sig syscall.Signal) error {
	sent := 0
	for _, p := range l.State.Procs {
		if p.Router != router || !procAlive(p) {
			continue
		}
		if err := syscall.Kill(p.Pid, sig); err != nil {
			return fmt.Errorf("lab: %s to %s (pid %d): %w", sig, router, p.Pid, err)
		}
		sent++
	}
	if sent == 0 {
		return fmt.Errorf("lab: no running process of %s to send %s", router, sig)
	}
	return nil
}
