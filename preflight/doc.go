// Package preflight holds carpvm's read-only checks of the vSphere network
// under a CARP router pair (docs/architecture.md, "Preflight output"): Run reads a
// validated configuration and the plain facts gathered by package vsphere and
// returns a Report of findings with the stable check IDs of docs/architecture.md.
// It is pure: no I/O, no govmomi, no clock.
//
// Every check reports one finding per object it inspects, with one of three
// statuses, chosen by three rules applied the same way everywhere:
//
//   - pass: the property the check guards is shown to hold. A check that does
//     not apply to the topology passes too, and its actual value says why it
//     does not apply, starting with "not applicable:" (spof.anti_affinity
//     when no cluster holds both routers, vmac.shared on a network without a
//     vmac, host.reverse_path_promisc over a single active uplink).
//   - fail (or warn, for the checks that only ever warn, such as
//     spof.same_datastore): the property is shown not to hold, or it cannot
//     be shown because what the check inspects is missing (a router VM or a
//     portgroup that vSphere does not know); the actual value then names the
//     missing object, so a misspelt name in the configuration surfaces on
//     every check that needed it.
//   - warn: the property holds today but is fragile (a NIC connected now but
//     not at power-on, a teamed vSwitch that would reflect adverts as soon as
//     promiscuous mode is turned on), or carpvm cannot judge it yet (opaque
//     NSX networks: "not supported yet").
//
// Findings are ordered by the check order of docs/architecture.md, then by the
// network's position in the configuration (findings with no network first),
// then by object, so that the same facts always print the same report.
package preflight
