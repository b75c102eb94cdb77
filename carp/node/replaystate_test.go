package node

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carpvm/carpvm/carp"
)

// A backup that saw a master's adverts restarts after the master died; an
// attacker replays the dead master's adverts. The restarted backup knows
// them from its replay memory file, rejects them and takes over.
func TestRestartedBackupRejectsReplayedAdverts(t *testing.T) {
	state := filepath.Join(t.TempDir(), "node-eth0-vhid1.json")
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		tap := h.port(carp.VirtualMAC(9))
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100, replayState: state})
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)
		wantState(t, "b", b, carp.Backup)
		var captured [][]byte
	drain:
		for {
			select {
			case raw := <-tap.in:
				if f, err := carp.ParseFrame(raw); err == nil && f.Src.String() == "172.27.27.11" {
					captured = append(captured, raw)
				}
			default:
				break drain
			}
		}
		if len(captured) < 5 {
			t.Fatalf("captured %d adverts of a; want at least 5", len(captured))
		}
		a.link.cut.Store(true) // a dies
		b.stop(t)

		b = startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100, replayState: state})
		for _, f := range captured {
			if err := tap.WriteFrame(f); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
			synctest.Wait()
		}
		st := b.status(t)
		if st.Received != 0 || st.Rejected.Of(carp.RejectReplay) == 0 {
			t.Errorf("restarted b accepted %d replayed adverts, rejected %d as replays; want all rejected", st.Received, st.Rejected.Of(carp.RejectReplay))
		}
		wantState(t, "restarted b under replayed adverts", b, carp.Master)
		b.stop(t)
		a.stop(t)
	})
	// a's stream, archived by the restart, is still in the file.
	b, err := os.ReadFile(state)
	var f replayFile
	if err != nil || json.Unmarshal(b, &f) != nil || len(f.Replay.Ranges)+len(f.Replay.Sources) == 0 {
		t.Errorf("replay memory file: %v\n%s", err, b)
	}
}

// Both routers restart together (a power cut): the master's counter is a
// new random one. The backup, with its replay memory restored, accepts the
// master's first advert and never becomes MASTER itself.
func TestRestartedPairKeepsOneMaster(t *testing.T) {
	state := filepath.Join(t.TempDir(), "node-eth0-vhid1.json")
	synctest.Test(t, func(t *testing.T) {
		h := &hub{}
		b := startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100, replayState: state})
		a := startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a", a, carp.Master)
		wantState(t, "b", b, carp.Backup)
		a.link.cut.Store(true)
		b.stop(t)
		a.stop(t)

		b = startSim(t, h, simOpts{self: "172.27.27.12", advskew: 100, replayState: state})
		a = startSim(t, h, simOpts{self: "172.27.27.11", advskew: 0})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		wantState(t, "a after the restart", a, carp.Master)
		st := b.status(t)
		if st.State != carp.Backup || st.Transitions != 1 {
			t.Errorf("b after the restart: %s after %d transitions (last %+v); want BACKUP only", st.State, st.Transitions, st.LastTransition)
		}
		a.stop(t)
		b.stop(t)
	})
}
