package carp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDemotionSumsCausesAndReportsChanges(t *testing.T) {
	var d Demotion
	steps := []struct {
		do      func() bool
		changed bool
		total   uint8
		words   string
	}{
		{func() bool { return d.Set("track gw", 50) }, true, 50, "track gw (50)"},
		{func() bool { return d.Set("link eth1", DemotionFactor) }, true, 255, "link eth1 (240), track gw (50)"}, // 290 clamps to a byte
		{func() bool { return d.Set("link eth1", DemotionFactor) }, false, 255, "link eth1 (240), track gw (50)"},
		{func() bool { return d.Clear("track gw") }, true, 240, "link eth1 (240)"},
		{func() bool { return d.Clear("send eth1") }, false, 240, "link eth1 (240)"},
		{func() bool { return d.Set("manual", 0) }, false, 240, "link eth1 (240)"},
		{func() bool { return d.Clear("link eth1") }, true, 0, "none"},
	}
	for i, s := range steps {
		if got := s.do(); got != s.changed {
			t.Errorf("step %d: changed = %v, want %v", i, got, s.changed)
		}
		if d.Total() != s.total || d.String() != s.words {
			t.Errorf("step %d: total %d %q, want %d %q", i, d.Total(), d.String(), s.total, s.words)
		}
	}
}

func TestDemotionCausesAreACopy(t *testing.T) {
	var d Demotion
	d.Set("b", 1)
	d.Set("a", 2)
	got := d.Causes()
	if diff := cmp.Diff([]Cause{{"a", 2}, {"b", 1}}, got); diff != "" {
		t.Errorf("causes (-want +got):\n%s", diff)
	}
	got[0].Weight = 99
	if d.Total() != 3 {
		t.Errorf("changing the returned causes changed the demotion: %d", d.Total())
	}
}
