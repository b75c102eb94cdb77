// Package vsphere connects carpvm to vCenter or ESXi with govmomi and
// gathers, in a fixed number of SOAP round trips whatever the inventory's
// size, the facts (package vsphere/facts) that the preflight checks read: the
// router VMs and their NICs, the hosts they can run on with their vSwitches,
// portgroups (security as configured and as computed) and the advanced
// option Net.ReversePathFwdCheckPromisc, the clusters and their DRS rules,
// the distributed portgroups and the other VMs sharing the routers'
// networks. It asks for explicit property paths through a ContainerView and
// the PropertyCollector, never for all properties.
//
// Connection and request failures (unreachable server, TLS verification,
// refused login) are *Error, which carpvm maps to exit code 3. The
// simulated inventories used by the tests live in package vsphere/sim.
package vsphere
