// Package vsphereenv is the failover.Env of a router pair on vSphere, beside
// the lab's (failover/lab): its triggers go through the vSphere API (a NIC
// disconnected, a VM powered off, a memory snapshot that stuns it) or the
// user's demote command, and are read back from vSphere
// (failover.EffectReader); its packets come from a witness on an interface
// of this machine on the CARP segment. workflow wires it to a session.
package vsphereenv
