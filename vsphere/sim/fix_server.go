package sim

import (
	"github.com/vmware/govmomi/simulator"
)

// AddFaultRule injects faults into the server's responses, for tests of
// what a client does when vSphere refuses a request halfway (see govmomi's
// simulator.FaultInjectionRule: SkipCount and MaxCount pick the Nth call).
func (s *Server) AddFaultRule(rule *simulator.FaultInjectionRule) {
	if s.model != nil && s.model.Service != nil {
		s.model.Service.AddFaultRule(rule)
	}
}

// ClearFaultRules removes every fault rule.
func (s *Server) ClearFaultRules() {
	if s.model != nil && s.model.Service != nil {
		s.model.Service.ClearFaultRules()
	}
}
