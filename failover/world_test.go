package failover

import (
	"cmp"
	"context"
	"net"
	"net/netip"
	"sync"
	"time"
)

// world is a synthetic CARP segment for drill tests: the master
// advertises every 50 ms and answers the prober every 10 ms; when the
// master fails, the other router takes over after takeoverAfter (unless
// never), and the failed one takes the VIP back (preempt) when it recovers.
type world struct {
	mu            sync.Mutex
	rec           *Recorder
	alive         map[string]bool
	master        string
	never         bool
	takeoverAfter time.Duration
	failedAt      time.Time
	// blackHole: once router-002 takes the VIP back from router-003, the
	// clients keep sending to router-003's MAC (nobody re-announced):
	// echoes go unanswered until the test ends, as until ARP expiry.
	blackHole bool
	holed     bool
	// split: router-003 goes on advertising this long after router-002
	// takes the VIP back (a split brain after the return).
	split    time.Duration
	returned time.Time
	// advertTicks is how many 10 ms ticks apart the master advertises
	// (0: 5, every 50 ms). router-002's advskew 0 with advbase 0 says
	// master-down 11.7 ms: a witness reading the adverts' own timers (the
	// drill's transitions) needs them every tick.
	advertTicks int
	stop        chan struct{}
	done        chan struct{}
}

var routerAddr = map[string]netip.Addr{"router-002": r2, "router-003": r3}

func newWorld() *world {
	w := &world{
		rec: NewRecorder(nil), alive: map[string]bool{"router-002": true, "router-003": true}, master: "router-002",
		takeoverAfter: 150 * time.Millisecond, stop: make(chan struct{}), done: make(chan struct{}),
	}
	go w.run()
	return w
}

func (w *world) close() { close(w.stop); <-w.done }

// ticks calls tick every 10 ms, with the tick's number, until stop is
// closed, then closes done: the clock of the fake worlds.
func ticks(stop <-chan struct{}, done chan<- struct{}, tick func(i int, now time.Time)) {
	defer close(done)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case now := <-t.C:
			tick(i, now)
		}
	}
}

func (w *world) run() {
	ticks(w.stop, w.done, func(i int, now time.Time) {
		w.mu.Lock()
		if w.master != "" && !w.alive[w.master] {
			w.master, w.failedAt = "", now
		}
		if w.master == "" && !w.failedAt.IsZero() && now.Sub(w.failedAt) >= w.takeoverAfter {
			for _, r := range []string{"router-003", "router-002"} {
				// never: the backup never takes over; the master
				// still comes back when revived.
				if w.alive[r] && !(w.never && r == "router-003") {
					w.master = r
					w.rec.Add(Event{At: now, Kind: KindGARP, Src: vip, MAC: vmac})
					break
				}
			}
		}
		// Preempt: router-002 takes the VIP back as soon as it lives.
		if w.master == "router-003" && w.alive["router-002"] {
			w.master = "router-002"
			w.holed = w.blackHole
			w.returned = now
		}
		m, holed, every := w.master, w.holed, cmp.Or(w.advertTicks, 5)
		splitting := !w.returned.IsZero() && now.Sub(w.returned) < w.split
		w.mu.Unlock()
		if splitting && i%5 == 2 {
			w.rec.Add(Event{At: now, Kind: KindAdvert, VHID: 1, AdvBase: 0, AdvSkew: advSkew[r3], Src: r3, MAC: vmac})
		}
		if m == "" {
			return
		}
		if i%every == 0 {
			w.rec.Add(Event{At: now, Kind: KindAdvert, VHID: 1, AdvBase: 0, AdvSkew: advSkew[routerAddr[m]], Src: routerAddr[m], MAC: vmac})
		}
		if !holed {
			w.rec.Add(Event{At: now, Kind: KindEchoReply, Src: vip, MAC: vmac})
			w.rec.Add(Event{At: now, Kind: KindARPReply, Src: vip, MAC: vmac})
		}
	})
}

func (w *world) set(router string, alive bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.alive[router] = alive
}

func (w *world) current() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.master
}

// observer hands the world's events to one drill (closing it does not
// stop the world).
type observer struct{ *Recorder }

func (w *world) observe(context.Context, Network) (Observer, error) { return observer{w.rec}, nil }

// fakeEnv drives the world: every trigger kills the master, Undo revives it.
type fakeEnv struct {
	w       *world
	gateErr error
	calls   []string
	onTrig  func()
}

func (e *fakeEnv) Target() string { return "fake" }
func (e *fakeEnv) Pair() string   { return "fake-pair" }
func (e *fakeEnv) Gate(context.Context, Network) (string, error) {
	e.calls = append(e.calls, "gate")
	return "fake gate", e.gateErr
}
func (e *fakeEnv) Observe(ctx context.Context, n Network) (Observer, error) {
	return e.w.observe(ctx, n)
}
func (e *fakeEnv) RouterName(_ Network, src netip.Addr) string {
	for n, a := range routerAddr {
		if a == src {
			return n
		}
	}
	return ""
}
func (e *fakeEnv) VIPMAC(context.Context, Network, string) net.HardwareAddr { return vmac }
func (e *fakeEnv) Trigger(_ context.Context, t Trigger, _ Network, router string) error {
	e.calls = append(e.calls, "trigger "+router)
	e.w.set(router, false)
	if e.onTrig != nil {
		e.onTrig()
	}
	return nil
}
func (e *fakeEnv) Undo(_ context.Context, t Trigger, _ Network, router string) error {
	e.calls = append(e.calls, "undo "+router)
	e.w.set(router, true)
	return nil
}
func (e *fakeEnv) Relearned(_ context.Context, _ Network, mac net.HardwareAddr, router string, _ Measurement) (bool, string, error) {
	return mac.String() == vmac.String(), "fake fdb", nil
}
func (e *fakeEnv) Describe(t Trigger, _ Network, router string) (string, string) {
	return "fail " + router, "revive " + router
}

// fastNet is a network whose timers suit the world: advbase 0, advskew 25,
// master-down 3*25/256 s = 293 ms.
func fastNet() Network {
	return Network{Name: "intranought", VHID: 1, VIP: vip, AdvBase: 0, BackupSkew: 25, Routers: []string{"router-002", "router-003"}, Preempt: true}
}
