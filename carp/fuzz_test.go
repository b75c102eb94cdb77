package carp

import (
	"bytes"
	"net/netip"
	"testing"
)

func FuzzUnmarshalAdvert(f *testing.F) {
	frames, _ := vectorAdverts(f)
	for _, fr := range frames {
		f.Add(fr.Payload)
	}
	good, _ := (&Advert{VHID: 9, AdvSkew: 1, AdvBase: 1}).MarshalBinary()
	f.Add(good)
	f.Add([]byte{0x21})
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Advert
		if err := a.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		// The checksum may come back as 0x0000 where it was 0xffff: both are
		// zero in one's complement and receivers accept either (RFC 1624).
		in, out := bytes.Clone(b[:HeaderLen]), bytes.Clone(again)
		if c := in[6:8]; c[0] == 0xff && c[1] == 0xff {
			c[0], c[1] = 0, 0
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("round trip:\n in %x\nout %x", b[:HeaderLen], again)
		}
	})
}

func FuzzParseFrame(f *testing.F) {
	for _, p := range readCapture(f, vectorPath) {
		f.Add(p.Data)
	}
	tagged := sampleFrame(f)
	tagged.VLAN = 7
	f.Add(AppendFrame(nil, tagged))
	v6 := sampleFrame6(f)
	f.Add(AppendFrame(nil, v6))
	v6.VLAN = 9
	f.Add(AppendFrame(nil, v6))
	short := AppendFrame(nil, sampleFrame6(f))
	f.Add(short[:14+40])
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseFrame(b)
		if err != nil {
			return
		}
		again, err := ParseFrame(AppendFrame(nil, fr))
		if err != nil {
			t.Fatalf("re-encoded frame does not parse: %v", err)
		}
		same := bytes.Equal(fr.SrcMAC, again.SrcMAC) && bytes.Equal(fr.DstMAC, again.DstMAC) &&
			fr.VLAN == again.VLAN && fr.Src == again.Src && fr.Dst == again.Dst &&
			fr.TOS == again.TOS && bytes.Equal(fr.Payload, again.Payload) &&
			(fr.TTL == again.TTL || fr.TTL == 0 && again.TTL == TTL)
		if !same {
			t.Fatalf("round trip:\n in %+v\nout %+v", fr, again)
		}
	})
}

// FuzzMachineStep: whatever arrives, Step never panics, and the state only
// changes for an authentic advert (decodes, our vhid, HMAC verifies).
func FuzzMachineStep(f *testing.F) {
	key := netKey(f)
	for _, c := range []uint64{1, 2, 1 << 63} {
		for _, skew := range []uint8{0, 200} {
			a := Advert{VHID: 1, AdvBase: 1, AdvSkew: skew, Counter: c, HMAC: key.Sum(1, netVIPs, c)}
			b, _ := a.MarshalBinary()
			f.Add(true, uint8(255), uint8(12), b)
			f.Add(false, uint8(255), uint8(12), b)
		}
	}
	f.Add(true, uint8(255), uint8(11), []byte{0x21, 1, 0, 7})
	f.Fuzz(func(t *testing.T, master bool, ttl, src uint8, payload []byte) {
		m, err := NewMachine(Config{VHID: 1, AdvBase: 1, AdvSkew: 100, VIPs: netVIPs, Key: key,
			Self: netip.AddrFrom4([4]byte{172, 27, 27, 11}), Counter: 1 << 62})
		if err != nil {
			t.Fatal(err)
		}
		m.Start(t0)
		if master {
			m.Tick(m.Deadline())
		}
		before := m.State()
		dl := m.Deadline()
		m.Step(t0.Add(sec), Received{Src: netip.AddrFrom4([4]byte{172, 27, 27, src}), TTL: ttl, Payload: payload})
		var a Advert
		authentic := ttl == TTL && a.UnmarshalBinary(payload) == nil && a.VHID == 1 &&
			key.Sum(1, netVIPs, a.Counter) == a.HMAC
		if !authentic && (m.State() != before || !m.Deadline().Equal(dl)) {
			t.Fatalf("forged advert %x changed %v -> %v", payload, before, m.State())
		}
		st := m.Status()
		if st.Received+st.Rejected.Total() != 1 {
			t.Fatalf("advert counted %d times", st.Received+st.Rejected.Total())
		}
	})
}

func FuzzDecodeVRRP(f *testing.F) {
	a := VRRPAdvert{VRID: 1, Priority: 100, Interval: 100, Addrs: []netip.Addr{vrrpVIP4}}
	good, _ := a.AppendBinary(nil, vrrpSrc4, GroupV4, VRRPChecksumPseudoHeader)
	f.Add(good, false)
	a6 := VRRPAdvert{VRID: 1, Priority: 100, Interval: 100, Addrs: []netip.Addr{vrrpVIP6}}
	good6, _ := a6.AppendBinary(nil, vrrpSrc6, GroupV6, VRRPChecksumPseudoHeader)
	f.Add(good6, true)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		src, dst := vrrpSrc4, GroupV4
		if v6 {
			src, dst = vrrpSrc6, GroupV6
		}
		got, rej := DecodeVRRP(b, src, dst, VRRPChecksumPseudoHeader)
		if rej != 0 || got.Interval == 0 || got.VRID == 0 {
			return
		}
		// What decodes re-encodes to the same bytes (up to the checksum's
		// two zeros, and the reserved bits the encoder clears).
		again, err := got.AppendBinary(nil, src, dst, VRRPChecksumPseudoHeader)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", got, err)
		}
		if _, rej := DecodeVRRP(again, src, dst, VRRPChecksumPseudoHeader); rej != 0 {
			t.Fatalf("re-encoded advert rejected: %v", rej)
		}
	})
}

// FuzzVRRPMachineStep: whatever arrives on a VRRPv3 group is counted once,
// and only a well-formed advert of the group can change its state.
func FuzzVRRPMachineStep(f *testing.F) {
	self, peer := netip.AddrFrom4([4]byte{172, 27, 27, 11}), netip.AddrFrom4([4]byte{172, 27, 27, 12})
	for _, prio := range []uint8{0, 100, 255} {
		b, _ := (&VRRPAdvert{VRID: 1, Priority: prio, Interval: 100, Addrs: vrrpVIPs}).AppendBinary(nil, peer, GroupV4, VRRPChecksumPseudoHeader)
		f.Add(true, uint8(255), b)
		f.Add(false, uint8(255), b)
	}
	f.Fuzz(func(t *testing.T, master bool, ttl uint8, payload []byte) {
		m, err := NewMachine(Config{VHID: 1, Version: VRRPVersion, Priority: 150, Interval: 100, Preempt: true, VIPs: vrrpVIPs, Self: self})
		if err != nil {
			t.Fatal(err)
		}
		m.Start(t0)
		if master {
			m.Tick(m.Deadline())
		}
		before, dl := m.State(), m.Deadline()
		m.Step(t0.Add(sec), Received{Src: peer, TTL: ttl, Payload: payload})
		_, rej := DecodeVRRP(payload, peer, GroupV4, VRRPChecksumPseudoHeader)
		valid := ttl == TTL && rej == 0 && payload[1] == 1
		if !valid && (m.State() != before || !m.Deadline().Equal(dl)) {
			t.Fatalf("invalid advert %x changed %v -> %v", payload, before, m.State())
		}
		if st := m.Status(); st.Received+st.Rejected.Total() != 1 {
			t.Fatalf("advert counted %d times", st.Received+st.Rejected.Total())
		}
	})
}
