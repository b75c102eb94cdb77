package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
	"unsafe"

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
	// oob receives the PACKET_AUXDATA of a frame (VLANTags).
	oob []byte
	// ring is the receive ring (LinkOptions.Ring), nil without one.
	ring *rxRing
	// dropped adds up PACKET_STATISTICS, which resets as it is read.
	dropped atomic.Uint64
}

// LinkOptions tune OpenPacketLink.
type LinkOptions struct {
	// IgnoreOutgoing drops the frames this host sends (a node must not
	// read its own adverts back from the socket; a witness wants them).
	IgnoreOutgoing bool
	// Promiscuous puts the interface in promiscuous mode while the link
	// is open (a witness on a switch port mirroring other traffic).
	Promiscuous bool
	// VLANTags puts back into each frame the 802.1Q tag the kernel took
	// out (PACKET_AUXDATA), as libpcap does, so that a frame of another
	// VLAN reaching an untagged interface is seen as tagged. Without it
	// such a frame reads as untagged.
	VLANTags bool
	// Ring receives through a memory-mapped ring (PACKET_MMAP,
	// TPACKET_V3) instead of one syscall per frame, and makes ReadBatch
	// hand over every frame queued at once. Frames wait in the ring up to
	// 1 ms. The ring reads 802.1Q tags back on its own (as VLANTags).
	Ring bool
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
	if opts.VLANTags {
		if err := l.setsockoptInt(unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
			l.Close()
			return nil, fmt.Errorf("node: VLAN tags (PACKET_AUXDATA) on %s: %w", ifname, err)
		}
		l.oob = make([]byte, unix.CmsgSpace(sizeofAuxdata))
	}
	if opts.Ring {
		var rerr error
		if err := l.control(func(fd int) { l.ring, rerr = setupRing(fd) }); err != nil || rerr != nil {
			l.Close()
			return nil, fmt.Errorf("node: receive ring on %s: %w", ifname, errors.Join(err, rerr))
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
	var serr error
	if err := l.control(func(fd int) { serr = unix.SetsockoptInt(fd, level, opt, v) }); err != nil {
		return err
	}
	return serr
}

// control calls fn with the socket's descriptor.
func (l *PacketLink) control(fn func(fd int)) error {
	rc, err := l.conn.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) })
}

// ReadBatch calls fn with every frame queued and when it arrived,
// waiting for one when none is, and returns after the last (a ring's
// whole blocks; without a ring, one frame, its arrival unknown: zero).
// fn must not keep the frame: its memory is reused.
func (l *PacketLink) ReadBatch(fn func(frame []byte, arrived time.Time)) error {
	if l.ring == nil {
		var buf [maxFrameLen]byte
		n, err := l.ReadFrame(buf[:])
		if err == nil {
			fn(buf[:n], time.Time{})
		}
		return err
	}
	return l.readRing(func(next func() ([]byte, time.Time, bool)) bool {
		got := false
		for frame, arrived, ok := next(); ok; frame, arrived, ok = next() {
			fn(frame, arrived)
			got = true
		}
		return got
	})
}

// readRing calls drain with the ring's next each time the socket is
// readable until drain returns true.
func (l *PacketLink) readRing(drain func(next func() ([]byte, time.Time, bool)) bool) error {
	rc, err := l.conn.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Read(func(uintptr) bool {
		if !l.ring.enter() {
			return true // closed: the next Read reports it
		}
		defer l.ring.leave()
		return drain(l.ring.next)
	})
}

// ReadFrame implements Link.
func (l *PacketLink) ReadFrame(b []byte) (int, error) {
	if l.ring != nil {
		n := 0
		err := l.readRing(func(next func() ([]byte, time.Time, bool)) bool {
			frame, _, ok := next()
			n = copy(b, frame)
			return ok
		})
		if err == nil && n == 0 {
			err = net.ErrClosed
		}
		return n, err
	}
	if l.oob == nil {
		n, _, err := l.conn.ReadFrom(b)
		return n, err
	}
	rc, err := l.conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n, oobn int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), b, l.oob, 0)
		return !errors.Is(rerr, unix.EAGAIN)
	})
	if err != nil {
		return 0, err
	}
	if rerr != nil {
		return 0, rerr
	}
	if tpid, tci, ok := auxVLAN(l.oob[:oobn]); ok {
		n = insertVLANTag(b, n, tpid, tci)
	}
	return n, nil
}

// auxVLAN returns the VLAN tag the kernel took out of a frame, from its
// PACKET_AUXDATA control message.
func auxVLAN(oob []byte) (tpid, tci uint16, ok bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, 0, false
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_PACKET || m.Header.Type != unix.PACKET_AUXDATA || len(m.Data) < sizeofAuxdata {
			continue
		}
		aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&m.Data[0]))
		if aux.Status&unix.TP_STATUS_VLAN_VALID == 0 {
			return 0, 0, false
		}
		tpid = aux.Vlan_tpid
		if aux.Status&unix.TP_STATUS_VLAN_TPID_VALID == 0 || tpid == 0 {
			tpid = 0x8100
		}
		return tpid, aux.Vlan_tci, true
	}
	return 0, 0, false
}

// insertVLANTag puts a 4-byte tag after the MACs of the n-byte frame in b
// and returns the new length (the end is cut if b is too short).
func insertVLANTag(b []byte, n int, tpid, tci uint16) int {
	if n < 12 || len(b) < 16 {
		return n
	}
	end := min(n+4, len(b))
	copy(b[16:end], b[12:n])
	binary.BigEndian.PutUint16(b[12:14], tpid)
	binary.BigEndian.PutUint16(b[14:16], tci)
	return end
}

// Dropped returns how many frames the kernel dropped since the link was
// opened because the socket (or its ring) had no room for them
// (PACKET_STATISTICS).
func (l *PacketLink) Dropped() (uint64, error) {
	var st *unix.TpacketStatsV3
	var serr error
	if err := l.control(func(fd int) { st, serr = unix.GetsockoptTpacketStatsV3(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS) }); err != nil {
		return l.dropped.Load(), err
	}
	if serr != nil {
		return l.dropped.Load(), serr
	}
	return l.dropped.Add(uint64(st.Drops)), nil
}

// WriteFrame implements Link; the destination is the frame's own.
func (l *PacketLink) WriteFrame(b []byte) error {
	if len(b) < 14 {
		return fmt.Errorf("node: frame of %d bytes, shorter than an Ethernet header", len(b))
	}
	to := &packet.Addr{HardwareAddr: net.HardwareAddr(b[0:6])}
	_, err := l.conn.WriteTo(b, to)
	if errors.Is(err, unix.ENETDOWN) {
		// When the interface goes down the kernel leaves ENETDOWN pending
		// on the socket (packet_notifier), and the first send after, even
		// with the link back, reports it and sends nothing: a master's
		// first advert at the link's return would be lost, and its peer
		// stay MASTER beside it for an interval. The error is cleared by
		// reporting it; a link still down fails again.
		_, err = l.conn.WriteTo(b, to)
	}
	return err
}

// HardwareAddr implements Link.
func (l *PacketLink) HardwareAddr() net.HardwareAddr { return l.ifi.HardwareAddr }

// Name is the interface name.
func (l *PacketLink) Name() string { return l.ifi.Name }

// Index is the interface index.
func (l *PacketLink) Index() int { return l.ifi.Index }

// Close implements Link.
func (l *PacketLink) Close() error {
	err := l.conn.Close()
	if l.ring != nil {
		l.ring.close()
	}
	return err
}

// sizeofAuxdata is the size of struct tpacket_auxdata.
const sizeofAuxdata = int(unsafe.Sizeof(unix.TpacketAuxdata{}))
