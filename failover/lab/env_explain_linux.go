package lab

import "github.com/carpvm/carpvm/failover"

var _ failover.Explainer = (*Env)(nil)

// Explain implements failover.Explainer: the lab's vSwitch model says in
// vSwitch terms why CARP fails on n, naming the preflight check that
// predicted each cause; nothing without a model.
func (e *Env) Explain(n failover.Network, master string) []string {
	var out []string
	for _, c := range e.Lab.Causes(n.Name, n.VHID, master) {
		out = append(out, c.String())
	}
	return out
}
