package preflight

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// reversePathOption is the ESXi advanced option that makes a host drop
// frames it sent itself and receives back on another uplink of a team.
const reversePathOption = "Net.ReversePathFwdCheckPromisc"

// hostPortgroup is a standard portgroup on one host.
type hostPortgroup struct {
	host facts.Host
	pg   facts.Portgroup
}

// hostsWith returns the hosts the routers can run on that hold the standard
// portgroup named name, in facts order.
func (r *runner) hostsWith(name string) []hostPortgroup {
	var out []hostPortgroup
	for _, h := range r.f.Hosts {
		if pg, ok := h.Portgroup(name); ok {
			out = append(out, hostPortgroup{host: h, pg: pg})
		}
	}
	return out
}

func portgroupOn(pg, host string) string { return "portgroup " + pg + " on " + host }

// security: the three security settings of the network, checked per host
// for a standard portgroup (each host holds its own copy) and once for a
// distributed portgroup.
func (r *runner) security(n netView) {
	for _, s := range settings {
		base := Finding{Check: s.check(), Network: n.cfg.Name, Object: n.object(), Expected: "Accept"}
		if s == forgedTransmits && n.cfg.Mode == config.ModeUnicast {
			// Unicast adverts leave from the NIC's own MAC; the VIP still
			// answers from the virtual MAC.
			base.Expected = "Accept (for the VIP's virtual MAC; unicast adverts leave from the NIC's MAC)"
		}
		if s == promiscuous && n.cfg.VMAC != nil {
			base.Expected = "Reject or Accept: not needed with vmac " + n.cfg.VMAC.String()
		}
		switch {
		case !n.found:
			base.Status, base.Actual, base.Fix = Fail, n.missing(), n.missingFix()
			r.add(base)
		case n.kind() == facts.KindOpaque:
			r.add(n.notSupported(s.check(), n.object()))
		case n.kind() == facts.KindDistributed:
			pg := n.fact.DVPortgroup
			if pg == nil {
				r.add(n.dvPortgroupMissing(base))
				continue
			}
			if s == promiscuous && n.cfg.VMAC == nil {
				base.Expected = "Accept, or MAC learning on"
			}
			r.add(securityVerdict(base, n.cfg, s, distributedEffective(pg, s), distributedFix(pg, s)))
		default:
			hosts := r.hostsWith(n.cfg.Portgroup)
			if len(hosts) == 0 {
				base.Status, base.Actual = Fail, "portgroup "+n.cfg.Portgroup+" is on none of the routers' hosts"
				base.Fix = n.missingFix()
				r.add(base)
			}
			for _, hp := range hosts {
				fd := base
				fd.Object = portgroupOn(hp.pg.Name, hp.host.Name)
				r.add(securityVerdict(fd, n.cfg, s, standardEffective(hp.host, hp.pg, s), standardFix(hp, s)))
			}
		}
	}
}

// securityVerdict passes a setting that is accepted, or that network n
// does not need (SecurityNeeds).
func securityVerdict(fd Finding, n config.Network, s setting, e effective, fix string) Finding {
	fd.Actual = e.String()
	needed, why := s.need(n, e.macLearning)
	switch {
	case e.known && e.accept:
		fd.Status = Pass
	case e.known && !needed:
		fd.Status = Pass
		fd.Actual += "; " + why
	default:
		fd.Status, fd.Fix = Fail, fix
	}
	return fd
}

func standardFix(hp hostPortgroup, s setting) string {
	fix := fmt.Sprintf("On host %s, edit portgroup %s > Security: override %s and set it to Accept (or set it on %s for all its portgroups)",
		hp.host.Name, hp.pg.Name, s.label(), hp.pg.VSwitch)
	if s == promiscuous {
		fix += "; see host.reverse_path_promisc first if the vSwitch has teamed uplinks"
	}
	return fix
}

func distributedFix(pg *facts.DVPortgroup, s setting) string {
	where := fmt.Sprintf("dvportgroup %s on %s", pg.Name, pg.Switch)
	if pg.MACManagement != nil {
		if s == promiscuous {
			return "Edit " + where + " > Security (MAC management policy): turn MAC learning on, or set Promiscuous mode to Accept"
		}
		return fmt.Sprintf("Edit %s > Security (MAC management policy): set %s to Accept", where, s.label())
	}
	return fmt.Sprintf("Edit %s > Security: set %s to Accept (not inherited from the switch)", where, s.label())
}

// reversePath: a host that floods the routers' multicast adverts out of one
// teamed uplink and receives them back on another reflects a router's own
// adverts to it, unless Net.ReversePathFwdCheckPromisc is 1. It matters only
// where promiscuous mode is on over more than one active uplink; where
// promiscuous mode is still off over a team, turning it on (which
// security.promiscuous asks for) would cause it, so that warns.
func (r *runner) reversePath(n netView) {
	base := Finding{Check: CheckReversePathPromisc, Network: n.cfg.Name, Object: n.object(),
		Expected: reversePathOption + "=1 where promiscuous mode is on over more than one active uplink"}
	switch {
	case !n.found:
		base.Status, base.Actual, base.Fix = Fail, n.missing(), n.missingFix()
		r.add(base)
	case n.kind() == facts.KindOpaque:
		for _, h := range r.f.Hosts {
			if optionIs1(h) {
				fd := base
				fd.Object, fd.Status, fd.Actual = hostObject(h.Name), Pass, optionWords(h)
				r.add(fd)
				continue
			}
			r.add(n.notSupported(CheckReversePathPromisc, hostObject(h.Name)))
		}
	case n.kind() == facts.KindDistributed:
		pg := n.fact.DVPortgroup
		if pg == nil {
			r.add(n.dvPortgroupMissing(base))
			return
		}
		e := distributedEffective(pg, promiscuous)
		where := fmt.Sprintf("dvportgroup %s", pg.Name)
		for _, h := range r.f.Hosts {
			if len(pg.Hosts) > 0 && !slices.Contains(pg.Hosts, h.Name) {
				continue
			}
			r.add(reversePathVerdict(base, h, e, pg.ActiveUplinks, where, n.cfg))
		}
	default:
		for _, hp := range r.hostsWith(n.cfg.Portgroup) {
			e := standardEffective(hp.host, hp.pg, promiscuous)
			where := fmt.Sprintf("portgroup %s", hp.pg.Name)
			r.add(reversePathVerdict(base, hp.host, e, activeUplinks(hp), where, n.cfg))
		}
	}
}

// activeUplinks is the portgroup's effective active NIC order, else its
// vSwitch's, else the vSwitch's bridged NICs.
func activeUplinks(hp hostPortgroup) []string {
	if len(hp.pg.ActiveUplinks) > 0 {
		return hp.pg.ActiveUplinks
	}
	vs, _ := hp.host.VSwitch(hp.pg.VSwitch)
	if len(vs.ActiveUplinks) > 0 {
		return vs.ActiveUplinks
	}
	return vs.Uplinks
}

func reversePathVerdict(fd Finding, h facts.Host, e effective, uplinks []string, where string, n config.Network) Finding {
	fd.Object = hostObject(h.Name)
	state := fmt.Sprintf("promiscuous %s on %s, %s, %s", e.verdict(), where, uplinkWords(uplinks), optionWords(h))
	fix := fmt.Sprintf("On host %s set %s to 1 (esxcli system settings advanced set -o /Net/ReversePathFwdCheckPromisc -i 1, or govc host.option.set -host %s %s 1), then turn promiscuous mode off and on again on %s so the host applies it",
		h.Name, reversePathOption, h.Name, reversePathOption, where)
	promiscOn := !e.known || e.accept
	needed, why := promiscuous.need(n, e.macLearning)
	switch {
	case optionIs1(h):
		fd.Status, fd.Actual = Pass, state
	case len(uplinks) <= 1:
		fd.Status, fd.Actual = Pass, notApplicablePrefix+"reflection needs two active uplinks; "+state
	case n.Mode == config.ModeUnicast:
		// Unicast adverts go to the peer's port only; the team floods,
		// and so reflects, only broadcast and multicast.
		fd.Status, fd.Actual = Pass, notApplicablePrefix+"mode unicast: adverts go to the peer's address and are not flooded back; "+state
	case promiscOn:
		fd.Status, fd.Actual, fd.Fix = Fail, state, fix
	case !needed:
		// Nothing turns promiscuous mode on here (security.promiscuous
		// does not ask for it), so nothing will reflect.
		fd.Status, fd.Actual = Pass, notApplicablePrefix+why+"; "+state
	default:
		fd.Status = Warn
		fd.Actual = state + "; turning promiscuous mode on (security.promiscuous) will reflect the routers' own adverts back to them"
		fd.Fix = "Before accepting promiscuous mode: " + fix
	}
	return fd
}

func optionIs1(h facts.Host) bool {
	return h.ReversePathFwdCheckPromisc != nil && *h.ReversePathFwdCheckPromisc == 1
}

func optionWords(h facts.Host) string {
	if h.ReversePathFwdCheckPromisc == nil {
		return reversePathOption + " not reported"
	}
	return reversePathOption + "=" + strconv.FormatInt(*h.ReversePathFwdCheckPromisc, 10)
}

// uplinkWords reads "2 active uplinks (vmnic0, vmnic1)".
func uplinkWords(uplinks []string) string {
	switch len(uplinks) {
	case 0:
		return "no active uplink"
	case 1:
		return "1 active uplink (" + uplinks[0] + ")"
	default:
		return fmt.Sprintf("%d active uplinks (%s)", len(uplinks), strings.Join(uplinks, ", "))
	}
}

// dvPortgroupMissing is base failed because the distributed portgroup's
// policy was not gathered (usually a missing read permission).
func (n netView) dvPortgroupMissing(base Finding) Finding {
	base.Status, base.Actual = Fail, "the distributed portgroup's policy was not gathered"
	base.Fix = "Check that the vSphere user can read distributed portgroup " + n.cfg.Portgroup
	return base
}
