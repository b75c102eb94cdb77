package failover

import (
	"testing"
	"time"
)

func TestAnalyzeFailover(t *testing.T) {
	// router-002 advertises every second until 10.0 s and dies at 10.5 s;
	// router-003 takes over at 10.0 + 3.390 s; replies stop at 10.5 s and
	// resume at 13.45 s from router-003.
	ev := stream{}.
		adverts(r2, 0, 10000, 1000).
		adverts(r3, 13390, 20000, 1390).
		echoes(vmac, 0, 10500).
		echoes(vmac, 13450, 20000).
		arp(13391, KindGARP, vmac).
		arp(15391, KindGARP, vmac).
		arp(13460, KindARPReply, vmac).
		sorted()
	m := Analyze(ev, Window{VHID: 1, Trigger: at(10500), OldMaster: r2, End: at(20000)})
	if m.NewMaster != r3 {
		t.Fatalf("NewMaster = %v, want %v", m.NewMaster, r3)
	}
	check := func(name string, got, want time.Duration) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("Detection", m.Detection, 3390*time.Millisecond)
	check("TriggerToNewMaster", m.TriggerToNewMaster, 2890*time.Millisecond)
	check("Blackout", m.Blackout, 2950*time.Millisecond)
	if !m.BlackoutStart.Equal(at(10500)) || !m.BlackoutEnd.Equal(at(13450)) {
		t.Errorf("blackout %v..%v, want 10.5 s..13.45 s", m.BlackoutStart, m.BlackoutEnd)
	}
	if !m.RepliesResumed {
		t.Error("RepliesResumed = false")
	}
	if len(m.GARPs) != 2 {
		t.Errorf("GARPs = %d, want 2", len(m.GARPs))
	}
	if m.VIPMAC.String() != vmac.String() {
		t.Errorf("VIPMAC = %v", m.VIPMAC)
	}
}

func TestAnalyzeNoNewMaster(t *testing.T) {
	ev := stream{}.adverts(r2, 0, 5000, 1000).echoes(vmac, 0, 5000).sorted()
	m := Analyze(ev, Window{VHID: 1, Trigger: at(5200), OldMaster: r2, End: at(9000)})
	if m.NewMaster.IsValid() {
		t.Errorf("NewMaster = %v, want none", m.NewMaster)
	}
	if m.RepliesResumed || m.Blackout != 4*time.Second || !m.BlackoutEnd.IsZero() {
		t.Errorf("blackout %v resumed %t end %v; want an open 4 s outage", m.Blackout, m.RepliesResumed, m.BlackoutEnd)
	}
}

func TestAnalyzeIgnoresOtherVHIDAndRestore(t *testing.T) {
	ev := stream{}.adverts(r2, 0, 3000, 1000).echoes(vmac, 0, 3000)
	// vhid 2's master is r3: not ours.
	ev = append(ev, Event{At: at(3500), Kind: KindAdvert, VHID: 2, AdvBase: 1, Src: r3})
	ev = ev.adverts(r3, 6000, 8000, 1000).echoes(vmac, 6100, 8000)
	// After End: the restore's failback, with its own outage.
	ev = ev.adverts(r2, 9000, 10000, 1000)
	m := Analyze(ev.sorted(), Window{VHID: 1, Trigger: at(3100), OldMaster: r2, End: at(8500)})
	if m.NewMaster != r3 || !m.FirstNewAdvert.Equal(at(6000)) {
		t.Fatalf("new master %v at %v, want r3 at 6 s", m.NewMaster, m.FirstNewAdvert)
	}
	if m.Detection != 3*time.Second || m.Blackout != 3100*time.Millisecond {
		t.Errorf("detection %v blackout %v, want 3s and 3.1s", m.Detection, m.Blackout)
	}
}

func TestAnalyzeDemoteNoOutage(t *testing.T) {
	// A bow-out: the new master answers within a probe interval.
	ev := stream{}.adverts(r2, 0, 2000, 1000).adverts(r3, 2010, 5000, 1390).echoes(vmac, 0, 5000).sorted()
	m := Analyze(ev, Window{VHID: 1, Trigger: at(2001), OldMaster: r2, End: at(5005)})
	if m.Detection != 10*time.Millisecond || m.Blackout != 10*time.Millisecond || !m.RepliesResumed {
		t.Errorf("detection %v blackout %v resumed %t; want 10ms, 10ms (probe spacing), true", m.Detection, m.Blackout, m.RepliesResumed)
	}
}

func TestAnalyzeReplyMACs(t *testing.T) {
	// The new master answers ARP with its own MAC but sends echo replies
	// from yet another: the VIP resolves to the ARP answer.
	other := r3mac
	ev := stream{}.adverts(r2, 0, 1000, 1000).adverts(r3, 4000, 6000, 1390).
		echoes(vmac, 0, 1000).echoes(other, 4100, 6000).arp(4050, KindARPReply, vmac).sorted()
	m := Analyze(ev, Window{VHID: 1, Trigger: at(1100), OldMaster: r2})
	if m.VIPMAC.String() != vmac.String() || m.EchoMAC.String() != other.String() {
		t.Errorf("VIPMAC %v EchoMAC %v; want %v and %v", m.VIPMAC, m.EchoMAC, vmac, other)
	}
	if m.EchoReplies != 191 {
		t.Errorf("EchoReplies = %d, want 191", m.EchoReplies)
	}
}

func TestAnalyzePartition(t *testing.T) {
	// Both advertise from 4.39 s (split) until the heal at 9 s; router-003
	// hears router-002's faster adverts and steps down after 9.95 s.
	ev := stream{}.adverts(r2, 0, 14000, 1000).adverts(r3, 4390, 9950, 1390).echoes(vmac, 0, 14000).sorted()
	w := Window{VHID: 1, Trigger: at(1000), OldMaster: r2, Heal: at(9000), End: at(14000)}
	m := Analyze(ev, w)
	if m.NewMaster != r3 || m.TriggerToNewMaster != 3390*time.Millisecond {
		t.Fatalf("new master %v after %v", m.NewMaster, m.TriggerToNewMaster)
	}
	if !m.SplitEnded || m.SplitBrain != 5560*time.Millisecond {
		t.Errorf("split ended %t after %v, want true after 5.56 s", m.SplitEnded, m.SplitBrain)
	}
	// Just after the heal the split is still on.
	w.End = at(9500)
	if m := Analyze(ev, w); m.SplitEnded {
		t.Error("split reported ended while router-003 still advertises")
	}
	// Without a heal there is no split-brain figure.
	w.Heal, w.End = time.Time{}, at(14000)
	if m := Analyze(ev, w); m.SplitEnded || m.SplitBrain != 0 {
		t.Errorf("no heal: SplitEnded %t SplitBrain %v", m.SplitEnded, m.SplitBrain)
	}
}

func TestMaster(t *testing.T) {
	ev := stream{}.adverts(r2, 0, 2000, 1000).adverts(r3, 5000, 6000, 1000).sorted()
	if m, ok := Master(ev, 1, at(3000)); !ok || m != r2 {
		t.Errorf("Master at 3 s = %v, %t", m, ok)
	}
	if m, _ := Master(ev, 1, time.Time{}); m != r3 {
		t.Errorf("Master at the end = %v", m)
	}
	if _, ok := Master(ev, 9, time.Time{}); ok {
		t.Error("a master for a vhid nobody advertises")
	}
}

// A probe round the witness could not send (its WriteTo failed) inside the
// blackout is counted: that blackout is partly the witness's own. Rounds
// unsent before the trigger or after the replies resumed are not.
func TestAnalyzeCountsUnsentProbesInTheBlackout(t *testing.T) {
	s := stream{}.adverts(r2, 0, 10000, 1000).adverts(r3, 13390, 20000, 1390).
		echoes(vmac, 0, 10500).echoes(vmac, 13450, 20000)
	for _, ms := range []int{9000, 11000, 11010, 11020, 20000} {
		s = append(s, Event{At: at(ms), Kind: KindProbeUnsent})
	}
	m := Analyze(s.sorted(), Window{VHID: 1, Trigger: at(10500), OldMaster: r2, End: at(20000)})
	if m.ProbesUnsent != 3 {
		t.Errorf("ProbesUnsent = %d, want the 3 rounds inside the 10.5-13.45 s blackout", m.ProbesUnsent)
	}
	// An open blackout (replies never came back) counts to the window's end.
	open := stream{}.adverts(r2, 0, 5000, 1000).echoes(vmac, 0, 5000)
	open = append(open, Event{At: at(6000), Kind: KindProbeUnsent}, Event{At: at(8000), Kind: KindProbeUnsent})
	if m := Analyze(open.sorted(), Window{VHID: 1, Trigger: at(5200), OldMaster: r2, End: at(9000)}); m.ProbesUnsent != 2 {
		t.Errorf("open blackout: ProbesUnsent = %d, want 2", m.ProbesUnsent)
	}
}
