package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/carpvm/carpvm/internal/keepalived"
)

// router-003 as Debian's keepalived: one process (with its VRRP child) for
// every group, VRRPv3, the VIPs on its legs (no virtual MAC, keepalived's
// default). Its notify script writes each instance's state to a file,
// which Status reads as it asks the carpvm nodes over their sockets.

// Files of the keepalived peer in the state directory, all starting with
// keepalivedPrefix so that Down finds them.
const (
	keepalivedPrefix = "ka-"
	keepalivedNotify = keepalivedPrefix + "notify.sh"
	keepalivedConf   = keepalivedPrefix + "keepalived.conf"
	keepalivedPid    = keepalivedPrefix + "keepalived.pid"
	keepalivedVRRP   = keepalivedPrefix + "vrrp.pid"
)

// keepalivedInstance names g's vrrp_instance: intranought_1.
func keepalivedInstance(g Group) string { return fmt.Sprintf("%s_%d", g.Net.Name, g.VHID) }

// keepalivedState is the file g's state (MASTER, BACKUP, FAULT, STOP) is
// written to by the notify script.
func (l *Lab) keepalivedState(g Group) string {
	return filepath.Join(l.Opts.StateDir, keepalivedPrefix+keepalivedInstance(g)+".state")
}

// keepalivedConf is router-003's keepalived.conf: an instance per group,
// VRRPv3 at router-003's priority (config's rule), preempting (keepalived's
// default), advert_int the lab's advbase; in unicast mode from its own
// address to router-002's.
func (l *Lab) keepalivedConf() string {
	conf := keepalived.Conf{Header: []string{"carpvm lab: " + Router2}, RouterID: Router2, ScriptUser: "root"}
	for _, g := range l.Groups() {
		n := g.Net
		in := keepalived.Instance{
			Name: keepalivedInstance(g), Interface: n.Leg, VRID: int(g.VHID), Priority: g.VRRPPriority(Router2),
			AdvertInt: strconv.Itoa(l.AdvBase()), VIPs: []string{g.VIP.String()},
			Notify: filepath.Join(l.Opts.StateDir, keepalivedNotify),
		}
		if l.Opts.Mode == ModeUnicast {
			in.UnicastSrc, in.UnicastPeers = n.Addrs[Router2].Addr().String(), []string{n.Addrs[Router1].Addr().String()}
		}
		conf.Instances = append(conf.Instances, in)
	}
	return conf.String()
}

// startKeepalived writes router's keepalived.conf and notify script, starts
// keepalived and records it and its VRRP child (the process that
// advertises: a power-off must kill it, as killing the parent alone makes
// the child stop gracefully, with a priority-0 advert).
func (l *Lab) startKeepalived(router string) error {
	dir := l.Opts.StateDir
	notify := "#!/bin/sh\n# carpvm lab: keepalived notify (\"INSTANCE\", name, state)\n" +
		"echo \"$3\" > " + filepath.Join(dir, keepalivedPrefix) + "\"$2\".state.tmp && mv " + filepath.Join(dir, keepalivedPrefix) + "\"$2\".state.tmp " + filepath.Join(dir, keepalivedPrefix) + "\"$2\".state\n"
	if err := os.WriteFile(filepath.Join(dir, keepalivedNotify), []byte(notify), 0o700); err != nil {
		return fmt.Errorf("lab: keepalived notify script: %w", err)
	}
	conf := filepath.Join(dir, keepalivedConf)
	if err := os.WriteFile(conf, []byte(l.keepalivedConf()), 0o600); err != nil {
		return fmt.Errorf("lab: keepalived.conf: %w", err)
	}
	for _, g := range l.Groups() {
		_ = os.Remove(l.keepalivedState(g))
	}
	vrrpPid := filepath.Join(dir, keepalivedVRRP)
	for _, f := range []string{filepath.Join(dir, keepalivedPid), vrrpPid} {
		_ = os.Remove(f) // a power-off's SIGKILL leaves them
	}
	args := []string{"keepalived", "--dont-fork", "--log-console", "--log-detail", "--vrrp",
		"--use-file=" + conf, "--pid=" + filepath.Join(dir, keepalivedPid), "--vrrp_pid=" + vrrpPid}
	log := filepath.Join(dir, router+"-keepalived.log")
	if err := l.start(Proc{Router: router, Kind: PeerKeepalived, Log: log, Args: args}); err != nil {
		return err
	}
	child, err := waitPidFile(vrrpPid, 5*time.Second)
	if err != nil {
		return fmt.Errorf("lab: keepalived's VRRP child did not start (see %s): %w", log, err)
	}
	l.State.Procs = append(l.State.Procs, Proc{Router: router, Kind: PeerKeepalived, Pid: child, Args: args, Log: log})
	return l.State.save(dir)
}

// waitPidFile waits for path to name a pid.
func waitPidFile(path string, d time.Duration) (int, error) {
	deadline := time.Now().Add(d)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
				return pid, nil
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("no pid in " + path)
			}
			return 0, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keepalivedStates reads the notify script's state of every group
// ("unknown" before its first notification).
func (l *Lab) keepalivedStates() map[uint8]string {
	out := map[uint8]string{}
	for _, g := range l.Groups() {
		s := "unknown"
		if b, err := os.ReadFile(l.keepalivedState(g)); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			s = strings.TrimSpace(string(b))
		}
		out[g.VHID] = s
	}
	return out
}
