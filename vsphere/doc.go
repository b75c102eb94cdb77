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
// It also applies a fix plan and rolls it back, field by field: Backup
// records, per object, the fields the plan sets with their values before and
// after; Apply re-reads each object just before writing it and writes only
// those fields into the object as it is now (a distributed portgroup at the
// configVersion just read), so that what other writers changed is kept and
// two fixes at once converge; Rollback writes back exactly those fields and
// refuses (*ConflictError) when one has changed since. An interrupted Apply
// undoes its writes on a fresh context (Detached).
//
// Connection and request failures (unreachable server, TLS verification,
// refused login) are *Error, which carpvm maps to exit code 3. The
// simulated inventories used by the tests live in package vsphere/sim.
package vsphere
