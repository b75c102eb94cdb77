package lab

import (
	"context"
	"fmt"
)

// The unicast lab's switch drops multicast, as an IGMP-snooping switch
// (or an NSX segment) drops 224.0.0.18 that nobody joined: no port of
// either bridge floods it. Broadcast (ARP) still floods.

// dropMulticast turns multicast flooding off on every port of the lab's
// bridges, and mirrors the routers' CARP/VRRP frames (IP protocol 112)
// to the client's port: the witness there is on a promiscuous port, as a
// witness of unicast adverts has to be (carpvm watch --promiscuous). With
// a vSwitch model the model's filters carry the mirror (buildSwitch), so
// that it copies only what the port accepts.
func (l *Lab) dropMulticast(ctx context.Context) error {
	if err := checkSwitchTools(); err != nil {
		return err
	}
	sw := l.ns(Switch)
	for _, n := range Nets {
		for _, m := range Members {
			if _, err := nsRun(ctx, sw, "bridge", "link", "set", "dev", BridgePort(m, n), "mcast_flood", "off"); err != nil {
				return fmt.Errorf("lab: drop multicast on %s: %w", BridgePort(m, n), err)
			}
		}
		if l.State.Switch != nil {
			continue
		}
		for _, r := range []string{Router1, Router2} {
			// A port with every policy Accept filters nothing but the mirror.
			port := Port{Name: BridgePort(r, n), MirrorAdverts: l.advertMirror(n)}
			if err := applyPort(ctx, sw, port, Policy{Promiscuous: true, MACChanges: true, ForgedTransmits: true}); err != nil {
				return fmt.Errorf("lab: mirror adverts from %s to %s: %w", port.Name, port.MirrorAdverts, err)
			}
		}
	}
	return nil
}

// SetMulticast turns the lab switch's multicast flooding on or off on
// every port, leaving the mirror to the witness alone: a unicast lab with
// multicast let through, or a multicast lab on a switch that drops it.
func (l *Lab) SetMulticast(ctx context.Context, flood bool) error {
	state := "off"
	if flood {
		state = "on"
	}
	for _, n := range Nets {
		for _, m := range Members {
			if _, err := nsRun(ctx, l.ns(Switch), "bridge", "link", "set", "dev", BridgePort(m, n), "mcast_flood", state); err != nil {
				return err
			}
		}
	}
	return nil
}
