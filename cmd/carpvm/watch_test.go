package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/carpvm/carpvm/carp/witness"
	"github.com/carpvm/carpvm/internal/transition"
)

const ucarpVector = "../../carp/testdata/ucarp-vhid1-pair.pcap"

// TestWatchReadVector replays the real ucarp capture: the first master
// (172.27.27.11) stopped, the backup (172.27.27.12, advskew 100) took over,
// and both sign with the capture's passphrase.
func TestWatchReadVector(t *testing.T) {
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("123piano2026%\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := runCLI(t, nil, "watch", "--read", ucarpVector, "--pass-file", pass, "--vip", "1=172.27.27.14", "-o", "json")
	if got.code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", got.code, got.stderr)
	}
	var snap witness.Snapshot
	if err := json.Unmarshal([]byte(got.stdout), &snap); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, got.stdout)
	}
	if len(snap.Groups) != 1 {
		t.Fatalf("groups = %+v, want vhid 1 only", snap.Groups)
	}
	// Every document names an address's origin "source" (jsondoc), the
	// witness's "src" included.
	var sources struct {
		Groups []struct {
			Advertisers []struct {
				Source netip.Addr `json:"source"`
			} `json:"advertisers"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &sources); err != nil || strings.Contains(got.stdout, `"src"`) {
		t.Fatalf("sources: %v; want \"source\", never \"src\":\n%s", err, got.stdout)
	}
	type seen struct {
		Src     string
		Role    witness.Role
		AdvSkew uint8
		Auth    witness.Auth
	}
	var advertisers []seen
	for i, a := range snap.Groups[0].Advertisers {
		advertisers = append(advertisers, seen{sources.Groups[0].Advertisers[i].Source.String(), a.Role, a.AdvSkew, a.Auth})
	}
	want := []seen{
		{"172.27.27.11", witness.RoleSilent, 0, witness.AuthOK},
		{"172.27.27.12", witness.RoleMaster, 100, witness.AuthOK},
	}
	if diff := cmp.Diff(want, advertisers); diff != "" {
		t.Errorf("advertisers (-want +got):\n%s", diff)
	}
	if m := snap.Groups[0].Masters; len(m) != 1 || m[0] != netip.MustParseAddr("172.27.27.12") {
		t.Errorf("masters = %v, want 172.27.27.12", m)
	}

	// Without the passphrase the adverts are not verified; with another
	// one every advert fails.
	other := filepath.Join(t.TempDir(), "other")
	if err := os.WriteFile(other, []byte("not-the-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got = runCLI(t, nil, "watch", "--read", ucarpVector, "--pass-file", other, "--vip", "1=172.27.27.14")
	if got.code != exitOK || !strings.Contains(got.stdout, "WARNING auth_failed") {
		t.Errorf("wrong passphrase: exit %d, stdout:\n%s", got.code, got.stdout)
	}
}

// TestWatchReplaySummaryOnTerminal: the replay's summary line (packets,
// time span, skipped frames) is a progress line, as docs/commands.md says:
// on stderr when it is a terminal or with --progress, never otherwise, so
// that a script's stderr holds only what went wrong.
func TestWatchReplaySummaryOnTerminal(t *testing.T) {
	for _, tc := range []struct {
		name     string
		errTTY   bool
		progress bool
		want     bool
	}{
		{"piped", false, false, false},
		{"terminal", true, false, true},
		{"piped, --progress", false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"watch", "--read", ucarpVector}
			if tc.progress {
				args = append(args, "--progress")
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), args, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: tc.errTTY},
				func(string) string { return "" })
			if code != exitOK {
				t.Fatalf("exit %d\nstderr:\n%s", code, errOut.String())
			}
			summary := strings.Contains(errOut.String(), "17 packets") && strings.Contains(errOut.String(), "4 not protocol 112")
			if summary != tc.want {
				t.Errorf("stderr %q: summary printed %v, want %v", errOut.String(), summary, tc.want)
			}
			if !tc.want && errOut.Len() != 0 {
				t.Errorf("stderr %q, want nothing when piped", errOut.String())
			}
		})
	}
}

// TestWatchJSONEmptyLists: a segment without warnings or MAC flaps says
// so with empty lists, "warnings": [] and "mac_flaps": [], as every JSON
// document does (architecture: Preflight output), rather than leaving the
// member out.
func TestWatchJSONEmptyLists(t *testing.T) {
	got := runCLI(t, nil, "watch", "--read", ucarpVector, "-o", "json")
	if got.code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", got.code, got.stderr)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, got.stdout)
	}
	for _, member := range []string{"mac_flaps", "warnings"} {
		if v, ok := doc[member]; !ok || string(v) != "[]" {
			t.Errorf("%q = %s (present %v), want []", member, v, ok)
		}
	}
}

func TestWatchReadBadFiles(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("these are not packets at all\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want []string
	}{
		{filepath.Join(dir, "missing.pcap"), []string{"missing.pcap", "no such file"}},
		{notCapture, []string{"notes.txt", "unknown magic"}},
	} {
		got := runCLI(t, nil, "watch", "--read", tc.file)
		if got.code != exitUsage || got.stdout != "" {
			t.Errorf("%s: exit %d, stdout %q; want 2 and nothing", tc.file, got.code, got.stdout)
		}
		for _, w := range tc.want {
			if !strings.Contains(got.stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", tc.file, got.stderr, w)
			}
		}
	}

	// A capture cut short (a killed tcpdump) is read up to the cut.
	b, err := os.ReadFile(ucarpVector)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(cut, b[:len(b)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	got := runCLI(t, nil, "watch", "--read", cut)
	if got.code != exitOK || !strings.Contains(got.stderr, "cut short") || !strings.Contains(got.stdout, "172.27.27.12") {
		t.Errorf("cut capture: exit %d, stderr %q, stdout:\n%s", got.code, got.stderr, got.stdout)
	}
}

// TestWatchOwnershipMap replays two carpvm nodes of an active/active pair,
// in which router-002 handed vhid 1 over: with the plan, watch names each
// group's master and says which one is not on its preferred router.
func TestWatchOwnershipMap(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	got := runCLI(t, nil, "watch", "--read", "docs/examples/active-active.pcap", "--config", "docs/examples/active-active.yaml",
		"--network", "intranought", "--pass-file", "docs/examples/ucarp-vector.pass", "-o", "json")
	if got.code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", got.code, got.stderr)
	}
	var snap witness.Snapshot
	if err := json.Unmarshal([]byte(got.stdout), &snap); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, got.stdout)
	}
	type row struct {
		VHID      uint8
		Preferred string
		Masters   []string
		State     string
	}
	var rows []row
	for _, o := range snap.Ownership {
		rows = append(rows, row{o.VHID, o.Preferred, o.Masters, o.State})
	}
	want := []row{
		{1, "router-002", []string{"router-003"}, witness.OwnerPeer},
		{3, "router-003", []string{"router-003"}, witness.OwnerPreferred},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("ownership (-want +got):\n%s", diff)
	}
	for _, g := range snap.Groups {
		for _, a := range g.Advertisers {
			if a.Auth != witness.AuthOK {
				t.Errorf("vhid %d %s: auth %s; the plan's VIPs should verify every advert", g.ID, a.Src, a.Auth)
			}
		}
	}
}

func TestWatchPlanErrors(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"several networks, none named", nil, "--network is required"},
		{"unknown network", []string{"--network", "dmz"}, `--network "dmz" is not a network`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"watch", "--read", "docs/examples/active-active.pcap", "--config", "docs/examples/active-active.yaml",
				"--pass-file", "docs/examples/ucarp-vector.pass"}, tc.args...)
			got := runCLI(t, nil, args...)
			if got.code != exitUsage || !strings.Contains(got.stderr, tc.want) || !strings.Contains(got.stderr, "intranought, public") {
				t.Errorf("exit %d, stderr %q; want exit 2 with %q and the networks", got.code, got.stderr, tc.want)
			}
		})
	}
}

// TestWatchReadMACFlap replays a crafted capture where two routers
// advertise alternately from one MAC: watch warns of a MAC flap, in the
// table and in JSON.
func TestWatchReadMACFlap(t *testing.T) {
	const flap = "../../carp/witness/testdata/mac-flap.pcap"
	got := runCLI(t, nil, "watch", "--read", flap)
	if got.code != exitOK || !strings.Contains(got.stdout, "WARNING mac_flap: MAC 00:00:5e:00:00:01 moved between 172.27.27.11 and 172.27.27.12") {
		t.Errorf("exit %d, table:\n%s\nwant a mac_flap warning", got.code, got.stdout)
	}
	got = runCLI(t, nil, "watch", "--read", flap, "-o", "json")
	var snap witness.Snapshot
	if err := json.Unmarshal([]byte(got.stdout), &snap); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, got.stdout)
	}
	if len(snap.MACFlaps) != 1 || snap.MACFlaps[0].MAC != "00:00:5e:00:00:01" || len(snap.MACFlaps[0].Between) != 2 {
		t.Errorf("mac_flaps = %+v, want 00:00:5e:00:00:01 between two senders", snap.MACFlaps)
	}
}

// activeActiveFleet is a fleet of two pairs with a network intranought
// each: paris's one group (vhid 1, router-003 preferred), and roubaix's the
// active/active groups of docs/examples/active-active.yaml.
const activeActiveFleet = `pairs:
  - name: paris
    pair: {routers: [router-002, router-003]}
    networks:
      - name: intranought
        portgroup: IntraNought
        addresses: {router-002: 172.27.27.11/28, router-003: 172.27.27.12/28}
        groups: [{vhid: 1, vips: [172.27.27.14/28], master: router-003}]
  - name: roubaix
    pair: {routers: [router-002, router-003]}
    networks:
      - name: intranought
        portgroup: IntraNought
        addresses: {router-002: 172.27.27.11/28, router-003: 172.27.27.12/28}
        groups:
          - {vhid: 1, vips: [172.27.27.14/28]}
          - {vhid: 3, vips: [172.27.27.10/28], master: router-003}
`

// TestWatchFleetPair: with a fleet, --pair picks the pair whose network's
// groups watch takes; without it watch asks for --pair, naming the pairs.
func TestWatchFleetPair(t *testing.T) {
	fleet := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(fleet, []byte(activeActiveFleet), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join("..", ".."))
	type row struct {
		VHID      uint8
		Preferred string
		Masters   []string
		State     string
	}
	for _, tc := range []struct {
		pair string
		want []row
	}{
		{"roubaix", []row{{1, "router-002", []string{"router-003"}, witness.OwnerPeer}, {3, "router-003", []string{"router-003"}, witness.OwnerPreferred}}},
		{"paris", []row{{1, "router-003", []string{"router-003"}, witness.OwnerPreferred}}},
	} {
		got := runCLI(t, nil, "watch", "--read", "docs/examples/active-active.pcap", "--config", fleet, "--pair", tc.pair,
			"--network", "intranought", "--pass-file", "docs/examples/ucarp-vector.pass", "-o", "json")
		if got.code != exitOK {
			t.Fatalf("--pair %s: exit %d\nstderr:\n%s", tc.pair, got.code, got.stderr)
		}
		var snap witness.Snapshot
		if err := json.Unmarshal([]byte(got.stdout), &snap); err != nil {
			t.Fatalf("stdout is not one JSON document: %v\n%s", err, got.stdout)
		}
		var rows []row
		for _, o := range snap.Ownership {
			rows = append(rows, row{o.VHID, o.Preferred, o.Masters, o.State})
		}
		if diff := cmp.Diff(tc.want, rows); diff != "" {
			t.Errorf("--pair %s: ownership (-want +got):\n%s", tc.pair, diff)
		}
	}

	got := runCLI(t, nil, "watch", "--read", "docs/examples/active-active.pcap", "--config", fleet, "--network", "intranought")
	if got.code != exitUsage || got.stdout != "" || !strings.Contains(got.stderr, "--pair NAME") || !strings.Contains(got.stderr, "paris, roubaix") {
		t.Errorf("without --pair: exit %d, stdout %q, stderr %q; want exit 2 asking for --pair and naming paris, roubaix", got.code, got.stdout, got.stderr)
	}
}

// TestWatchTransitions: watch --transitions appends a carpvm.transition/v1
// line per state change the witness observed, naming the routers by
// carpvm.yaml's addresses and the network watched: in the active/active
// capture router-002 bows out of vhid 1 and router-003 takes it. The file
// is appended to, and one that cannot be opened is an error naming it.
func TestWatchTransitions(t *testing.T) {
	log := filepath.Join(t.TempDir(), "witness.jsonl")
	t.Chdir(filepath.Join("..", ".."))
	args := []string{"watch", "--read", "docs/examples/active-active.pcap", "--config", "docs/examples/active-active.yaml",
		"--network", "intranought", "--pass-file", "docs/examples/ucarp-vector.pass", "--transitions", log}
	for range 2 {
		if got := runCLI(t, nil, args...); got.code != exitOK {
			t.Fatalf("exit %d\nstderr:\n%s", got.code, got.stderr)
		}
	}
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts, bad, err := transition.Read(f, log)
	if err != nil || len(bad) != 0 {
		t.Fatalf("read %s: %v %v", log, err, bad)
	}
	type row struct{ Router, Network, From, To, Reason string }
	var rows []row
	for _, l := range ts {
		rows = append(rows, row{l.Router, l.Network, l.From, l.To, l.Reason})
	}
	once := []row{
		{"router-002", "intranought", "MASTER", "BACKUP", "bow-out advert"},
		{"router-003", "intranought", "BACKUP", "MASTER", "first advert heard from it"},
	}
	if diff := cmp.Diff(append(once, once...), rows); diff != "" {
		t.Errorf("lines of two runs (-want +got):\n%s", diff)
	}

	got := runCLI(t, nil, "watch", "--read", "docs/examples/active-active.pcap", "--transitions", filepath.Join(log, "not-a-dir", "x.jsonl"))
	if got.code != exitOther || !strings.Contains(got.stderr, "--transitions") || !strings.Contains(got.stderr, "not-a-dir") {
		t.Errorf("unwritable file: exit %d, stderr %q; want 5 naming the file", got.code, got.stderr)
	}
}
