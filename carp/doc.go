// Package carp is the Common Address Redundancy Protocol core: the
// version 2 advertisement codec (36-byte header, RFC 1071 checksum,
// HMAC-SHA1 over version, type, vhid, the sorted virtual addresses and the
// counter, as FreeBSD and OpenBSD ip_carp.c and ucarp compute it), the
// Ethernet + IPv4 and Ethernet + IPv6 framing of protocol 112 (224.0.0.18,
// ff02::12; a group with both families sends one advert per family per
// interval, each with its own counter, as FreeBSD does), and a
// deterministic state machine (INIT, BACKUP, MASTER) with FreeBSD's
// timers, preemption and demotion.
//
// A Router applies FreeBSD's router-level rules over a node's machines, so
// that a router fails over as a whole (net.inet.carp.preempt=1 with the
// ifdown and senderr demotion factors): an interface going down, failed
// sends, health tracks and operators are Demotion causes, summed and added
// to every group's advskew. An active/active pair (each router the
// preferred master of some groups) thus hands every group of a failing
// router to its peer, and each group back when the router recovers.
//
// The package is pure: it opens no socket, reads no clock and starts no
// goroutine. The Linux runtime (carp/node) feeds a Machine with received
// payloads and the current time and performs the Actions it returns, in
// order, in the style of etcd-io/raft's Step/Tick/Ready.
package carp
