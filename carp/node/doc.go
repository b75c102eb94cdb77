// Package node is the Linux runtime of carpvm's CARP node: it runs
// carp.Machine groups over AF_PACKET sockets and holds their VIPs with
// netlink. It is the only place with sockets, goroutines and a clock; the
// protocol itself (codec, HMAC, state machine, replay window) is package
// carp. Wire facts follow FreeBSD's ip_carp.c and interoperate with ucarp.
//
// # Runtime
//
// One AF_PACKET socket per interface (github.com/mdlayher/packet) with a
// classic BPF filter that admits only IPv4 protocol 112 and IPv6 next
// header 112 (untagged or behind one 802.1Q tag; IPv6 extension headers
// are not followed, as CARP sends none), joined at link level to
// 224.0.0.18's MAC 01:00:5e:00:00:12 and ff02::12's 33:33:00:00:00:12 and
// ignoring the host's own outgoing frames. Adverts go out as whole
// Ethernet frames from 00:00:5e:00:01:<vhid>: for a group with IPv4 VIPs
// to 224.0.0.18 from the interface's IPv4 address, TTL 255, TOS 0xe0, DF;
// for a group with IPv6 VIPs to ff02::12 from the interface's link-local
// address, hop limit 255, traffic class 0xe0; a group with both sends
// both every interval, each with its own counter (IPv4 first, as FreeBSD).
// Received IPv6 adverts are judged like IPv4 ones (hop limit 255 or
// bad_ttl; replay and echo memory per source address, link-local ones
// included). Frames arrive through a memory-mapped ring (PACKET_MMAP,
// TPACKET_V3; a block is handed over when full or after 1 ms); one reader
// goroutine per socket parses each block's frames into a batch, without
// allocating per frame, and hands the batch to a single loop that owns
// every Machine, fires their timers (Clock is injected) and performs their
// actions in order; a frame is judged as of its arrival in the ring, and
// frames already queued when a timer fires are heard before it acts. What
// the ring had no room for is counted (dropped, ring_full). Rejected
// adverts are counted by the machines and summarised in the log once per
// interval ("rejected 12034 adverts in last 10s" with counts by reason),
// never one line per packet. The kernel takes the 802.1Q tag out of a
// frame; the ring gives it back (as PACKET_AUXDATA does for a plain
// socket) and a frame tagged for another VLAN than the interface's own is
// ignored, even an authentic advert of the same vhid, and counted as
// other_vlan. The filter admits every protocol-112 frame, so that other
// vhids, bad TTLs and malformed frames are counted by reason rather than
// dropped unseen. Once set up, and again 10 s later, the node gives back
// the pages of the executable that start-up mapped (Options.DropImagePages).
//
// # One node per group, and what a dead one leaves
//
// Before it touches anything, a node takes an flock on its control socket
// and, per group, binds the abstract unix socket GroupLockName
// (LockInstance): abstract names belong to the network namespace, so a
// second node started on the same vhid is refused, naming the running
// one's pid (SO_PEERCRED), whatever run directory, control socket or mount
// namespace it was given, and changes nothing. Outside the host's network
// namespace the default socket carries the namespace
// (node-netns<inode>.sock). Cleanup removes what a killed node left (its
// macvlan, rules and VIPs) under the same group locks, so never what a live
// node owns. Each group's replay memory
// is kept in a JSON file (written atomically at most once a second when it
// changed, and at stop) and restored at start, with the group's own advert
// counter (reserved 256 ahead of the adverts sent, written before they go),
// so that a restart, even after a crash, never reuses a counter and the
// peer accepts the restarted node's first advert. PacketLink sends a frame
// again when the kernel reports on it the ENETDOWN left pending by the
// interface going down (the first advert after the link's return).
//
// # VIPs
//
// By default (virtual-MAC mode) a macvlan interface carp<vhid>-<parent>
// (cut to 15 bytes), MAC 00:00:5e:00:01:<vhid>, bridge mode, exists only
// while MASTER and carries the VIPs, so they resolve to the virtual MAC and
// the switch relearns that MAC on the new master's port at failover; the
// parent gets arp_ignore=1 and arp_announce=2 so it does not answer ARP for
// the VIPs with its own MAC, and the macvlan loose rp_filter. Traffic from a
// VIP to its connected prefix (replies to clients on the segment) leaves
// through the macvlan too, from the virtual MAC as FreeBSD sends it, by
// source policy routing: rule "from VIP/32 lookup T" at priority
// RulePriority (1000), table T = RouteTable(parent index, vhid) (decimal
// 1<index, 6 digits><vhid, 3 digits>, one per group) holding "PREFIX dev
// <macvlan> src VIP scope link"; other destinations fall through to the
// main table. The rules go on Release and at stop, and stale ones (exactly
// those from a VIP/32 into T) at start; T's routes go with the macvlan.
// Gratuitous ARPs (IPv4 VIPs) and unsolicited neighbour advertisements
// (IPv6 VIPs: ICMPv6 136 to ff02::1, hop limit 255, Override, Router when
// the parent forwards IPv6, target link-layer address the virtual MAC) go
// out from the virtual MAC on becoming MASTER and two intervals later.
//
// IPv6 VIPs go on the macvlan without duplicate address detection
// (IFA_F_NODAD), so they answer at once; the macvlan has IPv6 address
// generation mode none, so it has no link-local address and sends no DAD
// of its own. The parent needs no sysctl for them: Linux answers neighbour
// solicitations only for addresses on the receiving interface. Their
// source rules are IPv6 rules ("from VIP/128", `ip -6 rule`) into the same
// table number, which holds the VIPs' IPv6 prefixes through the macvlan,
// so replies to the segment leave from the virtual MAC as for IPv4.
//
// With --no-vmac (ucarp's way) the VIPs go on the parent itself and the
// GARPs and NAs come from its MAC. Up/down scripts run with ucarp's arguments
// (interface, VIP, extra parameter; once per VIP) off the loop, in order.
// A VIP is never left on a node that is not MASTER: at start a stale
// macvlan, source rule or VIP is removed, and on SIGTERM/SIGINT a MASTER bows out
// (advbase 255, advskew 255, so a backup takes over at once) and releases
// them, IPv6 VIPs and rules included.
//
// # node.yaml
//
// LoadConfig reads node.yaml, the configuration of `carpvm node run
// --config` (several groups in one process); its format is described in
// the repository's docs/commands.md, section "node.yaml". Flags and
// node.yaml groups become a Group through one resolver,
// GroupSettings.Resolve, and Serve runs the node as the command does.
//
// # VRRPv3 and unicast
//
// A VRRPv3 group (carpver 3) elects by priority, as RFC 9568 says: a
// backup follows a master of higher or equal priority, waits
// Master_Down_Interval (3*interval + Skew_Time) without adverts, and a
// stopping master sends priority 0 so that the backup takes over after its
// Skew_Time. Its virtual MAC is 00:00:5e:00:01:<vrid> (IPv6:
// 00:00:5e:00:02:<vrid>). The router's demotion lowers its priority
// (carp.VRRPDemotedPriority). VRRPv3 has no authentication; node status says
// so. A unicast group (peer, peer6) sends its adverts to the peer from the
// interface's own address and MAC through a raw IP socket (the kernel
// resolves the peer), accepts adverts from the peer only (others count as
// not_peer) and does not check their TTL, as FreeBSD does; it works where
// the switch drops 224.0.0.18. Its master repeats its gratuitous ARPs and
// NAs from the virtual MAC every carp.UnicastGARPRefresh (10 s), as its
// adverts no longer teach the switches where that MAC is.
//
// # Whole-router failover
//
// The node fails over as a router, not group by group (carp.Router, after
// FreeBSD with net.inet.carp.preempt=1): when an interface carrying groups
// loses its link (netlink link notifications: IFF_UP and IFF_RUNNING, no
// polling), its groups leave without a bow-out and the router's demotion
// rises by carp.DemotionFactor (240), so that every other group bows out
// and a preempting peer takes them all; when the link returns the
// demotion drops and each group goes back to its preferred router.
// carp.SendErrorLimit failed sends in a row on an interface count the
// same way until that many succeed again or an operator promotes the
// router. A failing track adds its weight: a command run every interval
// in a process group of its own (killed at its timeout, its output kept to
// MaxTrackOutput, only its first line logged), failing after fall failures
// in a row and healthy after rise successes; or an interface, failing while
// its link is down. preempt_delay keeps a restarted router from taking its
// groups back before its services are up (a group with no master is still
// taken at master-down). A demote of vhid 0 over the control socket is one
// more cause ("manual"); a promote of vhid 0 lifts it, the send errors and
// every group's own demotion.
//
// # Frozen nodes
//
// A VM stunned for a memory snapshot or a vMotion, or a process stopped
// with SIGSTOP, wakes with every timer overdue while the peer may have
// taken over meanwhile. The loop notices it (a machine timer fired more
// than twice its advertisement interval late, at least 500 ms), logs one
// line, counts it (status clock_jumps, carpvm_node_clock_jumps_total),
// advertises, and each group still MASTER sends its gratuitous ARPs and
// unsolicited NAs at once, so that clients and switches that followed the
// peer come back without waiting for their caches to expire. The split
// brain ends by CARP's rule: the slower master steps down on hearing the
// other.
//
// # Control socket and metrics
//
// A Unix socket (mode 0600) answers one JSON request per connection, a
// line of at most MaxControlRequest (64 KiB) sent within the idle timeout
// (DefaultControlIdleTimeout, 5 s):
// {"command":"status"}, {"command":"demote","vhid":N} (a MASTER bows out;
// "demotion" sets another level) and {"command":"promote","vhid":N}; see
// Request and Response. Metrics are served from their own registry:
// carpvm_node_state{vhid,iface,state}, carpvm_node_transitions_total,
// carpvm_node_adverts_sent_total, carpvm_node_adverts_received_total,
// carpvm_node_adverts_rejected_total{reason}, carpvm_node_demotion,
// carpvm_node_frames_ignored_total{iface,reason}, and for the router
// carpvm_node_router_demotion, carpvm_node_demotion_cause{cause} and
// carpvm_node_group_preferred{vhid,iface} (with name and preferred), and
// carpvm_build_info{version,commit,goversion} 1 of the BuildInfo the
// caller passes.
//
// # Witness
//
// Watch runs a listen-only link into a carp/witness.Witness for
// `carpvm watch`; it never sends.
package node
