package failover

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/carpvm/carpvm/carp"
)

// WitnessConfig says where a PacketObserver listens and whom it probes.
type WitnessConfig struct {
	// Interface is on the CARP segment (the lab client's leg, or
	// --interface on vSphere).
	Interface string
	VIP       netip.Addr
	// Source is the prober's own IPv4 address on Interface; invalid means
	// the interface's first IPv4 address.
	Source netip.Addr
	// Enter runs fn with the calling thread in the interface's network
	// namespace (sockets opened there stay there); nil runs fn as is.
	Enter func(fn func() error) error
	// Interval between probes; 0 means ProbeInterval.
	Interval time.Duration
	// ProbeMAC, when set, is the sender of the prober's ARP requests
	// instead of the interface's MAC: the answers then reach the witness
	// but not this host's ARP cache (the kernel drops ARP for another
	// MAC), so that the cache the echoes use moves only as a real
	// client's would: by gratuitous ARPs and its own resolution, not by
	// a reply every probe interval, which would hide a black-holed VIP.
	// The switch must deliver unicast to it (a learning bridge does; an
	// ESXi port without promiscuous mode does not).
	ProbeMAC net.HardwareAddr
}

// PacketObserver is the drill's witness and prober on one interface: an
// AF_PACKET socket records CARP adverts, ARP from the VIP and echo
// replies; a prober sends an ARP request (broadcast) and an ICMP echo
// (through the kernel, as a client would) to the VIP every Interval.
type PacketObserver struct {
	*Recorder
	cfg    WitnessConfig
	conn   *packet.Conn
	icmp   *icmp.PacketConn
	ifi    *net.Interface
	dec    Decoder
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// Sent counts probe rounds sent.
	Sent atomic.Uint64
}

var echoIDs atomic.Uint32

// OpenWitness opens the sockets (inside cfg.Enter) and starts recording
// and probing until Close.
func OpenWitness(cfg WitnessConfig) (*PacketObserver, error) {
	if !cfg.VIP.Is4() {
		return nil, fmt.Errorf("failover: witness: VIP %v is not IPv4", cfg.VIP)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = ProbeInterval
	}
	enter := cfg.Enter
	if enter == nil {
		enter = func(fn func() error) error { return fn() }
	}
	o := &PacketObserver{Recorder: NewRecorder(nil), cfg: cfg}
	o.dec = Decoder{VIP: cfg.VIP, EchoID: int(uint32(os.Getpid())<<4+echoIDs.Add(1)) & 0xffff}
	if o.dec.EchoID == 0 {
		o.dec.EchoID = 1
	}
	err := enter(func() error {
		ifi, err := net.InterfaceByName(cfg.Interface)
		if err != nil {
			return err
		}
		o.ifi = ifi
		if !o.cfg.Source.IsValid() {
			if o.cfg.Source, err = firstIPv4(ifi); err != nil {
				return err
			}
		}
		filter, err := witnessFilter()
		if err != nil {
			return err
		}
		if o.conn, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, &packet.Config{Filter: filter}); err != nil {
			return fmt.Errorf("AF_PACKET socket on %s: %w", cfg.Interface, err)
		}
		if err := o.conn.JoinGroup(carp.MulticastMAC(carp.GroupV4)); err != nil {
			return fmt.Errorf("join 224.0.0.18 on %s: %w", cfg.Interface, err)
		}
		if o.icmp, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0"); err != nil {
			return fmt.Errorf("ICMP socket: %w", err)
		}
		return bindToDevice(o.icmp, cfg.Interface)
	})
	if err != nil {
		o.closeSockets()
		return nil, fmt.Errorf("failover: witness on %s: %w", cfg.Interface, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	o.wg.Add(3)
	go o.read()
	go o.drain()
	go o.probe(ctx)
	return o, nil
}

// EchoID is the ICMP identifier of the prober's echo requests.
func (o *PacketObserver) EchoID() int { return o.dec.EchoID }

// Close stops probing and recording.
func (o *PacketObserver) Close() error {
	o.cancel()
	err := o.closeSockets()
	o.wg.Wait()
	return err
}

func (o *PacketObserver) closeSockets() error {
	var errs []error
	if o.conn != nil {
		errs = append(errs, o.conn.Close())
	}
	if o.icmp != nil {
		errs = append(errs, o.icmp.Close())
	}
	return errors.Join(errs...)
}

func (o *PacketObserver) read() {
	defer o.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := o.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if ev, ok := o.dec.Decode(time.Now(), buf[:n]); ok {
			o.Add(ev)
		}
	}
}

// drain empties the ICMP socket's queue; replies are recorded from the
// AF_PACKET socket, with their MAC.
func (o *PacketObserver) drain() {
	defer o.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := o.icmp.ReadFrom(buf); err != nil {
			return
		}
	}
}

func (o *PacketObserver) probe(ctx context.Context) {
	defer o.wg.Done()
	mac := o.ifi.HardwareAddr
	if o.cfg.ProbeMAC != nil {
		mac = o.cfg.ProbeMAC
	}
	arp := arpRequest(mac, o.cfg.Source, o.cfg.VIP)
	dst := &net.IPAddr{IP: o.cfg.VIP.AsSlice()}
	bcast := &packet.Addr{HardwareAddr: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	t := time.NewTicker(o.cfg.Interval)
	defer t.Stop()
	for seq := 1; ; seq++ {
		// A round not sent (no route while the witness's link is down, say)
		// leaves replies missing that no client missed: it is recorded, and
		// the report counts it against the blackout.
		_, arpErr := o.conn.WriteTo(arp, bcast)
		msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: o.dec.EchoID, Seq: seq & 0xffff, Data: []byte("carpvm drill")}}
		b, echoErr := msg.Marshal(nil)
		if echoErr == nil {
			_, echoErr = o.icmp.WriteTo(b, dst)
		}
		if arpErr != nil || echoErr != nil {
			o.Add(Event{At: time.Now(), Kind: KindProbeUnsent})
		}
		o.Sent.Add(1)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// arpRequest builds a broadcast "who has vip, tell src" from mac.
func arpRequest(mac net.HardwareAddr, src, vip netip.Addr) []byte {
	b := make([]byte, 0, 42)
	b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	b = append(b, mac...)
	b = binary.BigEndian.AppendUint16(b, etherTypeARP)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, etherTypeIPv4)
	b = append(b, 6, 4)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = append(b, mac...)
	s, v := src.As4(), vip.As4()
	b = append(b, s[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, v[:]...)
}

// witnessFilter admits ARP, and IPv4 ICMP or protocol 112.
func witnessFilter() ([]bpf.RawInstruction, error) {
	return bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeARP, SkipTrue: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv4, SkipFalse: 4},
		bpf.LoadAbsolute{Off: 23, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoICMP, SkipTrue: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: carp.Protocol, SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
}

func firstIPv4(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP.To4()); ok && n.IP.To4() != nil {
				return ip, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no IPv4 address for the prober to send from", ifi.Name)
}

func bindToDevice(c *icmp.PacketConn, iface string) error {
	pc, ok := c.IPv4PacketConn().PacketConn.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return nil
	}
	rc, err := pc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.BindToDevice(int(fd), iface) }); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("bind ICMP socket to %s: %w", iface, serr)
	}
	return nil
}
