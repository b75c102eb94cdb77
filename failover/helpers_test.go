package failover

import (
	"net"
	"net/netip"
	"os"
	"time"
)

var (
	t0      = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	r2      = netip.MustParseAddr("172.27.27.11")
	r3      = netip.MustParseAddr("172.27.27.12")
	vip     = netip.MustParseAddr("172.27.27.14")
	vmac    = net.HardwareAddr{0, 0, 0x5e, 0, 1, 1}
	r3mac   = net.HardwareAddr{0x02, 0xaa, 0, 0, 0, 3}
	advSkew = map[netip.Addr]uint8{r2: 0, r3: 100}
)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// stream builds a synthetic event stream.
type stream []Event

func (s stream) adverts(src netip.Addr, fromMS, toMS, everyMS int) stream {
	for ms := fromMS; ms <= toMS; ms += everyMS {
		s = append(s, Event{At: at(ms), Kind: KindAdvert, VHID: 1, AdvBase: 1, AdvSkew: advSkew[src], Src: src, MAC: vmac})
	}
	return s
}

func (s stream) echoes(mac net.HardwareAddr, fromMS, toMS int) stream {
	for ms := fromMS; ms <= toMS; ms += 10 {
		s = append(s, Event{At: at(ms), Kind: KindEchoReply, Src: vip, MAC: mac})
	}
	return s
}

func (s stream) arp(ms int, kind Kind, mac net.HardwareAddr) stream {
	return append(s, Event{At: at(ms), Kind: kind, Src: vip, MAC: mac})
}

// sorted returns the stream in time order, as an Observer gives it.
func (s stream) sorted() []Event {
	r := NewRecorder(nil)
	for _, e := range s {
		r.Add(e)
	}
	return r.Events()
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
