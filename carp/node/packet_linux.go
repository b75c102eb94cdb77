package node

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/carpvm/carpvm/carp"
)

// PacketLink is a Link over an AF_PACKET socket with a BPF filter that
// admits only IPv4 protocol 112 and IPv6 next header 112, joined at link
// level to the multicast MACs of 224.0.0.18 (01:00:5e:00:00:12) and
// ff02::12 (33:33:00:00:00:12).
type PacketLink struct {
	conn *packet.Conn
	ifi  *net.Interface
}

// LinkOptions tune OpenPacketLink.
type LinkOptions struct {
	// IgnoreOutgoing drops the frames this host sends (a node must not
	// read its own adverts back from the socket; a witness wants them).
	IgnoreOutgoing bool
	// Promiscuous puts the interface in promiscuous mode while the link
	// is open (a witness on a switch port mirroring other traffic).
	Promiscuous bool
}

// OpenPacketLink opens an AF_PACKET socket on the interface named ifname in
// the calling thread's network namespace.
func OpenPacketLink(ifname string, opts LinkOptions) (*PacketLink, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("node: interface %q: %w", ifname, err)
	}
	filter, err := assembledFilter()
	if err != nil {
		return nil, err
	}
	conn, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, &packet.Config{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("node: AF_PACKET socket on %s: %w", ifname, err)
	}
	l := &PacketLink{conn: conn, ifi: ifi}
	for _, g := range []netip.Addr{carp.GroupV4, carp.GroupV6} {
		if err := conn.JoinGroup(carp.MulticastMAC(g)); err != nil {
			l.Close()
			return nil, fmt.Errorf("node: join %s (%s) on %s: %w", g, carp.MulticastMAC(g), ifname, err)
		}
	}
	if opts.IgnoreOutgoing {
		if err := l.setsockoptInt(unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
			l.Close()
			return nil, fmt.Errorf("node: ignore outgoing frames on %s: %w", ifname, err)
		}
	}
	if opts.Promiscuous {
		if err := conn.SetPromiscuous(true); err != nil {
			l.Close()
			return nil, fmt.Errorf("node: promiscuous mode on %s: %w", ifname, err)
		}
	}
	return l, nil
}

func (l *PacketLink) setsockoptInt(level, opt, v int) error {
	rc, err := l.conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), level, opt, v) }); err != nil {
		return err
	}
	return serr
}

// ReadFrame implements Link.
func (l *PacketLink) ReadFrame(b []byte) (int, error) {
	n, _, err := l.conn.ReadFrom(b)
	return n, err
}

// WriteFrame implements Link; the destination is the frame's own.
func (l *PacketLink) WriteFrame(b []byte) error {
	if len(b) < 14 {
		return fmt.Errorf("node: frame of %d bytes, shorter than an Ethernet header", len(b))
	}
	_, err := l.conn.WriteTo(b, &packet.Addr{HardwareAddr: net.HardwareAddr(b[0:6])})
	return err
}

// HardwareAddr implements Link.
func (l *PacketLink) HardwareAddr() net.HardwareAddr { return l.ifi.HardwareAddr }

// Name is the interface name.
func (l *PacketLink) Name() string { return l.ifi.Name }

// Index is the interface index.
func (l *PacketLink) Index() int { return l.ifi.Index }

// Close implements Link.
func (l *PacketLink) Close() error { return l.conn.Close() }
