package lab

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/carpvm/carpvm/carp"
)

func (l *Lab) build(ctx context.Context) error {
	dir := l.Opts.StateDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("lab: state directory: %w", err)
	}
	for _, short := range []string{Switch, Router1, Router2, Client} {
		name := l.ns(short)
		if err := addMarked(ctx, name, l.Opts.Prefix); err != nil {
			return err
		}
		l.State.Namespaces = append(l.State.Namespaces, name)
		if err := l.State.save(dir); err != nil {
			return err
		}
		if _, err := nsRun(ctx, name, "ip", "link", "set", "lo", "up"); err != nil {
			return err
		}
	}
	sw := l.ns(Switch)
	for _, n := range Nets {
		if _, err := nsRun(ctx, sw, "ip", "link", "add", n.Bridge, "type", "bridge",
			"stp_state", "0", "mcast_snooping", "0", "forward_delay", "0"); err != nil {
			return err
		}
		if _, err := nsRun(ctx, sw, "ip", "link", "set", n.Bridge, "up"); err != nil {
			return err
		}
		for _, m := range Members {
			port := BridgePort(m, n)
			if _, err := run(ctx, "ip", "link", "add", n.Leg, "netns", l.ns(m), "type", "veth", "peer", "name", port, "netns", sw); err != nil {
				return err
			}
			if _, err := nsRun(ctx, sw, "ip", "link", "set", port, "master", n.Bridge, "up"); err != nil {
				return err
			}
			if _, err := nsRun(ctx, l.ns(m), "ip", "addr", "add", n.Addrs[m].String(), "dev", n.Leg); err != nil {
				return err
			}
			if _, err := nsRun(ctx, l.ns(m), "ip", "link", "set", n.Leg, "up"); err != nil {
				return err
			}
		}
	}
	if err := l.setSharedMACs(ctx); err != nil {
		return err
	}
	if err := l.buildSwitch(ctx); err != nil {
		return err
	}
	if l.Opts.Mode == ModeUnicast {
		if err := l.dropMulticast(ctx); err != nil {
			return err
		}
	}
	for _, n := range Nets {
		if err := writePass(filepath.Join(dir, n.Name+".pass")); err != nil {
			return err
		}
	}
	if err := l.writeScripts(); err != nil {
		return err
	}
	for _, r := range []string{Router1, Router2} {
		if err := l.startRouter(r); err != nil {
			return err
		}
	}
	if err := l.State.save(dir); err != nil {
		return err
	}
	return l.waitPreferred(ctx)
}

// writePass writes a fresh random passphrase (16 characters: ucarp and
// the kernels keep at most 19) to path, 0600.
func writePass(path string) error {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("lab: passphrase: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.RawURLEncoding.EncodeToString(b[:])+"\n"), 0o600); err != nil {
		return fmt.Errorf("lab: pass file: %w", err)
	}
	return nil
}

// waitPreferred waits until every group's preferred router is its master.
func (l *Lab) waitPreferred(ctx context.Context) error {
	if split := l.splitPredicted(); split != "" {
		// The model drops the adverts: both routers become master after
		// the master-down time, and the lab is built as the vSwitch is.
		d := carp.MasterDown(uint8(l.AdvBase()), int(AdvSkew[Router2])) + time.Second
		l.log.Warn("the switch model drops the CARP adverts: both routers become master", "network", split)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	wait := carp.MasterDown(uint8(l.AdvBase()), int(AdvSkew[Router2])) + 10*time.Second
	deadline := time.Now().Add(wait)
	var last error
	for time.Now().Before(deadline) {
		st := l.Status(ctx)
		last = st.Err()
		if last == nil {
			ok := true
			for _, n := range st.Networks {
				if n.Master != n.Preferred {
					ok = false
					last = fmt.Errorf("lab: %s vhid %d: master is %q, want %s", n.Name, n.VHID, n.Master, n.Preferred)
				}
			}
			if ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("lab: the preferred routers did not become master within %s: %v (logs in %s)", wait, last, l.Opts.StateDir)
}
