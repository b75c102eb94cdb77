package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp"
	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/internal/table"
)

func runNodeCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

func TestNodeRunBadInput(t *testing.T) {
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("123piano2026%\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, "long")
	if err := os.WriteFile(long, []byte("a-passphrase-of-25-bytes!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"node", "run", "--interface", "eth0", "--vhid", "1", "--vip", "172.27.27.14/28", "--control-socket", ""}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"nothing", []string{"node", "run"}, nil, "--interface, --vhid and at least one --vip"},
		{"no passphrase", base, nil, "no passphrase"},
		{"long passphrase", append(base, "--pass-file", long), nil, "limit is 19"},
		{"vhid out of range", []string{"node", "run", "--interface", "eth0", "--vhid", "300", "--vip", "10.0.0.1/24"}, nil, "--vhid"},
		{"advskew out of range", append(base, "--pass-file", pass, "--advskew", "255"), nil, "--advskew"},
		{"ipv6 vip with a zone", []string{"node", "run", "--interface", "eth0", "--vhid", "1", "--vip", "fe80::1%eth0", "--pass-file", pass}, nil, "zone"},
		{"bad vip", []string{"node", "run", "--interface", "eth0", "--vhid", "1", "--vip", "nope", "--pass-file", pass}, nil, `"nope"`},
		{"flags with --config", []string{"node", "run", "--config", "x.yaml", "--vhid", "1"}, nil, "exclusive"},
		{"router flags with --config", []string{"node", "run", "--config", "x.yaml", "--no-link-tracking", "--preempt-delay", "5s"}, nil, "--no-link-tracking, --preempt-delay and --config node.yaml are exclusive"},
		{"bad preempt delay", append(base, "--pass-file", pass, "--preempt-delay", "-1s"), nil, "--preempt-delay"},
		{"env passphrase too long", base, map[string]string{node.PassEnv: "a-passphrase-of-25-bytes!"}, "limit is 19"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runNodeCLI(t, tc.env, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (usage); stderr %q", code, exitUsage, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want)
			}
			if strings.Contains(out+errOut, "piano") || strings.Contains(out+errOut, "25-bytes") {
				t.Errorf("output reveals a passphrase: %q %q", out, errOut)
			}
		})
	}
}

func TestNodeStatusWithoutNode(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	code, _, errOut := runNodeCLI(t, nil, "node", "status", "--control-socket", sock)
	if code != exitOther || !strings.Contains(errOut, "no carpvm node on control socket "+sock) {
		t.Errorf("exit %d, stderr %q; want %d and a message naming the socket", code, errOut, exitOther)
	}
	code, _, errOut = runNodeCLI(t, nil, "node", "status", "-o", "yaml", "--control-socket", sock)
	if code != exitUsage || !strings.Contains(errOut, "want table or json") {
		t.Errorf("-o yaml: exit %d, stderr %q", code, errOut)
	}
}

func TestWatchBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"watch"}, "--interface (listen) or --read (a capture file) is required"},
		{[]string{"watch", "--interface", "lo", "--read", "x.pcap"}, "exclude each other"},
		{[]string{"watch", "--read", "x.pcap", "--duration", "3s"}, "--duration is for --interface"},
		{[]string{"watch", "--interface", "lo", "-o", "xml"}, "want table or json"},
		{[]string{"watch", "--interface", "lo", "--vip", "300=10.0.0.1"}, "VHID=ADDR"},
		{[]string{"watch", "--interface", "lo", "--vip", "1=nope"}, `"nope"`},
	} {
		code, _, errOut := runNodeCLI(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestPrintNodeStatusTable(t *testing.T) {
	st := &node.Status{Groups: []node.GroupStatus{{Interface: "eth0", AdvBase: 1, AdvSkew: 100}}}
	st.Groups[0].VHID = 1
	st.Groups[0].State = carp.Backup
	st.Groups[0].LastTransition = carp.TransitionRecord{At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), From: carp.Init, To: carp.Backup, Reason: "started"}
	var b bytes.Buffer
	if err := printNodeStatus(&b, table.Terminal{}, "table", st); err != nil {
		t.Fatal(err)
	}
	want := "VHID  IFACE  STATE   MASTER  VIPS  ADVBASE  ADVSKEW  DEMOTION  SENT  RECEIVED  REJECTED  LAST TRANSITION\n" +
		"1     eth0   BACKUP  -       -     1        100      0         0     0         0         2026-01-02T03:04:05Z INIT->BACKUP (started)\n"
	if b.String() != want {
		t.Errorf("piped table\n got %q\nwant %q", b.String(), want)
	}
	// A node that was frozen says so under the table.
	st.ClockJumps, st.LastClockJump = 2, &node.ClockJump{At: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC), LateS: 9.0451}
	b.Reset()
	if err := printNodeStatus(&b, table.Terminal{}, "table", st); err != nil {
		t.Fatal(err)
	}
	if line := "frozen 2 time(s); last at 2026-01-02T03:05:00Z, timers 9.045 s late\n"; !strings.HasSuffix(b.String(), line) {
		t.Errorf("table after freezes:\n%s\nwant it to end with %q", b.String(), line)
	}
}

// The shipped node unit restarts the node whatever way it ends, cleans up
// after it, keeps it to two capabilities, and passes systemd-analyze
// verify; its exposure as systemd-analyze security --offline rates it
// stays OK (at most 3.0).
func TestNodeServiceUnit(t *testing.T) {
	unit, err := os.ReadFile("../../docs/deploy/carpvm-node.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nRestart=always\n",
		"\nExecStart=/usr/local/bin/carpvm node run --config /etc/carpvm/node.yaml\n",
		"\nExecStopPost=/usr/local/bin/carpvm node cleanup --config /etc/carpvm/node.yaml\n",
		"\nCapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW\n",
		"\nAmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW\n",
		"\nNoNewPrivileges=yes\n", "\nProtectSystem=strict\n", "\nProtectHome=yes\n", "\nPrivateTmp=yes\n",
		"\nRuntimeDirectory=carpvm\n", "\nStateDirectory=carpvm\n",
	} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("unit lacks %q", strings.TrimSpace(want))
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("skipping systemd-analyze verify: systemd-analyze not installed")
	}
	// verify wants the commands to exist: point them at this test binary.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "carpvm-node.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/carpvm", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(analyze, "security", "--offline=true", path).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "Overall exposure level") {
		t.Skipf("skipping the exposure check: this systemd-analyze cannot rate a unit file offline (%v)", err)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	if score, _ := strconv.ParseFloat(m[1], 64); score > 3.0 {
		t.Errorf("exposure %s; want at most 3.0 (OK)", m[1])
	}
}

func TestNodeCleanupBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"node", "cleanup"}, "--interface and --vhid"},
		{[]string{"node", "cleanup", "--interface", "eth0", "--vhid", "300"}, "--vhid"},
		{[]string{"node", "cleanup", "--interface", "eth0", "--vhid", "1", "--vip", "nope"}, `"nope"`},
		{[]string{"node", "cleanup", "--config", "x.yaml", "--vhid", "1"}, "exclusive"},
	} {
		code, _, errOut := runNodeCLI(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestNodeCleanupFlagsVRRP6: the flag form of node cleanup describes a
// VRRPv3 group too (--carpver 3), so that what a killed IPv6 VRRPv3 node
// left (a macvlan with VRRP's IPv6 MAC 00:00:5e:00:02:<vrid>) is the
// group's own, and cleaned up rather than refused as someone else's.
func TestNodeCleanupFlagsVRRP6(t *testing.T) {
	o, app, err := parseFlags(nodeCommand(newNodeCleanupCmd), []string{"node", "cleanup", "--interface", "eth0", "--vhid", "9", "--vip", "2001:db8:77::14/64", "--carpver", "3"})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := o.groups(app.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got := groups[0].VirtualMAC().String(); got != "00:00:5e:00:02:09" {
		t.Errorf("the group's virtual MAC is %s, want VRRP's IPv6 MAC 00:00:5e:00:02:09", got)
	}
}
