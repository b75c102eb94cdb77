//go:build !linux

package failover

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// WitnessConfig says where a PacketObserver listens and whom it probes.
type WitnessConfig struct {
	Interface string
	VIP       netip.Addr
	Source    netip.Addr
	Enter     func(fn func() error) error
	Interval  time.Duration
	ProbeMAC  net.HardwareAddr
}

// PacketObserver needs Linux (AF_PACKET).
type PacketObserver struct{ *Recorder }

// OpenWitness needs Linux.
func OpenWitness(WitnessConfig) (*PacketObserver, error) {
	return nil, errors.New("failover: the drill witness needs Linux (AF_PACKET)")
}
