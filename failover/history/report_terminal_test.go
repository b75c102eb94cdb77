package history

import (
	"strings"
	"testing"
	"time"

	"github.com/carpvm/carpvm/failover"
	"github.com/carpvm/carpvm/internal/table"
	"github.com/carpvm/carpvm/internal/table/tabletest"
)

// On a terminal drill history's runs and trends fit the width, pairs,
// networks and triggers never split, and turn into key: value blocks when
// too narrow.
func TestHistoryFitsTheTerminal(t *testing.T) {
	var runs []failover.Report
	for i, trigger := range []string{"nic-disconnect", "power-off", "nic-disconnect"} {
		runs = append(runs, failover.Report{Pass: i != 1, Network: "intranought", VHID: 1, Trigger: trigger, Pair: "lab-cvl",
			NewMaster: "router-003", Started: t0.Add(time.Duration(i) * time.Hour), TakeoverS: 3.1 + float64(i)/10, BlackoutS: 3.2})
	}
	tabletest.Fits(t, "drill history", func(term table.Terminal) string {
		var b strings.Builder
		if err := WriteTable(&b, term, runs); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}, "started:", "intranought", "nic-disconnect", "lab-cvl")
}
