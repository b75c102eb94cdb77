package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/carpvm/carpvm/internal/netns"
)

// echoReplyMACs pings vip from the client port a few times while an
// AF_PACKET socket in the client's namespace captures what comes back, and
// returns the Ethernet source of every ICMP echo reply from vip addressed
// to the client (at least one, or the test fails).
func echoReplyMACs(t testing.TB, client *netns.Port, vip netip.Addr, within time.Duration) []string {
	t.Helper()
	var conn *packet.Conn
	if err := client.NS.Do(func() error {
		ifi, err := net.InterfaceByName(client.IfName)
		if err != nil {
			return err
		}
		conn, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_IP, nil)
		return err
	}); err != nil {
		t.Fatalf("capture socket in %s: %v", client.NS.Name, err)
	}
	defer conn.Close()

	pinger, err := client.NS.Pinger()
	if err != nil {
		t.Fatal(err)
	}
	defer pinger.Close()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for i := range 3 {
		if err := pinger.PingUntil(ctx, vip, 200*time.Millisecond); err != nil {
			t.Fatalf("client ping %d to %s: %v", i+1, vip, err)
		}
	}
	// The replies are queued on the capture socket; read until it is quiet.
	var macs []string
	buf := make([]byte, 2048)
	for {
		if err := conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		n, _, err := conn.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatalf("capture in %s: %v", client.NS.Name, err)
		}
		if mac, ok := echoReplySource(buf[:n], vip); ok {
			macs = append(macs, mac)
		}
	}
	if len(macs) == 0 {
		t.Fatalf("captured no echo reply from %s in %s", vip, client.NS.Name)
	}
	return macs
}

// echoReplySource returns the Ethernet source of an untagged IPv4 ICMP
// echo reply from src, or false for any other frame.
func echoReplySource(frame []byte, src netip.Addr) (string, bool) {
	if len(frame) < 14+20+8 || binary.BigEndian.Uint16(frame[12:14]) != unix.ETH_P_IP {
		return "", false
	}
	ip := frame[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ihl < 20 || len(ip) < ihl+8 || ip[9] != unix.IPPROTO_ICMP {
		return "", false
	}
	if netip.AddrFrom4([4]byte(ip[12:16])) != src || ip[ihl] != 0 /* echo reply */ {
		return "", false
	}
	return net.HardwareAddr(frame[6:12]).String(), true
}

// replyFromVMAC checks that every echo reply from the VIP the client gets
// comes from the virtual MAC.
func (p *pairLab) replyFromVMAC(t testing.TB, when string) {
	t.Helper()
	macs := echoReplyMACs(t, p.client, netip.MustParseAddr(e2eVIP), 10*time.Second)
	for _, m := range macs {
		if m != e2eVMAC {
			t.Errorf("%s: echo reply from %s has Ethernet source %s; want the virtual MAC %s (all: %v)", when, e2eVIP, m, e2eVMAC, macs)
			return
		}
	}
}

// vipRules returns the IPv4 policy rules in r's namespace that mention the
// VIP, one per line.
func vipRules(t testing.TB, r *netns.Port) []string {
	t.Helper()
	out, err := r.NS.Run(context.Background(), "ip", "-4", "rule", "show")
	if err != nil {
		t.Fatalf("ip rule in %s: %v", r.NS.Name, err)
	}
	var rules []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, e2eVIP) {
			rules = append(rules, strings.TrimSpace(l))
		}
	}
	return rules
}

// wantVIPRule checks that r holds exactly carpvm's rule for the VIP
// (present) or no rule for it at all.
func (p *pairLab) wantVIPRule(t testing.TB, who string, r *netns.Port, present bool) {
	t.Helper()
	got := vipRules(t, r)
	if !present {
		if len(got) != 0 {
			t.Errorf("%s: rules left for the VIP: %q", who, got)
		}
		return
	}
	var idx int
	if err := r.NS.Do(func() error {
		ifi, err := net.InterfaceByName(r.IfName)
		if err != nil {
			return err
		}
		idx = ifi.Index
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	table, err := RouteTable(idx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d:\tfrom %s lookup %d", RulePriority, e2eVIP, table)
	if len(got) != 1 || got[0] != want {
		t.Errorf("%s: rules for the VIP %q; want [%q]", who, got, want)
	}
}
