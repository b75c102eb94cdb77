package fix

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
	"github.com/carpvm/carpvm/vsphere/change"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// Plan is what --fix would change, in the order the changes must be
// applied, and what it cannot change.
type Plan struct {
	// Changes are the plan entries, in apply order: host
	// options, promiscuous toggles, security policies, the DRS rule, the
	// relocation, the NICs' MACs. Empty means there is nothing to change.
	Changes []change.Change `json:"plan"`
	// Manual lists the failing or warning findings no change of the plan
	// fixes, with what the operator can do instead.
	Manual []Manual `json:"manual"`
}

// Manual is a finding the plan leaves to the operator.
type Manual struct {
	Check   preflight.Check  `json:"check"`
	Status  preflight.Status `json:"status"`
	Network string           `json:"network,omitempty"`
	Object  string           `json:"object"`
	// Note says why --fix does not change it and what the options are.
	Note string `json:"note"`
}

// Empty reports whether the plan changes nothing.
func (p Plan) Empty() bool { return len(p.Changes) == 0 }

// reversePathOption is the ESXi advanced option --fix sets to 1.
const reversePathOption = string(change.SettingReversePath)

// RuleName is the name of the DRS anti-affinity rule --fix adds for a pair.
func RuleName(pair string) string { return "carpvm-" + pair + "-anti-affinity" }

// NewPlan plans the minimal changes that make the failing checks of
// findings pass, reading the current state from f. It changes only what a
// failing (or, for the reverse-path option, warning) finding asks for; a
// finding that is already passing plans nothing, so planning again after
// the plan was applied returns an empty plan.
func NewPlan(cfg *config.Config, f *facts.Facts, findings []preflight.Finding, opts Options) (Plan, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Plan{}, err
	}
	if cfg == nil || f == nil {
		return Plan{}, fmt.Errorf("fix: planning needs a configuration and gathered facts")
	}
	p := &planner{cfg: cfg, f: f, opts: opts, bad: map[badKey][]preflight.Finding{},
		covered: map[coverKey]bool{}, promiscOn: map[string]bool{}, seen: map[string]bool{}}
	for _, fd := range findings {
		if fd.Status != preflight.Pass {
			k := badKey{fd.Check, fd.Network}
			p.bad[k] = append(p.bad[k], fd)
		}
	}
	for _, n := range cfg.Networks {
		if err := p.security(n); err != nil {
			return Plan{}, err
		}
	}
	for _, n := range cfg.Networks {
		p.reversePath(n)
	}
	p.antiAffinity()
	p.sameHost()
	for _, n := range cfg.Networks {
		p.vmac(n)
	}
	out := Plan{Manual: []Manual{}}
	for _, group := range [][]change.Change{p.options, p.toggles, p.vswitches, p.portgroups, p.rules, p.moves, p.nics} {
		out.Changes = append(out.Changes, group...)
	}
	if out.Changes == nil {
		out.Changes = []change.Change{}
	}
	for _, fd := range findings {
		if fd.Status == preflight.Pass || p.isCovered(fd) {
			continue
		}
		out.Manual = append(out.Manual, Manual{Check: fd.Check, Status: fd.Status, Network: fd.Network,
			Object: fd.Object, Note: p.manualNote(fd)})
	}
	return out, nil
}

type badKey struct {
	check   preflight.Check
	network string
}

// coverKey marks findings the plan fixes; an empty object covers every
// finding of the check on the network.
type coverKey struct {
	check   preflight.Check
	network string
	object  string
}

type planner struct {
	cfg  *config.Config
	f    *facts.Facts
	opts Options
	bad  map[badKey][]preflight.Finding

	options, toggles, vswitches, portgroups, rules, moves, nics []change.Change

	covered map[coverKey]bool
	// promiscOn marks the portgroups (by target key) where the plan turns
	// promiscuous mode on.
	promiscOn map[string]bool
	// seen dedupes changes by target key and setting.
	seen map[string]bool
	// ruleNameTaken is set when a rule named RuleName(pair) exists and
	// does not hold both routers.
	ruleNameTaken bool
}

func (p *planner) failing(check preflight.Check, network string) bool {
	return len(p.bad[badKey{check, network}]) > 0
}

func (p *planner) cover(check preflight.Check, network, object string) {
	p.covered[coverKey{check, network, object}] = true
}

func (p *planner) isCovered(fd preflight.Finding) bool {
	return p.covered[coverKey{fd.Check, fd.Network, ""}] || p.covered[coverKey{fd.Check, fd.Network, fd.Object}]
}

// add appends c to group once per target and setting.
func (p *planner) add(group *[]change.Change, c change.Change) {
	c.Object = c.Target.String()
	k := c.Target.Key() + "#" + string(c.Setting)
	if p.seen[k] {
		return
	}
	p.seen[k] = true
	*group = append(*group, c)
}

func hostTarget(kind change.Kind, h facts.Host, name, vswitch string) change.Target {
	return change.Target{Kind: kind, Host: h.Name, HostRef: h.Ref, Name: name, Switch: vswitch}
}

func dvTarget(pg *facts.DVPortgroup) change.Target {
	return change.Target{Kind: change.KindDVPortgroup, Name: pg.Name, Ref: pg.Key, Switch: pg.Switch}
}

// security plans the security settings of network n whose checks fail.
func (p *planner) security(n config.Network) error {
	fn, ok := p.f.Network(n.Portgroup)
	if !ok || !fn.Found {
		return nil
	}
	switch fn.Kind {
	case facts.KindStandard:
		for _, s := range secSettings {
			if !p.failing(s.check, n.Name) {
				continue
			}
			for _, h := range p.f.Hosts {
				if pg, ok := h.Portgroup(n.Portgroup); ok {
					p.standardSecurity(n, h, pg, s)
				}
			}
		}
	case facts.KindDistributed:
		if fn.DVPortgroup == nil {
			return nil
		}
		return p.distributedSecurity(n, fn.DVPortgroup)
	}
	return nil
}

func (p *planner) standardSecurity(n config.Network, h facts.Host, pg facts.Portgroup, s secSetting) {
	st := standardState(h, pg, s)
	if st.known && st.accept {
		return
	}
	base := change.Change{Setting: s.setting, Desired: "Accept", Check: string(s.check), Network: n.Name,
		Value: change.Value{Bool: change.Bool(true)}}
	pgTarget := hostTarget(change.KindPortgroup, h, pg.Name, pg.VSwitch)
	if p.opts.Scope == ScopeVSwitch {
		vs, ok := h.VSwitch(pg.VSwitch)
		if ok && (s.std(vs.Security) == nil || !*s.std(vs.Security)) {
			c := base
			c.Target = hostTarget(change.KindVSwitch, h, vs.Name, "")
			c.Current = vswitchWords(s.std(vs.Security))
			c.Note = "--scope vswitch: every portgroup of " + vs.Name + " that does not override it accepts too"
			p.add(&p.vswitches, c)
		}
		if o := s.std(pg.Override); o != nil && !*o {
			c := base
			c.Target, c.Current = pgTarget, st.String()
			c.Note = "the portgroup overrides " + pg.VSwitch + "'s value"
			p.add(&p.portgroups, c)
		}
	} else {
		c := base
		c.Target, c.Current = pgTarget, st.String()
		p.add(&p.portgroups, c)
	}
	p.cover(s.check, n.Name, "")
	if s.check == preflight.CheckPromiscuous {
		p.promiscOn[pgTarget.Key()] = true
	}
}

func vswitchWords(v *bool) string {
	if v == nil {
		return "unset (ESXi default Reject)"
	}
	return acceptWord(*v)
}

func (p *planner) distributedSecurity(n config.Network, pg *facts.DVPortgroup) error {
	target := dvTarget(pg)
	macMode := p.opts.DVSMode == DVSMACLearning
	for _, s := range secSettings {
		if !p.failing(s.check, n.Name) {
			continue
		}
		st := distributedState(pg, s)
		if st.known && (st.accept || (s.check == preflight.CheckPromiscuous && st.macLearning)) {
			continue
		}
		c := change.Change{Target: target, Setting: s.setting, Current: st.String(), Desired: "Accept",
			Check: string(s.check), Network: n.Name, Value: change.Value{Bool: change.Bool(true)},
			Note: "sent with inherited: false and the portgroup's current configVersion"}
		if macMode {
			if mm, _ := dvMACPolicy(pg); mm == nil {
				return fmt.Errorf("fix: --dvs-mode mac-learning: dvportgroup %s on %s has no MAC management policy (needs a vSphere 6.7+ distributed switch); use --dvs-mode promiscuous", pg.Name, pg.Switch)
			}
			if s.check == preflight.CheckPromiscuous {
				c.Setting, c.Desired = change.SettingMACLearning, "on"
				c.Current = "off; promiscuous " + st.String()
				c.Note = "MAC learning replaces promiscuous mode, which stays as it is"
			}
		} else if s.check == preflight.CheckPromiscuous {
			p.promiscOn[target.Key()] = true
		}
		p.add(&p.portgroups, c)
		p.cover(s.check, n.Name, "")
	}
	return nil
}

// reversePath plans Net.ReversePathFwdCheckPromisc=1 on every host where
// the check does not pass and promiscuous mode is, or will be after the
// plan, on; and where it was already on, promiscuous toggled off and on so
// that the host applies the option.
func (p *planner) reversePath(n config.Network) {
	fn, ok := p.f.Network(n.Portgroup)
	if !ok || !fn.Found {
		return
	}
	for _, fd := range p.bad[badKey{preflight.CheckReversePathPromisc, n.Name}] {
		name, ok := strings.CutPrefix(fd.Object, "host ")
		if !ok {
			continue
		}
		h, ok := p.f.Host(name)
		if !ok || (h.ReversePathFwdCheckPromisc != nil && *h.ReversePathFwdCheckPromisc == 1) {
			continue
		}
		var target change.Target
		var now state
		switch fn.Kind {
		case facts.KindStandard:
			pg, ok := h.Portgroup(n.Portgroup)
			if !ok {
				continue
			}
			target = hostTarget(change.KindPortgroup, h, pg.Name, pg.VSwitch)
			now = standardState(h, pg, secSettings[0])
		case facts.KindDistributed:
			if fn.DVPortgroup == nil {
				continue
			}
			target = dvTarget(fn.DVPortgroup)
			now = distributedState(fn.DVPortgroup, secSettings[0])
		default:
			continue
		}
		alreadyOn := now.known && now.accept
		if !alreadyOn && !p.promiscOn[target.Key()] && now.known {
			continue // promiscuous stays off: nothing to reflect
		}
		current := "not reported"
		if v := h.ReversePathFwdCheckPromisc; v != nil {
			current = strconv.FormatInt(*v, 10)
		}
		p.add(&p.options, change.Change{
			Target:  hostTarget(change.KindHostOption, h, reversePathOption, ""),
			Setting: change.SettingReversePath, Current: current, Desired: "1",
			Check: string(preflight.CheckReversePathPromisc), Network: n.Name,
			Value: change.Value{Int: change.Int(1)},
			Note:  "drops the routers' own adverts reflected by the teamed uplinks",
		})
		if alreadyOn {
			p.add(&p.toggles, change.Change{
				Target: target, Setting: change.SettingPromiscuousToggle,
				Current: "Accept", Desired: "Reject, then Accept again",
				Check: string(preflight.CheckReversePathPromisc), Network: n.Name,
				Note: "ESXi applies " + reversePathOption + " to a portgroup when promiscuous mode is turned on; the spec is left as it was",
			})
		}
		p.cover(preflight.CheckReversePathPromisc, n.Name, fd.Object)
	}
}

// pairVMs returns both routers when vSphere knows them.
func (p *planner) pairVMs() ([]facts.VM, bool) {
	names := p.cfg.RouterVMs()
	if len(names) != 2 {
		return nil, false
	}
	var vms []facts.VM
	for _, name := range names {
		vm, ok := p.f.VM(name)
		if !ok || !vm.Found || vm.Host == "" {
			return nil, false
		}
		vms = append(vms, vm)
	}
	return vms, true
}

func (p *planner) cluster(name string) (facts.Cluster, bool) {
	for _, c := range p.f.Clusters {
		if c.Name == name {
			return c, true
		}
	}
	return facts.Cluster{}, false
}

// pairCluster returns the cluster holding both routers' hosts.
func (p *planner) pairCluster(vms []facts.VM) (facts.Cluster, bool) {
	var name string
	for i, vm := range vms {
		h, ok := p.f.Host(vm.Host)
		if !ok || h.Cluster == "" || (i > 0 && h.Cluster != name) {
			return facts.Cluster{}, false
		}
		name = h.Cluster
	}
	return p.cluster(name)
}

// antiAffinity plans a DRS anti-affinity rule holding both routers: the
// existing disabled rule enabled, else a new rule named after the pair.
func (p *planner) antiAffinity() {
	fds := p.bad[badKey{preflight.CheckAntiAffinity, ""}]
	if len(fds) == 0 || fds[0].Status != preflight.Fail {
		return // a warning (DRS off) is the operator's call
	}
	vms, ok := p.pairVMs()
	if !ok {
		return
	}
	cl, ok := p.pairCluster(vms)
	if !ok {
		return
	}
	names := []string{vms[0].Name, vms[1].Name}
	rule := &change.Rule{Name: RuleName(p.cfg.Pair.Name), VMs: names,
		VMRefs: []string{vms[0].Ref, vms[1].Ref}, Mandatory: p.opts.Mandatory}
	current := "no anti-affinity rule holds both routers"
	for _, r := range cl.Rules {
		holds := r.Kind == facts.RuleAntiAffinity && slices.Contains(r.VMs, names[0]) && slices.Contains(r.VMs, names[1])
		if holds && !r.Enabled {
			rule = &change.Rule{Name: r.Name, VMs: r.VMs, Mandatory: r.Mandatory, Existing: true}
			current = "rule " + r.Name + " disabled"
			break
		}
		if r.Name == rule.Name {
			p.ruleNameTaken = true
			return // the name is taken by a rule that does not do the job: left to the operator
		}
	}
	kind := "should"
	if rule.Mandatory {
		kind = "must"
	}
	desired := fmt.Sprintf("rule %s enabled: %s and %s %s run on different hosts", rule.Name, names[0], names[1], kind)
	note := "DRS keeps the routers apart from now on"
	if !rule.Existing && !rule.Mandatory {
		note += "; --mandatory makes it a must-rule"
	}
	p.add(&p.rules, change.Change{
		Target:  change.Target{Kind: change.KindClusterRule, Cluster: cl.Name, ClusterRef: cl.Ref, Name: rule.Name},
		Setting: change.SettingAntiAffinityRule, Current: current, Desired: desired,
		Check: string(preflight.CheckAntiAffinity), Value: change.Value{Rule: rule}, Note: note,
	})
	p.cover(preflight.CheckAntiAffinity, "", "")
}

// sameHost plans, only with --relocate, moving the second router to
// another connected host of its cluster.
func (p *planner) sameHost() {
	if !p.opts.Relocate || !p.failing(preflight.CheckSameHost, "") {
		return
	}
	vms, ok := p.pairVMs()
	if !ok || vms[0].Host != vms[1].Host {
		return
	}
	dest, ok := p.relocationHost(vms[1].Host)
	if !ok {
		return
	}
	vm := vms[1]
	p.add(&p.moves, change.Change{
		Target:  change.Target{Kind: change.KindVM, Name: vm.Name, Ref: vm.Ref, Cluster: dest.Cluster},
		Setting: change.SettingHost, Current: vm.Host + " (with " + vms[0].Name + ")", Desired: dest.Name,
		Check: string(preflight.CheckSameHost), Value: change.Value{Text: dest.Name, Ref: dest.Ref},
		Note: "vMotion of a running router (--relocate)",
	})
	p.cover(preflight.CheckSameHost, "", "")
}

// relocationHost is the first other connected host of from's cluster.
func (p *planner) relocationHost(from string) (facts.Host, bool) {
	h, ok := p.f.Host(from)
	if !ok || h.Cluster == "" {
		return facts.Host{}, false
	}
	for _, o := range p.f.Hosts {
		if o.Name != from && o.Cluster == h.Cluster && (o.ConnectionState == "" || o.ConnectionState == "connected") {
			return o, true
		}
	}
	return facts.Host{}, false
}

// vmac plans, only with --set-vmac, the network's vmac as the manual MAC
// of each router's first NIC on the network that does not carry it.
func (p *planner) vmac(n config.Network) {
	if n.VMAC == nil || !p.opts.SetVMAC || !p.failing(preflight.CheckVMACShared, n.Name) {
		return
	}
	vmac := n.VMAC.String()
	for _, name := range p.cfg.RouterVMs() {
		vm, ok := p.f.VM(name)
		if !ok || !vm.Found {
			continue
		}
		nics := vm.NICsOn(n.Portgroup)
		if len(nics) == 0 || slices.ContainsFunc(nics, func(nic facts.NIC) bool {
			return nic.AddressType == "manual" && strings.EqualFold(nic.MAC, vmac)
		}) {
			continue
		}
		nic := nics[0]
		p.add(&p.nics, change.Change{
			Target: change.Target{Kind: change.KindVMNIC, Name: vm.Name, Ref: vm.Ref,
				NICKey: nic.Key, NICLabel: nic.Label},
			Setting: change.SettingMAC, Current: orUnknown(nic.AddressType) + " " + orUnknown(nic.MAC),
			Desired: "manual " + vmac, Check: string(preflight.CheckVMACShared), Network: n.Name,
			Value: change.Value{Text: vmac},
			Note:  "disruptive: NIC reconfigured, " + vm.Name + "'s link on " + n.Portgroup + " drops briefly",
		})
		p.cover(preflight.CheckVMACShared, n.Name, "vm "+vm.Name)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
