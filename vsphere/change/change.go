package change

import (
	"fmt"
	"strings"
)

// Kind is the kind of vSphere object a change touches.
type Kind string

// Object kinds.
const (
	KindHostOption  Kind = "host-option"  // an advanced option of an ESXi host
	KindVSwitch     Kind = "vswitch"      // a standard vSwitch of a host
	KindPortgroup   Kind = "portgroup"    // a standard portgroup of a host
	KindDVPortgroup Kind = "dvportgroup"  // a distributed portgroup
	KindDVSwitch    Kind = "dvswitch"     // a distributed switch's default port policy
	KindClusterRule Kind = "cluster-rule" // a DRS VM-VM rule of a cluster
	KindVM          Kind = "vm"           // a VM's placement (relocation)
	KindVMNIC       Kind = "vm-nic"       // a virtual NIC of a VM
)

// Setting names what a change sets on its object.
type Setting string

// Settings. The security settings are the vSphere API's field names.
const (
	SettingPromiscuous     Setting = "security.allowPromiscuous"
	SettingMACChanges      Setting = "security.macChanges"
	SettingForgedTransmits Setting = "security.forgedTransmits"
	// SettingMACLearning is a distributed portgroup's
	// macManagementPolicy.macLearningPolicy.enabled.
	SettingMACLearning Setting = "macManagement.macLearning"
	// SettingPromiscuousToggle turns promiscuous mode off and on again, so
	// that a host applies Net.ReversePathFwdCheckPromisc to a portgroup
	// where promiscuous mode was already on.
	SettingPromiscuousToggle Setting = "security.allowPromiscuous (off and on)"
	// SettingReversePath is the host advanced option of that name.
	SettingReversePath Setting = "Net.ReversePathFwdCheckPromisc"
	// SettingAntiAffinityRule adds, or enables, a DRS VM-VM anti-affinity rule.
	SettingAntiAffinityRule Setting = "drs.antiAffinityRule"
	// SettingHost moves a VM to another host of its cluster.
	SettingHost Setting = "runtime.host"
	// SettingMAC makes a virtual NIC's address manual.
	SettingMAC Setting = "macAddress"
)

// Target identifies the object a change touches, by name and, where
// vSphere has one, managed object reference.
type Target struct {
	Kind Kind `json:"kind"`
	// Host is the host's name, for host options, vSwitches and portgroups.
	Host    string `json:"host,omitempty"`
	HostRef string `json:"host_ref,omitempty"`
	// Name is the option key, vSwitch, portgroup, rule or VM name.
	Name string `json:"name"`
	// Ref is the managed object id of a distributed portgroup or a VM;
	// of a distributed switch, Type:id (vCenter's are
	// VmwareDistributedVirtualSwitch, vcsim's DistributedVirtualSwitch).
	Ref string `json:"ref,omitempty"`
	// Switch is the vSwitch of a standard portgroup or the distributed
	// switch of a distributed portgroup.
	Switch string `json:"switch,omitempty"`
	// Cluster names the cluster of a rule or of a relocated VM.
	Cluster    string `json:"cluster,omitempty"`
	ClusterRef string `json:"cluster_ref,omitempty"`
	// NICKey and NICLabel identify a VM's virtual NIC (KindVMNIC).
	NICKey   int32  `json:"nic_key,omitempty"`
	NICLabel string `json:"nic_label,omitempty"`
}

// Key identifies the target's object: changes with one key touch one
// object, and a backup holds one previous state per key.
func (t Target) Key() string {
	switch t.Kind {
	case KindHostOption, KindVSwitch, KindPortgroup:
		return fmt.Sprintf("%s/%s/%s", t.Kind, t.Host, t.Name)
	case KindDVPortgroup:
		return fmt.Sprintf("%s/%s/%s", t.Kind, t.Switch, t.Name)
	case KindClusterRule:
		return fmt.Sprintf("%s/%s/%s", t.Kind, t.Cluster, t.Name)
	case KindVMNIC:
		return fmt.Sprintf("%s/%s/%d", t.Kind, t.Name, t.NICKey)
	default:
		return fmt.Sprintf("%s/%s", t.Kind, t.Name)
	}
}

// String names the object for people: "portgroup Public on esxi-01".
func (t Target) String() string {
	switch t.Kind {
	case KindHostOption:
		return "host " + t.Host
	case KindVSwitch:
		return "vswitch " + t.Name + " on " + t.Host
	case KindPortgroup:
		return "portgroup " + t.Name + " on " + t.Host
	case KindDVPortgroup:
		return "dvportgroup " + t.Name + " on " + t.Switch
	case KindDVSwitch:
		return "dvswitch " + t.Name
	case KindClusterRule:
		return "cluster " + t.Cluster
	case KindVM:
		return "vm " + t.Name
	case KindVMNIC:
		return "vm " + t.Name + " " + strings.ToLower(t.NICLabel)
	default:
		return string(t.Kind) + " " + t.Name
	}
}

// Rule is the DRS anti-affinity rule a change adds or enables.
type Rule struct {
	Name      string   `json:"name"`
	VMs       []string `json:"vms"`
	VMRefs    []string `json:"vm_refs,omitempty"`
	Mandatory bool     `json:"mandatory"`
	// Existing is set when the rule exists, disabled, and is only enabled.
	Existing bool `json:"existing,omitempty"`
}

// Value is a change's desired value, typed for the setting.
type Value struct {
	// Bool is the desired value of a boolean setting (security fields:
	// true is Accept; MAC learning).
	Bool *bool `json:"bool,omitempty"`
	// Int is the desired value of an integer host option.
	Int *int64 `json:"int,omitempty"`
	// Text is a desired MAC address (SettingMAC) or host name (SettingHost).
	Text string `json:"text,omitempty"`
	// Ref is the destination host's managed object id (SettingHost).
	Ref string `json:"ref,omitempty"`
	// Rule is the rule SettingAntiAffinityRule adds or enables.
	Rule *Rule `json:"rule,omitempty"`
}

// Change is one entry of a fix plan. Object, Setting, Current, Desired and
// Check are the plan entry (docs/commands.md, preflight --fix); Note says what else the operator
// should know (e.g. "disruptive: NIC reconfigured").
type Change struct {
	Object  string  `json:"object"`
	Setting Setting `json:"setting"`
	Current string  `json:"current"`
	Desired string  `json:"desired"`
	Check   string  `json:"check"`
	Note    string  `json:"note,omitempty"`
	// Network is the configured network the change is for; empty for
	// changes about the pair as a whole (DRS rule, relocation).
	Network string `json:"network,omitempty"`
	Target  Target `json:"target"`
	Value   Value  `json:"value"`
}

// String describes the change in one line, for logs and errors.
func (c Change) String() string {
	return fmt.Sprintf("%s: %s %s -> %s", c.Object, c.Setting, c.Current, c.Desired)
}

// Bool returns a pointer to b, for Value.Bool.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to i, for Value.Int.
func Int(i int64) *int64 { return &i }
