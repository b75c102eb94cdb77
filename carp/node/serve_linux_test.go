package node

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveTest is a node.yaml-like configuration of one group on a hub
// port, and the dependencies that keep it off real interfaces.
func serveTest(t *testing.T, vhid uint8) (*Config, ServeOptions) {
	t.Helper()
	h := &hub{}
	link := h.port(net.HardwareAddr{2, 0, 0, 0, 0, vhid})
	self := netip.MustParseAddr("172.27.27.2")
	cfg := &Config{
		Groups: []Group{{Interface: "serve-test", VHID: vhid, VIPs: []netip.Prefix{testVIP}, AdvBase: 1,
			Key: testKey(t, "123piano2026%"), VMAC: true, ManageVIPs: true}},
		ControlSocket: filepath.Join(t.TempDir(), "node.sock"),
	}
	return cfg, ServeOptions{Log: slog.New(slog.DiscardHandler), Node: Options{
		OpenLink:   func(string) (Link, error) { return link, nil },
		NewVIPs:    func(Group, *slog.Logger) VIPHolder { return &fakeVIPs{} },
		SourceAddr: func(string, []netip.Addr) (netip.Addr, error) { return self, nil },
	}}
}

// TestServeControlUntilCancelled: Serve answers on the control socket
// while the node runs, and returns nil once its context ends.
func TestServeControlUntilCancelled(t *testing.T) {
	cfg, opts := serveTest(t, 231)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, opts) }()
	var resp Response
	var err error
	for range 200 { // the socket is up once Serve has taken its locks
		callCtx, stop := context.WithTimeout(context.Background(), time.Second)
		resp, err = Call(callCtx, cfg.ControlSocket, Request{Command: CmdStatus})
		stop()
		if err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Serve returned %v before its context ended", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err != nil || resp.Status == nil || len(resp.Status.Groups) != 1 || resp.Status.Groups[0].VHID != 231 {
		t.Fatalf("status over the control socket: %+v, %v; want group 231", resp.Status, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v, want nil", err)
	}
}

// TestServeFailedServiceStopsNode: a metrics address that cannot be
// bound stops the node, and Serve returns that failure.
func TestServeFailedServiceStopsNode(t *testing.T) {
	cfg, opts := serveTest(t, 232)
	cfg.MetricsListen = "127.0.0.1:-1"
	err := Serve(context.Background(), cfg, opts)
	if err == nil || !strings.Contains(err.Error(), "metrics listener 127.0.0.1:-1") {
		t.Errorf("Serve: %v, want the metrics listener's failure", err)
	}
}

// TestServeRefusesSecondNode: a second node on the same control socket
// is refused before it runs.
func TestServeRefusesSecondNode(t *testing.T) {
	cfg, opts := serveTest(t, 233)
	inst, err := LockInstance(nil, cfg.ControlSocket)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Unlock()
	if err := Serve(context.Background(), cfg, opts); err == nil {
		t.Error("Serve ran beside a node holding its control socket")
	}
}
