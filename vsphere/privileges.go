package vsphere

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/change"
)

// writePrivileges is the privilege a write of each kind of object needs, on
// the object written (docs/privileges.md lists them by command).
var writePrivileges = map[change.Kind]string{
	change.KindHostOption:  "Host.Config.AdvancedConfig",
	change.KindVSwitch:     "Host.Config.Network",
	change.KindPortgroup:   "Host.Config.Network",
	change.KindDVPortgroup: "DVPortgroup.Modify",
	change.KindDVSwitch:    "DVSwitch.Modify",
	change.KindClusterRule: "Host.Inventory.EditCluster",
	change.KindVM:          "Resource.HotMigrate",
	change.KindVMNIC:       "VirtualMachine.Config.EditDevice",
}

// Missing is a privilege the session lacks on an object a plan writes.
type Missing struct {
	Object    string // e.g. "host esxi-01", "dvportgroup IntraNought"
	Privilege string
}

// PrivilegeError is a plan refused before its first write: the session
// lacks privileges on objects it would write.
type PrivilegeError struct {
	Missing []Missing
}

func (e *PrivilegeError) Error() string {
	var parts []string
	for _, m := range e.Missing {
		parts = append(parts, m.Privilege+" on "+m.Object)
	}
	return "the vSphere user lacks privileges the plan needs, so nothing was written: " + strings.Join(parts, ", ") +
		"; grant them (docs/privileges.md has a role with exactly these) and run it again"
}

// entityName names the object a privilege is checked on.
func entityName(t change.Target) string {
	switch t.Kind {
	case change.KindHostOption, change.KindVSwitch, change.KindPortgroup:
		return "host " + t.Host
	case change.KindClusterRule:
		return "cluster " + t.Cluster
	case change.KindDVPortgroup:
		return "dvportgroup " + t.Name
	case change.KindDVSwitch:
		return "dvswitch " + t.Name
	case change.KindVMNIC, change.KindVM:
		return "vm " + t.Name
	}
	return t.String()
}

// privilegeNeed is one privilege a write needs on one object.
type privilegeNeed struct {
	ref  types.ManagedObjectReference
	name string
	priv string
}

// CheckPrivileges asks vCenter (AuthorizationManager.HasPrivilegeOnEntities,
// for this session) whether the user holds, on each object plan writes,
// the privilege that write needs. A missing one is a *PrivilegeError naming
// each object and privilege; nothing is written either way.
func (s *Session) CheckPrivileges(ctx context.Context, plan []change.Change) error {
	var needs []privilegeNeed
	seen := map[string]bool{}
	for _, c := range plan {
		priv, ok := writePrivileges[c.Target.Kind]
		if !ok {
			return fmt.Errorf("vsphere: check privileges: %s: unknown object kind %q", c.Target, c.Target.Kind)
		}
		ref, err := targetRef(c.Target)
		if err != nil {
			return err
		}
		if k := ref.String() + " " + priv; !seen[k] {
			seen[k] = true
			needs = append(needs, privilegeNeed{ref: ref, name: entityName(c.Target), priv: priv})
		}
	}
	return s.checkNeeds(ctx, needs)
}

// CheckVMPrivileges asks vCenter whether the user holds each of privs on
// the VM named vm (what a drill's trigger and its undo need, before the
// drill's first write). A missing one is a *PrivilegeError naming the VM
// and each privilege.
func (s *Session) CheckVMPrivileges(ctx context.Context, vm string, privs []string) error {
	v, err := s.findVM(ctx, vm)
	if err != nil {
		return err
	}
	var needs []privilegeNeed
	for _, p := range privs {
		needs = append(needs, privilegeNeed{ref: v.Reference(), name: "vm " + vm, priv: p})
	}
	return s.checkNeeds(ctx, needs)
}

// checkNeeds asks vCenter for needs in one HasPrivilegeOnEntities.
func (s *Session) checkNeeds(ctx context.Context, needs []privilegeNeed) error {
	if len(needs) == 0 {
		return nil
	}
	am := s.client.ServiceContent.AuthorizationManager
	if am == nil {
		return &Error{Op: "check privileges", Err: fmt.Errorf("the server has no authorization manager")}
	}
	us, err := s.manager.UserSession(ctx)
	if err != nil || us == nil {
		if err == nil {
			err = fmt.Errorf("no current session")
		}
		return &Error{Op: "check privileges: read the session", Err: err}
	}
	var refs []types.ManagedObjectReference
	var privs []string
	for _, n := range needs {
		if !slices.Contains(refs, n.ref) {
			refs = append(refs, n.ref)
		}
		if !slices.Contains(privs, n.priv) {
			privs = append(privs, n.priv)
		}
	}
	res, err := methods.HasPrivilegeOnEntities(ctx, s.client, &types.HasPrivilegeOnEntities{
		This: *am, Entity: refs, SessionId: us.Key, PrivId: privs,
	})
	if err != nil {
		return &Error{Op: "check privileges", Err: err}
	}
	granted := map[string]bool{}
	for _, ep := range res.Returnval {
		for _, pa := range ep.PrivAvailability {
			if pa.IsGranted {
				granted[ep.Entity.String()+" "+pa.PrivId] = true
			}
		}
	}
	var missing []Missing
	for _, n := range needs {
		if !granted[n.ref.String()+" "+n.priv] {
			missing = append(missing, Missing{Object: n.name, Privilege: n.priv})
		}
	}
	if len(missing) > 0 {
		return &PrivilegeError{Missing: missing}
	}
	return nil
}
