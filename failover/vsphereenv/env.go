package vsphereenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/explain"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/transition"

	"github.com/carpvm/carpvm/config"
)

// Ops are the vSphere operations a drill needs
// (*vsphere.Session has them).
type Ops interface {
	SetNICConnected(ctx context.Context, vm, portgroup string, connected bool) error
	PowerOff(ctx context.Context, vm string) error
	PowerOn(ctx context.Context, vm string) error
	// SnapshotMemory takes a memory snapshot (ESXi stuns the VM while it
	// writes the memory); RemoveSnapshot removes it, none being no error.
	SnapshotMemory(ctx context.Context, vm, name string) error
	RemoveSnapshot(ctx context.Context, vm, name string) error
}

// State reads back what a trigger did (*vsphere.Session has it).
type State interface {
	NICConnected(ctx context.Context, vm, portgroup string) (bool, error)
	PowerState(ctx context.Context, vm string) (string, error)
	HasSnapshot(ctx context.Context, vm, name string) (bool, error)
}

// StunSnapshot names the snapshot a stun drill takes and removes.
const StunSnapshot = "carpvm-stun-drill"

// Env drills a router pair on vSphere: triggers through the
// vSphere API (or the user's command, for demote), packets through a
// witness on an interface of this machine attached to the CARP segment.
type Env struct {
	Ops Ops
	// State reads the triggers' effects back (Effect).
	State  State
	Config *config.Config
	// URL names the target in reports (no credentials).
	URL string
	// Interface is the witness's interface on the segment (--interface).
	Interface string
	// Command demotes the master (--command), RestoreCommand undoes it
	// (--restore-command; optional). They run with sh -c and get
	// CARPVM_ROUTER, CARPVM_VM, CARPVM_NETWORK, CARPVM_VHID and
	// CARPVM_INTERFACE in their environment.
	Command, RestoreCommand string
	// CheckGate runs the preflight (nil: no gate, which passes).
	CheckGate func(ctx context.Context, n failover.Network) (string, error)
	// OpenObserver opens the witness; nil means failover.OpenWitness on Interface.
	OpenObserver func(ctx context.Context, n failover.Network) (failover.Observer, error)
	// NoWitness says no witness can see the segment (the embedded
	// simulator carries no CARP traffic): networks need no router
	// addresses, Observe refuses, and the drill is RunUnwitnessed's.
	NoWitness bool
	// TransitionCauses explains a drill's transitions from vCenter's
	// events and tasks around them (workflow wires it to the drill's
	// session: explain's core); nil explains them with no history.
	TransitionCauses func(ctx context.Context, ts []transition.Transition) ([]explain.Explained, error)
}

var (
	_ failover.Env                 = (*Env)(nil)
	_ failover.EffectReader        = (*Env)(nil)
	_ failover.TransitionExplainer = (*Env)(nil)
)

// ExplainTransitions implements failover.TransitionExplainer.
func (e *Env) ExplainTransitions(ctx context.Context, ts []transition.Transition) ([]explain.Explained, error) {
	if e.TransitionCauses == nil {
		return explain.Explain(explain.Pair{Name: e.Pair()}, ts, nil, explain.DefaultWindow).Transitions, nil
	}
	return e.TransitionCauses(ctx, ts)
}

// Networks returns the drill networks of the configuration, all or the
// one named. Every router needs an address on the network
// (networks[].addresses), or the witness cannot tell which one advertises.
func (e *Env) Networks(name string) ([]failover.Network, error) {
	c := e.Config
	if len(c.Pair.Routers) < 2 {
		return nil, &config.Error{Key: "pair.routers", Msg: "a drill needs two routers"}
	}
	var out []failover.Network
	for i, n := range c.Networks {
		if name != "" && n.Name != name {
			continue
		}
		if len(n.VIPs) == 0 || !n.VIPs[0].Addr().Is4() {
			return nil, &config.Error{Key: fmt.Sprintf("networks[%d].vips", i), Msg: "a drill probes the first VIP, which must be IPv4"}
		}
		var routers []string
		var skew uint8
		for j, r := range c.Pair.Routers {
			if _, ok := n.Addresses[r.Name]; !ok && !e.NoWitness {
				return nil, &config.Error{Key: fmt.Sprintf("networks[%d].addresses", i),
					Msg: fmt.Sprintf("no address for router %s: the drill's witness tells the routers apart by the source address of their adverts; add %s: <its address on %s>", r.Name, r.Name, n.Name)}
			}
			routers = append(routers, r.Name)
			if j > 0 {
				skew = max(skew, uint8(r.AdvSkew))
			}
		}
		// The drilled group's preferred master first: the restore waits
		// for it (preempt).
		if len(routers) == 2 && routers[1] == n.Master {
			routers[0], routers[1] = routers[1], routers[0]
		}
		advbase := n.AdvBase
		if advbase == 0 {
			advbase = 1
		}
		fn := failover.Network{
			Name: n.Name, VHID: uint8(n.VHID), VIP: n.VIPs[0].Addr(), AdvBase: uint8(advbase),
			BackupSkew: skew, Routers: routers, Preempt: true,
		}
		for _, g := range n.Groups() {
			backup := 0
			for _, r := range c.Pair.Routers {
				backup = max(backup, c.AdvSkew(r.Name, g))
			}
			fn.Groups = append(fn.Groups, failover.GroupPlan{VHID: uint8(g.VHID), Preferred: g.Master, MasterDown: carp.MasterDown(uint8(advbase), backup)})
		}
		out = append(out, fn)
	}
	if len(out) == 0 {
		return nil, &config.Error{Key: "--network", Msg: fmt.Sprintf("no network named %q in the configuration", name)}
	}
	return out, nil
}

func (e *Env) network(n failover.Network) (config.Network, error) {
	cn, ok := e.Config.Network(n.Name)
	if !ok {
		return cn, fmt.Errorf("vsphereenv: no network %q in the configuration", n.Name)
	}
	return cn, nil
}

func (e *Env) vm(router string) string {
	for _, r := range e.Config.Pair.Routers {
		if r.Name == router {
			return r.VM
		}
	}
	return router
}

// Target implements failover.Env.
func (e *Env) Target() string { return e.URL }

// Pair implements failover.Env.
func (e *Env) Pair() string { return e.Config.Pair.Name }

// Gate implements failover.Env.
func (e *Env) Gate(ctx context.Context, n failover.Network) (string, error) {
	if e.CheckGate == nil {
		return "no gate configured", nil
	}
	return e.CheckGate(ctx, n)
}

// Observe implements failover.Env.
func (e *Env) Observe(ctx context.Context, n failover.Network) (failover.Observer, error) {
	if e.OpenObserver != nil {
		return e.OpenObserver(ctx, n)
	}
	if e.NoWitness {
		return nil, errors.New("vsphereenv: no witness on this target (the simulator carries no CARP traffic)")
	}
	if e.Interface == "" {
		return nil, errors.New("vsphereenv: no witness interface; pass --interface IF, an interface of this machine on the CARP segment")
	}
	return failover.OpenWitness(failover.WitnessConfig{Interface: e.Interface, VIP: n.VIP})
}

// RouterName implements failover.Env, from networks[].addresses.
func (e *Env) RouterName(n failover.Network, src netip.Addr) string {
	cn, err := e.network(n)
	if err != nil {
		return ""
	}
	for name, p := range cn.Addresses {
		if p.Addr() == src {
			return name
		}
	}
	return ""
}

// VIPMAC implements failover.Env: the network's vmac (OVH IPFO) if set, else the
// CARP virtual MAC.
func (e *Env) VIPMAC(_ context.Context, n failover.Network, _ string) net.HardwareAddr {
	cn, err := e.network(n)
	if err != nil {
		return nil
	}
	if cn.VMAC != nil {
		return cn.VMAC
	}
	return cn.VirtualMAC()
}

// Describe implements failover.Env.
func (e *Env) Describe(t failover.Trigger, n failover.Network, router string) (string, string) {
	cn, _ := e.network(n)
	vm := e.vm(router)
	switch t {
	case failover.TriggerNICDisconnect:
		return fmt.Sprintf("disconnect VM %s's NIC on portgroup %s (ReconfigVM_Task, Connectable.Connected=false)", vm, cn.Portgroup),
			fmt.Sprintf("reconnect VM %s's NIC on portgroup %s", vm, cn.Portgroup)
	case failover.TriggerPowerOff:
		return fmt.Sprintf("power VM %s off (hard)", vm), fmt.Sprintf("power VM %s on", vm)
	case failover.TriggerDemote:
		undo := "nothing to undo (no --restore-command)"
		if e.RestoreCommand != "" {
			undo = "run --restore-command for " + router
		}
		return "run --command for " + router + " (demote)", undo
	case failover.TriggerStun:
		return fmt.Sprintf("stun VM %s: memory snapshot %q (CreateSnapshot_Task, memory=true; ESXi stuns the VM while it saves the memory)", vm, StunSnapshot),
			fmt.Sprintf("remove snapshot %q of VM %s", StunSnapshot, vm)
	case failover.TriggerPartition:
		return "partition: not possible on vSphere (a lab trigger)", ""
	}
	return string(t), ""
}

// Trigger implements failover.Env.
func (e *Env) Trigger(ctx context.Context, t failover.Trigger, n failover.Network, router string) error {
	cn, err := e.network(n)
	if err != nil {
		return err
	}
	switch t {
	case failover.TriggerNICDisconnect:
		return e.Ops.SetNICConnected(ctx, e.vm(router), cn.Portgroup, false)
	case failover.TriggerPowerOff:
		return e.Ops.PowerOff(ctx, e.vm(router))
	case failover.TriggerDemote:
		if e.Command == "" {
			return errors.New("vsphereenv: --trigger demote on vSphere needs --command, e.g. an ssh running `ifconfig vmx0 vhid 1 state backup`")
		}
		return e.run(ctx, e.Command, cn, router)
	case failover.TriggerStun:
		return e.Ops.SnapshotMemory(ctx, e.vm(router), StunSnapshot)
	}
	return fmt.Errorf("vsphereenv: trigger %s is not available on vSphere (partition is a lab trigger)", t)
}

// Undo implements failover.Env.
func (e *Env) Undo(ctx context.Context, t failover.Trigger, n failover.Network, router string) error {
	cn, err := e.network(n)
	if err != nil {
		return err
	}
	switch t {
	case failover.TriggerNICDisconnect:
		return e.Ops.SetNICConnected(ctx, e.vm(router), cn.Portgroup, true)
	case failover.TriggerPowerOff:
		return e.Ops.PowerOn(ctx, e.vm(router))
	case failover.TriggerDemote:
		if e.RestoreCommand == "" {
			return nil
		}
		return e.run(ctx, e.RestoreCommand, cn, router)
	case failover.TriggerStun:
		return e.Ops.RemoveSnapshot(ctx, e.vm(router), StunSnapshot)
	}
	return nil
}

func (e *Env) run(ctx context.Context, command string, cn config.Network, router string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Env = append(os.Environ(),
		"CARPVM_ROUTER="+router, "CARPVM_VM="+e.vm(router), "CARPVM_NETWORK="+cn.Name,
		fmt.Sprintf("CARPVM_VHID=%d", cn.VHID), "CARPVM_INTERFACE="+cn.Interface)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("vsphereenv: command for %s: %w: %s", router, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Relearned implements failover.Env: on vSphere the switch's table cannot be read;
// the client's unicast probes to the VIP's MAC being answered again after
// the old master went away shows that frames to that MAC reach the new one.
func (e *Env) Relearned(ctx context.Context, n failover.Network, mac net.HardwareAddr, router string, m failover.Measurement) (bool, string, error) {
	want := e.VIPMAC(ctx, n, router)
	if !m.RepliesResumed || m.EchoReplies == 0 {
		return false, fmt.Sprintf("no echo reply from VIP %s after the failover", n.VIP), nil
	}
	if want != nil && mac.String() != want.String() {
		return false, fmt.Sprintf("VIP %s answers from %s, want %s", n.VIP, mac, want), nil
	}
	return true, fmt.Sprintf("%d unicast probes to %s answered after the failover (new master %s)", m.EchoReplies, mac, router), nil
}

// Reads implements failover.EffectReader: a NIC's connection, a VM's power state
// and a stun's snapshot can be read back; a demote is the router's own
// state, which vSphere cannot show. Without State nothing is read.
func (e *Env) Reads(t failover.Trigger) bool {
	if e.State == nil {
		return false
	}
	switch t.Action() {
	case failover.TriggerNICDisconnect, failover.TriggerPowerOff, failover.TriggerStun:
		return true
	}
	return false
}

// Object implements failover.EffectReader.
func (e *Env) Object(t failover.Trigger, n failover.Network, router string) string {
	vm := e.vm(router)
	switch t.Action() {
	case failover.TriggerNICDisconnect:
		cn, _ := e.network(n)
		return fmt.Sprintf("VM %s's NIC on portgroup %s", vm, cn.Portgroup)
	case failover.TriggerStun:
		return fmt.Sprintf("snapshot %q of VM %s", StunSnapshot, vm)
	}
	return "VM " + vm
}

// Effect implements failover.EffectReader: it reads back from vSphere whether t's
// action on router is in effect (its NIC on n's portgroup disconnected,
// its VM powered off, its stun snapshot present). A demote is the
// router's own state, which vSphere cannot show.
func (e *Env) Effect(ctx context.Context, t failover.Trigger, n failover.Network, router string) (bool, string, error) {
	if e.State == nil {
		return false, "", errors.New("vsphereenv: no vSphere session to read the trigger back from")
	}
	cn, err := e.network(n)
	if err != nil {
		return false, "", err
	}
	vm := e.vm(router)
	switch t {
	case failover.TriggerNICDisconnect:
		connected, err := e.State.NICConnected(ctx, vm, cn.Portgroup)
		if err != nil {
			return false, "", err
		}
		return !connected, fmt.Sprintf("VM %s's NIC on %s connected=%t", vm, cn.Portgroup, connected), nil
	case failover.TriggerPowerOff:
		ps, err := e.State.PowerState(ctx, vm)
		if err != nil {
			return false, "", err
		}
		return ps == "poweredOff", fmt.Sprintf("VM %s is %s", vm, ps), nil
	case failover.TriggerStun:
		has, err := e.State.HasSnapshot(ctx, vm, StunSnapshot)
		if err != nil {
			return false, "", err
		}
		if has {
			return true, fmt.Sprintf("VM %s has snapshot %q", vm, StunSnapshot), nil
		}
		return false, fmt.Sprintf("VM %s has no snapshot %q", vm, StunSnapshot), nil
	}
	return false, "", fmt.Errorf("vsphereenv: %w", failover.CheckUnwitnessed(t))
}
