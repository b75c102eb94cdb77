package config

import (
	"bytes"
	"fmt"

	"github.com/spf13/viper"
)

// SimulatorYAML is the typical user's configuration: router-002 and
// router-003 sharing a VIP on IntraNought (vhid 1) and a public OVH IPFO
// address bound to one virtual MAC (vhid 2). `--sim` uses it when no
// --config is given, against the simulated topology of vsphere/sim.
const SimulatorYAML = `pair:
  name: routers
  routers: [router-002, router-003]
networks:
  - name: intranought
    portgroup: IntraNought
    interface: vmx0
    vhid: 1
    vips: [172.27.27.14/28]
    pass_file: /etc/carpvm/intranought.pass
    addresses: {router-002: 172.27.27.11/28, router-003: 172.27.27.12/28}
  - name: public
    portgroup: Public
    interface: vmx1
    vhid: 2
    vips: [203.0.113.10/32]
    pass_file: /etc/carpvm/public.pass
    vmac: "02:00:00:aa:bb:cc"
`

// Simulator returns SimulatorYAML loaded; vsphere settings are left for the
// simulator to fill in.
func Simulator() *Config {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewBufferString(SimulatorYAML)); err != nil {
		panic(fmt.Sprintf("config: built-in simulator config: %v", err)) // a bug, caught by tests
	}
	c, err := Load(v, func(string) string { return "" })
	if err != nil {
		panic(fmt.Sprintf("config: built-in simulator config: %v", err))
	}
	return c
}
