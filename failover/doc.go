// Package failover runs live CARP failover drills: the phases gate,
// baseline, trigger, measure, restore and report, against an Env (the
// network-namespace lab, failover/lab, or a router pair on vSphere,
// failover/vsphereenv).
//
// What a drill sees is a stream of Events recorded by an Observer on the
// CARP segment: adverts decoded with carp.ParseFrame, ARP and ICMP replies
// to a prober that asks for the VIP every 10 ms, gratuitous ARPs. The
// figures (detection, client blackout, the MAC answering the VIP,
// split-brain length) are computed by pure functions over those events
// (Analyze), so they are tested with synthetic streams. A drill's Report
// prints as a table, JSON (docs/architecture.md, "Drill report") or
// Markdown; a journal written before the trigger lets a drill cut short be
// restored (Restore); a lock file per pair, in one place whatever the
// history directory (internal/statepaths), keeps two drills off one pair. The
// record of past drills, its trends and metrics are failover/history's.
package failover
