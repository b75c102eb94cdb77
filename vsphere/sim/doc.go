// Package sim serves a simulated vCenter holding a CARP router pair's
// inventory, for tests, benchmarks and `carpvm sim`. It builds on govmomi's
// vcsim (github.com/vmware/govmomi/simulator) and extends it where carpvm
// depends on ESXi behaving like ESXi: HostNetworkSystem.UpdatePortGroup and
// UpdateVirtualSwitch with whole-spec semantics and a recomputed
// ComputedPolicy, the host advanced option Net.ReversePathFwdCheckPromisc
// (type long, settable through OptionManager.UpdateOptions), VMs placed on
// the hosts and datastores the topology names, and distributed portgroups
// with a MacManagementPolicy.
//
// A Topology is plain data: Default, Cluster, SeparateStandaloneHosts,
// PortgroupOverrides, Teamed, Distributed, Opaque, SharedVMAC and Scaled
// build the ones the tests use, its With* methods derive variants
// (WithInventory grows one to a large vCenter's size), and
// Validate names whatever a hand-edited one gets wrong. Start serves one over
// HTTPS on the loopback interface with a fresh self-signed certificate and
// a throwaway password.
package sim
