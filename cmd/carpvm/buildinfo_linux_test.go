package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/internal/netns"
)

// TestNodeMetricsBuildInfo: carpvm node run --metrics-listen serves
// carpvm_build_info with the version and commit the binary was built with.
// The node runs in a namespace of its own, on one end of a veth pair.
func TestNodeMetricsBuildInfo(t *testing.T) {
	if err := netns.Available(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	t.Parallel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "carpvm")
	// Built as make build builds a release (-trimpath, symbols stripped):
	// the version must survive both. Under make test every build is
	// -trimpath (GOFLAGS), so this one only links: its packages are those
	// of the test binaries (make test-bins), compiled once.
	ldflags := "-s -w -X main.version=v0.0.0-buildinfo-test -X main.commit=feedbeef"
	if out, err := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "github.com/carpvm/carpvm/cmd/carpvm").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pass := filepath.Join(tmp, "pass")
	if err := os.WriteFile(pass, []byte("build-info-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	w, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("tear down: %v", err)
		}
	})
	router, err := w.Namespace(t.Context(), "bi-router")
	if err != nil {
		t.Fatal(err)
	}
	peer, err := w.Namespace(t.Context(), "bi-peer")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Veth(t.Context(), router, "bi0", peer, "bi1"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range [][]string{{"ip", "addr", "add", "172.27.27.11/28", "dev", "bi0"}, {"ip", "link", "set", "bi0", "up"}} {
		if out, err := router.Run(ctx, c[0], c[1:]...); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	if out, err := peer.Run(ctx, "ip", "link", "set", "bi1", "up"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}

	node, err := router.Start(bin, "node", "run", "--interface", "bi0", "--vhid", "1", "--vip", "172.27.27.14/28",
		"--pass-file", pass, "--no-vmac", "--run-dir", filepath.Join(tmp, "run"), "--state-dir", "",
		"--metrics-listen", "127.0.0.1:9380")
	if err != nil {
		t.Fatal(err)
	}
	var metrics string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if node.Exited() {
			t.Fatalf("carpvm node run exited:\n%s", node.Output())
		}
		var scrapeErr error
		metrics, scrapeErr = scrape(router, "127.0.0.1:9380")
		if scrapeErr == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics: %v\n%s", scrapeErr, node.Output())
		}
	}
	want := `carpvm_build_info{commit="feedbeef",goversion="` + goVersionOf(t, bin) + `",version="v0.0.0-buildinfo-test"} 1`
	if !strings.Contains(metrics, want) {
		t.Errorf("/metrics lacks %s:\n%s", want, grepLines(metrics, "carpvm_build_info"))
	}
}

// scrape fetches /metrics from addr inside ns (the node listens on the
// namespace's loopback). The socket is made on the namespace's thread;
// net/http would dial from another goroutine, outside it.
func scrape(ns *netns.Namespace, addr string) (string, error) {
	var conn net.Conn
	if err := ns.Do(func() error {
		var err error
		conn, err = net.DialTimeout("tcp", addr, time.Second)
		return err
	}); err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n", addr); err != nil {
		return "", err
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		return "", err
	}
	head, body, ok := strings.Cut(string(b), "\r\n\r\n")
	if !ok || !strings.Contains(head, " 200 ") {
		return "", fmt.Errorf("GET /metrics: %q", head)
	}
	return body, nil
}

// goVersionOf is the Go release bin was built with, as go version reports.
func goVersionOf(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command("go", "version", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out)) // "BIN: go1.26.0"
	return f[len(f)-1]
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
