package carp

import (
	"fmt"
	"slices"
	"strings"
)

// DemotionFactor is what FreeBSD adds to a node's demotion when a CARP
// interface goes down (net.inet.carp.ifdown_demotion_factor) or a send
// fails (senderr_demotion_factor): 240 by default, which makes every group
// of the node bow out, so that a preempting peer takes the whole router's
// work, not only the failed interface's.
const DemotionFactor = 240

// Cause is one reason a node is demoted, and how much it adds.
type Cause struct {
	Name   string `json:"name"`   // e.g. "link eth1", "send eth1", "track ping-gw", "manual"
	Weight int    `json:"weight"` // added to every group's advskew while the cause holds
}

// Demotion is a node's demotion: the sum of the weights of the causes that
// hold now, as FreeBSD's global V_carp_demotion sums its factors. It is a
// value kept by the runtime; the machines only see Total.
type Demotion struct {
	causes []Cause // sorted by name, weights > 0
}

// Set makes cause hold with weight (replacing an earlier weight); a weight
// of 0 or less clears it. It reports whether Total changed.
func (d *Demotion) Set(cause string, weight int) bool {
	before := d.Total()
	i, found := slices.BinarySearchFunc(d.causes, cause, func(c Cause, name string) int { return strings.Compare(c.Name, name) })
	switch {
	case weight <= 0 && found:
		d.causes = slices.Delete(d.causes, i, i+1)
	case weight <= 0:
	case found:
		d.causes[i].Weight = weight
	default:
		d.causes = slices.Insert(d.causes, i, Cause{Name: cause, Weight: weight})
	}
	return d.Total() != before
}

// Clear makes cause no longer hold; it reports whether Total changed.
func (d *Demotion) Clear(cause string) bool { return d.Set(cause, 0) }

// Total is the sum of the weights, clamped to a byte (the machine clamps
// the demoted advskew at MaxDemotedSkew anyway).
func (d *Demotion) Total() uint8 {
	t := 0
	for _, c := range d.causes {
		t += c.Weight
	}
	return uint8(min(t, 255))
}

// Causes returns the causes that hold, sorted by name.
func (d *Demotion) Causes() []Cause { return slices.Clone(d.causes) }

// String lists the causes, for logs: "link eth1 (240), track gw (50)".
func (d *Demotion) String() string {
	if len(d.causes) == 0 {
		return "none"
	}
	parts := make([]string, len(d.causes))
	for i, c := range d.causes {
		parts[i] = fmt.Sprintf("%s (%d)", c.Name, c.Weight)
	}
	return strings.Join(parts, ", ")
}
