package vsphere_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/viper"
	"github.com/vmware/govmomi/simulator"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/preflight"
)

// TestPreflightOnStockVcsimModels: preflight reads VMware's own vcsim
// models, unmodified (simulator.VPX() and simulator.ESX(), not carpvm's
// vsphere/sim), and runs every check on a pair of their VMs; where stock
// vcsim lacks a fact carpvm needs, the finding says it is not reported
// instead of guessing a value.
func TestPreflightOnStockVcsimModels(t *testing.T) {
	tests := []struct {
		name      string
		model     func() *simulator.Model
		vms       [2]string
		portgroup string
		// missing are findings (check: text in Actual) naming a fact the
		// model does not report.
		missing map[preflight.Check]string
	}{
		{
			name: "VPX", model: simulator.VPX, vms: [2]string{"DC0_H0_VM0", "DC0_H0_VM1"}, portgroup: "DC0_DVPG0",
			missing: map[preflight.Check]string{
				// vcsim's DVS0 portgroups carry no security policy.
				preflight.CheckPromiscuous:        "unknown, not reported",
				preflight.CheckMACChanges:         "unknown, not reported",
				preflight.CheckForgedTransmits:    "unknown, not reported",
				preflight.CheckReversePathPromisc: "Net.ReversePathFwdCheckPromisc not reported",
			},
		},
		{
			name: "ESX", model: simulator.ESX, vms: [2]string{"ha-host_VM0", "ha-host_VM1"}, portgroup: "VM Network",
			missing: map[preflight.Check]string{
				preflight.CheckReversePathPromisc: "Net.ReversePathFwdCheckPromisc not reported",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := tt.model()
			if err := m.Create(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(m.Remove)
			srv := m.Service.NewServer()
			t.Cleanup(srv.Close)

			v := viper.New()
			v.SetConfigType("yaml")
			yaml := fmt.Sprintf("pair: {name: stock, routers: [%s, %s]}\nnetworks:\n  - {name: lan, portgroup: %q, vhid: 1, vips: [10.0.0.1/24]}\n",
				tt.vms[0], tt.vms[1], tt.portgroup)
			if err := v.ReadConfig(bytes.NewBufferString(yaml)); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(v, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			// vcsim's own server: its certificate is httptest's, so no pin.
			cfg.VSphere = config.VSphere{URL: srv.URL.String(), Insecure: true}
			s := open(t, cfg.VSphere)
			f, err := s.Gather(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Gather: %v", err)
			}
			report := preflight.Run(cfg, f)
			ran := map[preflight.Check][]preflight.Finding{}
			for _, fd := range report.Findings {
				ran[fd.Check] = append(ran[fd.Check], fd)
			}
			for _, c := range preflight.Checks() {
				if len(ran[c]) == 0 {
					t.Errorf("check %s made no finding", c)
				}
			}
			for _, fd := range ran[preflight.CheckVMFound] {
				if fd.Status != preflight.Pass {
					t.Errorf("%s: %s %s, want pass (the model has the VM)", fd.Check, fd.Status, fd.Actual)
				}
			}
			for c, want := range tt.missing {
				for _, fd := range ran[c] {
					if !strings.Contains(fd.Actual, want) {
						t.Errorf("%s on %s: %q, want it to say %q", c, fd.Object, fd.Actual, want)
					}
				}
			}
			if t.Failed() {
				for _, fd := range report.Findings {
					t.Logf("%s %s %s: %s", fd.Check, fd.Status, fd.Object, fd.Actual)
				}
			}
		})
	}
}
