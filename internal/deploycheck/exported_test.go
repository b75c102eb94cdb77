package deploycheck

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/failover/history"
)

// silentLink is a link on which nothing arrives and every frame sent is
// lost: enough for a node to run and export its metrics.
type silentLink struct{ closed chan struct{} }

func (l *silentLink) ReadFrame([]byte) (int, error) {
	<-l.closed
	return 0, net.ErrClosed
}
func (l *silentLink) WriteFrame([]byte) error { return nil }
func (l *silentLink) HardwareAddr() net.HardwareAddr {
	return net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
}
func (l *silentLink) Close() error {
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	return nil
}

// nodeMetricNames runs a node on a silent link (one group it prefers, one
// failing track so that a demotion cause is held) and returns the metric
// names its registry exports.
func nodeMetricNames(t *testing.T) []string {
	t.Helper()
	key, err := carp.NewKey([]byte("deploycheck"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Options{
		Name: "router-001",
		Groups: []node.Group{{
			Interface: "eth0", VHID: 1, VIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")},
			AdvBase: 1, Key: key, Preferred: "router-001",
		}},
		Tracks:     []node.Track{{Name: "upstream", Weight: 50, Command: "false", Interval: 100 * time.Millisecond, Timeout: 50 * time.Millisecond, Fall: 1, Rise: 1}},
		RunCommand: func(context.Context, string) ([]byte, error) { return nil, errors.New("exit status 1") },
		OpenLink:   func(string) (node.Link, error) { return &silentLink{closed: make(chan struct{})}, nil },
		SourceAddr: func(string, []netip.Addr) (netip.Addr, error) { return netip.MustParseAddr("192.0.2.11"), nil },
		WatchLinks: func(ctx context.Context, names []string) (map[string]bool, <-chan node.LinkEvent, error) {
			up := map[string]bool{}
			for _, n := range names {
				up[n] = true
			}
			return up, nil, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node: %v", err)
		}
	}()
	reg := node.Registry(n, node.BuildInfo{Version: "dev"})
	// Wait (not a timing assertion) until the failing track demotes the
	// router, so that every family the node can export is present.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range fams {
			names = append(names, f.GetName())
		}
		if slices.Contains(names, "carpvm_node_demotion_cause") {
			return names
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node never exported carpvm_node_demotion_cause; it exports %q", names)
		}
	}
}

// drillMetricNames writes the drill's textfile for a measured run and
// returns the metric names in it.
func drillMetricNames(t *testing.T) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "carpvm_drill.prom")
	run := failover.Report{
		Pass: true, Pair: "pair-a", Network: "intranought", Trigger: "nic-disconnect", VHID: 1,
		OldMaster: "router-001", NewMaster: "router-002", TakeoverS: 3.1, BlackoutS: 3.4,
		Started: time.Date(2026, 12, 1, 5, 30, 0, 0, time.UTC),
	}
	if err := history.WriteMetrics(path, []failover.Report{run}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range fams {
		names = append(names, name)
	}
	return names
}

// exportedNames are the metric names carpvm exports: the node's and the
// drill's.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, n := range append(nodeMetricNames(t), drillMetricNames(t)...) {
		out[n] = true
	}
	return out
}
