package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Health beyond "every process runs": exactly one master per CARP group,
// and no partition left in place on the switch (a drill killed between
// its partition trigger and the heal leaves both routers master).

// isolatedPorts returns, per bridge of the switch, its ports isolated from
// each other: the lab's partition (`bridge link set ... isolated on`).
func (l *Lab) isolatedPorts(ctx context.Context) (map[string][]string, error) {
	out, err := nsRun(ctx, l.ns(Switch), "bridge", "-j", "-d", "link", "show")
	if err != nil {
		return nil, err
	}
	var ports []struct {
		Name     string `json:"ifname"`
		Master   string `json:"master"`
		Isolated bool   `json:"isolated"`
	}
	if err := json.Unmarshal([]byte(out), &ports); err != nil {
		return nil, fmt.Errorf("lab: bridge ports of %s: %w", l.ns(Switch), err)
	}
	iso := map[string][]string{}
	for _, p := range ports {
		if p.Isolated {
			iso[p.Master] = append(iso[p.Master], p.Name)
		}
	}
	return iso, nil
}

// masterProblem says what is wrong with a network's masters ("" when
// exactly one router is master).
func masterProblem(n NetStatus) string {
	switch {
	case strings.Contains(n.Master, "+"):
		return fmt.Sprintf("both routers are MASTER for vhid %d (%s): split brain", n.VHID, n.Name)
	case n.Master == "":
		return fmt.Sprintf("no master for vhid %d (%s)", n.VHID, n.Name)
	}
	return ""
}

// partitionProblems says which bridges have isolated ports.
func (l *Lab) partitionProblems(ctx context.Context) []string {
	iso, err := l.isolatedPorts(ctx)
	if err != nil {
		return []string{fmt.Sprintf("switch: cannot read its bridge ports: %v", err)}
	}
	var out []string
	for _, n := range Nets {
		if ports := iso[n.Bridge]; len(ports) > 0 {
			out = append(out, fmt.Sprintf("partition in place on bridge %s (%s isolated)", n.Bridge, strings.Join(ports, ", ")))
		}
	}
	return out
}

// Remedy is the command that rebuilds an unhealthy lab with its own
// settings ("" when it is healthy): lab up replaces a lab that is not
// healthy.
func (s Status) Remedy() string {
	if s.Err() == nil {
		return ""
	}
	cmd := "carpvm lab up"
	if s.Prefix != DefaultPrefix {
		cmd += " --prefix " + s.Prefix
	}
	if s.StateDir != DefaultStateDir {
		cmd += " --state-dir " + s.StateDir
	}
	if s.Peer != PeerCarpvm {
		cmd += " --peer " + s.Peer
	}
	if s.AdvBase != DefaultAdvBase {
		cmd += fmt.Sprintf(" --advbase %d", s.AdvBase)
	}
	return "rebuild it with `" + cmd + "`"
}
