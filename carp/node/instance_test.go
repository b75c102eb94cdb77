package node

import (
	"testing"
)

func TestPathsCarryTheNamespace(t *testing.T) {
	host := Paths{RunDir: "/run/carpvm", StateDir: "/var/lib/carpvm"}
	lab := Paths{RunDir: "/run/carpvm", StateDir: "/var/lib/carpvm", Netns: "netns4026532238"}
	for _, tc := range []struct{ got, want string }{
		{host.ControlSocket(), "/run/carpvm/node.sock"},
		{lab.ControlSocket(), "/run/carpvm/node-netns4026532238.sock"},
		{host.ReplayState("ens192", 7), "/var/lib/carpvm/node-ens192-vhid7.json"},
		{lab.ResolveControlSocket(DefaultControlSocket), "/run/carpvm/node-netns4026532238.sock"},
		{lab.ResolveControlSocket("/tmp/x.sock"), "/tmp/x.sock"},
		{GroupLockName("ens192", 1), "@carpvm-node/ens192/vhid1"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}
