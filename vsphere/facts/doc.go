// Package facts holds what carpvm knows about the vSphere inventory under a
// CARP router pair: the router VMs and their NICs, the hosts they can run on
// with their vSwitches, portgroups and advanced options, the clusters and
// their DRS rules, and the distributed portgroups. It is plain data with no
// govmomi import, so that the pure checks in package preflight can read it
// and tests can build it by hand; package vsphere fills it in.
package facts
