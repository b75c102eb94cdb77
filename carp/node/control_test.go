package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// controlServer serves a simulated node's control socket with idle as
// the idle timeout and returns the socket's path.
func controlServer(t *testing.T, idle time.Duration) string {
	t.Helper()
	s := startSim(t, &hub{}, simOpts{self: "172.27.27.11"})
	t.Cleanup(func() { s.stop(t) })
	sock := filepath.Join(t.TempDir(), "node.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeControl(ctx, sock, s.n, ControlOptions{IdleTimeout: idle}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeControl: %v", err)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
			return sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("control socket never answered: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A client sending megabytes without a newline gets an error and a closed
// connection, and the node does not buffer what it sent.
func TestControlRefusesAnOversizeRequest(t *testing.T) {
	sock := controlServer(t, 5*time.Second)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const sent = 16 << 20
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	wrote := 0
	for wrote < sent {
		n, err := c.Write(chunk)
		wrote += n
		if err != nil {
			break // the node closed the connection: what we want
		}
	}
	runtime.ReadMemStats(&after)
	resp, _ := io.ReadAll(bufio.NewReader(c))
	var r Response
	if err := json.Unmarshal(bytes.TrimSpace(resp), &r); err != nil || r.OK || !strings.Contains(r.Error, "longer than 65536 bytes") {
		t.Errorf("response %q (%v); want an error naming the 65536-byte limit", resp, err)
	}
	if wrote >= sent {
		t.Errorf("the node read all %d bytes of a request without a newline; want the connection closed after %d", wrote, MaxControlRequest)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("the process allocated %d bytes while a client sent %d without a newline", grew, wrote)
	}
}

// A client that connects and sends nothing is disconnected after the idle
// timeout, and a request of exactly the limit is still served.
func TestControlIdleTimeoutAndLimit(t *testing.T) {
	sock := controlServer(t, 200*time.Millisecond)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: read %v; want EOF (closed by the node)", err)
	}

	req := []byte(`{"command":"status"}`)
	pad := MaxControlRequest - len(req) - 1
	line := append(append(req, bytes.Repeat([]byte(" "), pad)...), '\n')
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c2, err := (&net.Dialer{}).DialContext(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Write(line); err != nil {
		t.Fatal(err)
	}
	out, err := bufio.NewReader(c2).ReadBytes('\n')
	var r Response
	if err != nil || json.Unmarshal(out, &r) != nil || !r.OK {
		t.Errorf("a request of exactly %d bytes: %q, %v; want it served", len(line), out, err)
	}
}

// Connections past MaxControlConns are told the node is busy and closed;
// once one closes, a call is served again.
func TestControlCapsConnections(t *testing.T) {
	sock := controlServer(t, time.Minute)
	var idle []net.Conn
	for range MaxControlConns {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	// The server takes them in order: once a call is refused, all
	// MaxControlConns are held.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Call(ctx, sock, Request{Command: "status"})
	if err == nil || !strings.Contains(err.Error(), "busy") || !strings.Contains(err.Error(), fmt.Sprint(MaxControlConns)) {
		t.Fatalf("call number %d: %v; want a refusal naming the cap", MaxControlConns+1, err)
	}
	idle[0].Close()
	idle = idle[1:]
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := Call(ctx, sock, Request{Command: "status"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after one connection closed, calls are still refused: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
