package node

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
)

// hub is an in-memory Ethernet segment: every frame written by a port is
// delivered to every other port that is not cut.
type hub struct {
	mu    sync.Mutex
	ports []*memLink
}

type memLink struct {
	h      *hub
	mac    net.HardwareAddr
	in     chan []byte
	closed chan struct{}
	once   sync.Once
	cut    atomic.Bool
	// failWrites makes WriteFrame fail, as a send on a broken NIC does.
	failWrites atomic.Bool
}

func (h *hub) port(mac net.HardwareAddr) *memLink {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := &memLink{h: h, mac: mac, in: make(chan []byte, 4096), closed: make(chan struct{})}
	h.ports = append(h.ports, l)
	return l
}

func (l *memLink) ReadFrame(b []byte) (int, error) {
	select {
	case f := <-l.in:
		return copy(b, f), nil
	case <-l.closed:
		return 0, net.ErrClosed
	}
}

func (l *memLink) WriteFrame(b []byte) error {
	if l.failWrites.Load() {
		return errors.New("memlink: send failed")
	}
	if l.cut.Load() {
		return nil // the cable is pulled: the frame goes nowhere
	}
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	for _, p := range l.h.ports {
		if p == l || p.cut.Load() {
			continue
		}
		select {
		case p.in <- bytes.Clone(b):
		case <-p.closed:
		default: // a full queue drops, as a real NIC ring does
		}
	}
	return nil
}

func (l *memLink) HardwareAddr() net.HardwareAddr { return l.mac }

// drainFrames returns the frames waiting at port l.
func drainFrames(l *memLink) [][]byte {
	var out [][]byte
	for {
		select {
		case f := <-l.in:
			out = append(out, f)
		default:
			return out
		}
	}
}

func (l *memLink) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// fakeVIPs records whether the VIPs are held.
type fakeVIPs struct {
	mu       sync.Mutex
	held     bool
	prepared bool
	claims   int
}

func (f *fakeVIPs) Prepare() error { f.mu.Lock(); f.prepared = true; f.mu.Unlock(); return nil }
func (f *fakeVIPs) Claim() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = true
	f.claims++
	return nil
}
func (f *fakeVIPs) Release() error { f.mu.Lock(); f.held = false; f.mu.Unlock(); return nil }
func (f *fakeVIPs) GARPSource() net.HardwareAddr {
	return net.HardwareAddr{0, 0, 0x5e, 0, 1, 1}
}
func (f *fakeVIPs) Held() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.held }

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
