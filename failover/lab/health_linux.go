package lab

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Health beyond "every process runs": exactly one master per CARP group,
// and no partition left in place on the switch (a drill killed between
// its partition trigger and the heal leaves both routers master).

// isolatedPorts returns, per bridge of the switch, its ports isolated from
// each other: the lab's partition (`bridge link set ... isolated on`).
func (l *Lab) isolatedPorts(ctx context.Context) (map[string][]string, error) {
	ports, err := l.ports(ctx)
	if err != nil {
		return nil, err
	}
	iso := map[string][]string{}
	for _, p := range ports {
		if p.Isolated {
			iso[p.Master] = append(iso[p.Master], p.Name)
		}
	}
	for _, names := range iso {
		slices.Sort(names)
	}
	return iso, nil
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
