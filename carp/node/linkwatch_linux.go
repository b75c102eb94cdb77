package node

import (
	"context"
	"fmt"
	"maps"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// linkUp is the state link tracking follows: administratively up and
// running (carrier, not dormant).
func linkUp(a *netlink.LinkAttrs) bool {
	return a.RawFlags&unix.IFF_UP != 0 && a.RawFlags&unix.IFF_RUNNING != 0
}

// NetlinkLinks watches interfaces with netlink link notifications (no
// polling): their state now, then each change.
func NetlinkLinks(ctx context.Context, names []string) (map[string]bool, <-chan LinkEvent, error) {
	updates := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	if err := netlink.LinkSubscribeWithOptions(updates, done, netlink.LinkSubscribeOptions{}); err != nil {
		return nil, nil, fmt.Errorf("node: watch links: %w", err)
	}
	now := map[string]bool{}
	for _, name := range names {
		l, err := netlink.LinkByName(name)
		if err != nil {
			close(done)
			return nil, nil, fmt.Errorf("node: link %s: %w", name, err)
		}
		now[name] = linkUp(l.Attrs())
	}
	// The watcher's own copy of the states: the caller keeps now.
	state := maps.Clone(now)
	out := make(chan LinkEvent, 64)
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case u, ok := <-updates:
				if !ok {
					return
				}
				name := u.Attrs().Name
				was, watched := state[name]
				up := linkUp(u.Attrs()) && u.Header.Type != unix.RTM_DELLINK
				if !watched || up == was {
					continue
				}
				state[name] = up
				select {
				case out <- LinkEvent{Interface: name, Up: up}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return now, out, nil
}
