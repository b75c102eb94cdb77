package sim

import "github.com/vmware/govmomi/vim25/types"

// dvTeaming is a distributed port's uplink teaming as vCenter reports it:
// every field set (route by originating port, notify switches, failback,
// link-status failure detection, every uplink active), inherited on a
// portgroup. vcsim keeps only what the spec gave, and clients that read
// the teaming (Ansible's vmware_dvs_portgroup_info) fail on the rest.
func dvTeaming(uplinks []string, inherited bool) *types.VmwareUplinkPortTeamingPolicy {
	in := types.InheritablePolicy{Inherited: inherited}
	return &types.VmwareUplinkPortTeamingPolicy{
		InheritablePolicy: in,
		Policy:            &types.StringPolicy{InheritablePolicy: in, Value: "loadbalance_srcid"},
		ReversePolicy:     &types.BoolPolicy{InheritablePolicy: in, Value: types.NewBool(true)},
		NotifySwitches:    &types.BoolPolicy{InheritablePolicy: in, Value: types.NewBool(true)},
		RollingOrder:      &types.BoolPolicy{InheritablePolicy: in, Value: types.NewBool(false)},
		FailureCriteria: &types.DVSFailureCriteria{
			InheritablePolicy: in,
			CheckSpeed:        &types.StringPolicy{InheritablePolicy: in, Value: "minimum"},
			Speed:             &types.IntPolicy{InheritablePolicy: in, Value: 10},
			CheckDuplex:       &types.BoolPolicy{InheritablePolicy: in, Value: types.NewBool(false)},
			FullDuplex:        &types.BoolPolicy{InheritablePolicy: in, Value: types.NewBool(false)},
			CheckErrorPercent: &types.BoolPolicy{InheritablePolicy: in, Value: types.NewBool(false)},
			Percentage:        &types.IntPolicy{InheritablePolicy: in, Value: 0},
			CheckBeacon:       &types.BoolPolicy{InheritablePolicy: in, Value: types.NewBool(false)},
		},
		UplinkPortOrder: &types.VMwareUplinkPortOrderPolicy{InheritablePolicy: in, ActiveUplinkPort: uplinks},
	}
}
