package workflow

import (
	"context"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
)

// The one check step against the embedded simulator of the typical pair:
// what `carpvm preflight --sim` prints (promiscuous mode rejected on both
// networks, one standalone host for both routers).
func TestCheckOnTheSimulator(t *testing.T) {
	ctx := context.Background()
	var progress []string
	log := func(format string, args ...any) { progress = append(progress, format) }
	cfg := config.Simulator()
	be, err := Open(ctx, cfg, "default", log)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close(ctx)
	f, rep, err := Check(ctx, be, cfg, true, log)
	if err != nil {
		t.Fatal(err)
	}
	if f.Target != "simulator" || rep.Target != "simulator" {
		t.Errorf("target %q / %q, want simulator", f.Target, rep.Target)
	}
	failed := map[preflight.Check]int{}
	for _, fd := range rep.Findings {
		if fd.Status == preflight.Fail {
			failed[fd.Check]++
		}
	}
	if failed[preflight.CheckPromiscuous] != 1 || failed[preflight.CheckSameHost] != 1 || rep.Summary.Fail != 3 {
		t.Errorf("failures %v (%d), want promiscuous on IntraNought (Public's vmac needs none) and the shared standalone host", failed, rep.Summary.Fail)
	}
	if !strings.Contains(strings.Join(progress, "|"), "gathered in %d round trips") {
		t.Errorf("progress %q does not report the gathering", progress)
	}
}

func TestOpenUnknownTopology(t *testing.T) {
	_, err := Open(context.Background(), config.Simulator(), "tiny", func(string, ...any) {})
	if err == nil || !strings.Contains(err.Error(), `"tiny"`) || !strings.Contains(err.Error(), "default") {
		t.Errorf("err %v, want the topology named and the known ones listed", err)
	}
}

func TestTargetNeverShowsCredentials(t *testing.T) {
	cfg := &config.Config{VSphere: config.VSphere{URL: "https://carpvm:s3cret@vcenter.example/sdk"}}
	if got := PrintableTarget("", cfg, false); got != "https://vcenter.example/sdk" {
		t.Errorf("target %q", got)
	}
}
