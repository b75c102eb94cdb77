package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carpvm/carpvm/config"
	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
	"github.com/carpvm/carpvm/workflow"
)

// writeVSphereConfig writes a carpvm.yaml whose pair and networks are valid,
// with vsphereSection as its vsphere section.
func writeVSphereConfig(t *testing.T, vsphereSection string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "carpvm.yaml")
	doc := vsphereSection + `
pair:
  routers: [router-002, router-003]
networks:
  - {name: intranought, portgroup: IntraNought, vhid: 1, vips: [172.27.27.14/28],
     addresses: {router-002: 172.27.27.11/28, router-003: 172.27.27.12/28}}
`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVSphereSectionErrorsExitUsage: a malformed vsphere section is a
// configuration error (exit 2) naming the key, found before any connection,
// not "vSphere unreachable" (exit 3).
func TestVSphereSectionErrorsExitUsage(t *testing.T) {
	tests := []struct {
		name    string
		section string
		env     map[string]string
		want    []string // in stderr
	}{
		{"bad URL", "vsphere:\n  url: \"::bad\"\n  username: carpvm@vsphere.local\n", nil,
			[]string{"vsphere.url", "https://vcenter.example/sdk"}},
		{"malformed thumbprint", "vsphere:\n  url: https://127.0.0.1:1/sdk\n  username: carpvm@vsphere.local\n  thumbprint: \"AB:CD:zz\"\n", nil,
			[]string{"vsphere.thumbprint", "AB:CD:zz", "SHA-1"}},
		{"missing username", "vsphere:\n  url: https://127.0.0.1:1/sdk\n", nil,
			[]string{"vsphere.username", "GOVC_USERNAME"}},
		{"no URL", "", nil,
			[]string{"vsphere.url", "GOVC_URL"}},
		{"unsupported scheme", "vsphere:\n  url: ftp://x\n  username: carpvm@vsphere.local\n", nil,
			[]string{"vsphere.url", "ftp", "https://vcenter.example/sdk"}},
		{"bad GOVC_URL", "", map[string]string{"GOVC_URL": "::bad", "GOVC_USERNAME": "u"},
			[]string{"vsphere.url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeVSphereConfig(t, tt.section)
			for _, args := range [][]string{
				{"preflight", "--config", cfg},
				{"drill", "--config", cfg, "--trigger", "power-off", "--interface", "lo", "--history", t.TempDir()},
			} {
				got := runCLI(t, tt.env, args...)
				if got.code != exitUsage {
					t.Errorf("%s: exit %d, want %d\nstderr:\n%s", args[0], got.code, exitUsage, got.stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(got.stderr, w) {
						t.Errorf("%s: stderr %q does not mention %q", args[0], got.stderr, w)
					}
				}
			}
		})
	}
}

// TestExitCodeOf holds one case per exit code: the one place that maps a
// command's error to the process's exit code.
func TestExitCodeOf(t *testing.T) {
	vsphereRefused := &vsphere.Error{Op: "log in to https://vc/sdk as u", Err: errors.New("ServerFaultCode: Cannot complete login")}
	vsphereSection := &vsphere.Error{Op: "connect", Err: &config.Error{Key: "vsphere.url", Msg: "not a valid URL"}}
	tests := []struct {
		name      string
		err       error
		wantCode  int
		wantPrint bool
	}{
		{"no error", nil, exitOK, false},
		{"a check failed", silentExit(exitCheckFailed), exitCheckFailed, false},
		{"a drill failed, with a message", withExit(exitCheckFailed, errors.New("drill interrupted")), exitCheckFailed, true},
		{"usage error", usageError("-o %q: want table or json", "yaml"), exitUsage, true},
		{"configuration error", &config.Error{Key: "networks[0].vhid", Msg: "out of range"}, exitUsage, true},
		{"configuration error, wrapped", fmt.Errorf("preflight: %w", &config.Error{Key: "pair.routers", Msg: "want two"}), exitUsage, true},
		{"malformed vsphere section", vsphereSection, exitUsage, true},
		{"vSphere refused", vsphereRefused, exitVSphere, true},
		{"vSphere refused, wrapped", fmt.Errorf("drill: %w", vsphereRefused), exitVSphere, true},
		{"a workflow's vSphere step failed", fmt.Errorf("preflight --fix: %w", &workflow.BackendError{Step: "back up", Err: errors.New("connection reset")}), exitVSphere, true},
		{"a workflow's vSphere step failed on the vsphere section", &workflow.BackendError{Step: "connect", Err: vsphereSection}, exitUsage, true},
		{"simulator listen address malformed", fmt.Errorf("sim: %w", &sim.AddressError{Addr: "not-an-address"}), exitUsage, true},
		{"simulator listen address in use", &sim.ListenError{Addr: "127.0.0.1:8989", Err: errors.New("address already in use")}, exitOther, true},
		{"drill refused by its pair's lock", fmt.Errorf("drill: %w", &workflow.LockError{Err: failover.ErrLocked}), exitCheckFailed, true},
		{"fix not applied", fmt.Errorf("preflight --fix: %w", workflow.ErrNotApplied), exitNotApplied, true},
		{"a fleet's pair not fixed, interrupted", fmt.Errorf("not fixed: interrupted (%w)", workflow.ErrNotApplied), exitNotApplied, true},
		{"unclassified", errors.New("open /run/carpvm.sock: permission denied"), exitOther, true},
		{"unclassified, wrapped", fmt.Errorf("lab up: %w", os.ErrPermission), exitOther, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, print := exitCodeOf(tt.err)
			if code != tt.wantCode || print != tt.wantPrint {
				t.Errorf("exitCodeOf(%v) = %d, %t; want %d, %t", tt.err, code, print, tt.wantCode, tt.wantPrint)
			}
		})
	}
}
