package faultproxy

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
)

// lineServer answers each line it reads with "ok LINE" and records the
// lines that reached it.
type lineServer struct {
	ln   net.Listener
	mu   sync.Mutex
	seen []string
}

func startLineServer(t *testing.T) *lineServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &lineServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					s.mu.Lock()
					s.seen = append(s.seen, strings.TrimSpace(line))
					s.mu.Unlock()
					if _, err := c.Write([]byte("ok " + line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return s
}

func (s *lineServer) lines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.seen, ",")
}

// exchange sends each line on one connection through p and returns the
// answers, "EOF" for the first that did not come.
func exchange(t *testing.T, p *Proxy, lines ...string) string {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		return "refused"
	}
	defer c.Close()
	r := bufio.NewReader(c)
	var got []string
	for _, l := range lines {
		if _, err := c.Write([]byte(l + "\n")); err != nil {
			return strings.Join(append(got, "EOF"), ",")
		}
		a, err := r.ReadString('\n')
		if err != nil {
			return strings.Join(append(got, "EOF"), ",")
		}
		got = append(got, strings.TrimSpace(a))
	}
	return strings.Join(got, ",")
}

// TestProxyFailsTheNthExchange: each kind fails the second exchange as it
// says (dropped before the server saw it, after it did, or the proxy gone
// until Up), and counts exchanges as bursts of client bytes after the
// server spoke.
func TestProxyFailsTheNthExchange(t *testing.T) {
	for _, c := range []struct {
		kind       Kind
		answers    string
		serverSaw  string
		afterwards string
	}{
		{DropBefore, "ok a,EOF", "a", "ok d"},
		{DropAfter, "ok a,EOF", "a,b", "ok d"},
		{Down, "ok a,EOF", "a", "refused"},
	} {
		t.Run(string(c.kind), func(t *testing.T) {
			s := startLineServer(t)
			p, err := Start(s.ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if err := p.Arm(Plan{Exchange: 2, Kind: c.kind}); err != nil {
				t.Fatal(err)
			}
			if got := exchange(t, p, "a", "b", "c"); got != c.answers {
				t.Errorf("answers %q, want %q", got, c.answers)
			}
			if got := s.lines(); got != c.serverSaw {
				t.Errorf("the server saw %q, want %q", got, c.serverSaw)
			}
			if got := exchange(t, p, "d"); got != c.afterwards {
				t.Errorf("next connection: %q, want %q", got, c.afterwards)
			}
			if err := p.Up(); err != nil {
				t.Fatal(err)
			}
			if got := exchange(t, p, "e"); got != "ok e" {
				t.Errorf("after Up: %q", got)
			}
		})
	}
	t.Run("counts", func(t *testing.T) {
		s := startLineServer(t)
		p, err := Start(s.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		p.Disarm()
		exchange(t, p, "a", "b", "c")
		if n := p.Exchanges(); n != 3 {
			t.Errorf("%d exchanges, want 3", n)
		}
		if err := p.Arm(Plan{Exchange: 0, Kind: DropBefore}); err == nil {
			t.Error("exchange 0 armed")
		}
	})
}
