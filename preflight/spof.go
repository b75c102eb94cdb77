package preflight

import (
	"fmt"
	"slices"
	"strings"

	"github.com/carpvm/carpvm/vsphere/facts"
)

// pairVMs returns both routers, or a failing verdict naming what is missing.
func (r *runner) pairVMs() ([]facts.VM, string, string, bool) {
	if msg, ok := r.pairSize(); !ok {
		return nil, msg, "List exactly two router VMs in pair.routers", false
	}
	vms, missing := r.routers()
	if len(missing) > 0 {
		return nil, missingVMs(missing), missingVMFix, false
	}
	for _, vm := range vms {
		if vm.Host == "" {
			return nil, "the host of " + vm.Name + " is not reported", "Check that the vSphere user can read the routers' hosts", false
		}
	}
	return vms, "", "", true
}

// sameHost: the two routers run on different ESXi hosts.
func (r *runner) sameHost() {
	fd := Finding{Check: CheckSameHost, Object: r.pairObject(), Expected: "the routers on different hosts"}
	vms, actual, fix, ok := r.pairVMs()
	switch {
	case !ok:
		fd.Status, fd.Actual, fd.Fix = Fail, actual, fix
	case vms[0].Host == vms[1].Host:
		fd.Status = Fail
		fd.Actual = "both on host " + vms[0].Host
		fd.Fix = fmt.Sprintf("Run %s on another ESXi host (vMotion, or register it on a second host); in a cluster, keep them apart with a DRS anti-affinity rule", vms[1].Name)
	default:
		fd.Status = Pass
		fd.Actual = fmt.Sprintf("%s on %s, %s on %s", vms[0].Name, vms[0].Host, vms[1].Name, vms[1].Host)
	}
	r.add(fd)
}

// standaloneHost: each host running a router belongs to a cluster, so that
// HA restarts the router elsewhere when the host fails. One finding per
// distinct router host; a router vSphere does not know is reported on its VM.
func (r *runner) standaloneHost() {
	var hosts []string
	runs := map[string][]string{}
	for _, name := range r.cfg.RouterVMs() {
		vm, ok := r.router(name)
		if !ok || vm.Host == "" {
			fd := Finding{Check: CheckStandaloneHost, Object: vmObject(name), Expected: "a host in a cluster", Status: Fail}
			if ok {
				fd.Actual, fd.Fix = "the host of "+name+" is not reported", "Check that the vSphere user can read the routers' hosts"
			} else {
				fd.Actual, fd.Fix = missingVMs([]string{name}), missingVMFix
			}
			r.add(fd)
			continue
		}
		if !slices.Contains(hosts, vm.Host) {
			hosts = append(hosts, vm.Host)
		}
		runs[vm.Host] = append(runs[vm.Host], name)
	}
	for _, name := range hosts {
		fd := Finding{Check: CheckStandaloneHost, Object: hostObject(name), Expected: "a host in a cluster"}
		routers := strings.Join(runs[name], " and ")
		h, ok := r.f.Host(name)
		switch {
		case !ok:
			fd.Status, fd.Actual = Fail, "host "+name+" was not gathered"
			fd.Fix = "Check that the vSphere user can read the routers' hosts"
		case h.Cluster == "":
			fd.Status = Fail
			fd.Actual = "standalone host (no cluster) running " + routers
			fd.Fix = fmt.Sprintf("Put %s in a vSphere HA cluster, or accept that a failure of %s stops %s with nothing to restart it", name, name, routers)
		default:
			fd.Status, fd.Actual = Pass, "in cluster "+h.Cluster+", running "+routers
		}
		r.add(fd)
	}
}

// antiAffinity: when both routers run in one cluster, an enabled DRS
// anti-affinity rule holds them both, in a cluster with DRS on. It does not
// apply (pass, "not applicable") when the routers are not in one cluster:
// spof.standalone_host and spof.same_host judge those topologies.
func (r *runner) antiAffinity() {
	fd := Finding{Check: CheckAntiAffinity, Object: r.pairObject(),
		Expected: "an enabled DRS anti-affinity rule holding both routers"}
	fd.Status, fd.Actual, fd.Fix = r.antiAffinityVerdict()
	r.add(fd)
}

func (r *runner) antiAffinityVerdict() (Status, string, string) {
	vms, actual, fix, ok := r.pairVMs()
	if !ok {
		return Fail, actual, fix
	}
	clusters := make([]string, len(vms))
	for i, vm := range vms {
		h, ok := r.f.Host(vm.Host)
		if !ok {
			return Fail, "host " + vm.Host + " of " + vm.Name + " was not gathered", "Check that the vSphere user can read the routers' hosts"
		}
		if h.Cluster == "" {
			return Pass, notApplicablePrefix + "host " + h.Name + " of " + vm.Name + " is not in a cluster", ""
		}
		clusters[i] = h.Cluster
	}
	if clusters[0] != clusters[1] {
		return Pass, fmt.Sprintf("%sthe routers run in different clusters (%s, %s)", notApplicablePrefix, clusters[0], clusters[1]), ""
	}
	cl, ok := r.cluster(clusters[0])
	if !ok {
		return Fail, "cluster " + clusters[0] + " was not gathered", "Check that the vSphere user can read cluster " + clusters[0]
	}
	createFix := fmt.Sprintf("In cluster %s add a VM/Host rule of type \"Separate Virtual Machines\" holding %s and %s (govc cluster.rule.create -cluster %s -name carp-%s -enable -anti-affinity %s %s)",
		cl.Name, vms[0].Name, vms[1].Name, cl.Name, r.cfg.Pair.Name, vms[0].Name, vms[1].Name)
	var disabled []string
	for _, rule := range cl.Rules {
		if rule.Kind != facts.RuleAntiAffinity || !slices.Contains(rule.VMs, vms[0].Name) || !slices.Contains(rule.VMs, vms[1].Name) {
			continue
		}
		if !rule.Enabled {
			disabled = append(disabled, rule.Name)
			continue
		}
		if !cl.DRSEnabled {
			return Warn, fmt.Sprintf("rule %q holds both routers, but DRS is off in cluster %s, so nothing enforces it", rule.Name, cl.Name),
				"Turn DRS on in cluster " + cl.Name + " (partially automated is enough to enforce the rule)"
		}
		return Pass, fmt.Sprintf("rule %q in cluster %s", rule.Name, cl.Name), ""
	}
	if len(disabled) > 0 {
		return Fail, fmt.Sprintf("rule %q holds both routers but is disabled", disabled[0]),
			fmt.Sprintf("Enable rule %q in cluster %s (Configure > VM/Host Rules)", disabled[0], cl.Name)
	}
	return Fail, "no anti-affinity rule in cluster " + cl.Name + " holds both routers", createFix
}

func (r *runner) cluster(name string) (facts.Cluster, bool) {
	for _, c := range r.f.Clusters {
		if c.Name == name {
			return c, true
		}
	}
	return facts.Cluster{}, false
}

// sameDatastore warns when both routers keep files on one datastore. It only
// ever warns: shared storage may well be redundant itself.
func (r *runner) sameDatastore() {
	fd := Finding{Check: CheckSameDatastore, Object: r.pairObject(), Expected: "the routers on different datastores"}
	if msg, ok := r.pairSize(); !ok {
		fd.Status, fd.Actual, fd.Fix = Warn, msg, "List exactly two router VMs in pair.routers"
		r.add(fd)
		return
	}
	vms, missing := r.routers()
	switch {
	case len(missing) > 0:
		fd.Status, fd.Actual, fd.Fix = Warn, missingVMs(missing), missingVMFix
	case len(vms[0].Datastores) == 0 || len(vms[1].Datastores) == 0:
		fd.Status, fd.Actual = Warn, "the datastores of the routers are not reported"
		fd.Fix = "Check that the vSphere user can read the routers' datastores"
	default:
		var shared []string
		for _, ds := range vms[0].Datastores {
			if slices.Contains(vms[1].Datastores, ds) && !slices.Contains(shared, ds) {
				shared = append(shared, ds)
			}
		}
		if len(shared) > 0 {
			fd.Status = Warn
			fd.Actual = "both on datastore " + strings.Join(shared, ", ")
			fd.Fix = fmt.Sprintf("Move %s to another datastore (Storage vMotion), ideally on other storage, so one datastore failure does not stop both routers", vms[1].Name)
		} else {
			fd.Status = Pass
			fd.Actual = fmt.Sprintf("%s on %s, %s on %s", vms[0].Name, strings.Join(vms[0].Datastores, ", "), vms[1].Name, strings.Join(vms[1].Datastores, ", "))
		}
	}
	r.add(fd)
}
