package node

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/witness"
)

var (
	testVIP6  = netip.MustParsePrefix("2001:db8::14/64")
	dualStack = []netip.Prefix{testVIP, testVIP6}
)

// wireFrame is a frame seen by a tap on the hub, decoded.
type wireFrame struct {
	at     time.Time
	srcMAC string
	// advert
	advert  bool
	f       carp.Frame
	counter uint64
	// neighbour advertisement
	na               bool
	naTarget         netip.Addr
	naFlags          byte
	naLLAddr, naDest string
	garp             bool
}

// tapFrames reads what the tap received so far.
func tapFrames(t *testing.T, tap *memLink) []wireFrame {
	t.Helper()
	var out []wireFrame
	buf := make([]byte, 2048)
	for {
		select {
		case b := <-tap.in:
			n := copy(buf, b)
			out = append(out, decodeWire(buf[:n]))
		default:
			return out
		}
	}
}

func decodeWire(b []byte) wireFrame {
	w := wireFrame{at: time.Now(), srcMAC: net.HardwareAddr(b[6:12]).String()}
	if f, err := carp.ParseFrame(b); err == nil {
		var a carp.Advert
		if a.UnmarshalBinary(f.Payload) == nil {
			w.advert, w.f, w.counter = true, f, a.Counter
		}
		return w
	}
	switch binary.BigEndian.Uint16(b[12:14]) {
	case 0x0806:
		w.garp = true
	case 0x86dd:
		if len(b) >= naLen && b[14+6] == protoICMPv6 && b[14+40] == icmpv6NA {
			icmp := b[14+40:]
			w.na = true
			w.naDest = net.HardwareAddr(b[0:6]).String()
			w.naFlags = icmp[4]
			w.naTarget = netip.AddrFrom16([16]byte(icmp[8:24]))
			w.naLLAddr = net.HardwareAddr(icmp[26:32]).String()
		}
	}
	return w
}

// A dual-stack group advertises in both families every interval (IPv4 to
// 224.0.0.18 from the IPv4 address, IPv6 to ff02::12 from the link-local
// address, consecutive counters, both from the virtual MAC); the backup
// accepts both without counting a replay; on takeover the new master
// announces the IPv4 VIP by gratuitous ARP and the IPv6 VIP by an
// unsolicited NA (Override, Router when forwarding), now and two intervals
// later.
func TestDualStackGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		tap := h.port(net.HardwareAddr{2, 0, 0, 0, 0, 0x66})
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100, vips: dualStack, forwarding: true})
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0, vips: dualStack})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)
		wantState(t, "b", b, carp.Backup)
		tapFrames(t, tap) // the election so far

		time.Sleep(3 * time.Second)
		synctest.Wait()
		var v4, v6 []wireFrame
		for _, w := range tapFrames(t, tap) {
			if !w.advert {
				continue
			}
			if w.srcMAC != carp.VirtualMAC(1).String() {
				t.Errorf("advert from %s, want the virtual MAC", w.srcMAC)
			}
			switch {
			case w.f.Src == netip.MustParseAddr("172.27.27.11") && w.f.Dst == carp.GroupV4:
				v4 = append(v4, w)
			case w.f.Src == netip.MustParseAddr("fe80::b") && w.f.Dst == carp.GroupV6 && w.f.TTL == 255 && w.f.TOS == carp.TOSFreeBSD:
				v6 = append(v6, w)
			default:
				t.Errorf("unexpected advert %+v", w.f)
			}
		}
		if len(v4) != 3 || len(v6) != 3 {
			t.Fatalf("in 3 s: %d IPv4 and %d IPv6 adverts, want 3 and 3", len(v4), len(v6))
		}
		for i := range v4 {
			if v6[i].counter != v4[i].counter+1 {
				t.Errorf("interval %d: IPv4 counter %d, IPv6 %d; want consecutive", i, v4[i].counter, v6[i].counter)
			}
		}
		st := b.status(t)
		if st.Rejected.Total() != 0 || st.Received < 6 {
			t.Errorf("backup: %d accepted, rejections %+v; want both families accepted, none rejected", st.Received, st.Rejected)
		}

		// b takes over 3.39 s after a's last advert at most; its second
		// announcement follows two intervals (2.78 s) later.
		a.link.cut.Store(true)
		var after []wireFrame
		for range 70 { // 7 s in steps of 0.1 s, to time each frame
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
			after = append(after, tapFrames(t, tap)...)
		}
		wantState(t, "b after a's crash", b, carp.Master)
		var nas, garps int
		var first, second time.Time
		for _, w := range after {
			switch {
			case w.garp:
				garps++
			case w.na:
				nas++
				if w.naTarget != testVIP6.Addr() || w.naLLAddr != "00:00:5e:00:01:01" || w.naDest != "33:33:00:00:00:01" ||
					w.naFlags != naFlagOverride|naFlagRouter || w.srcMAC != "00:00:5e:00:01:01" {
					t.Errorf("NA %+v; want target %s, link-layer and source 00:00:5e:00:01:01, to ff02::1, Override+Router", w, testVIP6.Addr())
				}
				if first.IsZero() {
					first = w.at
				} else {
					second = w.at
				}
			}
		}
		if nas != 2 || garps != 2 {
			t.Fatalf("after takeover: %d NAs and %d GARPs, want 2 of each (now and two intervals later)", nas, garps)
		}
		if gap := second.Sub(first); gap < 2700*time.Millisecond || gap > 2900*time.Millisecond {
			t.Errorf("second NA %s after the first; want two intervals (2 x 1.39 s)", gap)
		}
		a.stop(t)
		b.stop(t)
	})
}

// An IPv6-only group needs no IPv4 address on its interface, advertises to
// ff02::12 only, and a peer's routed (hop limit < 255) IPv6 advert is
// refused as bad_ttl.
func TestIPv6OnlyGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		tap := h.port(net.HardwareAddr{2, 0, 0, 0, 0, 0x66})
		a := startSim(t, h, simOpts{self: "172.27.27.11", vips: []netip.Prefix{testVIP6}, noIPv4: true})
		time.Sleep(6 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)
		for _, w := range tapFrames(t, tap) {
			if w.advert && (w.f.Dst != carp.GroupV6 || w.f.Src != netip.MustParseAddr("fe80::b")) {
				t.Errorf("advert %v -> %v; want fe80::b -> ff02::12 only", w.f.Src, w.f.Dst)
			}
			if w.garp {
				t.Error("gratuitous ARP from an IPv6-only group")
			}
			if w.na && w.naFlags != naFlagOverride {
				t.Errorf("NA flags %#x; want Override only (no forwarding)", w.naFlags)
			}
		}
		k := testKey(t, "123piano2026%")
		adv := carp.Advert{VHID: 1, AdvBase: 1, Counter: 99, HMAC: k.Sum(1, []netip.Addr{testVIP6.Addr()}, 99)}
		p, _ := adv.MarshalBinary()
		routed := carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1), Src: netip.MustParseAddr("fe80::c"),
			Dst: carp.GroupV6, TTL: 64, Payload: p})
		tap.WriteFrame(routed)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		if st := a.status(t); st.Rejected.Of(carp.RejectTTL) != 1 || st.State != carp.Master {
			t.Errorf("routed IPv6 advert: bad_ttl %d, state %v; want 1, MASTER", st.Rejected.Of(carp.RejectTTL), st.State)
		}
		// The same advert with hop limit 255 is authentic and faster: a
		// steps down, as for IPv4.
		tap.WriteFrame(bytes.Clone(carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1), Src: netip.MustParseAddr("fe80::c"),
			Dst: carp.GroupV6, TTL: 255, Payload: p})))
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		wantState(t, "a after a faster IPv6 master", a, carp.Backup)
		if got := a.status(t).MasterSeen; got != netip.MustParseAddr("fe80::c") {
			t.Errorf("master seen %v, want fe80::c", got)
		}
		a.stop(t)
	})
}

// Watch decodes IPv6 adverts read from a link and the witness shows their
// group in the IPv6 family, with the link-local source and a verified HMAC.
func TestWatchReadsIPv6(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		in := h.port(net.HardwareAddr{2, 0, 0, 0, 0, 1})
		out := h.port(net.HardwareAddr{2, 0, 0, 0, 0, 2})
		k := testKey(t, "123piano2026%")
		vips := []netip.Addr{testVIP.Addr(), testVIP6.Addr()}
		src := netip.MustParseAddr("fe80::11")
		for i := range 3 {
			a := carp.Advert{VHID: 1, AdvBase: 1, Counter: uint64(i), HMAC: k.Sum(1, vips, uint64(i))}
			p, _ := a.MarshalBinary()
			out.WriteFrame(carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(1), Src: src, Dst: carp.GroupV6, TOS: carp.TOSFreeBSD, Payload: p}))
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		w := witness.New(witness.Options{Key: &k, VIPs: map[uint8][]netip.Addr{1: vips}})
		s := Watch(ctx, in, w, WatchOptions{})
		if len(s.Groups) != 1 || s.Groups[0].Family != witness.IPv6 || len(s.Groups[0].Advertisers) != 1 {
			t.Fatalf("groups %+v; want one IPv6 group", s.Groups)
		}
		if a := s.Groups[0].Advertisers[0]; a.Src != src || a.Adverts != 3 || a.Auth != witness.AuthOK || a.TTL != 255 {
			t.Errorf("advertiser %+v; want 3 verified adverts from %s, hop limit 255", a, src)
		}
	})
}
