package node

import (
	"net"
	"net/netip"
)

// Link sends and receives whole Ethernet frames on one interface. The
// Linux implementation is an AF_PACKET socket (OpenPacketLink); tests use
// an in-memory hub.
type Link interface {
	// ReadFrame reads one frame into b and returns its length. It returns
	// an error once the link is closed.
	ReadFrame(b []byte) (int, error)
	// WriteFrame sends one frame as is (source MAC included).
	WriteFrame(b []byte) error
	// HardwareAddr is the interface's own MAC address.
	HardwareAddr() net.HardwareAddr
	Close() error
}

// UnicastSender sends protocol-112 payloads to one address at a time, for
// groups with a unicast peer: from the interface's own address and MAC,
// the kernel resolving the peer's MAC. The Linux implementation is a raw
// IP socket per family (OpenRawUnicast).
type UnicastSender interface {
	SendTo(payload []byte, src, dst netip.Addr) error
	Close() error
}
