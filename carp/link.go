package carp

import "time"

// Down takes the group out because its interface cannot carry it (the
// link went down): unlike Stop it sends no bow-out, which could not leave
// the interface anyway; a MASTER releases its VIPs. The machine ends in
// INIT; Start brings it back as BACKUP.
func (m *Machine) Down(now time.Time, reason string) []Action {
	switch m.state {
	case Master:
		return append(m.become(now, Init, reason), ReleaseVIPs{})
	case Backup:
		return m.become(now, Init, reason)
	}
	return nil
}
