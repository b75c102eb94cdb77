package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("s3cret-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nodeYAML := write("node.yaml", "interface: eth0\ncontrol_socket: \"\"\ngroups:\n  - {vhid: 3, vips: [172.27.27.10/28], advskew: 0, preempt: true, pass_file: "+pass+"}\n")
	badNode := write("bad-node.yaml", "groups:\n  - {vhid: 3, vips: [172.27.27.10/28], pass_file: "+pass+", advskw: 3}\n")
	split := write("split.yaml", `pair: {routers: [router-002, router-003]}
networks:
  - name: public
    portgroup: Public
    vmac: "02:00:00:aa:bb:cc"
    groups:
      - {vhid: 2, vips: [203.0.113.10/32]}
      - {vhid: 4, vips: [203.0.113.11/32], master: router-003}
`)
	notCA := write("not-a-ca.pem", "the CA is on the wiki\n")
	badCA := write("bad-ca.yaml", "vsphere: {url: https://vc.example/sdk, ca_certs: "+notCA+"}\n"+
		"pair: {routers: [router-002, router-003]}\nnetworks:\n  - {name: n, portgroup: P, vhid: 1, vips: [10.0.0.1/24]}\n")
	for _, tc := range []struct {
		name string
		file string
		code int
		want []string // in stdout when 0, in stderr otherwise
	}{
		{"a ca_certs file with no certificate", badCA, exitUsage, []string{"vsphere.ca_certs", notCA, "holds no PEM certificate", "want a file of PEM CA certificates"}},
		{"active/active carpvm.yaml", "docs/examples/active-active.yaml", exitOK,
			[]string{"a valid carpvm.yaml", "vhid 3 172.27.27.10/28: master router-003", "vhid 1 172.27.27.14/28: master router-002"}},
		{"node.yaml", nodeYAML, exitOK, []string{"a valid node.yaml", "control socket off", "vhid 3 on eth0 172.27.27.10/28: advbase 1, advskew 0, preempt true"}},
		{"node.yaml with a misspelt key", badNode, exitUsage, []string{"advskw"}},
		{"a carpvm.yaml with equal advskews", "docs/examples/equal-advskew.yaml", exitUsage, []string{"pair.routers[1].advskew", "no tie-break"}},
		{"groups split across one virtual MAC", split, exitUsage, []string{"networks.public.groups", "different masters", "one virtual MAC per failover IP"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(filepath.Join("..", ".."))
			got := runCLI(t, nil, "config", "check", "--config", tc.file)
			out := got.stdout
			if tc.code != exitOK {
				out = got.stderr
			}
			if got.code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, tc.code, got.stdout, got.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(got.stdout+got.stderr, "s3cret") {
				t.Error("config check printed a passphrase")
			}
		})
	}
	if got := runCLI(t, nil, "config", "check"); got.code != exitUsage || !strings.Contains(got.stderr, "--config FILE is required") {
		t.Errorf("without --config: exit %d, stderr %q", got.code, got.stderr)
	}
}
