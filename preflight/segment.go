package preflight

import (
	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// Segment is how one configured network's switch treats the routers, as
// the checks resolve it: what a lab that behaves like this vSwitch needs
// (failover/lab's switch model). Each setting is true for Accept, and a
// setting Reject or unknown on any host counts as Reject, whether or not
// the network needs it (a vmac network passes security.promiscuous with
// it Reject, and its lab then rejects it too).
type Segment struct {
	Network     string
	Portgroup   string
	Distributed bool
	// Promiscuous, MACChanges and ForgedTransmits are the effective
	// security settings (a distributed portgroup's MAC management policy
	// where it has one).
	Promiscuous, MACChanges, ForgedTransmits bool
	// MACLearning: a distributed portgroup learns MACs from its ports.
	MACLearning bool
	// Reflect: promiscuous mode over a team of uplinks without
	// Net.ReversePathFwdCheckPromisc=1 on a host (host.reverse_path_promisc
	// fails).
	Reflect bool
	// SharedMAC is the network's vmac when both routers' NICs carry it
	// (vmac.shared passes), "" otherwise.
	SharedMAC string
}

// Segments resolves every configured network of cfg over f, in
// configuration order, from the same findings Run reports.
func Segments(cfg *config.Config, f *facts.Facts) []Segment {
	if cfg == nil {
		cfg = &config.Config{}
	}
	if f == nil {
		f = &facts.Facts{}
	}
	var out []Segment
	for _, n := range cfg.Networks {
		r := &runner{cfg: cfg, f: f}
		nw := r.network(n)
		r.security(nw)
		r.reversePath(nw)
		r.vmacShared(nw)
		failed := map[Check]bool{}
		for _, fd := range r.out {
			if fd.Status == Fail {
				failed[fd.Check] = true
			}
		}
		s := Segment{
			Network: n.Name, Portgroup: n.Portgroup, Distributed: nw.kind() == facts.KindDistributed,
			Promiscuous: r.accepted(nw, promiscuous), MACChanges: r.accepted(nw, macChanges), ForgedTransmits: r.accepted(nw, forgedTransmits),
			Reflect: failed[CheckReversePathPromisc],
		}
		if s.Distributed && nw.fact.DVPortgroup != nil {
			s.MACLearning = distributedEffective(nw.fact.DVPortgroup, promiscuous).macLearning
		}
		if n.VMAC != nil && !failed[CheckVMACShared] {
			s.SharedMAC = n.VMAC.String()
		}
		out = append(out, s)
	}
	return out
}

// accepted says whether setting s is Accept wherever network n's
// portgroup is: on every router host holding a standard one, on a
// distributed one itself. An opaque network, whose policy carpvm cannot
// read yet, counts as Accept, as its checks only warn.
func (r *runner) accepted(n netView, s setting) bool {
	switch {
	case !n.found:
		return false
	case n.kind() == facts.KindOpaque:
		return true
	case n.kind() == facts.KindDistributed:
		if n.fact.DVPortgroup == nil {
			return false
		}
		e := distributedEffective(n.fact.DVPortgroup, s)
		return e.known && e.accept
	}
	hosts := r.hostsWith(n.cfg.Portgroup)
	for _, hp := range hosts {
		if e := standardEffective(hp.host, hp.pg, s); !e.known || !e.accept {
			return false
		}
	}
	return len(hosts) > 0
}
