package audit

import "github.com/carpvm/carpvm/preflight"

// rules are the baseline rules a setting that is not Reject departs from:
// the vSphere Security Configuration Guide's vNetwork.* guideline names
// and the DISA STIG IDs (VMware vSphere 8.0 ESXi STIG for standard
// switches, vCenter STIG for distributed ones). docs/audit.md cites the
// sources.
func rules(distributed bool, c preflight.Check) []string {
	type pair struct{ scg, stig string }
	standard := map[preflight.Check]pair{
		preflight.CheckPromiscuous:     {"vNetwork.reject-promiscuous-mode", "ESXI-80-000218"},
		preflight.CheckMACChanges:      {"vNetwork.reject-mac-changes", "ESXI-80-000217"},
		preflight.CheckForgedTransmits: {"vNetwork.reject-forged-transmit", "ESXI-80-000216"},
	}
	dv := map[preflight.Check]pair{
		preflight.CheckPromiscuous:     {"vNetwork.reject-promiscuous-mode-dvportgroup", "VCSA-80-000270"},
		preflight.CheckMACChanges:      {"vNetwork.reject-mac-changes-dvportgroup", "VCSA-80-000269"},
		preflight.CheckForgedTransmits: {"vNetwork.reject-forged-transmit-dvportgroup", "VCSA-80-000268"},
	}
	p := standard[c]
	if distributed {
		p = dv[c]
	}
	return []string{"SCG " + p.scg, "STIG " + p.stig}
}
