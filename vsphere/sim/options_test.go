package sim_test

import (
	"context"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/carpvm/carpvm/vsphere/sim"
)

func readRPF(t *testing.T, h *object.HostSystem) any {
	t.Helper()
	m, err := h.ConfigManager().OptionManager(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	opts, err := m.Query(context.Background(), sim.OptionReversePathFwdCheckPromisc)
	if err != nil {
		t.Fatalf("query %s: %v", sim.OptionReversePathFwdCheckPromisc, err)
	}
	if len(opts) != 1 {
		t.Fatalf("query returned %d options, want 1", len(opts))
	}
	return opts[0].GetOptionValue().Value
}

func TestReversePathOption(t *testing.T) {
	_, c := start(t, sim.Default())
	ctx := context.Background()
	h := hostSystem(t, c, "esxi-01")
	if v, ok := readRPF(t, h).(int64); !ok || v != 0 {
		t.Fatalf("%s = %#v, want int64(0) (a long, as ESXi reports it)", sim.OptionReversePathFwdCheckPromisc, readRPF(t, h))
	}
	m, err := h.ConfigManager().OptionManager(ctx)
	if err != nil {
		t.Fatal(err)
	}
	set := func(v any) error {
		return m.Update(ctx, []types.BaseOptionValue{&types.OptionValue{Key: sim.OptionReversePathFwdCheckPromisc, Value: v}})
	}
	if err := set(int32(1)); !isFault[*types.InvalidArgument](err) {
		t.Errorf("set as int: got %v, want InvalidArgument (ESXi wants a long)", err)
	}
	if err := set(int64(2)); !isFault[*types.InvalidArgument](err) {
		t.Errorf("set to 2: got %v, want InvalidArgument", err)
	}
	if err := m.Update(ctx, []types.BaseOptionValue{&types.OptionValue{Key: "Net.NoSuchOption", Value: int64(1)}}); !isFault[*types.InvalidName](err) {
		t.Errorf("unknown option: got %v, want InvalidName", err)
	}
	if v := readRPF(t, h); v != int64(0) {
		t.Fatalf("rejected updates changed the option to %#v", v)
	}
	if err := set(int64(1)); err != nil {
		t.Fatalf("set to 1: %v", err)
	}
	if v := readRPF(t, h); v != int64(1) {
		t.Errorf("after update: %#v, want int64(1)", v)
	}
	// The host's config.option shows the same value, read by key.
	var hs mo.HostSystem
	if err := h.Properties(ctx, h.Reference(), []string{"config.option"}, &hs); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range hs.Config.Option {
		if ov := o.GetOptionValue(); ov.Key == sim.OptionReversePathFwdCheckPromisc {
			found = ov.Value == int64(1)
		}
	}
	if !found {
		t.Errorf("config.option does not show %s = 1", sim.OptionReversePathFwdCheckPromisc)
	}
}
