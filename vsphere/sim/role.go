package sim

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// readPrivileges are vCenter's Read-only role.
var readPrivileges = []string{"System.Anonymous", "System.Read", "System.View"}

// fixPrivileges are those preflight --fix and preflight rollback write with
// (docs/privileges.md).
var fixPrivileges = []string{
	"DVPortgroup.Modify", "DVSwitch.Modify", "Host.Config.AdvancedConfig", "Host.Config.Network", "Host.Inventory.EditCluster",
	"Resource.HotMigrate", "VirtualMachine.Config.EditDevice",
}

// drillPrivileges are those a vSphere drill writes with.
var drillPrivileges = []string{
	"VirtualMachine.Interact.DeviceConnection", "VirtualMachine.Interact.PowerOff", "VirtualMachine.Interact.PowerOn",
	"VirtualMachine.State.CreateSnapshot", "VirtualMachine.State.RemoveSnapshot",
}

// Roles names the roles the simulator can serve its user with, each with
// its privileges; "admin" holds every privilege.
func Roles() map[string][]string {
	return map[string][]string{
		"readonly": slices.Clone(readPrivileges),
		"fix":      append(slices.Clone(readPrivileges), fixPrivileges...),
		"drill":    append(slices.Clone(readPrivileges), drillPrivileges...),
		"admin":    nil,
	}
}

// RoleNames are the names of Roles, sorted.
func RoleNames() []string {
	var out []string
	for name := range Roles() {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// methodPrivileges is the privilege vCenter wants on the object called, for
// each write carpvm makes: a call without it fails with NoPermission.
var methodPrivileges = map[string][]string{
	"UpdatePortGroup":                 {"Host.Config.Network"},
	"UpdateVirtualSwitch":             {"Host.Config.Network"},
	"UpdateOptions":                   {"Host.Config.AdvancedConfig"},
	"ReconfigureDVPortgroup_Task":     {"DVPortgroup.Modify"},
	"ReconfigureDvs_Task":             {"DVSwitch.Modify"},
	"ReconfigureComputeResource_Task": {"Host.Inventory.EditCluster"},
	"RelocateVM_Task":                 {"Resource.HotMigrate"},
	// A NIC's MAC is a device edit, its connection a device connection:
	// either lets the call through (vCenter judges by the spec).
	"ReconfigVM_Task":     {"VirtualMachine.Config.EditDevice", "VirtualMachine.Interact.DeviceConnection"},
	"PowerOffVM_Task":     {"VirtualMachine.Interact.PowerOff"},
	"PowerOnVM_Task":      {"VirtualMachine.Interact.PowerOn"},
	"CreateSnapshot_Task": {"VirtualMachine.State.CreateSnapshot"},
	"RemoveSnapshot_Task": {"VirtualMachine.State.RemoveSnapshot"},
}

// SetRole makes the simulator's user hold only the privileges of role (one
// of RoleNames), as a vCenter user given that role on the root folder:
// HasPrivilegeOnEntities answers by it, and a write it lacks the
// privilege for fails with NoPermission, before it is executed.
func (s *Server) SetRole(role string) error {
	privs, ok := Roles()[role]
	if !ok {
		return fmt.Errorf("sim: role %q: want one of %s", role, strings.Join(RoleNames(), ", "))
	}
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.role, f.privileges = role, privs
	return nil
}

// holds says whether the user holds priv (every privilege when admin).
func (f *faultSeam) holds(priv string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.role == "" || f.role == "admin" || slices.Contains(f.privileges, priv)
}

// refused is the NoPermission fault of a call the role does not allow,
// nil when it does.
func (f *faultSeam) refused(method string, this types.ManagedObjectReference) types.BaseMethodFault {
	need, ok := methodPrivileges[method]
	if !ok {
		return nil
	}
	for _, p := range need {
		if f.holds(p) {
			return nil
		}
	}
	return &types.NoPermission{Object: &this, PrivilegeId: need[0]}
}

// writePrivileges answers HasPrivilegeOnEntities by the role.
func (f *faultSeam) writePrivileges(w http.ResponseWriter, req *types.HasPrivilegeOnEntities) {
	res := types.HasPrivilegeOnEntitiesResponse{}
	for _, e := range req.Entity {
		ep := types.EntityPrivilege{Entity: e}
		for _, id := range req.PrivId {
			ep.PrivAvailability = append(ep.PrivAvailability, types.PrivilegeAvailability{PrivId: id, IsGranted: f.holds(id)})
		}
		res.Returnval = append(res.Returnval, ep)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header + `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>`)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: "HasPrivilegeOnEntitiesResponse"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: "urn:vim25"}}}
	if err := enc.EncodeElement(res, start); err != nil {
		http.Error(w, "encode the privileges: "+err.Error(), http.StatusInternalServerError)
		return
	}
	_ = enc.Flush()
	buf.WriteString(`</soapenv:Body></soapenv:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
