package node

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/carpvm/carpvm/carp"
)

// rawUnicast sends unicast adverts through raw IP sockets of protocol 112
// bound to the interface: the kernel adds the IP header (TTL 255, TOS
// 0xe0 as FreeBSD sends) and resolves the peer's MAC. The sockets read
// nothing (a drop-all filter: the packet link receives), but their being
// open tells the kernel protocol 112 has a listener, so it does not answer
// a peer's unicast adverts with ICMP protocol-unreachable.
type rawUnicast struct {
	ifindex  int
	fd4, fd6 int
}

// OpenRawUnicast opens the raw sockets of iface for the families whose
// source address is valid.
func OpenRawUnicast(iface string, self, self6 netip.Addr) (UnicastSender, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("node: unicast on %s: %w", iface, err)
	}
	u := &rawUnicast{ifindex: ifi.Index, fd4: -1, fd6: -1}
	if self.IsValid() {
		if u.fd4, err = openRaw(unix.AF_INET, iface, self, ifi.Index); err != nil {
			return nil, err
		}
	}
	if self6.IsValid() {
		if u.fd6, err = openRaw(unix.AF_INET6, iface, self6, ifi.Index); err != nil {
			u.Close()
			return nil, err
		}
	}
	return u, nil
}

func openRaw(family int, iface string, src netip.Addr, ifindex int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_RAW|unix.SOCK_CLOEXEC, carp.Protocol)
	if err != nil {
		return -1, fmt.Errorf("node: raw socket for unicast adverts on %s: %w", iface, err)
	}
	drop, _ := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0}})
	filter := []unix.SockFilter{{Code: drop[0].Op, Jt: drop[0].Jt, Jf: drop[0].Jf, K: drop[0].K}}
	var sa unix.Sockaddr
	opts := []error{
		unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, iface),
		unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: 1, Filter: &filter[0]}),
	}
	if family == unix.AF_INET {
		opts = append(opts,
			unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TTL, carp.TTL),
			unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TOS, carp.TOSFreeBSD))
		sa = &unix.SockaddrInet4{Addr: src.As4()}
	} else {
		opts = append(opts,
			unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, carp.TTL),
			unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, carp.TOSFreeBSD))
		sa = &unix.SockaddrInet6{Addr: src.As16(), ZoneId: uint32(ifindex)}
	}
	opts = append(opts, unix.Bind(fd, sa))
	if err := errors.Join(opts...); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("node: raw socket for unicast adverts on %s from %v: %w", iface, src, err)
	}
	return fd, nil
}

// SendTo sends payload to dst; the kernel picks no other source than the
// bound one.
func (u *rawUnicast) SendTo(payload []byte, _, dst netip.Addr) error {
	if dst.Is4() {
		if u.fd4 < 0 {
			return fmt.Errorf("node: no IPv4 source for a unicast advert to %v", dst)
		}
		return unix.Sendto(u.fd4, payload, 0, &unix.SockaddrInet4{Addr: dst.As4()})
	}
	if u.fd6 < 0 {
		return fmt.Errorf("node: no IPv6 source for a unicast advert to %v", dst)
	}
	return unix.Sendto(u.fd6, payload, 0, &unix.SockaddrInet6{Addr: dst.As16(), ZoneId: uint32(u.ifindex)})
}

func (u *rawUnicast) Close() error {
	var errs []error
	for _, fd := range []*int{&u.fd4, &u.fd6} {
		if *fd >= 0 {
			errs = append(errs, unix.Close(*fd))
			*fd = -1
		}
	}
	return errors.Join(errs...)
}
