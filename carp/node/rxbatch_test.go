package node

import (
	"net/netip"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
)

func TestJudgedAtIsTheArrival(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC) // the node's clock
	wall := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		arrived time.Time
		want    time.Time
	}{
		{"unknown arrival", time.Time{}, now},
		{"3 ms in the ring", wall.Add(-3 * time.Millisecond), now.Add(-3 * time.Millisecond)},
		{"stamped after now (the wall clock stepped back)", wall.Add(time.Second), now},
		{"older than maxRxAge (the wall clock stepped forward)", wall.Add(-maxRxAge), now},
	} {
		if got := (rxFrame{arrived: tc.arrived}).judgedAt(now, wall); !got.Equal(tc.want) {
			t.Errorf("%s: judged at %s; want %s", tc.name, got, tc.want)
		}
	}
}

func TestRxBatchCopiesPayloadsWithoutAllocating(t *testing.T) {
	adv := carp.Advert{VHID: 3, AdvBase: 1, Counter: 9}
	pl, err := adv.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	frame := carp.AppendFrame(nil, carp.Frame{SrcMAC: carp.VirtualMAC(3), Src: netip.MustParseAddr("10.0.0.1"), Dst: carp.GroupV4, Payload: pl})
	free := newRxBatches()
	b := <-free
	l := &ifLink{name: "eth0"}
	n := 0
	for b.add(l, frame, time.Time{}) {
		n++
	}
	if n != rxBatchFrames {
		t.Fatalf("a batch took %d frames; want %d", n, rxBatchFrames)
	}
	frame[14+20+1] = 99 // the reader's buffer is reused: the batch has its own copy
	for i, rf := range b.frames {
		if rf.err != nil || rf.frame.Payload[1] != 3 || rf.frame.Src != netip.MustParseAddr("10.0.0.1") || rf.frame.SrcMAC != nil {
			t.Fatalf("frame %d: %+v (err %v); want vhid 3 from 10.0.0.1, no MACs kept", i, rf.frame, rf.err)
		}
	}
	b.release()
	if allocs := testing.AllocsPerRun(100, func() {
		b := <-free
		for b.add(l, frame, time.Time{}) {
		}
		b.release()
	}); allocs != 0 {
		t.Errorf("filling and releasing a batch allocates %.0f times; want 0", allocs)
	}
	bad := append([]byte(nil), frame...)
	bad[14+9] = 17 // not protocol 112
	b = <-free
	b.add(l, bad, time.Time{})
	if rf := b.frames[0]; rf.err == nil || rf.frame.SrcMAC != nil {
		t.Errorf("malformed frame kept as %+v, err %v; want an error and nothing pointing into the reader's buffer", rf.frame, rf.err)
	}
}
