package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/carpvm/carpvm/internal/transition"
)

// ServeOptions say where a served node keeps its files and what it
// reports; Node holds its dependencies (zero: the Linux ones), which
// Serve completes from the configuration.
type ServeOptions struct {
	Paths Paths
	Log   *slog.Logger
	Build BuildInfo
	Node  Options
}

// Serve runs cfg's node as `carpvm node run` does: it takes the node's
// locks (the control socket's and each group's, refusing a second node
// before touching anything), then runs the node, its control socket and
// its metrics until ctx ends or one of them fails. A failed service (the
// metrics address taken) stops the node cleanly, bowing out and
// releasing the VIPs, and is returned.
func Serve(ctx context.Context, cfg *Config, o ServeOptions) error {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.ControlSocket = o.Paths.ResolveControlSocket(cfg.ControlSocket)
	opts := o.Node
	opts.Groups, opts.Log, opts.Name = cfg.Groups, log, cfg.Name
	opts.LinkTracking, opts.PreemptDelay, opts.Tracks = cfg.LinkTracking, cfg.PreemptDelay, cfg.Tracks
	opts.NoFreezeReannounce = cfg.NoFreezeReannounce
	if o.Paths.StateDir != "" {
		opts.ReplayState = func(g Group) string { return o.Paths.ReplayState(g.Interface, g.VHID) }
	}
	if cfg.TransitionLog != "" {
		f, err := transition.OpenFile(cfg.TransitionLog)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.Transitions = transition.NewWriter(f)
	}
	n, err := New(opts)
	if err != nil {
		return err
	}
	inst, err := LockInstance(cfg.Groups, cfg.ControlSocket)
	if err != nil {
		return err
	}
	defer inst.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	services := 0
	if cfg.ControlSocket != "" {
		services++
		go func() { errs <- ServeControl(ctx, cfg.ControlSocket, n, ControlOptions{Log: log}) }()
	}
	if cfg.MetricsListen != "" {
		services++
		go func() { errs <- ServeMetrics(ctx, cfg.MetricsListen, n, o.Build, log, nil) }()
	}
	runErr := make(chan error, 1)
	go func() { runErr <- n.Run(ctx) }()
	for _, g := range cfg.Groups {
		log.Info("node started", "vhid", g.VHID, "iface", g.Interface, "vips", fmt.Sprint(g.VIPs),
			"advbase", g.AdvBase, "advskew", g.AdvSkew, "preempt", g.Preempt, "vmac", g.VMAC && g.ManageVIPs, "protocol", g.ProtocolWords())
	}
	var first error
	select {
	case err := <-runErr:
		cancel()
		for range services {
			<-errs
		}
		return err
	case first = <-errs:
		services--
	}
	// A service failed (e.g. the control socket is taken): stop the node
	// cleanly (bow-out, VIPs released) and report the failure.
	cancel()
	if err := <-runErr; err != nil {
		first = errors.Join(first, err)
	}
	for range services {
		<-errs
	}
	return first
}
