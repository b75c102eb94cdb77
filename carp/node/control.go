package node

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// The control protocol: a client connects to the Unix socket, writes one
// JSON Request on a line and reads one JSON Response on a line.
//
//	{"command":"status"}
//	{"command":"demote","vhid":1}            hand over vhid 1 (bow-out)
//	{"command":"demote","vhid":0,"demotion":50}  every group, demotion 50
//	{"command":"promote","vhid":1}           demotion back to 0
const (
	CmdStatus  = "status"
	CmdDemote  = "demote"
	CmdPromote = "promote"
)

// Request is one control command.
type Request struct {
	Command string `json:"command"`
	// VHID selects the group of demote and promote; 0 means every group.
	VHID uint8 `json:"vhid,omitempty"`
	// Demotion is added to advskew by demote; 0 means carp.MaxDemotedSkew,
	// which makes a MASTER bow out so that a backup takes over at once.
	Demotion uint8 `json:"demotion,omitempty"`
}

// Response answers a Request.
type Response struct {
	OK     bool    `json:"ok"`
	Error  string  `json:"error,omitempty"`
	Status *Status `json:"status,omitempty"`
}

// Status is the whole node as `carpvm node status -o json` prints it.
type Status struct {
	// Name is this router's name (node.yaml name), when set.
	Name       string            `json:"name,omitempty"`
	Groups     []GroupStatus     `json:"groups"`
	Interfaces []InterfaceStatus `json:"interfaces"`
	// Demotion is the router's demotion (added to every group's advskew)
	// and DemotionCauses what makes it up: links down, failed sends,
	// failing tracks, an operator's demote of the whole router.
	Demotion       uint8         `json:"demotion"`
	DemotionCauses []carp.Cause  `json:"demotion_causes"`
	Tracks         []TrackStatus `json:"tracks"`
	LinkTracking   bool          `json:"link_tracking"`
	// ClockJumps counts the times the node found it had been frozen
	// (its timers fired more than two advertisement intervals late);
	// LastClockJump is the latest, nil when none.
	ClockJumps    uint64     `json:"clock_jumps"`
	LastClockJump *ClockJump `json:"last_clock_jump,omitempty"`
}

// GroupStatus is one group: its configuration and its machine's status.
type GroupStatus struct {
	Interface string         `json:"interface"`
	VIPs      []netip.Prefix `json:"vips"`
	AdvBase   uint8          `json:"advbase"`
	AdvSkew   uint8          `json:"advskew"`
	Preempt   bool           `json:"preempt"`
	VMAC      bool           `json:"vmac"`
	// Preferred is the router that should hold the group (node.yaml
	// preferred), when known.
	Preferred string     `json:"preferred,omitempty"`
	Source    netip.Addr `json:"source"`
	// Protocol says what the group speaks: "CARP multicast", or VRRPv3's
	// mode, priority and interval and that it has no authentication.
	Protocol string `json:"protocol"`
	// Peer is the unicast peer of the group's first family, when unicast.
	Peer netip.Addr `json:"peer,omitzero"`
	carp.Status
}

// InterfaceStatus counts the protocol-112 frames of an interface that
// reached no group.
type InterfaceStatus struct {
	Name string `json:"name"`
	// BadFrame counts malformed frames (bad IP header, truncated).
	BadFrame uint64 `json:"bad_frame"`
	// OtherVHID counts adverts of groups this node does not run (other
	// pairs, VRRP routers on the segment).
	OtherVHID uint64 `json:"other_vhid"`
	// OtherVLAN counts frames with an 802.1Q tag of another VLAN (a
	// trunk's or a misconfigured port's), ignored even when authentic.
	OtherVLAN uint64 `json:"other_vlan"`
	// Dropped counts frames the kernel dropped because the node's
	// receive ring was full (a flood faster than the node reads): they
	// were never judged, so they are in no other count.
	Dropped uint64 `json:"dropped"`
}

type ctlRequest struct {
	req   Request
	reply chan Response
}

// ErrStopped is returned by Do once the node has stopped.
var ErrStopped = errors.New("node: stopped")

// Do runs a control request in the node's loop.
func (n *Node) Do(ctx context.Context, req Request) (Response, error) {
	cr := ctlRequest{req: req, reply: make(chan Response, 1)}
	select {
	case n.ctl <- cr:
	case <-n.done:
		return Response{}, ErrStopped
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
	select {
	case r := <-cr.reply:
		return r, nil
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
}

// Status returns the node's status.
func (n *Node) Status(ctx context.Context) (Status, error) {
	r, err := n.Do(ctx, Request{Command: CmdStatus})
	if err != nil {
		return Status{}, err
	}
	return *r.Status, nil
}

// control runs in the loop.
func (n *Node) control(req Request) Response {
	switch req.Command {
	case CmdStatus:
		st := n.status()
		return Response{OK: true, Status: &st}
	case CmdDemote, CmdPromote:
		d := req.Demotion
		if req.Command == CmdPromote {
			d = 0
		} else if d == 0 {
			d = carp.MaxDemotedSkew
		}
		now := n.clock.Now()
		if req.VHID == 0 {
			// The whole router: one cause, on top of what the groups
			// have of their own; promote also lifts the send errors.
			n.log.Info("demotion of the router set over the control socket", "command", req.Command, "demotion", d)
			n.performAll(n.router.SetCause(now, "manual", int(d)))
			if req.Command == CmdPromote {
				n.performAll(n.router.ClearSendErrors(now))
				for i := range n.groups {
					n.performAll(n.router.SetGroupDemotion(now, i, 0))
				}
			}
		} else {
			i := slices.IndexFunc(n.groups, func(g *group) bool { return g.cfg.VHID == req.VHID })
			if i < 0 {
				return Response{Error: fmt.Sprintf("no group with vhid %d on this node", req.VHID)}
			}
			n.groups[i].log.Info("demotion set over the control socket", "command", req.Command, "demotion", d)
			n.performAll(n.router.SetGroupDemotion(now, i, d))
		}
		st := n.status()
		return Response{OK: true, Status: &st}
	}
	return Response{Error: fmt.Sprintf("unknown command %q; want status, demote or promote", req.Command)}
}

func (n *Node) status() Status {
	d := n.router.Demotion()
	st := Status{Name: n.opts.Name, Demotion: d.Total(), DemotionCauses: d.Causes(), Tracks: []TrackStatus{}, LinkTracking: n.opts.LinkTracking,
		ClockJumps: n.clockJumps, LastClockJump: n.lastClockJump}
	if st.DemotionCauses == nil {
		st.DemotionCauses = []carp.Cause{}
	}
	for _, t := range n.tracks {
		st.Tracks = append(st.Tracks, TrackStatus{Name: t.Name, Interface: t.Interface, Command: t.Command != "", Weight: t.Weight, Failing: t.failing, Last: t.last})
	}
	for _, g := range n.groups {
		st.Groups = append(st.Groups, GroupStatus{
			Interface: g.cfg.Interface, VIPs: g.cfg.VIPs, AdvBase: g.cfg.AdvBase, AdvSkew: g.cfg.AdvSkew,
			Preempt: g.cfg.Preempt, VMAC: g.cfg.VMAC && g.cfg.ManageVIPs, Source: g.link.self, Preferred: g.cfg.Preferred,
			Protocol: g.cfg.ProtocolWords(), Peer: cmp.Or(g.cfg.Peer, g.cfg.Peer6),
			Status: g.m.Status(),
		})
	}
	seen := map[string]bool{}
	for _, g := range n.groups {
		l := g.link
		if seen[l.name] {
			continue
		}
		seen[l.name] = true
		if d, ok := l.link.(droppedCounter); ok {
			if v, err := d.Dropped(); err == nil {
				l.dropped = v
			}
		}
		st.Interfaces = append(st.Interfaces, InterfaceStatus{Name: l.name, BadFrame: l.badFrame, OtherVHID: l.otherVHID, OtherVLAN: l.otherVLAN, Dropped: l.dropped})
	}
	return st
}

// Limits of the control socket: a request is one line of at most
// MaxControlRequest bytes, and a connection that sends no complete line
// within DefaultControlIdleTimeout is closed, so that no client can grow
// the node or hold connections open.
//
// At most MaxControlConns connections are served at once; one more is told
// so and closed, so that idle clients cannot grow the node's memory.
const (
	MaxControlRequest         = 64 << 10
	DefaultControlIdleTimeout = 5 * time.Second
	MaxControlConns           = 64
)

// ControlOptions tune ServeControl.
type ControlOptions struct {
	// IdleTimeout (default DefaultControlIdleTimeout) is how long a client
	// has to send its request line.
	IdleTimeout time.Duration
	Log         *slog.Logger
}

// ServeControl serves the control protocol for n on the Unix socket path
// (mode 0600: demote is privileged) until ctx ends, then removes it. A
// stale socket file is replaced; one a live node answers on is refused.
func ServeControl(ctx context.Context, path string, n *Node, opts ControlOptions) error {
	ln, err := listenControl(path)
	if err != nil {
		return err
	}
	return serveControl(ctx, ln, path, n, opts)
}

// serveControl serves the control protocol on ln, a listener on path
// that it closes and removes when ctx ends.
func serveControl(ctx context.Context, ln net.Listener, path string, n *Node, opts ControlOptions) error {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultControlIdleTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	defer os.Remove(path)
	slots := make(chan struct{}, MaxControlConns)
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("node: control socket %s: %w", path, err)
		}
		select {
		case slots <- struct{}{}:
			go func() {
				defer func() { <-slots }()
				serveConn(ctx, c, n, opts)
			}()
		default:
			refuseConn(c, opts)
		}
	}
}

// errControlBusy is what a connection past MaxControlConns is told.
var errControlBusy = fmt.Errorf("control socket busy: %d connections are open, the most a node serves at once; try again", MaxControlConns)

// refuseConn tells c that the node serves no more connections now, and
// closes it; it never waits on the client.
func refuseConn(c net.Conn, opts ControlOptions) {
	defer c.Close()
	b, _ := json.Marshal(Response{Error: errControlBusy.Error()})
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Write(append(b, '\n')); err != nil {
		opts.Log.Debug("control refusal not sent", "err", err)
	}
}

func listenControl(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("node: control socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("node: control socket %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("node: control socket %s is in use by a running node; give this node its own with --control-socket PATH (control_socket in node.yaml)", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("node: remove stale control socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("node: control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("node: control socket %s: %w", path, err)
	}
	return ln, nil
}

func serveConn(ctx context.Context, c net.Conn, n *Node, opts ControlOptions) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(opts.IdleTimeout))
	var resp Response
	line, err := readRequestLine(c)
	switch {
	case errors.Is(err, errRequestTooLong):
		resp = Response{Error: err.Error()}
	case err != nil:
		opts.Log.Debug("control connection closed without a request", "err", err)
		return
	default:
		var req Request
		if err := json.Unmarshal(line, &req); err != nil {
			resp = Response{Error: fmt.Sprintf("bad request: %v; want one JSON object such as {\"command\":\"status\"}", err)}
		} else if resp, err = n.Do(ctx, req); err != nil {
			resp = Response{Error: err.Error()}
		}
	}
	b, _ := json.Marshal(resp)
	_ = c.SetWriteDeadline(time.Now().Add(opts.IdleTimeout))
	if _, err := c.Write(append(b, '\n')); err != nil {
		opts.Log.Debug("control reply not sent", "err", err)
	}
}

var errRequestTooLong = fmt.Errorf("request longer than %d bytes; want one JSON object on one line", MaxControlRequest)

// readRequestLine reads one line of at most MaxControlRequest bytes. A
// last line without its newline is a request too (a client that
// half-closes).
func readRequestLine(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxControlRequest+1))
	var line []byte
	var err error
	for {
		var chunk []byte
		chunk, err = br.ReadSlice('\n')
		line = append(line, chunk...) // a copy: chunk is the reader's buffer
		if !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
	}
	if len(line) > MaxControlRequest {
		return nil, errRequestTooLong
	}
	if err != nil && (len(line) == 0 || !errors.Is(err, io.EOF)) {
		return nil, err
	}
	return line, nil
}

// dialError says why the control socket at path did not answer: no node
// there, or one there that this user may not use (the socket is 0600).
func dialError(path string, err error) error {
	if !errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("node: no carpvm node on control socket %s: %w", path, err)
	}
	if fi, serr := os.Stat(path); serr == nil && fi.Mode().Type() == fs.ModeSocket {
		owner := ""
		if uid, ok := fileOwner(fi); ok {
			owner = fmt.Sprintf(" (uid %d)", uid)
		}
		return fmt.Errorf("node: a carpvm node's control socket is at %s, but this user may not use it: it is mode %04o, for its owner%s; run as root or as that user: %w",
			path, fi.Mode().Perm(), owner, err)
	}
	return fmt.Errorf("node: this user may not reach control socket %s (a directory on its path is closed to it); run as root: %w", path, err)
}

// Call sends req to the node listening on path and returns its response;
// a response with OK false becomes an error.
func Call(ctx context.Context, path string, req Request) (Response, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return Response{}, dialError(path, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	return exchange(c, path, req)
}

// exchange writes req on c and reads the node's one-line response.
func exchange(c net.Conn, path string, req Request) (Response, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return Response{}, err
	}
	// A node that serves no more connections writes its refusal and
	// closes without reading, so the write may fail (broken pipe) with
	// the refusal waiting to be read: read it before giving up.
	_, werr := c.Write(append(b, '\n'))
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return Response{}, fmt.Errorf("node: control socket %s: %w", path, cmp.Or(werr, err))
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return Response{}, fmt.Errorf("node: control socket %s: bad response: %w", path, err)
	}
	if !resp.OK {
		return resp, fmt.Errorf("node: %s", resp.Error)
	}
	return resp, nil
}
