package failover

import (
	"regexp"
	"strings"
	"testing"
)

// TestPlanRoundsDurations: the plan prints its waits and objectives
// rounded to 10 ms (4.39s), not as time.Duration's exact fractions
// (4.390625s) of an advskew/256 timer.
func TestPlanRoundsDurations(t *testing.T) {
	w := newWorld()
	defer w.close()
	n := fastNet()
	n.AdvBase, n.BackupSkew = 1, 100 // master-down 3.390625s
	steps := Plan(&fakeEnv{w: w}, TriggerPartition, []Network{n}, Options{})
	long := regexp.MustCompile(`\d+\.\d{3,}s`)
	var measure string
	for _, s := range steps {
		if m := long.FindString(s.Action); m != "" {
			t.Errorf("%s step prints %s unrounded: %q", s.Phase, m, s.Action)
		}
		if s.Phase == PhaseMeasure && measure == "" {
			measure = s.Action
		}
	}
	if !strings.Contains(measure, "(master-down 3.39s)") {
		t.Errorf("measure step %q, want master-down 3.39s", measure)
	}
}
