package node

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWireFilterAdmits sends every filter case over a bridge to a link
// opened as the node opens it (filter, ring, 802.1Q tags read back) and
// checks that exactly the frames the node must see arrive, byte for byte
// (a tag the kernel took out is put back). Each case is told apart by its
// source MAC. The runts are left out: Ethernet cannot send a frame
// shorter than its header.
func TestWireFilterAdmits(t *testing.T) {
	t.Parallel()
	lb := newLab(t)
	for _, k := range []string{"net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.bridge.bridge-nf-call-arptables"} {
		_ = lb.br.NS.Sysctl(t.Context(), k, "0")
	}
	a := lb.host(t, "a", "10.78.0.1/24")
	b := lb.host(t, "b", "10.78.0.2/24")
	rx := openLink(t, b, LinkOptions{IgnoreOutgoing: true, VLANTags: true, Ring: true, Promiscuous: true})
	fd := rawSocket(t, a)

	cases := filterCases(t)
	sent := map[byte]filterCase{}
	for i, c := range cases {
		if len(c.frame) < 14 {
			continue
		}
		f := append([]byte(nil), c.frame...)
		copy(f[6:12], []byte{0x02, 0, 0, 0, 0x7e, byte(i)})
		if _, err := unix.Write(fd, f); err != nil {
			t.Fatalf("send %s: %v", c.name, err)
		}
		c.frame = f
		sent[byte(i)] = c
	}
	got := map[byte][]byte{}
	buf := make([]byte, 2048)
	if err := rx.conn.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := rx.ReadFrame(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n >= 12 && bytes.Equal(buf[6:11], []byte{0x02, 0, 0, 0, 0x7e}) {
			got[buf[11]] = append([]byte(nil), buf[:n]...)
		}
	}
	for i, c := range sent {
		frame, arrived := got[i]
		switch {
		case c.pass && !arrived:
			t.Errorf("%s: dropped; the node must see it", c.name)
		case !c.pass && arrived:
			t.Errorf("%s: admitted; the filter claims to drop it", c.name)
		case arrived && !bytes.Equal(frame, c.frame):
			t.Errorf("%s: arrived as\n% x\nwant\n% x", c.name, frame, c.frame)
		}
	}
}
