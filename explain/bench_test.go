package explain

import (
	"fmt"
	"testing"
	"time"

	"github.com/carpvm/carpvm/internal/transition"
	"github.com/carpvm/carpvm/vsphere/facts"
)

// BenchmarkExplainNight: a night of flapping, 200 transitions over 10 h,
// against 5,500 events and tasks of the pair (most of them no cause).
func BenchmarkExplainNight(b *testing.B) {
	var ts []transition.Transition
	for i := range 200 {
		ts = append(ts, takeover(t0.Add(time.Duration(i)*3*time.Minute), "intranought"))
	}
	types := []string{"VmGuestHeartbeatEvent", "VmPoweredOffEvent", "VmMigratedEvent", "AlarmStatusChangedEvent", "UserLoginSessionEvent"}
	var events []facts.Event
	for i := range 5500 {
		e := vmEvent(types[i%len(types)], time.Duration(i)*6543*time.Millisecond)
		e.Detail = fmt.Sprintf("event %d", i)
		if i%11 == 0 {
			e = vmTask("VirtualMachine.createSnapshot", e.Time.Sub(t0), 4*time.Second)
		}
		events = append(events, e)
	}
	p := testPair()
	b.ReportAllocs()
	for b.Loop() {
		rep := Explain(p, ts, events, 2*time.Minute)
		if len(rep.Transitions) != 200 {
			b.Fatal(len(rep.Transitions))
		}
	}
}
