package preflight

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// checkInvariants asserts what every report owes its reader: known check
// IDs and statuses, an object, expected and actual values, a fix exactly
// when something is wrong, findings in report order and a summary that
// counts them.
func checkInvariants(t *testing.T, rep Report) {
	t.Helper()
	var sum Summary
	for i, f := range rep.Findings {
		if !slices.Contains(Checks(), f.Check) {
			t.Errorf("finding %d: unknown check %q", i, f.Check)
		}
		switch f.Status {
		case Pass:
			sum.Pass++
			if f.Fix != "" {
				t.Errorf("finding %d (%s %s): pass with a fix %q", i, f.Check, f.Object, f.Fix)
			}
		case Warn, Fail:
			if f.Status == Warn {
				sum.Warn++
			} else {
				sum.Fail++
			}
			if f.Fix == "" {
				t.Errorf("finding %d (%s %s): %s without a fix", i, f.Check, f.Object, f.Status)
			}
		default:
			t.Errorf("finding %d: status %q", i, f.Status)
		}
		if f.Object == "" || f.Expected == "" || f.Actual == "" {
			t.Errorf("finding %d: empty object, expected or actual: %+v", i, f)
		}
		if i > 0 && rep.Findings[i-1].Check.rank() > f.Check.rank() {
			t.Errorf("finding %d (%s) after %s: out of check order", i, f.Check, rep.Findings[i-1].Check)
		}
	}
	if sum != rep.Summary {
		t.Errorf("summary = %+v, counted %+v", rep.Summary, sum)
	}
}

// TestTypicalTopology runs every check over the typical user's topology:
// promiscuous mode fails on both networks, the pair shares one standalone
// host, and one datastore (warn).
func TestTypicalTopology(t *testing.T) {
	rep := Run(typicalConfig(), typicalFacts())
	checkInvariants(t, rep)
	type line struct {
		Check   Check
		Status  Status
		Network string
		Object  string
	}
	var got []line
	for _, f := range rep.Findings {
		got = append(got, line{f.Check, f.Status, f.Network, f.Object})
	}
	want := []line{
		{CheckVMFound, Pass, "", "vm router-002"},
		{CheckVMFound, Pass, "", "vm router-003"},
		{CheckNICAttached, Pass, "intranought", "vm router-002"},
		{CheckNICAttached, Pass, "intranought", "vm router-003"},
		{CheckNICAttached, Pass, "public", "vm router-002"},
		{CheckNICAttached, Pass, "public", "vm router-003"},
		{CheckVLANMatch, Pass, "intranought", "portgroup IntraNought"},
		{CheckVLANMatch, Pass, "public", "portgroup Public"},
		{CheckPromiscuous, Fail, "intranought", "portgroup IntraNought on esx-01"},
		{CheckPromiscuous, Pass, "public", "portgroup Public on esx-01"}, // the vmac needs none
		{CheckMACChanges, Pass, "intranought", "portgroup IntraNought on esx-01"},
		{CheckMACChanges, Pass, "public", "portgroup Public on esx-01"},
		{CheckForgedTransmits, Pass, "intranought", "portgroup IntraNought on esx-01"},
		{CheckForgedTransmits, Pass, "public", "portgroup Public on esx-01"},
		{CheckReversePathPromisc, Pass, "intranought", "host esx-01"},
		{CheckReversePathPromisc, Pass, "public", "host esx-01"},
		{CheckSameHost, Fail, "", "vms router-002, router-003"},
		{CheckStandaloneHost, Fail, "", "host esx-01"},
		{CheckAntiAffinity, Pass, "", "vms router-002, router-003"},
		{CheckSameDatastore, Warn, "", "vms router-002, router-003"},
		{CheckVMACShared, Pass, "intranought", "portgroup IntraNought"},
		{CheckVMACShared, Pass, "public", "vm router-002"},
		{CheckVMACShared, Pass, "public", "vm router-003"},
		{CheckVMACConflict, Pass, "intranought", "portgroup IntraNought"},
		{CheckVMACConflict, Pass, "public", "portgroup Public"},
		{CheckVHIDUnique, Pass, "intranought", "portgroup IntraNought"},
		{CheckVHIDUnique, Pass, "public", "portgroup Public"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if want := (Summary{Pass: 23, Warn: 1, Fail: 3}); rep.Summary != want {
		t.Errorf("summary = %+v, want %+v", rep.Summary, want)
	}
	if !rep.Failed(false) || rep.Target != "test" {
		t.Errorf("Failed(false) = %v, target %q", rep.Failed(false), rep.Target)
	}
}

func TestFailedStrict(t *testing.T) {
	tests := []struct {
		sum           Summary
		plain, strict bool
	}{
		{Summary{Pass: 3}, false, false},
		{Summary{Pass: 3, Warn: 1}, false, true},
		{Summary{Fail: 1}, true, true},
		{Summary{}, false, false},
	}
	for _, tt := range tests {
		r := Report{Summary: tt.sum}
		if r.Failed(false) != tt.plain || r.Failed(true) != tt.strict {
			t.Errorf("%+v: Failed(false)=%v Failed(true)=%v, want %v %v", tt.sum, r.Failed(false), r.Failed(true), tt.plain, tt.strict)
		}
	}
}

// TestOrderIsDeterministic feeds the same inventory in another order and
// expects the same report.
func TestOrderIsDeterministic(t *testing.T) {
	f := typicalFacts()
	clusterFacts(f)
	want := Run(typicalConfig(), f)
	shuffled := typicalFacts()
	clusterFacts(shuffled)
	slices.Reverse(shuffled.Hosts)
	slices.Reverse(shuffled.Networks)
	slices.Reverse(shuffled.VMs)
	if diff := cmp.Diff(want, Run(typicalConfig(), shuffled)); diff != "" {
		t.Errorf("report depends on facts order (-want +got):\n%s", diff)
	}
}

// TestNothingPanics runs the checks over empty, partial and inconsistent
// inputs: every outcome is a report.
func TestNothingPanics(t *testing.T) {
	oneRouter := typicalConfig()
	oneRouter.Pair.Routers = oneRouter.Pair.Routers[:1]
	noNets := typicalConfig()
	noNets.Networks = nil
	emptyNet := typicalFacts()
	emptyNet.Networks[0] = facts.Network{Name: "IntraNought", Found: true}
	hostless := typicalFacts()
	hostless.Hosts = nil
	dvNoDetails := typicalFacts()
	dvNoDetails.Networks[1].Kind = facts.KindDistributed
	tests := []struct {
		name string
		cfg  *config.Config
		f    *facts.Facts
	}{
		{"nil everything", nil, nil},
		{"nil facts", typicalConfig(), nil},
		{"empty facts", typicalConfig(), &facts.Facts{}},
		{"one router", oneRouter, typicalFacts()},
		{"no networks", noNets, typicalFacts()},
		{"network without kind or hosts", typicalConfig(), emptyNet},
		{"no hosts", typicalConfig(), hostless},
		{"distributed without details", typicalConfig(), dvNoDetails},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Run(tt.cfg, tt.f)
			checkInvariants(t, rep)
			if rep.Findings == nil {
				t.Error("Findings is nil; want an empty list at least")
			}
		})
	}
	rep := Run(oneRouter, typicalFacts())
	for _, f := range pick(rep, CheckSameHost) {
		if f.Status != Fail || !strings.Contains(f.Actual, "1 router") {
			t.Errorf("one router: same_host = %+v", f)
		}
	}
	rep = Run(typicalConfig(), &facts.Facts{})
	if rep.Summary.Pass != 0+countNotApplicable(rep) {
		t.Errorf("empty inventory passes %d checks that apply", rep.Summary.Pass-countNotApplicable(rep))
	}
}

func countNotApplicable(rep Report) int {
	n := 0
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Actual, notApplicablePrefix) {
			n++
		}
	}
	return n
}

// TestJSONContract pins the field names of docs/architecture.md.
func TestJSONContract(t *testing.T) {
	rep := Run(typicalConfig(), typicalFacts())
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Target   string           `json:"target"`
		Summary  map[string]int   `json:"summary"`
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"pass": 23, "warn": 1, "fail": 3}, doc.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	wantKeys := []string{"actual", "check", "expected", "fix", "network", "object", "status"}
	for i, f := range doc.Findings {
		var keys []string
		for k := range f {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if diff := cmp.Diff(wantKeys, keys); diff != "" {
			t.Fatalf("finding %d keys (-want +got):\n%s", i, diff)
		}
	}
	b, _ = json.Marshal(newReport("", nil, nil))
	if !strings.Contains(string(b), `"findings":[]`) {
		t.Errorf("empty report = %s; want findings as an empty list", b)
	}
}

// TestUnknownNamesSurface: a typo in a VM or portgroup name is named in the
// findings of every check that needed it, and nowhere passes silently.
func TestUnknownNamesSurface(t *testing.T) {
	c := typicalConfig()
	renameRouter(c, 1, "Router-003")
	c.Networks[1].Portgroup = "public"
	rep := Run(c, typicalFacts())
	checkInvariants(t, rep)
	for _, f := range rep.Findings {
		mentions := strings.Contains(f.Actual, `"Router-003"`) || strings.Contains(f.Actual, `"public"`)
		if f.Network == "public" && f.Check != CheckVMACShared && !mentions {
			t.Errorf("%s on public does not name the unknown portgroup: %+v", f.Check, f)
		}
		if mentions && f.Status == Pass {
			t.Errorf("%s passes with a missing object: %+v", f.Check, f)
		}
	}
	want := []view{
		{Fail, "", "vm Router-003", `no VM named "Router-003" in vSphere`},
		{Pass, "", "vm router-002", "poweredOn on host esx-01"},
	}
	if diff := cmp.Diff(want, pick(rep, CheckVMFound)); diff != "" {
		t.Errorf("vm.found (-want +got):\n%s", diff)
	}
}

func TestOnlyNarrowsAndRecounts(t *testing.T) {
	full := Run(typicalConfig(), typicalFacts())
	rep := full.Only(CheckReversePathPromisc, CheckPromiscuous)
	checkInvariants(t, rep)
	var got []string
	for _, f := range rep.Findings {
		got = append(got, string(f.Check)+" "+f.Network)
	}
	want := []string{
		"security.promiscuous intranought", "security.promiscuous public",
		"host.reverse_path_promisc intranought", "host.reverse_path_promisc public",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if want := (Summary{Pass: 3, Fail: 1}); rep.Summary != want {
		t.Errorf("summary = %+v, want %+v", rep.Summary, want)
	}
	if passing := full.Only(CheckVHIDUnique); passing.Failed(true) || passing.Summary.Pass != 2 {
		t.Errorf("only vhid.unique: summary %+v, failed %v; want 2 pass, not failed", passing.Summary, passing.Failed(true))
	}
	if all := full.Only(); all.Summary != full.Summary || len(all.Findings) != len(full.Findings) {
		t.Errorf("Only() = %+v, want the whole report %+v", all.Summary, full.Summary)
	}
}

func TestParseCheck(t *testing.T) {
	for _, c := range Checks() {
		got, err := ParseCheck(string(c))
		if err != nil || got != c {
			t.Errorf("ParseCheck(%q) = %q, %v", c, got, err)
		}
	}
	_, err := ParseCheck("security.promisc")
	if err == nil || !strings.Contains(err.Error(), `"security.promisc"`) || !strings.Contains(err.Error(), "security.promiscuous") {
		t.Errorf("ParseCheck(typo) error = %v, want one naming the input and the known IDs", err)
	}
}
