package preflight

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Check is a stable check ID (docs/architecture.md, "Check IDs").
type Check string

// The check IDs, in the order of docs/architecture.md, which is the order of a
// report.
const (
	CheckVMFound            Check = "vm.found"
	CheckNICAttached        Check = "nic.attached"
	CheckVLANMatch          Check = "vlan.match"
	CheckPromiscuous        Check = "security.promiscuous"
	CheckMACChanges         Check = "security.mac_changes"
	CheckForgedTransmits    Check = "security.forged_transmits"
	CheckReversePathPromisc Check = "host.reverse_path_promisc"
	CheckSameHost           Check = "spof.same_host"
	CheckStandaloneHost     Check = "spof.standalone_host"
	CheckAntiAffinity       Check = "spof.anti_affinity"
	CheckSameDatastore      Check = "spof.same_datastore"
	CheckVMACShared         Check = "vmac.shared"
	CheckVMACConflict       Check = "vmac.conflict"
	CheckVHIDUnique         Check = "vhid.unique"
)

const (
	unknownCheckRank    = 1 << 30
	noNetworkRank       = -1
	unknownNetworkRank  = 1 << 30
	notApplicablePrefix = "not applicable: "
)

// Checks returns every check ID in report order.
func Checks() []Check {
	return []Check{
		CheckVMFound, CheckNICAttached, CheckVLANMatch,
		CheckPromiscuous, CheckMACChanges, CheckForgedTransmits,
		CheckReversePathPromisc,
		CheckSameHost, CheckStandaloneHost, CheckAntiAffinity, CheckSameDatastore,
		CheckVMACShared, CheckVMACConflict, CheckVHIDUnique,
	}
}

func (c Check) rank() int {
	if i := slices.Index(Checks(), c); i >= 0 {
		return i
	}
	return unknownCheckRank
}

// Status is a finding's verdict.
type Status string

// Statuses, from best to worst.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Finding is one verdict of one check on one object. The JSON field names are
// a contract (docs/architecture.md).
type Finding struct {
	Check  Check  `json:"check"`
	Status Status `json:"status"`
	// Network is the configured network's name; empty for checks about the
	// pair as a whole (vm.found, spof.*).
	Network string `json:"network"`
	// Object is what was inspected, with its kind: "vm router-002",
	// "portgroup Public on esx-01", "host esx-01".
	Object   string `json:"object"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	// Fix says what to do, in words an operator can act on; empty on pass.
	Fix string `json:"fix"`
}

// Summary counts findings by status.
type Summary struct {
	Pass int `json:"pass"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
}

// Report is the preflight document of docs/architecture.md.
type Report struct {
	// Target names what was checked, without credentials.
	Target   string    `json:"target"`
	Summary  Summary   `json:"summary"`
	Findings []Finding `json:"findings"`
}

// Failed reports whether the report should make the command fail: a failed
// check, or with strict a warning too.
func (r Report) Failed(strict bool) bool {
	return r.Summary.Fail > 0 || (strict && r.Summary.Warn > 0)
}

// newReport sorts findings into report order and counts them. networks gives
// the configured network names in order.
func newReport(target string, networks []string, findings []Finding) Report {
	netRank := func(name string) int {
		if name == "" {
			return noNetworkRank
		}
		if i := slices.Index(networks, name); i >= 0 {
			return i
		}
		return unknownNetworkRank
	}
	slices.SortStableFunc(findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Check.rank(), b.Check.rank()),
			cmp.Compare(netRank(a.Network), netRank(b.Network)),
			cmp.Compare(a.Network, b.Network),
			cmp.Compare(a.Object, b.Object),
		)
	})
	return counted(target, findings)
}

// counted is the report of findings already in report order.
func counted(target string, findings []Finding) Report {
	r := Report{Target: target, Findings: findings}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	for _, f := range findings {
		switch f.Status {
		case Pass:
			r.Summary.Pass++
		case Warn:
			r.Summary.Warn++
		default:
			r.Summary.Fail++
		}
	}
	return r
}

// ParseCheck returns the check whose ID is s, or an error listing the IDs.
func ParseCheck(s string) (Check, error) {
	if c := Check(s); slices.Contains(Checks(), c) {
		return c, nil
	}
	ids := make([]string, 0, len(Checks()))
	for _, c := range Checks() {
		ids = append(ids, string(c))
	}
	return "", fmt.Errorf("unknown check %q: want one of %s", s, strings.Join(ids, ", "))
}

// Only returns the report narrowed to the given checks, in the same order,
// its summary counted again so that exit status and totals speak of those
// checks alone. No checks means all of them.
func (r Report) Only(checks ...Check) Report {
	if len(checks) == 0 {
		return r
	}
	var kept []Finding
	for _, f := range r.Findings {
		if slices.Contains(checks, f.Check) {
			kept = append(kept, f)
		}
	}
	return counted(r.Target, kept)
}
