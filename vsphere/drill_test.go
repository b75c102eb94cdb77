package vsphere_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// connected reads, through plain govmomi, whether vm's NICs are connected,
// by backing network name (standard) or portgroup key (distributed).
func nicsConnected(t *testing.T, ctx context.Context, c *vim25.Client, vm string) map[string]bool {
	t.Helper()
	f := find.NewFinder(c, true)
	dc, err := f.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	obj, err := f.VirtualMachine(ctx, vm)
	if err != nil {
		t.Fatal(err)
	}
	var m mo.VirtualMachine
	if err := obj.Properties(ctx, obj.Reference(), []string{"config.hardware.device"}, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range m.Config.Hardware.Device {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		eth := card.GetVirtualEthernetCard()
		name := ""
		switch b := eth.Backing.(type) {
		case *types.VirtualEthernetCardNetworkBackingInfo:
			name = b.DeviceName
		case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
			name = "dvpg:" + b.Port.PortgroupKey
		}
		out[name] = eth.Connectable != nil && eth.Connectable.Connected
	}
	return out
}

func powerState(t *testing.T, ctx context.Context, c *vim25.Client, vm string) types.VirtualMachinePowerState {
	t.Helper()
	f := find.NewFinder(c, true)
	dc, err := f.DefaultDatacenter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	obj, err := f.VirtualMachine(ctx, vm)
	if err != nil {
		t.Fatal(err)
	}
	st, err := obj.PowerState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDrillNICDisconnectReconnect(t *testing.T) {
	w := newFixWorld(t, sim.Default())
	ctx, c := w.ctx, w.s.Client()
	before := nicsConnected(t, ctx, c, sim.Router1)
	if !before[sim.PortgroupInternal] || !before[sim.PortgroupPublic] {
		t.Fatalf("NICs before the drill = %v, want both connected", before)
	}
	if err := w.s.SetNICConnected(ctx, sim.Router1, sim.PortgroupInternal, false); err != nil {
		t.Fatal(err)
	}
	got := nicsConnected(t, ctx, c, sim.Router1)
	if got[sim.PortgroupInternal] || !got[sim.PortgroupPublic] {
		t.Errorf("after disconnect: %v; want IntraNought disconnected, Public still connected", got)
	}
	if peer := nicsConnected(t, ctx, c, sim.Router2); !peer[sim.PortgroupInternal] {
		t.Errorf("router-003's NIC changed too: %v", peer)
	}
	st, err := w.s.NIC(ctx, sim.Router1, sim.PortgroupInternal)
	if err != nil || st.Connected {
		t.Errorf("NIC() = %+v, %v; want disconnected", st, err)
	}
	// Idempotent.
	if err := w.s.SetNICConnected(ctx, sim.Router1, sim.PortgroupInternal, false); err != nil {
		t.Fatal(err)
	}
	if err := w.s.SetNICConnected(ctx, sim.Router1, sim.PortgroupInternal, true); err != nil {
		t.Fatal(err)
	}
	if got := nicsConnected(t, ctx, c, sim.Router1); !got[sim.PortgroupInternal] || !got[sim.PortgroupPublic] {
		t.Errorf("after reconnect: %v; want both connected", got)
	}
}

func TestDrillNICOnDistributedPortgroup(t *testing.T) {
	w := newFixWorld(t, sim.Distributed(false))
	ctx := w.ctx
	var pg string
	for _, n := range w.srv.Topology.VMs[0].NICs {
		pg = n.Network
		break
	}
	if err := w.s.SetNICConnected(ctx, sim.Router1, pg, false); err != nil {
		t.Fatal(err)
	}
	st, err := w.s.NIC(ctx, sim.Router1, pg)
	if err != nil || st.Connected {
		t.Fatalf("NIC(%s) after disconnect = %+v, %v", pg, st, err)
	}
	if err := w.s.SetNICConnected(ctx, sim.Router1, pg, true); err != nil {
		t.Fatal(err)
	}
	if st, err := w.s.NIC(ctx, sim.Router1, pg); err != nil || !st.Connected {
		t.Fatalf("NIC(%s) after reconnect = %+v, %v", pg, st, err)
	}
}

func TestDrillPowerOffOn(t *testing.T) {
	w := newFixWorld(t, sim.Default())
	ctx, c := w.ctx, w.s.Client()
	if err := w.s.PowerOff(ctx, sim.Router1); err != nil {
		t.Fatal(err)
	}
	if got := powerState(t, ctx, c, sim.Router1); got != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("after PowerOff: %s", got)
	}
	if got := powerState(t, ctx, c, sim.Router2); got != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("router-003 after router-002's PowerOff: %s", got)
	}
	if err := w.s.PowerOff(ctx, sim.Router1); err != nil {
		t.Errorf("PowerOff of a VM already off: %v", err)
	}
	if err := w.s.PowerOn(ctx, sim.Router1); err != nil {
		t.Fatal(err)
	}
	if got := powerState(t, ctx, c, sim.Router1); got != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("after PowerOn: %s", got)
	}
}

func TestDrillErrorsNameTheInput(t *testing.T) {
	w := newFixWorld(t, sim.Default())
	ctx := w.ctx
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no VM", w.s.SetNICConnected(ctx, "router-999", sim.PortgroupInternal, false), `no VM named "router-999"`},
		{"no NIC", w.s.SetNICConnected(ctx, sim.Router1, "Nowhere", false), `no NIC on portgroup "Nowhere"`},
		{"power", w.s.PowerOff(ctx, "router-999"), `no VM named "router-999"`},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", tc.name, tc.err, tc.want)
		}
	}
	var _ = vsphere.NICState{}
}
