package fix

import (
	"fmt"

	"github.com/carpvm/carpvm/preflight"
)

// manualNote says why the plan leaves fd to the operator and what the
// operator can do.
func (p *planner) manualNote(fd preflight.Finding) string {
	switch fd.Check {
	case preflight.CheckStandaloneHost:
		return "No fix exists for a standalone host. The options: add it to a vSphere HA cluster (then run --fix again for the DRS rule), run one router on a second ESXi host, or accept that a failure of this host stops both routers"
	case preflight.CheckSameHost:
		vms, ok := p.pairVMs()
		if !ok {
			return fd.Fix
		}
		if _, ok := p.relocationHost(vms[1].Host); !ok {
			return "No other host in the routers' cluster to move " + vms[1].Name + " to: " + fd.Fix
		}
		if !p.opts.Relocate {
			return "Run --fix again with --relocate to migrate " + vms[1].Name + " to another host of its cluster (vMotion). " + fd.Fix
		}
	case preflight.CheckVMACShared:
		if !p.opts.SetVMAC {
			return "Run --fix again with --set-vmac to set it (disruptive: the NIC is reconfigured). " + fd.Fix
		}
	case preflight.CheckAntiAffinity:
		if p.ruleNameTaken {
			return fmt.Sprintf("A rule named %s exists and does not hold both routers: rename it or fix it by hand. %s", RuleName(p.cfg.Pair.Name), fd.Fix)
		}
	case preflight.CheckReversePathPromisc:
		if fd.Status == preflight.Warn {
			return "Promiscuous mode stays off here, so the option is not needed yet. " + fd.Fix
		}
	}
	return fd.Fix
}
