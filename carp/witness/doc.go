// Package witness is the listen-only view of a segment behind `carpvm
// watch`: from observed protocol-112 frames it keeps every CARP group (by
// vhid) and VRRP group (VRRPv2, RFC 3768, and VRRPv3, RFC 5798, by vrid),
// each advertiser's parameters, whether its HMAC verifies, who is master and
// how often it advertises, and warns of two masters for one group, a VRRP
// VRID equal to a CARP VHID, failing authentication and a master whose
// interval changed.
//
// It is pure: frames and times come in through Observe, a JSON-ready sorted
// Snapshot comes out; the runtime captures and renders.
package witness
