package workflow

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/change"
)

// openSim opens the default simulated topology for the built-in pair: cfg
// points at the simulator, which runs until the test's end.
func openSim(t *testing.T) (Backend, *config.Config) {
	t.Helper()
	cfg := config.Simulator()
	be, err := Open(context.Background(), cfg, "default", func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close(context.Background()) })
	return be, cfg
}

func fixOn(t *testing.T, confirm func(int) (bool, error)) (FixResult, error, *int) {
	t.Helper()
	ctx := context.Background()
	be, cfg := openSim(t)
	backups := 0
	res, err := Fix(ctx, be, cfg, FixOptions{
		Simulated: true, Progress: func(string, ...any) {}, Log: slog.New(slog.DiscardHandler), Confirm: confirm,
		Lock:        func(string) (func(), error) { return func() {}, nil },
		WriteBackup: func(change.Backup) (string, error) { backups++; return "backup.json", nil },
	})
	return res, err, &backups
}

func failed(rep preflight.Report, check preflight.Check) int {
	n := 0
	for _, f := range rep.Findings {
		if f.Check == check && f.Status == preflight.Fail {
			n++
		}
	}
	return n
}

// Confirmed, the fix backs up first, applies, and checks again: promiscuous
// mode passes on both networks (the shared standalone host is not --fix's).
func TestFixAppliesAndChecksAgain(t *testing.T) {
	res, err, backups := fixOn(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Applied || *backups != 1 || res.Backup != "backup.json" || len(res.Plan.Changes) == 0 {
		t.Fatalf("applied %v, %d backup(s) at %q, %d change(s)", res.Applied, *backups, res.Backup, len(res.Plan.Changes))
	}
	if n := failed(res.Result, preflight.CheckPromiscuous); n != 0 {
		t.Errorf("%d security.promiscuous failure(s) after the fix, want 0", n)
	}
}

// Declined, nothing is backed up or applied.
func TestFixDeclinedChangesNothing(t *testing.T) {
	res, err, backups := fixOn(t, func(int) (bool, error) { return false, nil })
	if !errors.Is(err, ErrNotApplied) || res.Applied || *backups != 0 {
		t.Fatalf("err %v, applied %v, %d backup(s); want ErrNotApplied and nothing written", err, res.Applied, *backups)
	}
	if n := failed(res.Result, preflight.CheckPromiscuous); n != 1 {
		t.Errorf("the result shows %d promiscuous failure(s), want the 1 found before", n)
	}
}
