package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// controlServer serves a simulated node's control socket with idle as
// the idle timeout and returns the socket's path. The socket listens
// before it returns, so no test needs to probe it: a probe's connection
// would hold one of the node's MaxControlConns until the server saw it
// close.
func controlServer(t *testing.T, idle time.Duration) string {
	t.Helper()
	s := startSim(t, &hub{}, simOpts{self: "172.27.27.11"})
	t.Cleanup(func() { s.stop(t) })
	sock := filepath.Join(t.TempDir(), "node.sock")
	ln, err := listenControl(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveControl(ctx, ln, sock, s.n, ControlOptions{IdleTimeout: idle}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeControl: %v", err)
		}
	})
	return sock
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
	// The server accepts in the order of connection and nothing else
	// connects (controlServer does not probe): the call is number
	// MaxControlConns+1 and every slot is held by an idle connection.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Call(ctx, sock, Request{Command: "status"})
	if err == nil || !strings.Contains(err.Error(), "busy") || !strings.Contains(err.Error(), fmt.Sprint(MaxControlConns)) {
		t.Fatalf("call number %d: %v; want a refusal naming the cap", MaxControlConns+1, err)
	}
	idle[0].Close()
	idle = idle[1:]
	// The server frees the slot once it has read the close: until then
	// a call is refused as busy, and nothing else may go wrong.
	for {
		_, err := Call(ctx, sock, Request{Command: "status"})
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "busy") || ctx.Err() != nil {
			t.Fatalf("after one connection closed, a call: %v; want it served", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A node that refuses a connection writes its refusal and closes without
// reading: a caller whose request then meets a closed socket (broken pipe)
// still reads the refusal and returns it.
func TestCallReadsTheRefusalOfANodeThatClosedFirst(t *testing.T) {
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "node.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	refused := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			refused <- err
			return
		}
		refuseConn(c, ControlOptions{Log: slog.New(slog.DiscardHandler)})
		refused <- nil
	}()
	c, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := <-refused; err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	// The node has written and closed: the write fails, the refusal waits.
	_, err = exchange(c, ln.Addr().String(), Request{Command: CmdStatus})
	if err == nil || err.Error() != "node: "+errControlBusy.Error() {
		t.Errorf("call to a node that refused and closed: %v; want its refusal %q", err, errControlBusy)
	}
}
