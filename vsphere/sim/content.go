package sim

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"

	"github.com/carpvm/carpvm/vsphere/sim/vimapi"
)

// checkAdvertisedAPI makes sure the front can answer as the API version
// vcsim advertises (in vimServiceVersions.xml and
// ServiceContent.about.apiVersion, 6.5), the version that clients such as
// pyvmomi and govc then speak: vcsim's own answer holds what vSphere added
// later (its ServiceContent names TenantManager, for one), which pyvmomi
// 6.7 (Debian's python3-pyvmomi, which Ansible's vmware modules use)
// rejects.
func checkAdvertisedAPI(ctx *simulator.Context, schema *vimapi.Schema) error {
	si, ok := ctx.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
	if !ok {
		return fmt.Errorf("sim: service instance is %T", ctx.Map.Get(vim25.ServiceInstance))
	}
	if api := si.Content.About.ApiVersion; !schema.Knows(api) {
		return fmt.Errorf("sim: vcsim advertises API %s, which vsphere/sim/vimapi's schema does not know (%v): regenerate it with scripts/vim-schema", api, schema.Versions())
	}
	return nil
}

// advertiseAPI makes the server advertise api (Topology.API) instead of
// vcsim's own version; checkAdvertisedAPI then refuses one the schema
// does not know.
func advertiseAPI(ctx *simulator.Context, api string) {
	if si, ok := ctx.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance); ok && api != "" {
		si.Content.About.ApiVersion = api
	}
}
