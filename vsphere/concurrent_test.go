package vsphere_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/preflight/fix"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// raceTries is how many times TestConcurrentFixes races two fixes per
// topology.
const raceTries = 20

// TestConcurrentFixes runs two fixes of one plan at once against one
// simulator (two sessions, each with its own backup, as two carpvm
// processes on two machines), raceTries times per topology: the end state
// is the fixed one every time, and each fix either succeeds or reports the
// other writer without rolling anything back.
func TestConcurrentFixes(t *testing.T) {
	for _, top := range []sim.Topology{sim.Default(), rejectingDVS()} {
		t.Run(top.Name, func(t *testing.T) {
			others := 0
			for try := range raceTries {
				w := newFixWorld(t, top)
				w2 := &fixWorld{t: t, ctx: w.ctx, srv: w.srv, s: open(t, w.srv.VSphereConfig()), cfg: w.cfg}
				backups := []change.Backup{w.backup(w.plan(fix.Options{})), w2.backup(w2.plan(fix.Options{}))}
				sessions := []*vsphere.Session{w.s, w2.s}
				errs := make([]error, 2)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range 2 {
					wg.Go(func() {
						<-start
						errs[i] = sessions[i].Apply(context.Background(), backups[i])
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					var ow *vsphere.OtherWriterError
					switch {
					case err == nil:
					case errors.As(err, &ow):
						others++
						if try == 0 || others == 1 {
							t.Logf("try %d, fix %d: %v", try, i, err)
						}
					default:
						t.Errorf("try %d, fix %d: %v", try, i, err)
					}
				}
				if bad := fixFailing(w.check(), fixedChecks...); len(bad) > 0 {
					t.Fatalf("try %d: after two concurrent fixes, failing: %s", try, findingList(bad))
				}
				if again := w.plan(fix.Options{}); !again.Empty() {
					t.Fatalf("try %d: after two concurrent fixes the plan is not empty: %+v", try, again.Changes)
				}
			}
			t.Logf("%d tries, %d fix(es) reported the other writer", raceTries, others)
		})
	}
}

func findingList(fs []preflight.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %s", f.Check, f.Object, f.Status))
	}
	return strings.Join(out, "; ")
}

// TestApplyInterrupted: the context is cancelled (Ctrl-C) right after the
// first write; Apply stops and undoes that write on a fresh context, and
// the inventory is exactly as before.
func TestApplyInterrupted(t *testing.T) {
	for _, tc := range []struct {
		top       sim.Topology
		opts      fix.Options
		twoWrites bool
	}{
		{sim.Default(), fix.Options{}, true},
		{everyStepTopology(), fix.Options{Relocate: true, SetVMAC: true}, false},
		{rejectingDVS(), fix.Options{}, false},
	} {
		t.Run(tc.top.Name, func(t *testing.T) {
			w := newFixWorld(t, tc.top)
			if tc.twoWrites {
				w.twoWrites()
			}
			before := w.state(t)
			b := w.backup(w.plan(tc.opts))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			writes := 0
			w.s.SetAfterWrite(func() {
				writes++
				cancel()
			})
			err := w.s.Apply(ctx, b)
			w.s.SetAfterWrite(nil)
			var ae *vsphere.ApplyError
			if !errors.As(err, &ae) || !errors.Is(err, context.Canceled) {
				t.Fatalf("Apply: err = %v, want an ApplyError for the cancelled context", err)
			}
			if ae.RollbackErr != nil || ae.RolledBack != 1 {
				t.Errorf("undo: restored %d object(s), err %v; want the 1 written restored", ae.RolledBack, ae.RollbackErr)
			}
			t.Logf("%d write(s) before the interrupt; %v", writes, err)
			if d := sim.DiffState(before, w.state(t)); len(d) > 0 {
				t.Errorf("after the interrupted apply the inventory differs:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}
