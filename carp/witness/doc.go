// Package witness is the listen-only view of a segment behind `carpvm
// watch`: from observed protocol-112 frames it keeps every CARP group (by
// vhid) and VRRP group (VRRPv2, RFC 3768, and VRRPv3, RFC 5798, by vrid),
// each advertiser's parameters, whether its HMAC verifies, who is master and
// how often it advertises, and warns of two masters for one group, a VRRP
// VRID equal to a CARP VHID, failing authentication, a master whose
// interval changed, and adverts that arrive twice: a second copy of the
// same bytes is what a segment that reflects frames to their sender (a
// teamed vSwitch with promiscuous mode) delivers, and is counted apart.
// It also warns of a MAC flap: one source MAC advertising alternately from
// two senders, which a switch sees on two ports (see FlapWindow).
//
// Over IPv4 and IPv6 alike: a group is one vhid (vrid) in one IP family,
// so a dual-stack CARP master, which advertises to 224.0.0.18 from its
// IPv4 address and to ff02::12 from its link-local address, shows as the
// master of two groups rather than as two masters of one. VRRPv3 over IPv6
// carries IPv6 addresses and is checked with the IPv6 pseudo-header.
//
// It is pure: frames and times come in through Observe, a JSON-ready sorted
// Snapshot comes out; the runtime captures and renders.
package witness
