package preflight

import (
	"encoding/json"
	"testing"

	"github.com/carpvm/carpvm/vsphere/facts"
)

// FuzzRun feeds arbitrary facts (as JSON, seeded with the test topologies)
// to the checks: whatever vSphere reports, Run returns a consistent report
// and never panics.
func FuzzRun(f *testing.F) {
	seeds := []*facts.Facts{typicalFacts()}
	cl := typicalFacts()
	clusterFacts(cl)
	seeds = append(seeds, cl)
	dv := typicalFacts()
	distributedPublic(dv).MACManagement = &facts.DVMACManagement{MACLearning: true}
	seeds = append(seeds, dv)
	for _, s := range seeds {
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fs facts.Facts
		if err := json.Unmarshal(data, &fs); err != nil {
			return
		}
		checkInvariants(t, Run(typicalConfig(), &fs))
	})
}
