package vsphereenv

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
)

func TestNetworksNeedAddresses(t *testing.T) {
	cfg := config.Simulator()
	env := &Env{Config: cfg}
	nets, err := env.Networks("")
	if err == nil || !strings.Contains(err.Error(), "networks[1].addresses") {
		t.Fatalf("Networks() = %v, %v; want the public network's missing addresses named", nets, err)
	}
	nets, err = env.Networks("intranought")
	if err != nil || len(nets) != 1 || nets[0].BackupSkew != 100 || nets[0].VHID != 1 || nets[0].VIP.String() != "172.27.27.14" {
		t.Errorf("Networks(intranought) = %+v, %v", nets, err)
	}
	if _, err := env.Networks("dmz"); err == nil {
		t.Error("an unknown network was accepted")
	}
	if err := env.Trigger(context.Background(), failover.TriggerPartition, nets[0], "router-002"); err == nil {
		t.Error("partition accepted on vSphere")
	}
	if err := env.Trigger(context.Background(), failover.TriggerDemote, nets[0], "router-002"); err == nil || !strings.Contains(err.Error(), "--command") {
		t.Errorf("demote without --command: %v", err)
	}
}

func TestDemoteCommand(t *testing.T) {
	dir := t.TempDir()
	env := &Env{Config: config.Simulator(),
		Command:        "echo \"$CARPVM_ROUTER $CARPVM_VM $CARPVM_NETWORK $CARPVM_VHID $CARPVM_INTERFACE\" > " + dir + "/demoted",
		RestoreCommand: "exit 3"}
	nets, _ := env.Networks("intranought")
	if err := env.Trigger(context.Background(), failover.TriggerDemote, nets[0], "router-002"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dir + "/demoted")
	if err != nil || string(b) != "router-002 router-002 intranought 1 vmx0\n" {
		t.Errorf("command saw %q, %v", b, err)
	}
	if err := env.Undo(context.Background(), failover.TriggerDemote, nets[0], "router-002"); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing restore command: %v", err)
	}
}
