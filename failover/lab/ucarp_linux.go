package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// writeScripts writes the scripts ucarp runs to put a VIP on its leg and
// take it off again.
func (l *Lab) writeScripts() error {
	up := "#!/bin/sh\n# carpvm lab: ucarp up script (interface, VIP, prefix length)\nexec ip address add \"$2/$3\" dev \"$1\"\n"
	down := "#!/bin/sh\n# carpvm lab: ucarp down script\nexec ip address del \"$2/$3\" dev \"$1\"\n"
	for name, body := range map[string]string{"vip-up.sh": up, "vip-down.sh": down} {
		if err := os.WriteFile(filepath.Join(l.Opts.StateDir, name), []byte(body), 0o700); err != nil {
			return fmt.Errorf("lab: script: %w", err)
		}
	}
	return nil
}

// startUcarp starts router's ucarp processes, one per group, and records
// them.
func (l *Lab) startUcarp(router string) error {
	dir := l.Opts.StateDir
	for _, g := range l.Groups() {
		n := g.Net
		args := []string{"ucarp",
			"--interface=" + n.Leg, "--srcip=" + n.Addrs[router].Addr().String(), fmt.Sprintf("--vhid=%d", g.VHID),
			"--passfile=" + filepath.Join(dir, n.Name+".pass"), "--addr=" + g.VIP.Addr().String(),
			fmt.Sprintf("--advbase=%d", l.AdvBase()), fmt.Sprintf("--advskew=%d", g.AdvSkew(router)),
			"--preempt", "--shutdown",
			"--upscript=" + filepath.Join(dir, "vip-up.sh"), "--downscript=" + filepath.Join(dir, "vip-down.sh"),
			fmt.Sprintf("--xparam=%d", g.VIP.Bits()),
		}
		log := filepath.Join(dir, fmt.Sprintf("%s-%s-%d.log", router, n.Name, g.VHID))
		if err := l.start(Proc{Router: router, Net: n.Name, VHID: g.VHID, Kind: PeerUcarp, Log: log, Args: args}); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) signalUcarp(router, net string, vhid uint8, sig syscall.Signal) error {
	for _, p := range l.State.Procs {
		if p.Router == router && p.Net == net && (p.VHID == vhid || p.VHID == 0) && p.Kind == PeerUcarp && procAlive(p) {
			return syscall.Kill(p.Pid, sig)
		}
	}
	return fmt.Errorf("lab: no running ucarp for %s vhid %d on %s", router, vhid, net)
}
