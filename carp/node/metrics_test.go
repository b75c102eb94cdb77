package node

import (
	"testing"
	"testing/synctest"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/carpvm/carpvm/carp"
)

func metricValue(t *testing.T, fams []*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue(), true
			}
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

func TestMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0})
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		for _, tc := range []struct {
			s     *simNode
			state carp.State
		}{{a, carp.Master}, {b, carp.Backup}} {
			fams, err := Registry(tc.s.n, BuildInfo{}).Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range []carp.State{carp.Init, carp.Backup, carp.Master} {
				want := 0.0
				if st == tc.state {
					want = 1
				}
				got, ok := metricValue(t, fams, "carpvm_node_state", map[string]string{"vhid": "1", "iface": "eth0", "state": st.String()})
				if !ok || got != want {
					t.Errorf("carpvm_node_state{state=%s} = %v (present %v), want %v", st, got, ok, want)
				}
			}
			gs := tc.s.status(t)
			if got, _ := metricValue(t, fams, "carpvm_node_adverts_sent_total", map[string]string{"vhid": "1"}); got != float64(gs.Sent) {
				t.Errorf("adverts_sent_total = %v, status says %d", got, gs.Sent)
			}
			if _, ok := metricValue(t, fams, "carpvm_node_adverts_rejected_total", map[string]string{"reason": "bad_hmac"}); !ok {
				t.Error("no rejected_total{reason=bad_hmac} series")
			}
		}
		if got, _ := metricValue(t, mustGather(t, b), "carpvm_node_adverts_received_total", map[string]string{"vhid": "1"}); got < 5 {
			t.Errorf("backup received_total = %v, want >= 5", got)
		}
		a.stop(t)
		b.stop(t)
	})
}

func mustGather(t *testing.T, s *simNode) []*dto.MetricFamily {
	t.Helper()
	fams, err := Registry(s.n, BuildInfo{}).Gather()
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// TestBuildInfoMetric: the registry carries carpvm_build_info with the
// build it was given, value 1, beside the node's own metrics.
func TestBuildInfoMetric(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startSim(t, &hub{}, simOpts{self: "172.27.27.11", advskew: 0})
		time.Sleep(5 * time.Second)
		synctest.Wait()
		build := BuildInfo{Version: "v1.2.3", Commit: "0123abcd", GoVersion: "go1.26.0"}
		fams, err := Registry(s.n, build).Gather()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"version": "v1.2.3", "commit": "0123abcd", "goversion": "go1.26.0"}
		if got, ok := metricValue(t, fams, "carpvm_build_info", want); !ok || got != 1 {
			t.Errorf("carpvm_build_info%v = %v (present %v), want 1", want, got, ok)
		}
		if _, ok := metricValue(t, fams, "carpvm_node_state", nil); !ok {
			t.Error("the node's own metrics are missing beside carpvm_build_info")
		}
		s.stop(t)
	})
}
