package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"time"
)

// Up builds the lab, or finds it already up with the same options. A
// failed Up removes what it made.
func Up(ctx context.Context, opts Options, log *slog.Logger) (l *Lab, already bool, err error) {
	if opts, err = opts.withDefaults(); err != nil {
		return nil, false, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := available(opts.Peer); err != nil {
		return nil, false, err
	}
	if opts.Switch != nil {
		if err := checkSwitchTools(); err != nil {
			return nil, false, err
		}
	}
	if opts.Executable == "" {
		if opts.Executable, err = os.Executable(); err != nil {
			return nil, false, fmt.Errorf("lab: find the carpvm binary: %w", err)
		}
	}
	st, err := loadState(opts.StateDir)
	if err != nil {
		return nil, false, err
	}
	if st != nil && st.Prefix != opts.Prefix {
		return nil, false, fmt.Errorf("lab: %s holds a lab with prefix %q; run `carpvm lab down` for it first or use another state directory", opts.StateDir, st.Prefix)
	}
	// Before anything is touched: a namespace named like the lab's that
	// the lab did not make stops it.
	left, err := existing(ctx, opts.Prefix, opts.names(st))
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("lab: state directory: %w", err)
	}
	if st != nil {
		l := &Lab{Opts: opts, State: st, log: log}
		if st.Prefix == opts.Prefix && st.Peer == opts.Peer && st.Mode() == opts.Mode && st.AdvBase == *opts.AdvBase && st.ActiveActive == opts.ActiveActive &&
			st.Node == opts.Node && st.Switch.Equal(opts.Switch) && l.health(ctx) == nil {
			return l, true, nil
		}
		log.Info("replacing the lab in the state directory", "peer", st.Peer, "advbase", st.AdvBase)
	}
	if st != nil || len(left) > 0 {
		// Left by an earlier lab of this prefix (marked as the lab's), or
		// the lab being replaced.
		if err := Down(ctx, opts, log); err != nil {
			return nil, false, err
		}
	}
	l = &Lab{Opts: opts, State: &State{Prefix: opts.Prefix, Peer: opts.Peer, Unicast: opts.Mode == ModeUnicast, AdvBase: *opts.AdvBase, ActiveActive: opts.ActiveActive,
		Node: opts.Node, Executable: opts.Executable, Created: time.Now().UTC(), Switch: opts.Switch}, log: log}
	if err := l.build(ctx); err != nil {
		if derr := Down(context.WithoutCancel(ctx), opts, log); derr != nil {
			err = errors.Join(err, fmt.Errorf("lab: cleaning after the failed up: %w", derr))
		}
		return nil, false, err
	}
	return l, false, nil
}

// Open returns the lab that is up in opts' state directory.
func Open(opts Options, log *slog.Logger) (*Lab, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := loadState(opts.StateDir)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("lab: no lab is up in %s; run `carpvm lab up`", opts.StateDir)
	}
	opts.Prefix, opts.Peer, opts.AdvBase, opts.Executable, opts.ActiveActive, opts.Node = st.Prefix, st.Peer, AdvBase(st.AdvBase), st.Executable, st.ActiveActive, st.Node
	opts.Switch, opts.Mode = st.Switch, st.Mode()
	return &Lab{Opts: opts, State: st, log: log}, nil
}

func available(peer string) error {
	if os.Geteuid() != 0 {
		return errors.New("lab: network namespaces need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)")
	}
	tools := []string{"ip", "bridge"}
	if peer == PeerUcarp || peer == PeerKeepalived {
		tools = append(tools, peer)
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("lab: %s not found: %w", t, err)
		}
	}
	return nil
}

// Available says why a lab cannot be built here (nil when it can).
func Available(peer string) error { return available(peer) }

func (l *Lab) ns(short string) string { return l.Opts.Namespace(short) }

// AdvBase is the advbase both routers run with, in seconds (0: OpenBSD's
// sub-second mode), as the state file records it.
func (l *Lab) AdvBase() int { return l.State.AdvBase }

// Groups are this lab's CARP groups.
func (l *Lab) Groups() []Group { return Groups(l.State.ActiveActive) }

func (l *Lab) kind(router string) string {
	if router == Router2 {
		return l.Opts.Peer
	}
	return PeerCarpvm
}

// vipOnLeg says whether router puts the VIPs on its legs, answering for
// them from its NICs' own MACs (ucarp, keepalived), rather than on a
// virtual MAC.
func (l *Lab) vipOnLeg(router string) bool {
	return l.kind(router) == PeerUcarp || l.kind(router) == PeerKeepalived
}

// otherRouter is the pair's other router.
func otherRouter(router string) string {
	if router == Router1 {
		return Router2
	}
	return Router1
}
