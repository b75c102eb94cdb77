package faultproxy

import (
	"fmt"
	"net"
	"sync"
)

// Kind is how the proxy fails an exchange.
type Kind string

const (
	// DropBefore closes the connection instead of forwarding the
	// exchange's first bytes: nothing reached the server.
	DropBefore Kind = "proxy-drop-before"
	// DropAfter forwards the exchange, then closes the connection when the
	// server answers, the answer unsent: the call was executed, its answer
	// lost.
	DropAfter Kind = "proxy-drop-after"
	// Down closes every connection and stops listening, from the exchange
	// on, until Up: the server gone.
	Down Kind = "proxy-down"
)

// Kinds lists every kind.
func Kinds() []Kind { return []Kind{DropBefore, DropAfter, Down} }

// Plan fails the Exchange-th (1-based) exchange counted from Arm on.
type Plan struct {
	Exchange int
	Kind     Kind
}

// Proxy forwards connections on Addr to a target.
type Proxy struct {
	// Addr is where the proxy listens (host:port); it stays the same
	// across Down and Up.
	Addr   string
	target string

	mu        sync.Mutex
	ln        net.Listener
	pairs     map[*pair]bool
	plan      *Plan
	exchanges int
}

// pair is a client connection and its connection to the target.
type pair struct {
	client, server net.Conn
	mu             sync.Mutex
	// serverSpoke: the last bytes were the server's (or none yet), so the
	// client's next bytes begin an exchange.
	serverSpoke bool
	// dropOnAnswer: the exchange was forwarded under DropAfter; the
	// server's answer closes the pair.
	dropOnAnswer bool
}

func (p *pair) close() { _ = p.client.Close(); _ = p.server.Close() }

// Start listens on a free port of 127.0.0.1 and forwards to target.
func Start(target string) (*Proxy, error) {
	p := &Proxy{Addr: "127.0.0.1:0", target: target, pairs: map[*pair]bool{}}
	if err := p.listen(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Proxy) listen() error {
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		return fmt.Errorf("faultproxy: listen: %w", err)
	}
	p.mu.Lock()
	p.ln, p.Addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go p.accept(ln)
	return nil
}

func (p *Proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		pr := &pair{client: c, server: s, serverSpoke: true}
		p.mu.Lock()
		if p.ln != ln { // went down meanwhile
			p.mu.Unlock()
			pr.close()
			return
		}
		p.pairs[pr] = true
		p.mu.Unlock()
		go p.forward(pr, true)
		go p.forward(pr, false)
	}
}

// forward copies one direction of pr, failing the exchange the plan names.
func (p *Proxy) forward(pr *pair, fromClient bool) {
	src, dst := pr.server, pr.client
	if fromClient {
		src, dst = pr.client, pr.server
	}
	defer p.drop(pr)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.pass(pr, fromClient) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// pass says whether bytes read from one side may be forwarded; false
// drops the pair (and, for Down, everything).
func (p *Proxy) pass(pr *pair, fromClient bool) bool {
	pr.mu.Lock()
	if !fromClient {
		pr.serverSpoke = true
		drop := pr.dropOnAnswer
		pr.mu.Unlock()
		return !drop
	}
	begins := pr.serverSpoke
	pr.serverSpoke = false
	pr.mu.Unlock()
	if !begins {
		return true
	}
	p.mu.Lock()
	p.exchanges++
	var kind Kind
	if p.plan != nil && p.exchanges == p.plan.Exchange {
		kind = p.plan.Kind
	}
	p.mu.Unlock()
	switch kind {
	case DropBefore:
		return false
	case DropAfter:
		pr.mu.Lock()
		pr.dropOnAnswer = true
		pr.mu.Unlock()
	case Down:
		p.Stop()
		return false
	}
	return true
}

func (p *Proxy) drop(pr *pair) {
	pr.close()
	p.mu.Lock()
	delete(p.pairs, pr)
	p.mu.Unlock()
}

// Arm replaces the plan and counts exchanges afresh.
func (p *Proxy) Arm(plan Plan) error {
	if plan.Exchange < 1 {
		return fmt.Errorf("faultproxy: exchange %d: want the 1-based index of an exchange", plan.Exchange)
	}
	switch plan.Kind {
	case DropBefore, DropAfter, Down:
	default:
		return fmt.Errorf("faultproxy: kind %q: want one of %v", plan.Kind, Kinds())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan, p.exchanges = &plan, 0
	return nil
}

// Disarm drops the plan and counts exchanges afresh.
func (p *Proxy) Disarm() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan, p.exchanges = nil, 0
}

// Exchanges is how many exchanges began since Arm or Disarm.
func (p *Proxy) Exchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exchanges
}

// Stop closes every connection and stops listening: the server gone.
func (p *Proxy) Stop() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	pairs := p.pairs
	p.pairs = map[*pair]bool{}
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	for pr := range pairs {
		pr.close()
	}
}

// Up listens again on Addr after Stop (or Down); a plan that fired does
// not fire again.
func (p *Proxy) Up() error {
	p.mu.Lock()
	up := p.ln != nil
	p.plan = nil
	p.mu.Unlock()
	if up {
		return nil
	}
	return p.listen()
}

// Close stops the proxy for good.
func (p *Proxy) Close() { p.Stop() }
