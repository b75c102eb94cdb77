package failover

import (
	"bytes"
	"testing"

	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/internal/table/tabletest"
)

// On a terminal the drill's report and its plan fit the width, networks
// and triggers never split, and turn into key: value blocks when too
// narrow.
func TestReportAndPlanFitTheTerminal(t *testing.T) {
	t.Run("drill report", func(t *testing.T) {
		tabletest.Fits(t, "drill report", func(term table.Terminal) string {
			var b bytes.Buffer
			if err := WriteTable(&b, term, sampleReports()); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}, "network:", "intranought", "nic-disconnect")
	})
	steps := []Step{{Network: "intranought", Phase: PhaseTrigger, Action: "disconnect r2-intra0 (the master's NIC on portgroup IntraNought) and wait for router-003 to advertise"}}
	t.Run("drill plan", func(t *testing.T) {
		tabletest.Fits(t, "drill plan", func(term table.Terminal) string {
			var b bytes.Buffer
			if err := WritePlan(&b, term, false, steps); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}, "network:", "intranought")
	})
}
