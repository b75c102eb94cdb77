package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/failover"
)

// drill --dry-run --no-history plans a run that is not appended to the
// history, and says so; without the flag, its report step appends.
func TestDryRunPlanSaysNoHistory(t *testing.T) {
	cfg := writeDrillConfig(t, drillYAML)
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, "report; append to the history"},
		{[]string{"--no-history"}, "report; not appended to the history (--no-history)"},
	} {
		args := append([]string{"drill", "--config", cfg, "--network", "intranought", "--trigger", "power-off", "--dry-run", "--history", t.TempDir(), "-o", "json"}, tc.flags...)
		code, out, errOut := runDrillCLI(t, nil, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", tc.flags, code, errOut)
		}
		var doc struct {
			Plan []failover.Step `json:"plan"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Plan) == 0 {
			t.Fatalf("%v: %v\n%s", tc.flags, err, out)
		}
		var reports []string
		for _, s := range doc.Plan {
			if s.Phase == failover.PhaseReport {
				reports = append(reports, s.Action)
			}
		}
		if len(reports) != 1 || reports[0] != tc.want {
			t.Errorf("%v: report steps %q, want [%q]", tc.flags, reports, tc.want)
		}
		if tc.flags != nil && strings.Contains(out, "append to the history") {
			t.Errorf("%v: the plan still promises a history entry:\n%s", tc.flags, out)
		}
	}
}
