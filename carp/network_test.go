package carp

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// network is a synchronous in-memory segment of CARP machines, in the style
// of etcd-raft's raft_test.go: a fake clock, delivery to every other node
// in the same instant, and links that can be cut, dropped or reflected.
type network struct {
	t     *testing.T
	now   time.Time
	nodes []*netNode
	cut   map[[2]int]bool // directed links that deliver nothing
	// reflect makes the segment echo every advert back to its sender, as a
	// teamed vSwitch without Net.ReversePathFwdCheckPromisc does.
	reflect bool
	// sniffed holds every advert sent, by sender, for replay attacks.
	sniffed map[int][]Received
	queue   []delivery
}

type netNode struct {
	m      *Machine
	addr   netip.Addr
	down   bool // crashed: neither ticks nor receives
	vips   bool // holds the VIPs
	garps  int
	trans  []Transition
	transT []time.Time
}

type delivery struct {
	to int
	r  Received
}

var netVIPs = []netip.Addr{netip.MustParseAddr("172.27.27.14"), netip.MustParseAddr("2001:db8::14")}

func netKey(t testing.TB) Key {
	k, err := NewKey([]byte("123piano2026%"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newNetwork builds n machines; cfg(i, &c) adjusts node i's config.
func newNetwork(t *testing.T, n int, cfg func(i int, c *Config)) *network {
	nw := &network{t: t, now: t0, cut: map[[2]int]bool{}, sniffed: map[int][]Received{}}
	for i := range n {
		addr := netip.AddrFrom4([4]byte{172, 27, 27, byte(11 + i)})
		c := Config{VHID: 1, AdvBase: 1, VIPs: netVIPs, Key: netKey(t), Self: addr, Counter: uint64(i+1) << 40}
		if cfg != nil {
			cfg(i, &c)
		}
		m, err := NewMachine(c)
		if err != nil {
			t.Fatal(err)
		}
		nw.nodes = append(nw.nodes, &netNode{m: m, addr: addr, down: true})
	}
	return nw
}

// start starts node i now.
func (nw *network) start(i int) {
	nd := nw.nodes[i]
	nd.down = false
	nw.handle(i, nd.m.Start(nw.now))
}

func (nw *network) startAll() {
	for i := range nw.nodes {
		nw.start(i)
	}
}

// crash kills node i without a bow-out (SIGKILL).
func (nw *network) crash(i int) { nw.nodes[i].down = true }

// stop stops node i gracefully.
func (nw *network) stop(i int) {
	nw.handle(i, nw.nodes[i].m.Stop(nw.now))
	nw.nodes[i].down = true
}

func (nw *network) demote(i int, d uint8) { nw.handle(i, nw.nodes[i].m.SetDemotion(nw.now, d)) }

// isolate cuts node i from every other node, both ways.
func (nw *network) isolate(i int) {
	for j := range nw.nodes {
		if j != i {
			nw.cut[[2]int{i, j}], nw.cut[[2]int{j, i}] = true, true
		}
	}
}

func (nw *network) heal() { nw.cut = map[[2]int]bool{} }

// inject delivers a packet as if it came from the wire to node to.
func (nw *network) inject(to int, r Received) {
	nw.queue = append(nw.queue, delivery{to: to, r: r})
	nw.drain()
}

// handle performs node i's actions and delivers what it sends.
func (nw *network) handle(i int, acts []Action) {
	nd := nw.nodes[i]
	for _, a := range acts {
		switch a := a.(type) {
		case Transition:
			nd.trans = append(nd.trans, a)
			nd.transT = append(nd.transT, nw.now)
		case SendAdvert:
			r := Received{Src: nd.addr, Dst: a.Dst, TTL: 255, Payload: a.Payload}
			nw.sniffed[i] = append(nw.sniffed[i], r)
			for j := range nw.nodes {
				if (j != i || nw.reflect) && !nw.cut[[2]int{i, j}] {
					nw.queue = append(nw.queue, delivery{to: j, r: r})
				}
			}
		case ClaimVIPs:
			nd.vips = true
		case ReleaseVIPs:
			nd.vips = false
		case SendGARP:
			if !nd.vips {
				nw.t.Errorf("node %d: gratuitous ARP without the VIPs", i)
			}
			nd.garps++
		}
	}
	if nd.vips != (nd.m.State() == Master) {
		nw.t.Errorf("%v node %d: holds VIPs %v in state %v", nw.now.Sub(t0), i, nd.vips, nd.m.State())
	}
	nw.drain()
}

func (nw *network) drain() {
	for len(nw.queue) > 0 {
		d := nw.queue[0]
		nw.queue = nw.queue[1:]
		if nd := nw.nodes[d.to]; !nd.down {
			nw.handle(d.to, nd.m.Step(nw.now, d.r))
		}
	}
}

// run advances the clock by d, ticking each machine at its deadlines (the
// lowest-numbered node first on a tie).
func (nw *network) run(d time.Duration) {
	until := nw.now.Add(d)
	for {
		next, who := time.Time{}, -1
		for i, nd := range nw.nodes {
			if dl := nd.m.Deadline(); !nd.down && !dl.IsZero() && (who < 0 || dl.Before(next)) {
				next, who = dl, i
			}
		}
		if who < 0 || next.After(until) {
			break
		}
		nw.now = next
		nw.handle(who, nw.nodes[who].m.Tick(nw.now))
	}
	nw.now = until
}

// masters lists the nodes in MASTER state.
func (nw *network) masters() []int {
	var out []int
	for i, nd := range nw.nodes {
		if !nd.down && nd.m.State() == Master {
			out = append(out, i)
		}
	}
	return out
}

func (nw *network) wantMasters(want ...int) {
	nw.t.Helper()
	if got := nw.masters(); fmt.Sprint(got) != fmt.Sprint(want) {
		nw.t.Fatalf("at %v: masters %v, want %v", nw.now.Sub(t0), got, want)
	}
}

// transitions counts node i's transitions so far.
func (nw *network) transitions(i int) int { return len(nw.nodes[i].trans) }
