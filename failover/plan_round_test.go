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

// TestPlanUnwitnessed: the plan of a drill with no witness (--sim,
// --no-witness) says what that run does: no witness, nothing measured,
// nothing appended to the history; it promised both before.
func TestPlanUnwitnessed(t *testing.T) {
	w := newWorld()
	defer w.close()
	steps := Plan(&fakeEnv{w: w}, TriggerNICDisconnect, []Network{fastNet()}, Options{Unwitnessed: true})
	var all []string
	for _, s := range steps {
		all = append(all, s.Phase+": "+s.Action)
	}
	text := strings.Join(all, "\n")
	for _, bad := range []string{"witness vhid", "append to the history", "wait at most"} {
		if strings.Contains(text, bad) {
			t.Errorf("unwitnessed plan promises %q:\n%s", bad, text)
		}
	}
	for _, want := range []string{"no witness", "not measured", "not appended to the history"} {
		if !strings.Contains(text, want) {
			t.Errorf("unwitnessed plan lacks %q:\n%s", want, text)
		}
	}
}

// TestPlanNoHistory: with NoHistory (--no-history) the plan's report step
// says the run is not appended to the history; it promised it was.
func TestPlanNoHistory(t *testing.T) {
	w := newWorld()
	defer w.close()
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "report; append to the history"},
		{Options{NoHistory: true}, "report; not appended to the history (--no-history)"},
		{Options{NoHistory: true, Unwitnessed: true}, "report; not appended to the history (nothing was measured)"},
	} {
		steps := Plan(&fakeEnv{w: w}, TriggerNICDisconnect, []Network{fastNet()}, tc.opts)
		last := steps[len(steps)-1]
		if last.Phase != PhaseReport || last.Action != tc.want {
			t.Errorf("%+v: last step %s %q, want report %q", tc.opts, last.Phase, last.Action, tc.want)
		}
	}
}
