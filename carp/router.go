package carp

import "time"

// SendErrorLimit is how many consecutive failed sends on an interface
// demote the router, and how many consecutive successful ones after that
// lift it (FreeBSD's CARP_SENDAD_MAX_ERRORS and CARP_SENDAD_MIN_SUCCESS).
const SendErrorLimit = 3

// RouterGroup is one group of a Router: its machine and the interface it
// runs on.
type RouterGroup struct {
	Interface string
	Machine   *Machine
}

// GroupActions are the actions the runtime must perform for one group
// (an index into the Router's groups), in order.
type GroupActions struct {
	Group   int
	Actions []Action
}

// Router applies the router-level rules of FreeBSD's CARP to a node's
// groups, so that a router fails over as a whole: when an interface
// carrying groups goes down, those groups leave (no bow-out: nothing can be
// sent there) and the router's demotion rises by DemotionFactor, so that
// every other group bows out and a preempting peer takes them all; when the
// link returns, the demotion drops and each group goes back to its
// preferred owner. Failed sends, health tracks and operators add causes the
// same way (see Demotion). Like Machine it is pure: time comes in as
// arguments, actions go out, and it is not safe for concurrent use.
type Router struct {
	groups   []RouterGroup
	own      []uint8 // per-group demotion (an operator's demote of one vhid)
	demotion Demotion
	down     map[string]bool
	sendErrs map[string]int // consecutive failed sends, per interface
	sendOKs  map[string]int // consecutive successful sends while demoted for errors
}

// NewRouter returns a router over groups, none started.
func NewRouter(groups []RouterGroup) *Router {
	return &Router{
		groups:   groups,
		own:      make([]uint8, len(groups)),
		down:     map[string]bool{},
		sendErrs: map[string]int{},
		sendOKs:  map[string]int{},
	}
}

// Groups returns the router's groups.
func (r *Router) Groups() []RouterGroup { return r.groups }

// Demotion returns the router's demotion and its causes.
func (r *Router) Demotion() Demotion { return Demotion{causes: r.demotion.Causes()} }

// LinkDown reports whether iface is down as far as the router knows.
func (r *Router) LinkDown(iface string) bool { return r.down[iface] }

// Start starts every group whose interface is up.
func (r *Router) Start(now time.Time) []GroupActions {
	var out []GroupActions
	for i, g := range r.groups {
		g.Machine.SetDemotion(now, r.total(i))
		if !r.down[g.Interface] {
			out = appendActs(out, i, g.Machine.Start(now))
		}
	}
	return out
}

// Stop stops every group (a MASTER bows out).
func (r *Router) Stop(now time.Time) []GroupActions {
	var out []GroupActions
	for i, g := range r.groups {
		out = appendActs(out, i, g.Machine.Stop(now))
	}
	return out
}

// Link records that iface went up or down (carrier or administrative
// state). Going down takes its groups out, then demotes the router; coming
// back lifts the demotion, then starts its groups again as BACKUP, from
// where preemption returns each group to its preferred owner.
func (r *Router) Link(now time.Time, iface string, up bool) []GroupActions {
	if r.down[iface] == !up {
		return nil
	}
	var out []GroupActions
	cause := "link " + iface
	if !up {
		r.down[iface] = true
		for i, g := range r.groups {
			if g.Interface == iface {
				out = appendActs(out, i, g.Machine.Down(now, "link down on "+iface))
			}
		}
		return append(out, r.setCause(now, cause, DemotionFactor)...)
	}
	delete(r.down, iface)
	// A link that returns sends again: forget its send errors.
	delete(r.sendErrs, iface)
	delete(r.sendOKs, iface)
	r.demotion.Clear("send " + iface)
	out = append(out, r.setCause(now, cause, 0)...)
	for i, g := range r.groups {
		if g.Interface == iface {
			out = appendActs(out, i, g.Machine.Start(now))
		}
	}
	return out
}

// SendResult records the outcome of sending an advert on iface:
// SendErrorLimit failures in a row demote the router by DemotionFactor,
// and SendErrorLimit successes in a row after that lift it, as FreeBSD
// does. While demoted for errors the router's groups are backups that send
// nothing, so, as on FreeBSD, the cause holds until a group on iface is
// master again (no peer left), the link goes down and up, or an operator
// promotes the router (Clear).
func (r *Router) SendResult(now time.Time, iface string, ok bool) []GroupActions {
	cause := "send " + iface
	demoted := r.sendErrs[iface] >= SendErrorLimit
	if !ok {
		r.sendOKs[iface] = 0
		r.sendErrs[iface]++
		if r.sendErrs[iface] == SendErrorLimit {
			return r.setCause(now, cause, DemotionFactor)
		}
		return nil
	}
	if !demoted {
		r.sendErrs[iface] = 0
		return nil
	}
	r.sendOKs[iface]++
	if r.sendOKs[iface] < SendErrorLimit {
		return nil
	}
	delete(r.sendErrs, iface)
	delete(r.sendOKs, iface)
	return r.setCause(now, cause, 0)
}

// SetCause makes a named cause (a health track, an operator's demotion of
// the whole router) add weight to every group's advskew; weight 0 lifts it.
func (r *Router) SetCause(now time.Time, cause string, weight int) []GroupActions {
	return r.setCause(now, cause, weight)
}

// ClearSendErrors lifts every send-error demotion (an operator's promote).
func (r *Router) ClearSendErrors(now time.Time) []GroupActions {
	var out []GroupActions
	for iface := range r.sendErrs {
		delete(r.sendErrs, iface)
		delete(r.sendOKs, iface)
		out = append(out, r.setCause(now, "send "+iface, 0)...)
	}
	return out
}

// SetGroupDemotion sets the demotion of group i alone (an operator's
// demote of one vhid), on top of the router's.
func (r *Router) SetGroupDemotion(now time.Time, i int, d uint8) []GroupActions {
	r.own[i] = d
	return appendActs(nil, i, r.groups[i].Machine.SetDemotion(now, r.total(i)))
}

func (r *Router) setCause(now time.Time, cause string, weight int) []GroupActions {
	if !r.demotion.Set(cause, weight) {
		return nil
	}
	var out []GroupActions
	for i, g := range r.groups {
		out = appendActs(out, i, g.Machine.SetDemotion(now, r.total(i)))
	}
	return out
}

// total is group i's demotion: the router's plus its own, clamped to a byte.
func (r *Router) total(i int) uint8 {
	return uint8(min(int(r.demotion.Total())+int(r.own[i]), 255))
}

func appendActs(out []GroupActions, i int, acts []Action) []GroupActions {
	if len(acts) == 0 {
		return out
	}
	return append(out, GroupActions{Group: i, Actions: acts})
}
