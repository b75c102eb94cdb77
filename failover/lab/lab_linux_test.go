package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/carp/node"
	"github.com/carpvm/carpvm/internal/netns"
	"github.com/carpvm/carpvm/internal/testbin"
)

// The labs' nodes run a carpvm binary (the test binary itself is not
// carpvm), built once for all the package's tests.
func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// testOptions are a lab of the test's own: a unique prefix and a state
// directory under the test's temporary directory.
func testOptions(t testing.TB, peer string) Options {
	t.Helper()
	if err := Available(peer); err != nil {
		t.Skipf("skipping: %v", err)
	}
	var b [2]byte
	_, _ = rand.Read(b[:])
	return Options{
		Prefix:     fmt.Sprintf("t%d%s-", os.Getpid()%100000, hex.EncodeToString(b[:])),
		StateDir:   filepath.Join(t.TempDir(), "lab"),
		Peer:       peer,
		AdvBase:    AdvBase(testAdvBase(peer)),
		Executable: testbin.Carpvm(t),
	}
}

// testAdvBase is the advbase of a test's lab: 0 for carpvm's own pairs
// (master-down 1.17 s rather than 3.39 s proves the same), 1 for the
// peers that keep whole-second timers. TestLabDrillsCarpvm and the stun
// drills keep advbase 1 for carpvm, the operators' default.
func testAdvBase(peer string) int {
	if peer == PeerCarpvm {
		return 0
	}
	return 1
}

// upLab brings a lab up and takes it down when the test ends, even when it
// fails.
func upLab(t testing.TB, opts Options) *Lab {
	t.Helper()
	t.Cleanup(func() {
		if err := Down(context.Background(), opts, nil); err != nil {
			t.Errorf("lab down: %v", err)
		}
		for _, short := range []string{Switch, Router1, Router2, Client} {
			if _, err := os.Stat(filepath.Join("/run/netns", opts.Namespace(short))); err == nil {
				t.Errorf("namespace %s left after down", opts.Namespace(short))
			}
		}
	})
	l, _, err := Up(context.Background(), opts, nil)
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	return l
}

func TestLabUpIdempotentDown(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerCarpvm)
	l := upLab(t, opts)
	st := l.Status(context.Background())
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Networks {
		if n.Master != Router1 || n.States[Router2] != "BACKUP" {
			t.Errorf("%s: master %q, states %v; want router-002 master, router-003 backup", n.Name, n.Master, n.States)
		}
	}
	pids := fmt.Sprint(l.State.Procs)
	l2, already, err := Up(context.Background(), opts, nil)
	if err != nil || !already || fmt.Sprint(l2.State.Procs) != pids {
		t.Errorf("second up: already %t, err %v, procs %v (were %s)", already, err, l2.State.Procs, pids)
	}
	for _, n := range Nets {
		fi, err := os.Stat(filepath.Join(opts.StateDir, n.Name+".pass"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("pass file %s: %v %v", n.Name, fi.Mode(), err)
		}
	}
	// The passphrase never reaches a process's arguments.
	pass, _ := os.ReadFile(filepath.Join(opts.StateDir, "intranought.pass"))
	for _, p := range l.State.Procs {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.Pid))
		if len(pass) > 1 && containsBytes(cmdline, pass[:len(pass)-1]) {
			t.Errorf("%s's command line holds the passphrase", p.Router)
		}
	}
	opened, err := Open(Options{Prefix: opts.Prefix, StateDir: opts.StateDir}, nil)
	if err != nil || opened.Opts.Executable != opts.Executable {
		t.Errorf("Open: %v, %v", opened, err)
	}
}

func containsBytes(hay, needle []byte) bool {
	return len(needle) > 0 && len(hay) >= len(needle) && string(hay) != "" && (func() bool {
		for i := 0; i+len(needle) <= len(hay); i++ {
			if string(hay[i:i+len(needle)]) == string(needle) {
				return true
			}
		}
		return false
	})()
}

func TestLabFailedUpCleansUp(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerCarpvm)
	opts.Executable = "/bin/false" // the nodes die at once: no master ever
	_, _, err := Up(context.Background(), opts, nil)
	if err == nil {
		Down(context.Background(), opts, nil)
		t.Fatal("up with dead nodes succeeded")
	}
	for _, short := range []string{Switch, Router1, Router2, Client} {
		if _, serr := os.Stat(filepath.Join("/run/netns", opts.Namespace(short))); serr == nil {
			t.Errorf("namespace %s left after a failed up", opts.Namespace(short))
		}
	}
	if _, serr := os.Stat(filepath.Join(opts.StateDir, StateFile)); serr == nil {
		t.Error("state file left after a failed up")
	}
}

func TestParseFDB(t *testing.T) {
	out := "33:33:00:00:00:01 dev IntraNought self permanent\n00:00:5e:00:01:01 dev r3-intra0 master IntraNought\nde:ad:be:ef:00:01 dev r2-intra0 vlan 1 master IntraNought permanent\n"
	got := netns.ParseFDB(out)
	if len(got) != 1 || got["00:00:5e:00:01:01"] != "r3-intra0" {
		t.Errorf("ParseFDB = %v", got)
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{{Prefix: "Bad Prefix"}, {Peer: "vrrpd"}, {Mode: "broadcast"}, {AdvBase: AdvBase(300)}, {AdvBase: AdvBase(-1)}} {
		if _, err := o.withDefaults(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	o, err := Options{}.withDefaults()
	if err != nil || o.Prefix != DefaultPrefix || o.StateDir != DefaultStateDir || o.Peer != PeerCarpvm || o.AdvBase == nil || *o.AdvBase != 1 {
		t.Errorf("defaults %+v, %v", o, err)
	}
	for _, m := range Members {
		for _, n := range Nets {
			if p := BridgePort(m, n); len(p) > 15 {
				t.Errorf("bridge port %q longer than 15 bytes", p)
			}
		}
	}
}

func TestAdvBaseZero(t *testing.T) {
	// advbase 0 is a choice, not "unset": it survives the defaults, for
	// the carpvm peer, and 255 is the top of the range.
	for _, ab := range []int{0, 1, 255} {
		o, err := Options{AdvBase: AdvBase(ab)}.withDefaults()
		if err != nil || *o.AdvBase != ab {
			t.Errorf("advbase %d: got %v, %v", ab, o.AdvBase, err)
		}
	}
	// ucarp has whole seconds only: refused, saying why.
	_, err := Options{Peer: PeerUcarp, AdvBase: AdvBase(0)}.withDefaults()
	if err == nil {
		t.Fatal("advbase 0 with the ucarp peer accepted")
	}
	for _, want := range []string{"advbase 0", "ucarp", "whole seconds", "carpvm peer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := CheckAdvBase(PeerUcarp, 1); err != nil {
		t.Errorf("advbase 1 with ucarp: %v", err)
	}
	if err := CheckAdvBase(PeerCarpvm, 256); err == nil || !strings.Contains(err.Error(), "0..255") {
		t.Errorf("advbase 256: %v", err)
	}
}

// TestAdvBaseZeroNodeConfig: the nodes' config file carries advbase 0 and
// the carpvm node's own loader keeps it (not its default of 1).
func TestAdvBaseZeroNodeConfig(t *testing.T) {
	opts, err := Options{AdvBase: AdvBase(0), StateDir: t.TempDir()}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	l := &Lab{Opts: opts, State: &State{AdvBase: *opts.AdvBase}}
	path := filepath.Join(opts.StateDir, Router2+".yaml")
	if err := os.WriteFile(path, []byte(l.nodeYAML(Router2)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range Nets {
		if err := os.WriteFile(filepath.Join(opts.StateDir, n.Name+".pass"), []byte("lab-test-passphrase\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := node.LoadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Groups) != len(Nets) {
		t.Fatalf("%d groups, want %d", len(cfg.Groups), len(Nets))
	}
	for _, g := range cfg.Groups {
		if g.AdvBase != 0 || g.AdvSkew != AdvSkew[Router2] {
			t.Errorf("vhid %d: advbase %d advskew %d, want 0 and %d", g.VHID, g.AdvBase, g.AdvSkew, AdvSkew[Router2])
		}
	}
	nets, err := l.Networks("")
	if err != nil {
		t.Fatal(err)
	}
	// The drill's objective follows OpenBSD's rule: 3*100/256 s.
	if got, want := nets[0].MasterDown(), 300*time.Second/256; got != want {
		t.Errorf("master-down %v, want %v", got, want)
	}
}

// TestLabRefusesForeignNamespaces: a namespace named like the lab's own but
// not made by it (here by hand, with a link inside) is neither deleted by
// lab up nor by lab down; both refuse, naming it, and make nothing.
func TestLabRefusesForeignNamespaces(t *testing.T) {
	t.Parallel()
	opts := testOptions(t, PeerCarpvm)
	foreign := opts.Namespace(Router2)
	if _, err := netns.Run(context.Background(), "ip", "netns", "add", foreign); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = netns.Run(context.Background(), "ip", "netns", "del", foreign) })
	if _, err := netns.RunIn(context.Background(), foreign, "ip", "link", "add", "mine0", "type", "veth", "peer", "name", "mine1"); err != nil {
		t.Fatal(err)
	}
	untouched := func(what string) {
		t.Helper()
		if _, err := netns.RunIn(context.Background(), foreign, "ip", "link", "show", "mine0"); err != nil {
			t.Errorf("after %s, the foreign namespace %s lost its link (or itself): %v", what, foreign, err)
		}
		for _, short := range []string{Switch, Router1, Client} {
			if _, err := os.Stat(filepath.Join("/run/netns", opts.Namespace(short))); err == nil {
				t.Errorf("after %s, namespace %s exists", what, opts.Namespace(short))
				Down(context.Background(), opts, nil)
			}
		}
	}
	_, _, err := Up(context.Background(), opts, nil)
	if err == nil || !strings.Contains(err.Error(), foreign) || !strings.Contains(err.Error(), "not made by carpvm lab") {
		t.Errorf("lab up beside a foreign %s: %v; want a refusal naming it", foreign, err)
	}
	untouched("lab up")
	if _, serr := os.Stat(filepath.Join(opts.StateDir, StateFile)); serr == nil {
		t.Error("a refused lab up left a state file")
	}
	err = Down(context.Background(), opts, nil)
	if err == nil || !strings.Contains(err.Error(), foreign) {
		t.Errorf("lab down beside a foreign %s: %v; want a refusal naming it", foreign, err)
	}
	untouched("lab down")
}
