// Package audit lists every departure from the vSphere hardening baseline
// (promiscuous mode, MAC address changes and forged transmits Reject on
// every vSwitch, portgroup, distributed switch and distributed portgroup:
// VMware's Security Configuration Guide, the DISA STIGs for ESXi 8 and
// vCenter 8) and says whether a configured CARP pair justifies it. Run
// reads the configured pairs and the plain inventory package vsphere
// gathers (facts.Inventory) and returns a Report: each setting that is not
// Reject, classed justified (a router portgroup that needs it, by
// preflight's own rule, preflight.SecurityNeeds), broader (CARP needs it,
// but it is set on a switch its other portgroups inherit from, or on a
// portgroup that also serves VMs that are not routers) or unjustified (no
// configured pair needs it there). It is pure: no I/O, no govmomi, no
// clock (docs/architecture.md, "carpvm audit").
package audit
