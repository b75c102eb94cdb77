package node

import (
	"bytes"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/internal/transition"
)

// The transition log gets one line per state change, readable by carpvm
// explain: the backup's INIT->BACKUP, then BACKUP->MASTER when the master
// is cut off, at the node's clock.
func TestTransitionLogRecordsEachStateChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		var log bytes.Buffer
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0})
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100, name: "router-003", transitions: transition.NewWriter(&log)})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		a.link.cut.Store(true)
		cut := time.Now()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		a.stop(t)
		b.stop(t)

		ts, errs, err := transition.Read(strings.NewReader(log.String()), "log")
		if err != nil || len(errs) > 0 {
			t.Fatalf("%v %v\n%s", err, errs, log.String())
		}
		var got []string
		for _, tr := range ts {
			got = append(got, tr.From+"->"+tr.To)
			if tr.Router != "router-003" || tr.Network != "eth0" || tr.VHID != 1 {
				t.Errorf("line %+v: want router-003, network eth0 (no network set), vhid 1", tr)
			}
		}
		if len(got) < 2 || got[0] != "INIT->BACKUP" || got[1] != "BACKUP->MASTER" {
			t.Fatalf("transitions %v, want INIT->BACKUP, BACKUP->MASTER first", got)
		}
		if took := ts[1].Time.Sub(cut); took <= 0 || took > 4*time.Second {
			t.Errorf("takeover logged %s after the cut", took)
		}
	})
}

// node.yaml's transition_log and a group's network reach the node's
// configuration.
func TestLoadConfigTransitionLog(t *testing.T) {
	dir := t.TempDir()
	pass := writeFile(t, dir, "pass", "123piano2026%\n")
	path := writeFile(t, dir, "node.yaml", `
interface: ens192
transition_log: /var/log/carpvm/transitions.jsonl
groups:
  - vhid: 1
    network: intranought
    vips: [172.27.27.14/28]
    pass_file: `+pass+`
`)
	cfg, err := LoadConfig(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TransitionLog != "/var/log/carpvm/transitions.jsonl" || cfg.Groups[0].Network != "intranought" {
		t.Fatalf("transition_log %q, network %q", cfg.TransitionLog, cfg.Groups[0].Network)
	}
}
