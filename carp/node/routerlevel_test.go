package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// pairSim is an active/active pair of Nodes on two in-memory segments,
// "in" and "pub": a prefers vhids 1 (in) and 2 (pub), b prefers vhid 3
// (in). Link events and track results are the test's to give.
type pairSim struct {
	hubs map[string]*hub
	a, b *routerSim
}

type routerSim struct {
	n      *Node
	ports  map[string]*memLink
	vips   map[uint8]*fakeVIPs
	events chan LinkEvent
	track  atomic.Bool // the command track fails while set
	log    *logBuffer
	cancel context.CancelFunc
	done   chan error
}

type simGroup struct {
	iface string
	vhid  uint8
	vip   string
	pref  string // "a" or "b"
}

var simGroups = []simGroup{{"in", 1, "172.27.27.14/28", "a"}, {"in", 3, "172.27.27.10/28", "b"}, {"pub", 2, "203.0.113.10/24", "a"}}

func startRouterSim(t *testing.T, hubs map[string]*hub, name string, last byte, adjust func(*Options)) *routerSim {
	t.Helper()
	r := &routerSim{ports: map[string]*memLink{}, vips: map[uint8]*fakeVIPs{}, events: make(chan LinkEvent, 8), log: &logBuffer{}, done: make(chan error, 1)}
	opts := Options{
		Log: r.log.logger(), Name: "router-" + name, LinkTracking: true,
		OpenLink: func(iface string) (Link, error) { return r.ports[iface], nil },
		NewVIPs:  func(g Group, _ *slog.Logger) VIPHolder { return r.vips[g.VHID] },
		SourceAddr: func(iface string, _ []netip.Addr) (netip.Addr, error) {
			if iface == "pub" {
				return netip.AddrFrom4([4]byte{203, 0, 113, last}), nil
			}
			return netip.AddrFrom4([4]byte{172, 27, 27, last}), nil
		},
		WatchLinks: func(_ context.Context, names []string) (map[string]bool, <-chan LinkEvent, error) {
			now := map[string]bool{}
			for _, n := range names {
				now[n] = true
			}
			return now, r.events, nil
		},
		RunCommand: func(context.Context, string) ([]byte, error) {
			if r.track.Load() {
				return []byte("gateway 10.0.0.1 unreachable\n"), errors.New("exit status 1")
			}
			return nil, nil
		},
		RunScript: func(context.Context, string, []string, []string) ([]byte, error) { return nil, nil },
	}
	for iface, h := range hubs {
		r.ports[iface] = h.port(net.HardwareAddr{2, 0, 0, 0, byte(len(iface)), last})
	}
	for _, g := range simGroups {
		skew := uint8(100)
		if g.pref == name {
			skew = 0
		}
		r.vips[g.vhid] = &fakeVIPs{}
		opts.Groups = append(opts.Groups, Group{Interface: g.iface, VHID: g.vhid, VIPs: []netip.Prefix{netip.MustParsePrefix(g.vip)},
			AdvBase: 1, AdvSkew: skew, Preempt: true, Key: testKey(t, "123piano2026%"), VMAC: true, ManageVIPs: true, Preferred: "router-" + g.pref})
	}
	if adjust != nil {
		adjust(&opts)
	}
	n, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.n = n
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- n.Run(ctx) }()
	return r
}

func (r *routerSim) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func (r *routerSim) status(t *testing.T) Status {
	t.Helper()
	st, err := r.n.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// owners says, per vhid in simGroups order, which routers are MASTER, and
// checks that exactly the masters hold VIPs.
func (p *pairSim) owners(t *testing.T) string {
	t.Helper()
	var parts []string
	for _, g := range simGroups {
		var who []string
		for name, r := range map[string]*routerSim{"a": p.a, "b": p.b} {
			if r == nil {
				continue
			}
			master := false
			for _, gs := range r.status(t).Groups {
				if gs.VHID == g.vhid {
					master = gs.State == carp.Master
				}
			}
			if master != r.vips[g.vhid].Held() {
				t.Errorf("router %s vhid %d: MASTER %v, VIPs held %v", name, g.vhid, master, r.vips[g.vhid].Held())
			}
			if master {
				who = append(who, name)
			}
		}
		if len(who) == 2 && who[0] > who[1] {
			who[0], who[1] = who[1], who[0]
		}
		parts = append(parts, fmt.Sprintf("%d:%s", g.vhid, strings.Join(who, "+")))
	}
	return strings.Join(parts, " ")
}

func (p *pairSim) wantOwners(t *testing.T, want string) {
	t.Helper()
	synctest.Wait()
	if got := p.owners(t); got != want {
		t.Fatalf("owners %s, want %s\na's log:\n%s", got, want, p.a.log.String())
	}
}

const simPreferred = "1:a 3:b 2:a"

func startPairSim(t *testing.T, adjustA func(*Options)) *pairSim {
	p := &pairSim{hubs: map[string]*hub{"in": {}, "pub": {}}}
	p.b = startRouterSim(t, p.hubs, "b", 12, nil)
	p.a = startRouterSim(t, p.hubs, "a", 11, adjustA)
	time.Sleep(10 * time.Second)
	p.wantOwners(t, simPreferred)
	return p
}

func (p *pairSim) stop(t *testing.T) {
	p.a.stop(t)
	p.b.stop(t)
}

// Router a loses its public leg: its public group leaves, its internal one
// bows out (demotion 240), and b holds every group within its
// master-down; when the leg returns every group goes back.
func TestNodeLinkDownFailsOverTheWholeRouter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startPairSim(t, nil)
		p.a.ports["pub"].cut.Store(true)
		p.a.events <- LinkEvent{Interface: "pub", Up: false}
		time.Sleep(10 * time.Millisecond)
		p.wantOwners(t, "1:b 3:b 2:")
		time.Sleep(carp.MasterDown(1, 100))
		p.wantOwners(t, "1:b 3:b 2:b")
		st := p.a.status(t)
		if st.Demotion != carp.DemotionFactor || len(st.DemotionCauses) != 1 || st.DemotionCauses[0].Name != "link pub" {
			t.Errorf("a's demotion %d %+v, want 240 from link pub", st.Demotion, st.DemotionCauses)
		}
		if got := st.Groups[2].State; got != carp.Init {
			t.Errorf("a's public group is %s with its link down, want INIT", got)
		}

		p.a.ports["pub"].cut.Store(false)
		p.a.events <- LinkEvent{Interface: "pub", Up: true}
		time.Sleep(5 * time.Second)
		p.wantOwners(t, simPreferred)
		if st := p.a.status(t); st.Demotion != 0 || len(st.DemotionCauses) != 0 {
			t.Errorf("a still demoted after the link returned: %+v", st.DemotionCauses)
		}
		p.stop(t)
	})
}

// A failing track demotes the whole router by its weight; healthy again,
// the router takes its groups back.
func TestNodeTrackDemotesTheRouter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startPairSim(t, func(o *Options) {
			o.Tracks = []Track{{Name: "gw", Command: "ping -c1 10.0.0.1", Weight: 150, Interval: time.Second, Timeout: 500 * time.Millisecond, Fall: 2, Rise: 2}}
		})
		p.a.track.Store(true)
		time.Sleep(1500 * time.Millisecond) // one failure: fall is 2
		p.wantOwners(t, simPreferred)
		time.Sleep(2 * time.Second)
		p.wantOwners(t, "1:b 3:b 2:b")
		st := p.a.status(t)
		if len(st.Tracks) != 1 || !st.Tracks[0].Failing || !strings.Contains(st.Tracks[0].Last, "unreachable") || st.Demotion != 150 {
			t.Errorf("a's status %+v, want track gw failing with its output's first line, demotion 150", st)
		}
		p.a.track.Store(false)
		time.Sleep(5 * time.Second)
		p.wantOwners(t, simPreferred)
		p.stop(t)
	})
}

// Failed sends on one interface demote the whole router (FreeBSD's
// senderr_demotion_factor); an operator's promote lifts it.
func TestNodeSendErrorsDemoteTheRouter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startPairSim(t, nil)
		p.a.ports["pub"].failWrites.Store(true)
		time.Sleep(10 * time.Second)
		p.wantOwners(t, "1:b 3:b 2:b")
		p.a.ports["pub"].failWrites.Store(false)
		time.Sleep(5 * time.Second)
		p.wantOwners(t, "1:b 3:b 2:b")
		if _, err := p.a.n.Do(context.Background(), Request{Command: CmdPromote}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		p.wantOwners(t, simPreferred)
		p.stop(t)
	})
}

// A router restarted with a preempt delay leaves its groups with the peer
// for that long.
func TestNodePreemptDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &pairSim{hubs: map[string]*hub{"in": {}, "pub": {}}}
		p.b = startRouterSim(t, p.hubs, "b", 12, nil)
		time.Sleep(10 * time.Second)
		p.wantOwners(t, "1:b 3:b 2:b")
		p.a = startRouterSim(t, p.hubs, "a", 11, func(o *Options) { o.PreemptDelay = 30 * time.Second })
		time.Sleep(25 * time.Second)
		p.wantOwners(t, "1:b 3:b 2:b")
		time.Sleep(10 * time.Second)
		p.wantOwners(t, simPreferred)
		p.stop(t)
	})
}

// A track command that hangs is killed at its timeout, and one that talks
// too much is cut at MaxTrackOutput: the node's loop waits for neither.
func TestRunCommandBounded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := runCommand(ctx, "sleep 30 & sleep 30")
	if err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("hanging command: err %v after %s, want killed at the timeout", err, time.Since(start))
	}
	out, err := runCommand(context.Background(), "head -c 1000000 /dev/zero | tr '\\0' x; exit 3")
	if err == nil || len(out) != MaxTrackOutput {
		t.Errorf("chatty command: %d bytes kept, err %v; want %d bytes and its exit status", len(out), err, MaxTrackOutput)
	}
}

func TestTrackValidation(t *testing.T) {
	for _, tc := range []struct {
		track Track
		want  string
	}{
		{Track{Weight: 10, Command: "true"}, "track[0].name"},
		{Track{Name: "x", Weight: 0, Command: "true"}, "track[0].weight"},
		{Track{Name: "x", Weight: 10}, "either command"},
		{Track{Name: "x", Weight: 10, Command: "true", Interface: "eth1"}, "either command"},
		{Track{Name: "x", Weight: 10, Command: "true", Interval: time.Second, Timeout: 2 * time.Second}, "track[0].timeout"},
	} {
		err := validateTracks([]Track{tc.track})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.track, err, tc.want)
		}
	}
	if err := validateTracks([]Track{{Name: "x", Weight: 10, Interface: "eth1"}, {Name: "x", Weight: 5, Interface: "eth2"}}); err == nil || !strings.Contains(err.Error(), "already track[0]") {
		t.Errorf("duplicate name: %v", err)
	}
}

// An interface track on a group's own interface counts beside link
// tracking: both causes hold while the link is down, neither after.
func TestNodeInterfaceTrackBesideLinkTracking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := startPairSim(t, func(o *Options) {
			o.Tracks = []Track{{Name: "uplink", Interface: "pub", Weight: 50}}
		})
		p.a.ports["pub"].cut.Store(true)
		p.a.events <- LinkEvent{Interface: "pub", Up: false}
		time.Sleep(5 * time.Second)
		p.wantOwners(t, "1:b 3:b 2:b")
		st := p.a.status(t)
		if got := fmt.Sprint(st.DemotionCauses); got != "[{link pub 240} {track uplink 50}]" || st.Demotion != 255 {
			t.Errorf("a's demotion %d from %s, want 255 from link pub (240) and track uplink (50)", st.Demotion, got)
		}
		p.a.ports["pub"].cut.Store(false)
		p.a.events <- LinkEvent{Interface: "pub", Up: true}
		time.Sleep(5 * time.Second)
		p.wantOwners(t, simPreferred)
		if st := p.a.status(t); len(st.DemotionCauses) != 0 {
			t.Errorf("a still demoted by %v after the link returned", st.DemotionCauses)
		}
		p.stop(t)
	})
}
