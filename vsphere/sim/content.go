package sim

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
)

// advertisedAPI is the vSphere API version vcsim advertises (in
// vimServiceVersions.xml and ServiceContent.about.apiVersion), the one
// clients such as pyvmomi then speak.
const advertisedAPI = "6.5"

// serviceContentOfAPI drops from the ServiceContent the managers vSphere
// added after the advertised API version. vcsim's content names
// TenantManager (and govmomi's type has room for others) while it
// advertises 6.5; a client that knows only the advertised version's types,
// such as pyvmomi 6.7 (Debian's python3-pyvmomi, which Ansible's vmware
// modules use), rejects the unknown element and cannot log in. A vCenter
// leaves out what the client's version does not have.
func serviceContentOfAPI(ctx *simulator.Context) error {
	si, ok := ctx.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	if !ok {
		return fmt.Errorf("sim: service instance is %T", ctx.Map.Get(vim25.ServiceInstance))
	}
	c := &si.Content
	if c.About.ApiVersion != advertisedAPI {
		// The list below is what is newer than 6.5; another version needs
		// another list.
		return fmt.Errorf("sim: vcsim advertises API %s, want %s: revisit the managers left out of its ServiceContent", c.About.ApiVersion, advertisedAPI)
	}
	// All after 6.7: pyvmomi 6.7's ServiceContent ends at
	// failoverClusterManager, a 6.5 manager.
	c.GuestCustomizationManager = nil
	c.TenantManager = nil
	c.SiteInfoManager = nil
	c.StorageQueryManager = nil
	c.DirectPathProfileManager = nil
	return nil
}
