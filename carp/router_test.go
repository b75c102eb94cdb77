package carp

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// pairNet is an active/active pair on two segments, "in" and "pub", driven
// synchronously like network: router 0 prefers vhids 1 and 2, router 1
// prefers vhid 3 (both on "in"). An advert reaches the other router's group
// of the same vhid on the same segment unless either side's link is down.
type pairNet struct {
	t        *testing.T
	now      time.Time
	routers  [2]*Router
	addrs    [2]netip.Addr
	vips     [2]map[int]bool // group index -> holds the VIPs
	linkDown [2]map[string]bool
	failSend [2]map[string]bool
	queue    []pairDelivery
	// took records when each router last became MASTER of each vhid.
	took [2]map[uint8]time.Time
}

type pairDelivery struct {
	to    int
	group int
	r     Received
}

type pairGroup struct {
	iface string
	vhid  uint8
	pref  int // the router that prefers the group
}

var pairGroups = []pairGroup{{"in", 1, 0}, {"in", 3, 1}, {"pub", 2, 0}}

func newPairNet(t *testing.T, adjust func(router int, c *Config)) *pairNet {
	p := &pairNet{t: t, now: t0}
	for r := range 2 {
		p.addrs[r] = netip.AddrFrom4([4]byte{172, 27, 27, byte(11 + r)})
		p.vips[r], p.linkDown[r], p.failSend[r], p.took[r] = map[int]bool{}, map[string]bool{}, map[string]bool{}, map[uint8]time.Time{}
		var groups []RouterGroup
		for _, g := range pairGroups {
			skew := uint8(100)
			if g.pref == r {
				skew = 0
			}
			c := Config{VHID: g.vhid, AdvBase: 1, AdvSkew: skew, Preempt: true, Key: netKey(t), Self: p.addrs[r],
				VIPs: []netip.Addr{netip.AddrFrom4([4]byte{172, 27, 27, 20 + g.vhid})}, Counter: uint64(r+1) << 40}
			if adjust != nil {
				adjust(r, &c)
			}
			m, err := NewMachine(c)
			if err != nil {
				t.Fatal(err)
			}
			groups = append(groups, RouterGroup{Interface: g.iface, Machine: m})
		}
		p.routers[r] = NewRouter(groups)
	}
	return p
}

func (p *pairNet) start(r int) { p.handle(r, p.routers[r].Start(p.now)) }

// link takes router r's port on segment iface down or up, and tells its
// Router, as netlink would.
func (p *pairNet) link(r int, iface string, up bool) {
	p.linkDown[r][iface] = !up
	p.handle(r, p.routers[r].Link(p.now, iface, up))
}

func (p *pairNet) handle(r int, gas []GroupActions) {
	for _, ga := range gas {
		g := p.routers[r].Groups()[ga.Group]
		for _, a := range ga.Actions {
			switch a := a.(type) {
			case Transition:
				if a.To == Master {
					p.took[r][g.Machine.cfg.VHID] = p.now
				}
			case SendAdvert:
				if p.linkDown[r][g.Interface] {
					p.t.Errorf("router %d sent on %s while its link is down", r, g.Interface)
				}
				ok := !p.failSend[r][g.Interface] && !p.linkDown[r][g.Interface]
				p.handle(r, p.routers[r].SendResult(p.now, g.Interface, ok))
				other := 1 - r
				if ok && !p.linkDown[other][g.Interface] {
					p.queue = append(p.queue, pairDelivery{to: other, group: ga.Group, r: Received{Src: p.addrs[r], TTL: 255, Payload: a.Payload}})
				}
			case ClaimVIPs:
				p.vips[r][ga.Group] = true
			case ReleaseVIPs:
				p.vips[r][ga.Group] = false
			}
		}
	}
	for len(p.queue) > 0 {
		d := p.queue[0]
		p.queue = p.queue[1:]
		m := p.routers[d.to].Groups()[d.group].Machine
		p.handle(d.to, []GroupActions{{Group: d.group, Actions: m.Step(p.now, d.r)}})
	}
}

func (p *pairNet) run(d time.Duration) {
	until := p.now.Add(d)
	for {
		next, who, which := time.Time{}, -1, -1
		for r, rt := range p.routers {
			for i, g := range rt.Groups() {
				if dl := g.Machine.Deadline(); !dl.IsZero() && (who < 0 || dl.Before(next)) {
					next, who, which = dl, r, i
				}
			}
		}
		if who < 0 || next.After(until) {
			break
		}
		p.now = next
		m := p.routers[who].Groups()[which].Machine
		p.handle(who, []GroupActions{{Group: which, Actions: m.Tick(p.now)}})
	}
	p.now = until
}

// owners maps each vhid to the routers that are MASTER of it, and checks
// that exactly the masters hold VIPs.
func (p *pairNet) owners() string {
	var parts []string
	for i, g := range pairGroups {
		var who []string
		for r, rt := range p.routers {
			master := rt.Groups()[i].Machine.State() == Master
			if master != p.vips[r][i] {
				p.t.Errorf("router %d vhid %d: MASTER %v but holds VIPs %v", r, g.vhid, master, p.vips[r][i])
			}
			if master {
				who = append(who, fmt.Sprint(r))
			}
		}
		parts = append(parts, fmt.Sprintf("%d:%s", g.vhid, strings.Join(who, "+")))
	}
	return strings.Join(parts, " ")
}

func (p *pairNet) wantOwners(want string) {
	p.t.Helper()
	if got := p.owners(); got != want {
		p.t.Fatalf("at %v: owners %s, want %s", p.now.Sub(t0), got, want)
	}
}

const preferredOwners = "1:0 3:1 2:0"

func startedPair(t *testing.T, adjust func(int, *Config)) *pairNet {
	p := newPairNet(t, adjust)
	p.start(0)
	p.start(1)
	p.run(10 * sec)
	p.wantOwners(preferredOwners)
	return p
}

// Cutting router 0's public leg moves every group it held to router 1: the
// public group at router 1's master-down (router 0 can no longer send
// there), the internal one at once (router 0 bows out, demoted by 240).
// Restoring the leg returns each group to its preferred owner.
func TestRouterLinkDownMovesEveryGroup(t *testing.T) {
	p := startedPair(t, nil)
	cut := p.now
	p.link(0, "pub", false)
	if got := p.routers[0].Demotion(); got.Total() != DemotionFactor || got.String() != "link pub (240)" {
		t.Errorf("demotion after the cut: %d %q, want 240 from link pub", got.Total(), got.String())
	}
	p.run(10 * sec)
	p.wantOwners("1:1 3:1 2:1")
	masterDown := MasterDown(1, 100)
	if took := p.took[1][1].Sub(cut); took != 0 {
		t.Errorf("vhid 1 (internal) moved after %v, want at once (bow-out)", took)
	}
	if took := p.took[1][2].Sub(cut); took <= 0 || took > masterDown {
		t.Errorf("vhid 2 (public) moved after %v, want within router 1's master-down %v", took, masterDown)
	}
	if st := p.routers[0].Groups()[2].Machine.State(); st != Init {
		t.Errorf("router 0's public group is %v with its link down, want INIT", st)
	}

	back := p.now
	p.link(0, "pub", true)
	if d := p.routers[0].Demotion(); d.Total() != 0 {
		t.Errorf("demotion after the link returned: %s", d.String())
	}
	p.run(10 * sec)
	p.wantOwners(preferredOwners)
	for _, vhid := range []uint8{1, 2} {
		if took := p.took[0][vhid].Sub(back); took <= 0 || took > Interval(1, 100) {
			t.Errorf("vhid %d returned after %v, want at router 1's next advert (within %v)", vhid, took, Interval(1, 100))
		}
	}
}

// A health track's weight demotes every group of the router; one that
// keeps the router's advskew below the peer's changes nothing.
func TestRouterTrackWeight(t *testing.T) {
	p := startedPair(t, nil)
	p.handle(0, p.routers[0].SetCause(p.now, "track gw", 50))
	p.run(10 * sec)
	p.wantOwners(preferredOwners)
	p.handle(0, p.routers[0].SetCause(p.now, "track gw", 150))
	p.run(10 * sec)
	p.wantOwners("1:1 3:1 2:1")
	p.handle(0, p.routers[0].SetCause(p.now, "track gw", 0))
	p.run(10 * sec)
	p.wantOwners(preferredOwners)
}

// SendErrorLimit failed sends on one interface demote the whole router; as
// on FreeBSD the demotion holds while the router, now backup everywhere,
// sends nothing, until an operator clears it.
func TestRouterSendErrorsDemote(t *testing.T) {
	p := startedPair(t, nil)
	p.failSend[0]["pub"] = true
	p.run(10 * sec)
	p.wantOwners("1:1 3:1 2:1")
	if d := p.routers[0].Demotion(); d.String() != "send pub (240)" {
		t.Errorf("demotion %q, want send pub (240)", d.String())
	}
	p.failSend[0]["pub"] = false
	p.run(10 * sec)
	p.wantOwners("1:1 3:1 2:1")
	p.handle(0, p.routers[0].ClearSendErrors(p.now))
	p.run(10 * sec)
	p.wantOwners(preferredOwners)
}

// A router started with a preempt delay leaves its groups with the peer for
// that long, then takes them back at the peer's next advert.
func TestRouterPreemptDelay(t *testing.T) {
	const delay = 20 * time.Second
	p := newPairNet(t, func(r int, c *Config) {
		if r == 0 {
			c.PreemptDelay = delay
		}
	})
	p.start(1)
	p.run(10 * sec)
	p.wantOwners("1:1 3:1 2:1")
	started := p.now
	p.start(0)
	p.run(delay - sec)
	p.wantOwners("1:1 3:1 2:1")
	p.run(5 * sec)
	p.wantOwners(preferredOwners)
	for _, vhid := range []uint8{1, 2} {
		if took := p.took[0][vhid].Sub(started); took < delay || took > delay+Interval(1, 100) {
			t.Errorf("vhid %d taken back %v after start, want between %v and %v", vhid, took, delay, delay+Interval(1, 100))
		}
	}
}

// With no master at all, a preempt delay does not hold a group back.
func TestPreemptDelayDoesNotBlockAnEmptyGroup(t *testing.T) {
	p := newPairNet(t, func(r int, c *Config) { c.PreemptDelay = time.Hour })
	p.start(0)
	p.run(5 * sec)
	p.wantOwners("1:0 3:0 2:0")
}

// A group's own demotion (an operator's demote of one vhid) adds to the
// router's and moves that group alone.
func TestRouterGroupDemotion(t *testing.T) {
	p := startedPair(t, nil)
	p.handle(0, p.routers[0].SetGroupDemotion(p.now, 0, MaxDemotedSkew))
	p.run(5 * sec)
	p.wantOwners("1:1 3:1 2:0")
	p.handle(0, p.routers[0].SetGroupDemotion(p.now, 0, 0))
	p.run(5 * sec)
	p.wantOwners(preferredOwners)
}
