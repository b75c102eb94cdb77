package history

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// A drill's transitions survive the history, and drill history (table and
// Markdown) shows the causes of the unplanned one, not the planned ones.
func TestHistoryShowsUnplannedCauses(t *testing.T) {
	line := func(at time.Duration, router, from, to, planned string) transition.Transition {
		return transition.Transition{Time: t0.Add(at), Router: router, Network: "intranought", VHID: 1, From: from, To: to,
			Reason: "first advert heard from it", Planned: planned}
	}
	ts := []transition.Transition{
		line(-30*time.Second, "router-003", "BACKUP", "MASTER", ""), // before the trigger: a backup job's snapshot
		line(3*time.Second, "router-003", "BACKUP", "MASTER", "drill power-off: trigger"),
	}
	snap := facts.Event{Type: "VirtualMachine.createSnapshot", Kind: facts.EntityVM, Entity: "router-002", Task: true,
		Time: t0.Add(-32 * time.Second), End: t0.Add(-29 * time.Second)}
	pair := explain.Pair{Name: "lab-cvl", Routers: []explain.Router{{Name: "router-002", VM: "router-002"}}}
	r := failover.Report{Pass: true, Network: "intranought", VHID: 1, Trigger: "power-off", Pair: "lab-cvl", Started: t0,
		Transitions: explain.Explain(pair, ts, []facts.Event{snap}, explain.DefaultWindow).Transitions}

	dir := filepath.Join(t.TempDir(), "drills")
	if err := Append(dir, []failover.Report{r}); err != nil {
		t.Fatal(err)
	}
	h, err := Read(dir)
	if err != nil || len(h.Runs) != 1 || len(h.Runs[0].Transitions) != 2 {
		t.Fatalf("read back %+v, %v; want one run with its two transitions", h.Runs, err)
	}
	var tbl, md strings.Builder
	if err := WriteTable(&tbl, table.Terminal{}, h.Runs); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, h.Runs, ""); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"table": tbl.String(), "markdown": md.String()} {
		if n := strings.Count(out, failover.WarnUnplanned); n != 1 {
			t.Errorf("%s: %d unplanned warnings, want 1:\n%s", name, n, out)
		}
		if !strings.Contains(out, "router-003 BACKUP->MASTER at 11:59:30.000Z") || !strings.Contains(out, "snapshot VirtualMachine.createSnapshot router-002") {
			t.Errorf("%s: want the unplanned takeover with its snapshot:\n%s", name, out)
		}
	}
}
