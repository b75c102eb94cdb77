package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/carpvm/carpvm/carp"
)

// collector exports a Node's status as Prometheus metrics, read from the
// loop at scrape time (no copy of the state is kept).
type collector struct {
	n *Node

	state, demotion                  *prometheus.Desc
	transitions, sent, received, rej *prometheus.Desc
	ignored                          *prometheus.Desc
	routerDemotion, cause, preferred *prometheus.Desc
	clockJumps                       *prometheus.Desc
}

func newCollector(n *Node) *collector {
	gl := []string{"vhid", "iface"}
	return &collector{
		n:              n,
		state:          prometheus.NewDesc("carpvm_node_state", "1 for the group's current CARP state, 0 for the others.", append(gl, "state"), nil),
		demotion:       prometheus.NewDesc("carpvm_node_demotion", "Demotion added to the group's advskew.", gl, nil),
		transitions:    prometheus.NewDesc("carpvm_node_transitions_total", "State transitions of the group.", gl, nil),
		sent:           prometheus.NewDesc("carpvm_node_adverts_sent_total", "Advertisements sent.", gl, nil),
		received:       prometheus.NewDesc("carpvm_node_adverts_received_total", "Authentic advertisements accepted.", gl, nil),
		rej:            prometheus.NewDesc("carpvm_node_adverts_rejected_total", "Advertisements rejected, by reason.", append(gl, "reason"), nil),
		ignored:        prometheus.NewDesc("carpvm_node_frames_ignored_total", "Protocol-112 frames that reached no group: malformed, another vhid, another VLAN, or dropped by the kernel for want of room in the receive ring (ring_full).", []string{"iface", "reason"}, nil),
		routerDemotion: prometheus.NewDesc("carpvm_node_router_demotion", "The router's demotion, added to every group's advskew (links down, failed sends, failing tracks, an operator's demote).", nil, nil),
		cause:          prometheus.NewDesc("carpvm_node_demotion_cause", "Weight of each cause of the router's demotion that holds now.", []string{"cause"}, nil),
		clockJumps:     prometheus.NewDesc("carpvm_node_clock_jumps_total", "Times the node found it had been frozen (VM stun, snapshot, vMotion, SIGSTOP): its timers fired more than two advertisement intervals late.", nil, nil),
		preferred:      prometheus.NewDesc("carpvm_node_group_preferred", "1 when this router is the group's preferred master, 0 when the peer is (node.yaml name and preferred).", gl, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.state, c.demotion, c.transitions, c.sent, c.received, c.rej, c.ignored, c.routerDemotion, c.cause, c.preferred, c.clockJumps} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.n.Status(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.state, err)
		return
	}
	for _, g := range st.Groups {
		l := []string{strconv.Itoa(int(g.VHID)), g.Interface}
		for _, s := range []carp.State{carp.Init, carp.Backup, carp.Master} {
			v := 0.0
			if g.State == s {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, append(l, s.String())...)
		}
		ch <- prometheus.MustNewConstMetric(c.demotion, prometheus.GaugeValue, float64(g.Demotion), l...)
		ch <- prometheus.MustNewConstMetric(c.transitions, prometheus.CounterValue, float64(g.Transitions), l...)
		ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(g.Sent), l...)
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(g.Received), l...)
		for _, r := range carp.Rejects() {
			ch <- prometheus.MustNewConstMetric(c.rej, prometheus.CounterValue, float64(g.Rejected.Of(r)), append(l, r.String())...)
		}
		if st.Name != "" && g.Preferred != "" {
			v := 0.0
			if g.Preferred == st.Name {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.preferred, prometheus.GaugeValue, v, l...)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.routerDemotion, prometheus.GaugeValue, float64(st.Demotion))
	ch <- prometheus.MustNewConstMetric(c.clockJumps, prometheus.CounterValue, float64(st.ClockJumps))
	for _, cs := range st.DemotionCauses {
		ch <- prometheus.MustNewConstMetric(c.cause, prometheus.GaugeValue, float64(cs.Weight), cs.Name)
	}
	for _, i := range st.Interfaces {
		ch <- prometheus.MustNewConstMetric(c.ignored, prometheus.CounterValue, float64(i.BadFrame), i.Name, "bad_frame")
		ch <- prometheus.MustNewConstMetric(c.ignored, prometheus.CounterValue, float64(i.OtherVHID), i.Name, "other_vhid")
		ch <- prometheus.MustNewConstMetric(c.ignored, prometheus.CounterValue, float64(i.OtherVLAN), i.Name, "other_vlan")
		ch <- prometheus.MustNewConstMetric(c.ignored, prometheus.CounterValue, float64(i.Dropped), i.Name, "ring_full")
	}
}

// BuildInfo is the carpvm build a node runs, for carpvm_build_info.
type BuildInfo struct {
	Version   string // v0.1.0, a Go pseudo-version, or "dev"
	Commit    string // the VCS revision
	GoVersion string // the Go release that built the binary
}

// buildInfoGauge is carpvm_build_info{version,commit,goversion} 1, the
// usual way to expose a build to joins in PromQL.
func buildInfoGauge(b BuildInfo) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "carpvm_build_info",
		Help:        "The carpvm build this node runs; always 1.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "goversion": b.GoVersion},
	})
	g.Set(1)
	return g
}

// Registry returns a new registry (not the global one) with n's metrics,
// carpvm_build_info of build, and the Go and process collectors.
func Registry(n *Node, build BuildInfo) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(n), buildInfoGauge(build), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// ServeMetrics serves n's metrics, with build's carpvm_build_info, on addr
// at /metrics until ctx ends. ready, when not nil, receives the bound
// address.
func ServeMetrics(ctx context.Context, addr string, n *Node, build BuildInfo, log *slog.Logger, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("node: metrics listener %s: %w", addr, err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(Registry(n, build), promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("node: metrics: %w", err)
	}
	if log != nil {
		log.Debug("metrics server stopped")
	}
	return nil
}
