package preflight

import (
	"fmt"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// Run runs every check of docs/architecture.md over the facts gathered for cfg
// and returns the report, findings in report order. It never panics on
// incomplete facts or configuration: what is missing is reported as a
// finding naming it. A nil f is read as an empty inventory.
func Run(cfg *config.Config, f *facts.Facts) Report {
	if cfg == nil {
		cfg = &config.Config{}
	}
	if f == nil {
		f = &facts.Facts{}
	}
	r := &runner{cfg: cfg, f: f}
	r.vmFound()
	for _, n := range cfg.Networks {
		nw := r.network(n)
		r.nicAttached(nw)
		r.vlanMatch(nw)
		r.security(nw)
		r.reversePath(nw)
		r.vmacShared(nw)
		r.vmacConflict(nw)
	}
	r.sameHost()
	r.standaloneHost()
	r.antiAffinity()
	r.sameDatastore()
	r.vhidUnique()

	names := make([]string, len(cfg.Networks))
	for i, n := range cfg.Networks {
		names[i] = n.Name
	}
	return newReport(f.Target, names, r.out)
}

// runner holds one run's inputs and the findings so far.
type runner struct {
	cfg *config.Config
	f   *facts.Facts
	out []Finding
}

func (r *runner) add(fd Finding) {
	if fd.Status == Pass {
		fd.Fix = ""
	}
	r.out = append(r.out, fd)
}

// router returns the router VM named name, found reporting whether vSphere
// knows it.
func (r *runner) router(name string) (vm facts.VM, found bool) {
	vm, ok := r.f.VM(name)
	return vm, ok && vm.Found
}

// routers returns the pair's routers as found in vSphere; missing lists the
// VM names vSphere does not know, in configuration order.
func (r *runner) routers() (vms []facts.VM, missing []string) {
	for _, name := range r.cfg.RouterVMs() {
		vm, ok := r.router(name)
		if !ok {
			missing = append(missing, name)
			continue
		}
		vms = append(vms, vm)
	}
	return vms, missing
}

// netView is a configured network and what its portgroup resolved to.
type netView struct {
	cfg   config.Network
	found bool
	fact  facts.Network
}

func (r *runner) network(n config.Network) netView {
	fn, ok := r.f.Network(n.Portgroup)
	return netView{cfg: n, found: ok && fn.Found, fact: fn}
}

func (n netView) kind() facts.NetworkKind { return n.fact.Kind }

// object names the network's portgroup for findings about it as a whole.
func (n netView) object() string {
	switch {
	case n.found && n.kind() == facts.KindDistributed && n.fact.DVPortgroup != nil:
		return "dvportgroup " + n.cfg.Portgroup + " on " + n.fact.DVPortgroup.Switch
	case n.found && n.kind() == facts.KindOpaque:
		return "opaque network " + n.cfg.Portgroup
	default:
		return "portgroup " + n.cfg.Portgroup
	}
}

// missing is the actual value of a finding about a portgroup vSphere does
// not know.
func (n netView) missing() string {
	return fmt.Sprintf("no portgroup named %q in vSphere", n.cfg.Portgroup)
}

// missingFix is the fix of a finding about a portgroup vSphere does not know.
func (n netView) missingFix() string {
	return fmt.Sprintf("Check the portgroup of network %q in the configuration (names are case-sensitive), or create portgroup %q on every host the routers can run on", n.cfg.Name, n.cfg.Portgroup)
}

// notSupported is the finding for a check carpvm cannot make on an opaque
// (NSX) network yet.
func (n netView) notSupported(check Check, object string) Finding {
	return Finding{
		Check: check, Status: Warn, Network: n.cfg.Name, Object: object,
		Expected: "a network carpvm can inspect",
		Actual:   "opaque (NSX) network: not supported yet",
		Fix:      "Check the NSX segment by hand: its segment security and MAC discovery profiles must let the routers send from and receive for the CARP virtual MAC (promiscuous or MAC learning, MAC changes, forged transmits)",
	}
}

func vmObject(name string) string { return "vm " + name }

func hostObject(name string) string { return "host " + name }

// pairObject names the pair for the pairwise checks: "vms router-002, router-003".
func (r *runner) pairObject() string {
	if len(r.cfg.Pair.Routers) == 0 {
		return strings.TrimSpace("pair " + r.cfg.Pair.Name)
	}
	return "vms " + strings.Join(r.cfg.RouterVMs(), ", ")
}

// missingVMs is the actual value of a finding that needs VMs vSphere does
// not know.
func missingVMs(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("no VM named %q in vSphere", names[0])
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return "no VMs named " + strings.Join(q, ", ") + " in vSphere"
}

const missingVMFix = "Fix vm.found first: check pair.routers in the configuration (VM names are case-sensitive)"

// pairSize checks that the configuration names a pair; the config package
// enforces it, this keeps Run total on a hand-built Config.
func (r *runner) pairSize() (string, bool) {
	if n := len(r.cfg.Pair.Routers); n != 2 {
		return fmt.Sprintf("the configuration names %d router(s); want exactly two", n), false
	}
	return "", true
}
