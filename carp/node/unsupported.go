//go:build !linux

package node

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
)

// ErrNotLinux is returned by everything that needs Linux (AF_PACKET,
// netlink): the node, watching an interface, cleanup. The rest of carpvm
// (preflight, --fix, rollback, render, sim, watch --read) runs anywhere.
var ErrNotLinux = errors.New("node: the CARP node and live watching need Linux (AF_PACKET and netlink); on " +
	runtime.GOOS + " use watch --read with a capture file")

// PacketLink is the Linux AF_PACKET link; elsewhere it cannot be opened.
type PacketLink struct{}

// LinkOptions configure a PacketLink.
type LinkOptions struct {
	IgnoreOutgoing bool
	Promiscuous    bool
	VLANTags       bool
	Ring           bool
}

// OpenPacketLink needs Linux.
func OpenPacketLink(string, LinkOptions) (*PacketLink, error) { return nil, ErrNotLinux }

// ReadFrame implements Link.
func (*PacketLink) ReadFrame([]byte) (int, error) { return 0, ErrNotLinux }

// WriteFrame implements Link.
func (*PacketLink) WriteFrame([]byte) error { return ErrNotLinux }

// HardwareAddr implements Link.
func (*PacketLink) HardwareAddr() net.HardwareAddr { return nil }

// Close implements Link.
func (*PacketLink) Close() error { return nil }

// InterfaceSourceAddr needs Linux.
func InterfaceSourceAddr(string, []netip.Addr) (netip.Addr, error) { return netip.Addr{}, ErrNotLinux }

// InterfaceLinkLocal needs Linux.
func InterfaceLinkLocal(string, []netip.Addr) (netip.Addr, error) { return netip.Addr{}, ErrNotLinux }

func ipv6Forwarding(string) bool { return false }

func defaultVIPs(Group, *slog.Logger) VIPHolder { return unsupportedVIPs{} }

type unsupportedVIPs struct{}

func (unsupportedVIPs) Prepare() error               { return ErrNotLinux }
func (unsupportedVIPs) Claim() error                 { return ErrNotLinux }
func (unsupportedVIPs) Release() error               { return ErrNotLinux }
func (unsupportedVIPs) GARPSource() net.HardwareAddr { return nil }

// NetlinkLinks needs Linux.
func NetlinkLinks(context.Context, []string) (map[string]bool, <-chan LinkEvent, error) {
	return nil, nil, ErrNotLinux
}

// Cleanup needs Linux.
func Cleanup([]Group, *slog.Logger) error { return ErrNotLinux }

// dropImagePages does nothing off Linux.
func dropImagePages() (int, error) { return 0, nil }

// OpenRawUnicast needs Linux.
func OpenRawUnicast(string, netip.Addr, netip.Addr) (UnicastSender, error) { return nil, ErrNotLinux }

// groupLock is the Linux group lock (an abstract unix socket); elsewhere
// it cannot be taken.
type groupLock struct{}

func lockGroup(string, uint8) (*groupLock, error) { return nil, ErrNotLinux }

func (*groupLock) unlock() {}
