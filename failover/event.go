package failover

import (
	"net"
	"net/netip"
	"time"
)

// Kind says what an Event is.
type Kind uint8

// Event kinds.
const (
	// KindAdvert is a CARP advertisement seen on the segment.
	KindAdvert Kind = iota + 1
	// KindARPReply is an ARP reply whose sender address is the VIP.
	KindARPReply
	// KindGARP is a gratuitous ARP for the VIP (a request or reply whose
	// sender and target protocol addresses are both the VIP).
	KindGARP
	// KindEchoReply is an ICMP echo reply from the VIP to the prober.
	KindEchoReply
	// KindMark is a drill's own mark (trigger, heal, restore), not a packet.
	KindMark
	// KindProbeUnsent is a probe round the witness could not send (a
	// WriteTo failed: no route while its link is down, say).
	KindProbeUnsent
)

func (k Kind) String() string {
	switch k {
	case KindAdvert:
		return "advert"
	case KindARPReply:
		return "arp-reply"
	case KindGARP:
		return "garp"
	case KindEchoReply:
		return "echo-reply"
	case KindMark:
		return "mark"
	case KindProbeUnsent:
		return "probe-unsent"
	}
	return "unknown"
}

// Event is one thing the observer saw, with the time it saw it.
type Event struct {
	At   time.Time
	Kind Kind
	// VHID, AdvBase and AdvSkew are an advert's.
	VHID             uint8
	AdvBase, AdvSkew uint8
	// Src is the IPv4 source of an advert or echo reply, the sender
	// protocol address of an ARP.
	Src netip.Addr
	// MAC is the Ethernet source of an advert or echo reply, the sender
	// hardware address of an ARP.
	MAC net.HardwareAddr
	// Mark names a KindMark event ("trigger", "heal", "restore").
	Mark string
}

// Marks a drill records.
const (
	MarkTrigger = "trigger"
	MarkHeal    = "heal"
	MarkRestore = "restore"
	// MarkThaw is when a stunned master was let go.
	MarkThaw = "thaw"
)
