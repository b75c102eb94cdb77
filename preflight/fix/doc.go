// Package fix plans the vSphere changes `carpvm preflight --fix` makes
// (the plan of docs/commands.md): Plan reads the configuration, the
// facts gathered by package vsphere and the preflight findings, and returns
// the minimal changes, in the order they must be applied, that make the
// failing security, reverse-path, anti-affinity and shared-MAC checks pass.
//
// Scope is the narrowest that works: the routers' own portgroups, one
// setting at a time, on the hosts where the check failed; the whole vSwitch
// only with ScopeVSwitch. Disruptive or heavy changes need their own option
// (SetVMAC, Relocate). What no change can fix (a standalone host, a missing
// VM, a VHID clash, an option not given) is not a plan entry: it is listed in
// Plan.Manual with what the operator can do, so that an empty Changes means
// "nothing to change". The package is pure: no I/O, no govmomi.
package fix
