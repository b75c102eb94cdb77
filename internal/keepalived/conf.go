package keepalived

import (
	"fmt"
	"strings"
)

// Conf is a keepalived.conf of VRRPv3 instances.
type Conf struct {
	// Header lines are written first, each as a "# " comment.
	Header   []string
	RouterID string
	// ScriptUser runs the notify scripts (keepalived warns without one).
	ScriptUser string
	Instances  []Instance
}

// Instance is one vrrp_instance, always started as BACKUP: the priorities
// decide, and a router that restarts does not claim its groups before it
// has heard its peer.
type Instance struct {
	// Comments are written before the instance, each as a "# " line.
	Comments  []string
	Name      string
	Interface string
	VRID      int
	Priority  int
	// AdvertInt is in seconds, as keepalived reads it: "1", "0.5".
	AdvertInt string
	// UseVMAC answers from VRRP's virtual MAC; VMACXmitBase sends the
	// adverts from the NIC's own MAC (as FreeBSD does in unicast).
	UseVMAC, VMACXmitBase bool
	// Notes are "# " lines inside the instance, where use_vmac would be.
	Notes []string
	// UnicastSrc and UnicastPeers make the adverts unicast.
	UnicastSrc   string
	UnicastPeers []string
	// GARPMasterRefresh repeats the master's gratuitous ARPs every so
	// many seconds (0: never).
	GARPMasterRefresh int
	// VIPs are ADDR/LEN, on Interface.
	VIPs []string
	// Notify is a script called with the instance's state changes.
	Notify string
	// Track lowers the priority by its weight while an interface is down.
	Track []Track
}

// Track is a tracked interface and its (negative) weight.
type Track struct {
	Interface string
	Weight    int
}

// String is the file.
func (c Conf) String() string {
	var b strings.Builder
	comments(&b, "", c.Header)
	fmt.Fprintf(&b, "global_defs {\n    router_id %s\n    vrrp_version 3\n", c.RouterID)
	if c.ScriptUser != "" {
		fmt.Fprintf(&b, "    script_user %s\n", c.ScriptUser)
	}
	b.WriteString("}\n")
	for _, in := range c.Instances {
		b.WriteString("\n")
		in.write(&b)
	}
	return b.String()
}

func (in Instance) write(b *strings.Builder) {
	comments(b, "", in.Comments)
	fmt.Fprintf(b, "vrrp_instance %s {\n    state BACKUP\n    interface %s\n    virtual_router_id %d\n    priority %d\n    advert_int %s\n",
		in.Name, in.Interface, in.VRID, in.Priority, in.AdvertInt)
	comments(b, "    ", in.Notes)
	if in.UseVMAC {
		b.WriteString("    use_vmac\n")
	}
	if in.VMACXmitBase {
		b.WriteString("    vmac_xmit_base\n")
	}
	if in.UnicastSrc != "" {
		fmt.Fprintf(b, "    unicast_src_ip %s\n", in.UnicastSrc)
	}
	block(b, "unicast_peer", in.UnicastPeers)
	if in.GARPMasterRefresh > 0 {
		fmt.Fprintf(b, "    garp_master_refresh %d\n", in.GARPMasterRefresh)
	}
	vips := make([]string, len(in.VIPs))
	for i, v := range in.VIPs {
		vips[i] = v + " dev " + in.Interface
	}
	block(b, "virtual_ipaddress", vips)
	if in.Notify != "" {
		fmt.Fprintf(b, "    notify %s\n", in.Notify)
	}
	tracks := make([]string, len(in.Track))
	for i, t := range in.Track {
		tracks[i] = fmt.Sprintf("%s weight %d", t.Interface, t.Weight)
	}
	block(b, "track_interface", tracks)
	b.WriteString("}\n")
}

// block writes "name { line... }" inside an instance, nothing when empty.
func block(b *strings.Builder, name string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "    %s {\n", name)
	for _, l := range lines {
		fmt.Fprintf(b, "        %s\n", l)
	}
	b.WriteString("    }\n")
}

func comments(b *strings.Builder, indent string, lines []string) {
	for _, l := range lines {
		fmt.Fprintf(b, "%s# %s\n", indent, l)
	}
}
