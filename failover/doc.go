// Package failover runs live CARP failover drills and reports them: the
// phases gate, baseline, trigger, measure, restore and report (issue 5),
// against the network-namespace lab (failover/lab) or a router pair on
// vSphere.
//
// What a drill drives is an Env (the lab, or vSphere plus a witness
// interface); what it sees is a stream of Events recorded by an Observer on
// the CARP segment: adverts decoded with carp.ParseFrame, ARP and ICMP
// replies to a prober that asks for the VIP every 10 ms, gratuitous ARPs.
// The figures (detection, client blackout, the MAC answering the VIP,
// split-brain length) are computed by pure functions over those events
// (Analyze), so they are tested with synthetic streams. Reports print as a
// table, JSON (docs/architecture.md, "Drill report") or Markdown; runs are
// appended to a history (JSON lines; a damaged line is skipped and counted)
// from which Prometheus textfile metrics and trends are derived; a lock file
// per pair, in one place whatever the history directory (DefaultLockDir),
// keeps two drills off one pair.
package failover
