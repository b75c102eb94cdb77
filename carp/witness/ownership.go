package witness

import (
	"net/netip"
	"slices"
)

// Expected is a CARP group as the operator planned it: its network, its
// VIPs and the router that should be its master.
type Expected struct {
	Network   string         `json:"network"`
	VHID      uint8          `json:"vhid"`
	VIPs      []netip.Prefix `json:"vips"`
	Preferred string         `json:"preferred"`
}

// Ownership states.
const (
	OwnerPreferred = "preferred" // the preferred router is the master
	OwnerPeer      = "peer"      // another router holds the group (a failover, or a group stuck there)
	OwnerUnknown   = "unknown"   // a master whose address names no router of the plan
	OwnerNone      = "none"      // no master heard
	OwnerSplit     = "split"     // more than one master
)

// Owner is one planned group's master as the witness sees it: who the
// master is, by router name when its advert source is a router's address,
// and whether it is the preferred one. It is the active/active pair's
// ownership map, one row per group.
type Owner struct {
	Expected
	// Masters are the routers (or, when unnamed, the addresses) advertising
	// as master now, in either family.
	Masters []string `json:"masters"`
	State   string   `json:"state"`
}

// ownership matches every planned group with the masters of the snapshot's
// CARP groups of that vhid, both families together.
func (w *Witness) ownership(groups []Group) []Owner {
	var out []Owner
	for _, e := range w.opts.Expected {
		o := Owner{Expected: e, Masters: []string{}}
		for _, g := range groups {
			if g.Protocol != CARP || g.ID != e.VHID {
				continue
			}
			for _, m := range g.Masters {
				name := w.routerName(m)
				if !slices.Contains(o.Masters, name) {
					o.Masters = append(o.Masters, name)
				}
			}
		}
		switch {
		case len(o.Masters) == 0:
			o.State = OwnerNone
		case len(o.Masters) > 1:
			o.State = OwnerSplit
		case o.Masters[0] == e.Preferred:
			o.State = OwnerPreferred
		case w.isRouter(o.Masters[0]):
			o.State = OwnerPeer
		default:
			o.State = OwnerUnknown
		}
		out = append(out, o)
	}
	return out
}

// routerName names the router that advertises from addr, or returns the
// address. Link-local IPv6 sources match without their zone.
func (w *Witness) routerName(addr netip.Addr) string {
	if name, ok := w.opts.Routers[addr.WithZone("")]; ok {
		return name
	}
	return addr.String()
}

func (w *Witness) isRouter(name string) bool {
	for _, n := range w.opts.Routers {
		if n == name {
			return true
		}
	}
	return false
}
