package preflight

import (
	"fmt"
	"testing"

	"github.com/carpvm/carpvm/vsphere/facts"
)

// largeFacts is the typical pair in a cluster of hosts hosts, with vms other
// VMs' NICs on the public network (what vmac.conflict reads).
func largeFacts(hosts, vms int) *facts.Facts {
	f := typicalFacts()
	clusterFacts(f)
	for i := len(f.Hosts); i < hosts; i++ {
		h := typicalHost(fmt.Sprintf("esx-%03d", i+1))
		h.Cluster = "prod"
		f.Hosts = append(f.Hosts, h)
		f.Clusters[0].Hosts = append(f.Clusters[0].Hosts, h.Name)
	}
	for i := range vms {
		f.Networks[1].Attached = append(f.Networks[1].Attached,
			facts.AttachedNIC{VM: fmt.Sprintf("vm-%05d", i), MAC: fmt.Sprintf("00:50:56:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff)})
	}
	return f
}

// BenchmarkRun measures the checks alone over inventories of about 10, 500
// and 5,000 VMs (one host per 100 VMs), reporting findings per run.
func BenchmarkRun(b *testing.B) {
	for _, vms := range []int{10, 500, 5000} {
		b.Run(fmt.Sprintf("vms=%d", vms), func(b *testing.B) {
			c, f := typicalConfig(), largeFacts(max(3, vms/100), vms)
			b.ReportAllocs()
			var findings int
			for b.Loop() {
				findings = len(Run(c, f).Findings)
			}
			b.ReportMetric(float64(findings), "findings/op")
		})
	}
}
