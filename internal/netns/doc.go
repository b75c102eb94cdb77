// Package netns builds throw-away network worlds for tests and labs: named
// Linux network namespaces, Linux bridges (learning switches, like an ESXi
// vSwitch), veth pairs between them, and the processes started inside them.
//
// Every object a World creates carries the World's unique tag (the creating
// process's pid and a random suffix) in its namespace name, so that several
// test packages can build worlds at once; interfaces live inside those
// namespaces, so their names (at most 15 bytes) only need to be unique per
// namespace. Close tears everything down (the processes it started, then the
// namespaces, which takes their interfaces with them) and is safe to call
// after a failure half-way through building. Sweep removes the namespaces
// left by worlds whose process died without closing them.
//
// The package drives iproute2 (`ip`, `bridge`), so that what a test builds
// is exactly what an operator would type, and needs root (CAP_NET_ADMIN and
// CAP_SYS_ADMIN); Available says why it cannot run otherwise.
package netns
