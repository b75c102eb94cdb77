package node

import (
	"context"

	"github.com/carpvm/carpvm/carp"
)

// The node fails over as a whole router (carp.Router): link tracking,
// failed sends, health tracks and an operator's demotion of every group
// are demotion causes summed over all its groups.

// LinkEvent says that an interface went up or down. Up means
// administratively up with carrier (IFF_UP and IFF_RUNNING).
type LinkEvent struct {
	Interface string
	Up        bool
}

// LinkWatcher reports the state of the named interfaces now, then every
// change until ctx ends.
type LinkWatcher func(ctx context.Context, names []string) (now map[string]bool, changes <-chan LinkEvent, err error)

// watchedLinks are the interfaces whose state matters: every group's
// (with link tracking) and every interface track's.
func (n *Node) watchedLinks() []string {
	var names []string
	add := func(name string) {
		for _, x := range names {
			if x == name {
				return
			}
		}
		names = append(names, name)
	}
	if n.opts.LinkTracking {
		for _, g := range n.groups {
			add(g.cfg.Interface)
		}
	}
	for _, t := range n.tracks {
		if t.Interface != "" {
			add(t.Interface)
		}
	}
	return names
}

// startLinks reads the watched interfaces' state and applies it before the
// groups start, so that a group whose link is down stays out; it returns
// the changes to follow (nil when nothing is watched).
func (n *Node) startLinks(ctx context.Context) (<-chan LinkEvent, error) {
	names := n.watchedLinks()
	if len(names) == 0 {
		return nil, nil
	}
	now, changes, err := n.opts.WatchLinks(ctx, names)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if up, known := now[name]; known {
			n.linkEvent(LinkEvent{Interface: name, Up: up})
		}
	}
	return changes, nil
}

// linkEvent applies an interface's new state: to its groups and the
// router's demotion (link tracking), and to the tracks that watch it.
func (n *Node) linkEvent(ev LinkEvent) {
	if n.links[ev.Interface] != nil && n.opts.LinkTracking && n.router.LinkDown(ev.Interface) != !ev.Up {
		if ev.Up {
			n.log.Info("link up: the router's groups may return", "iface", ev.Interface)
		} else {
			n.log.Warn("link down: demoting the router", "iface", ev.Interface, "demotion", carp.DemotionFactor)
		}
		n.performAll(n.router.Link(n.clock.Now(), ev.Interface, ev.Up))
	}
	for i := range n.tracks {
		s := &n.tracks[i]
		if s.Interface != ev.Interface {
			continue
		}
		detail := "down"
		if ev.Up {
			detail = "up"
		}
		// An interface's state is not noisy: no fall or rise counting.
		if s.failing != !ev.Up {
			s.failing, s.last = !ev.Up, detail
			n.setTrackCause(s)
		}
	}
}

// performAll carries out the router's actions, group by group.
func (n *Node) performAll(gas []carp.GroupActions) {
	for _, ga := range gas {
		n.perform(n.groups[ga.Group], ga.Actions)
	}
}

// sendResult tells the router whether an advert left iface.
func (n *Node) sendResult(iface string, ok bool) {
	n.performAll(n.router.SendResult(n.clock.Now(), iface, ok))
}
