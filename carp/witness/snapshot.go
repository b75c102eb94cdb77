package witness

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Snapshot is what the witness knows at a moment, ready for a table or
// JSON: groups sorted by id, protocol then family, advertisers by source
// address, warnings by group, code and source.
type Snapshot struct {
	At        time.Time `json:"at"`
	Frames    uint64    `json:"frames"`
	Malformed uint64    `json:"malformed"` // CARP/VRRP frames failing their checksum or length
	Unknown   uint64    `json:"unknown"`   // protocol 112 but neither CARP nor VRRP
	Groups    []Group   `json:"groups"`
	// Ownership is the planned groups' masters, when the plan is known.
	Ownership []Owner `json:"ownership,omitempty"`
	// MACFlaps are the MACs seen on two ports (see FlapWindow); [] when
	// none, as every list of a document.
	MACFlaps []Flap    `json:"mac_flaps"`
	Warnings []Warning `json:"warnings"`
}

// Family is the IP family a group advertises in.
type Family string

// The two families. A dual-stack CARP group shows as two groups with one
// vhid, one per family.
const (
	IPv4 Family = "ipv4"
	IPv6 Family = "ipv6"
)

var familyOrder = map[Family]int{IPv4: 0, IPv6: 1}

// Group is one CARP group (by vhid) or VRRP group (by vrid), in one IP
// family.
type Group struct {
	Protocol Protocol `json:"protocol"`
	ID       uint8    `json:"id"`
	Family   Family   `json:"family"`
	// Masters are the advertisers acting as master now: normally one; none
	// when the group fell silent; two or more is a split brain.
	Masters     []netip.Addr `json:"masters"`
	Advertisers []Advertiser `json:"advertisers"`
}

// Role of an advertiser at the snapshot's time.
type Role string

// Roles. Only a master advertises in CARP and VRRP, so an advertiser is a
// master while it keeps advertising, unless another took over after its
// last advert (Replaced) or it announced it is leaving (Left).
const (
	RoleMaster   Role = "master"
	RoleReplaced Role = "replaced" // another advertiser took over after its last advert
	RoleSilent   Role = "silent"   // not heard for longer than the master-down interval
	RoleLeft     Role = "left"     // its last advert was a bow-out (CARP) or priority 0 (VRRP)
)

// Advertiser is one source advertising in a group.
type Advertiser struct {
	Src  netip.Addr `json:"source"`
	MAC  string     `json:"mac"`
	Role Role       `json:"role"`
	TTL  uint8      `json:"ttl"`
	// CARP fields (0 for VRRP).
	AdvBase uint8 `json:"advbase"`
	AdvSkew uint8 `json:"advskew"`
	Demote  uint8 `json:"demote"`
	// VRRP fields: priority and the virtual addresses on the wire.
	Priority  uint8        `json:"priority,omitempty"`
	Addresses []netip.Addr `json:"addresses,omitempty"`
	// Auth is the HMAC verification of the last advert; AuthFailures
	// counts the adverts that failed it.
	Auth         Auth   `json:"auth"`
	AuthFailures uint64 `json:"auth_failures"`
	// Duplicates counts second copies of its adverts (not in Adverts).
	Duplicates uint64    `json:"duplicates"`
	Adverts    uint64    `json:"adverts"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	// Interval is the advertised interval (CARP: advbase + (advskew +
	// demote)/256 s); Observed the moving average of the gaps between its
	// adverts (0 until two in a row), LastGap the latest gap.
	Interval time.Duration `json:"-"`
	Observed time.Duration `json:"-"`
	LastGap  time.Duration `json:"-"`
	// The same in seconds, for JSON.
	IntervalSeconds float64 `json:"interval_s"`
	ObservedSeconds float64 `json:"observed_interval_s"`
	LastGapSeconds  float64 `json:"last_gap_s"`
}

// Warning codes.
const (
	WarnTwoMasters      = "two_masters"
	WarnIDCollision     = "vrid_vhid_collision"
	WarnAuthFailed      = "auth_failed"
	WarnIntervalChanged = "interval_changed"
	WarnReflected       = "reflected"
	WarnMACFlap         = "mac_flap"
)

// Warning is a problem seen on the segment.
type Warning struct {
	Code     string     `json:"code"`
	Protocol Protocol   `json:"protocol"`
	ID       uint8      `json:"id"`
	Src      netip.Addr `json:"source,omitzero"`
	Message  string     `json:"message"`
}

// Snapshot reports the segment as of now.
func (w *Witness) Snapshot(now time.Time) Snapshot {
	snap := Snapshot{At: now, Frames: w.frames, Malformed: w.malformed, Unknown: w.unknown,
		Groups: []Group{}, MACFlaps: []Flap{}, Warnings: []Warning{}}
	carpIDs := map[uint8]bool{}
	vrrpIDs := map[uint8]bool{}
	for k := range w.groups {
		if k.proto == CARP {
			carpIDs[k.id] = true
		} else {
			vrrpIDs[k.id] = true
		}
	}
	collisions := map[groupKey]bool{} // one warning per protocol and id, whatever the families
	for _, g := range w.groups {
		grp, warns := g.snapshot(now)
		snap.Groups = append(snap.Groups, grp)
		snap.Warnings = append(snap.Warnings, warns...)
		if ck := (groupKey{proto: g.key.proto, id: g.key.id}); carpIDs[g.key.id] && vrrpIDs[g.key.id] && !collisions[ck] {
			collisions[ck] = true
			other := "VRRP vrid"
			if g.key.proto != CARP {
				other = "CARP vhid"
			}
			snap.Warnings = append(snap.Warnings, Warning{Code: WarnIDCollision, Protocol: g.key.proto, ID: g.key.id,
				Message: fmt.Sprintf("%s %d shares the segment with %s %d: both use virtual MAC 00:00:5e:00:01:%02x", g.key.proto, g.key.id, other, g.key.id, g.key.id)})
		}
	}
	for _, f := range w.macs.Flaps() {
		snap.MACFlaps = append(snap.MACFlaps, f)
		snap.Warnings = append(snap.Warnings, Warning{Code: WarnMACFlap, Protocol: f.Protocol, ID: f.ID, Message: f.Message()})
	}
	slices.SortFunc(snap.Groups, func(a, b Group) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(protoOrder[a.Protocol], protoOrder[b.Protocol]),
			cmp.Compare(familyOrder[a.Family], familyOrder[b.Family]))
	})
	slices.SortFunc(snap.Warnings, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(protoOrder[a.Protocol], protoOrder[b.Protocol]),
			cmp.Compare(a.Code, b.Code), a.Src.Compare(b.Src))
	})
	snap.Ownership = w.ownership(snap.Groups)
	return snap
}

func (g *group) snapshot(now time.Time) (Group, []Warning) {
	out := Group{Protocol: g.key.proto, ID: g.key.id, Family: g.key.family, Masters: []netip.Addr{}, Advertisers: []Advertiser{}}
	var warns []Warning
	for _, s := range g.advertisers {
		out.Advertisers = append(out.Advertisers, s.report(g, now))
	}
	slices.SortFunc(out.Advertisers, func(a, b Advertiser) int { return a.Src.Compare(b.Src) })
	for _, a := range out.Advertisers {
		s := g.advertisers[a.Src]
		if a.Role == RoleMaster {
			out.Masters = append(out.Masters, a.Src)
			if !s.changedAt.IsZero() {
				warns = append(warns, Warning{Code: WarnIntervalChanged, Protocol: g.key.proto, ID: g.key.id, Src: a.Src,
					Message: fmt.Sprintf("master %s changed its advertisement interval from %v to %v at %s",
						a.Src, s.changedFrom, s.changedTo, s.changedAt.Format(time.RFC3339))})
			}
		}
		if s.duplicates > 0 {
			warns = append(warns, Warning{Code: WarnReflected, Protocol: g.key.proto, ID: g.key.id, Src: a.Src,
				Message: fmt.Sprintf("%d adverts from %s arrived twice: the network hands frames back to where they came from "+
					"(a teamed vSwitch with promiscuous mode and Net.ReversePathFwdCheckPromisc=0, or a loop), and a FreeBSD "+
					"master takes its own copy for another master's advert and steps down; run carpvm preflight",
					s.duplicates, a.Src)})
		}
		if s.authFails > 0 {
			warns = append(warns, Warning{Code: WarnAuthFailed, Protocol: g.key.proto, ID: g.key.id, Src: a.Src,
				Message: fmt.Sprintf("%d of %d adverts from %s failed HMAC verification (another passphrase or other VIPs)",
					s.authFails, s.adverts, a.Src)})
		}
	}
	if len(out.Masters) > 1 {
		warns = append(warns, Warning{Code: WarnTwoMasters, Protocol: g.key.proto, ID: g.key.id,
			Message: fmt.Sprintf("%s %d (%s) has %d masters advertising at once: %v", g.key.proto, g.key.id, g.key.family, len(out.Masters), out.Masters)})
	}
	return out, warns
}

// role decides s's role: a master keeps advertising within its
// master-down interval, and nobody else started after its last advert.
func (s *source) role(g *group, now time.Time) Role {
	switch {
	case s.last.leaving:
		return RoleLeft
	case now.Sub(s.lastAt) > s.last.down:
		return RoleSilent
	}
	for _, o := range g.advertisers {
		if o != s && !o.last.leaving && now.Sub(o.lastAt) <= o.last.down && o.runStart.After(s.lastAt) {
			return RoleReplaced
		}
	}
	return RoleMaster
}

func (s *source) report(g *group, now time.Time) Advertiser {
	a := Advertiser{
		Src: s.src, MAC: s.mac.String(), Role: s.role(g, now), TTL: s.ttl,
		Auth: s.auth, AuthFailures: s.authFails, Adverts: s.adverts, Duplicates: s.duplicates,
		FirstSeen: s.first, LastSeen: s.lastAt,
		Interval: s.last.interval, Observed: s.ewma, LastGap: s.gap,
		Priority: s.last.priority, Addresses: s.last.addrs,
	}
	if g.key.proto == CARP {
		a.AdvBase, a.AdvSkew, a.Demote = s.last.carp.AdvBase, s.last.carp.AdvSkew, s.last.carp.Demote
	}
	a.IntervalSeconds, a.ObservedSeconds, a.LastGapSeconds = a.Interval.Seconds(), a.Observed.Seconds(), a.LastGap.Seconds()
	return a
}
