package node

import (
	"errors"
	"log/slog"
)

// Cleanup removes what dead nodes of groups left behind: the macvlan
// carp<vhid>-<parent> (which goes on answering ARP for the VIPs with the
// virtual MAC next to the new master), the source rules, and the VIPs on
// the parent (--no-vmac). It holds the groups' locks (GroupLockName)
// meanwhile, so it refuses while a live node of this network namespace
// runs them, whatever run directory either was given. Groups whose VIPs are left to the
// scripts are skipped. Run it after a node died (systemd ExecStopPost=).
func Cleanup(groups []Group, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	inst, err := LockInstance(groups, "")
	if err != nil {
		return err
	}
	defer inst.Unlock()
	var errs []error
	for _, g := range groups {
		if !g.ManageVIPs {
			continue
		}
		h := &NetlinkVIPs{Parent: g.Interface, VHID: g.VHID, MAC: g.VirtualMAC(), VIPs: g.VIPs, VMAC: g.VMAC,
			Log: log.With("vhid", g.VHID, "iface", g.Interface)}
		if err := h.RemoveLeftovers(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
