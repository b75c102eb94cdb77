package node

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/internal/netns"
)

// ucarp starts a real ucarp on r with up/down scripts that add/remove the
// VIP inside r's namespace and record the last role in a state file.
func (p *pairLab) ucarp(t testing.TB, r *netns.Port, self string, advskew int, passFile string) (*netns.Process, string) {
	t.Helper()
	if _, err := exec.LookPath("ucarp"); err != nil {
		t.Skip("skipping: ucarp not installed (make test-deps installs it)")
	}
	state := filepath.Join(p.dir, r.NS.Short+".ucarp-state")
	up := filepath.Join(p.dir, r.NS.Short+"-up.sh")
	down := filepath.Join(p.dir, r.NS.Short+"-down.sh")
	for _, s := range []struct{ path, body string }{
		{up, fmt.Sprintf("#!/bin/sh\nip addr add \"$2\"/28 dev \"$1\" 2>/dev/null\necho MASTER > %s\n", state)},
		{down, fmt.Sprintf("#!/bin/sh\nip addr del \"$2\"/28 dev \"$1\" 2>/dev/null\necho BACKUP > %s\n", state)},
	} {
		if err := os.WriteFile(s.path, []byte(s.body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	proc := startLogged(t, r, "ucarp", "ucarp", "--interface="+r.IfName, "--srcip="+self, "--vhid=1",
		"--passfile="+passFile, "--addr="+e2eVIP, "--advbase=1", fmt.Sprintf("--advskew=%d", advskew),
		"--upscript="+up, "--downscript="+down, "--shutdown")
	return proc, state
}

// 2. carpvm and ucarp interoperate in both roles.
func TestWireUcarpInterop(t *testing.T) {
	t.Parallel()
	t.Run("carpvm master, ucarp backup", func(t *testing.T) {
		t.Parallel()
		p := newPairLab(t)
		n1, s1 := p.node(t, p.r1, 0)
		p.waitState(t, "carpvm r1", s1, carp.Master, 15*time.Second)
		_, state := p.ucarp(t, p.r2, "172.27.27.12", 100, filepath.Join(p.dir, "pass"))
		// ucarp runs its down script at start, then stays BACKUP while
		// carpvm's adverts are accepted.
		waitRole(t, "ucarp", state, "BACKUP", 5*time.Second)
		time.Sleep(5 * time.Second) // more than ucarp's master-down (3.4 s)
		if got := peerRole(state); got != "BACKUP" {
			t.Fatalf("ucarp became %s while carpvm was master: it did not accept carpvm's adverts", got)
		}
		p.clientReaches(t, 5*time.Second)
		// Stopping carpvm hands over to ucarp at once (bow-out).
		if err := n1.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitRole(t, "ucarp", state, "MASTER", 3*time.Second)
		p.clientReaches(t, 10*time.Second)
	})
	t.Run("ucarp master, carpvm backup", func(t *testing.T) {
		t.Parallel()
		p := newPairLab(t)
		u, state := p.ucarp(t, p.r1, "172.27.27.11", 0, filepath.Join(p.dir, "pass"))
		waitRole(t, "ucarp", state, "MASTER", 15*time.Second)
		_, s2 := p.node(t, p.r2, 100)
		p.waitState(t, "carpvm r2", s2, carp.Backup, 5*time.Second)
		// Three of ucarp's adverts (one a second) accepted: polled, not
		// slept for.
		var st GroupStatus
		eventually(t, "carpvm r2 accepts 3 of ucarp's adverts", 10*time.Second, func() (bool, string) {
			st = p.waitState(t, "carpvm r2", s2, carp.Backup, time.Second)
			return st.Received >= 3, fmt.Sprintf("%d accepted", st.Received)
		})
		if st.MasterSeen != netip.MustParseAddr("172.27.27.11") {
			t.Errorf("carpvm's master seen %v; want ucarp 172.27.27.11", st.MasterSeen)
		}
		if r := st.Rejected.Total(); r != 0 {
			t.Errorf("carpvm rejected %d of ucarp's adverts (%v); ucarp's random counters must not count as replays", r, rejectsString(st.Rejected))
		}
		// Killing ucarp: carpvm takes over after its master-down.
		if err := u.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.waitState(t, "carpvm r2 after ucarp died", s2, carp.Master, 10*time.Second)
	})
	t.Run("different passphrases", func(t *testing.T) {
		t.Parallel()
		p := newPairLab(t)
		_, s1 := p.node(t, p.r1, 0)
		_, state := p.ucarp(t, p.r2, "172.27.27.12", 100, p.passFile(t, "other", "not-the-same-one"))
		p.waitState(t, "carpvm r1", s1, carp.Master, 15*time.Second)
		// ucarp rejects carpvm's adverts and takes over itself too.
		waitRole(t, "ucarp", state, "MASTER", 10*time.Second)
		var st GroupStatus
		eventually(t, "carpvm r1 rejects 2 of ucarp's adverts", 10*time.Second, func() (bool, string) {
			st = p.waitState(t, "carpvm r1", s1, carp.Master, time.Second)
			return st.Rejected.Of(carp.RejectHMAC) >= 2, rejectsString(st.Rejected)
		})
		if st.Received != 0 {
			t.Errorf("carpvm: bad_hmac %d, accepted %d; want ucarp's adverts rejected as bad_hmac", st.Rejected.Of(carp.RejectHMAC), st.Received)
		}
		if st.Rejected.Of(carp.RejectEcho) != 0 {
			t.Errorf("carpvm took %d of ucarp's adverts for its own", st.Rejected.Of(carp.RejectEcho))
		}
	})
}

func rejectsString(c carp.RejectCounts) string {
	var s []string
	for _, r := range carp.Rejects() {
		if v := c.Of(r); v > 0 {
			s = append(s, fmt.Sprintf("%s=%d", r, v))
		}
	}
	return strings.Join(s, " ")
}

// 4. A flood of forged adverts (bad HMAC, replays of captured genuine
// ones) from a third namespace neither unseats the master nor changes any
// state; the counters grow; the log stays rate-limited.
func TestWireFlood(t *testing.T) {
	t.Parallel()
	p := newPairLab(t)
	n1, s1 := p.node(t, p.r1, 0)
	_, s2 := p.node(t, p.r2, 100)
	p.waitState(t, "r1", s1, carp.Master, 15*time.Second)
	p.waitState(t, "r2", s2, carp.Backup, 5*time.Second)
	evil := p.host(t, "ev", "172.27.27.13/28")
	link := openLink(t, evil, LinkOptions{})

	before1, _ := p.status(t, s1)
	before2, _ := p.status(t, s2)
	sent, dur := flood(t, link, 5*time.Second)
	t.Logf("flood: %d forged frames in %s (%.0f/s)", sent, dur, float64(sent)/dur.Seconds())

	after1 := p.waitState(t, "r1 after the flood", s1, carp.Master, time.Second)
	after2 := p.waitState(t, "r2 after the flood", s2, carp.Backup, time.Second)
	if after1.Transitions != before1.Transitions || after2.Transitions != before2.Transitions {
		t.Errorf("transitions changed: r1 %d->%d, r2 %d->%d", before1.Transitions, after1.Transitions, before2.Transitions, after2.Transitions)
	}
	d1, d2 := after1.Rejected.Sub(before1.Rejected), after2.Rejected.Sub(before2.Rejected)
	if d1.Of(carp.RejectHMAC) == 0 || d2.Of(carp.RejectHMAC) == 0 {
		t.Errorf("bad_hmac did not grow: r1 +%d, r2 +%d", d1.Of(carp.RejectHMAC), d2.Of(carp.RejectHMAC))
	}
	if d2.Of(carp.RejectReplay) == 0 {
		t.Errorf("r2 counted no replay: %s", rejectsString(d2))
	}
	if d1.Of(carp.RejectEcho)+d1.Of(carp.RejectReplay) == 0 {
		t.Errorf("r1 counted no echo/replay of its own adverts: %s", rejectsString(d1))
	}
	t.Logf("r1 rejected %s; r2 rejected %s", rejectsString(d1), rejectsString(d2))
	// One summary per 10 s, never one line per packet.
	eventually(t, "a rejection summary in r1's log", 12*time.Second, func() (bool, string) {
		return strings.Contains(n1.Output(), "rejected "), ""
	})
	if lines := strings.Count(n1.Output(), "\n"); lines > 20 {
		t.Errorf("r1 logged %d lines during a %d-frame flood; want a few summaries:\n%s", lines, sent, n1.Output())
	}
}

// flood sends forged adverts for d from link: one with a wrong key and the
// most aggressive timing (advbase 0, advskew 0), then a replay of a
// genuine advert captured from the master, alternately.
func flood(t testing.TB, link *PacketLink, d time.Duration) (int, time.Duration) {
	t.Helper()
	var genuine []byte
	buf := make([]byte, 2048)
	if err := link.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for genuine == nil {
		n, err := link.ReadFrame(buf)
		if err != nil {
			t.Fatalf("capturing a genuine advert: %v", err)
		}
		if f, err := carp.ParseFrame(buf[:n]); err == nil && f.Src == netip.MustParseAddr("172.27.27.11") {
			genuine = append([]byte(nil), buf[:n]...)
		}
	}
	wrong, _ := carp.NewKey([]byte("forged"))
	start := time.Now()
	sent := 0
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	frame := make([]byte, 0, 128)
	for i := uint64(0); ctx.Err() == nil; i++ {
		adv := carp.Advert{VHID: 1, Counter: i}
		adv.HMAC = wrong.Sum(1, []netip.Addr{netip.MustParseAddr(e2eVIP)}, i)
		pl, _ := adv.MarshalBinary()
		frame = carp.AppendFrame(frame[:0], carp.Frame{SrcMAC: carp.VirtualMAC(1),
			Src: netip.MustParseAddr("172.27.27.13"), Dst: carp.GroupV4, Payload: pl})
		if err := link.WriteFrame(frame); err == nil {
			sent++
		}
		if err := link.WriteFrame(genuine); err == nil {
			sent++
		}
	}
	return sent, time.Since(start)
}
