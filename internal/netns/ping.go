//go:build linux

package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// Pinger sends ICMP echo requests from inside a namespace (no ping binary
// needed). It is not safe for concurrent use.
type Pinger struct {
	conn *icmp.PacketConn
	id   int
	seq  int
}

var pingID atomic.Uint32

// Pinger opens a raw ICMP socket inside n.
func (n *Namespace) Pinger() (*Pinger, error) {
	var conn *icmp.PacketConn
	err := n.Do(func() error {
		var err error
		conn, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netns: icmp socket in %s: %w", n.Name, err)
	}
	id := (os.Getpid()<<4 + int(pingID.Add(1))) & 0xffff
	return &Pinger{conn: conn, id: id}, nil
}

// Close closes the socket.
func (p *Pinger) Close() error { return p.conn.Close() }

// Ping sends one echo request to dst and waits at most timeout for its
// reply.
func (p *Pinger) Ping(dst netip.Addr, timeout time.Duration) error {
	if !dst.Is4() {
		return fmt.Errorf("netns: ping %s: only IPv4", dst)
	}
	p.seq = (p.seq + 1) & 0xffff
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: p.seq, Data: []byte("carpvm")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return err
	}
	if _, err := p.conn.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return fmt.Errorf("netns: ping %s: %w", dst, err)
	}
	deadline := time.Now().Add(timeout)
	if err := p.conn.SetReadDeadline(deadline); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("netns: ping %s: no reply within %s", dst, timeout)
			}
			return fmt.Errorf("netns: ping %s: %w", dst, err)
		}
		rm, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || rm.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		echo, ok := rm.Body.(*icmp.Echo)
		if !ok || echo.ID != p.id || echo.Seq != p.seq {
			continue
		}
		if a, ok := from.(*net.IPAddr); !ok || !a.IP.Equal(dst.AsSlice()) {
			continue
		}
		return nil
	}
}

// PingUntil pings dst every interval until a reply comes or ctx ends.
func (p *Pinger) PingUntil(ctx context.Context, dst netip.Addr, interval time.Duration) error {
	for {
		err := p.Ping(dst, interval)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		default:
		}
	}
}
