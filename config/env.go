package config

import (
	"fmt"
	"slices"
	"strings"
)

// EnvPrefix begins every environment variable carpvm reads or sets.
const EnvPrefix = "CARPVM_"

// Environ lists the environment as NAME=VALUE entries; os.Environ in
// production, a slice in tests.
type Environ func() []string

// Variable is one CARPVM_* environment variable.
type Variable struct {
	Name string
	// Key is the carpvm.yaml key the variable overrides ("" for none).
	Key     string
	Meaning string
}

// Variables is the one list of the CARPVM_* variables: those that
// override a carpvm.yaml key (derived from the key lists, so a new key is
// a new variable), those carpvm reads for itself, those it sets for the
// programs it runs (a hook or a demote command may run carpvm in turn),
// those of the scripts it ships and those of its tests. A variable not in
// it draws a warning (CheckEnviron).
func Variables() []Variable {
	vars := []Variable{
		{Name: "CARPVM_CONFIG", Meaning: "the configuration file (carpvm.yaml) when --config is not given"},
		{Name: "CARPVM_VSPHERE_PASSWORD", Meaning: "the vSphere password (never read from the file; or vsphere.password_file)"},
	}
	vars = append(vars, keyVariables()...)
	return append(vars, []Variable{
		{Name: "CARPVM_NODE_PASS", Meaning: "node run: the CARP passphrase when no pass file is given"},
		{Name: "CARPVM_LOCK_DIR", Meaning: "directory of the drill and lab locks"},
		// Set for hooks and drill --command.
		{Name: "CARPVM_ROUTER", Meaning: "set for drill --command and read by the transition scripts: the router's name"},
		{Name: "CARPVM_VM", Meaning: "set for drill --command: the router's VM"},
		{Name: "CARPVM_NETWORK", Meaning: "set for drill --command: the network"},
		{Name: "CARPVM_INTERFACE", Meaning: "set for drill --command: the router's interface on the network"},
		{Name: "CARPVM_VHID", Meaning: "set for drill --command and node run's hooks: the group's VHID"},
		{Name: "CARPVM_STATE", Meaning: "set for node run's hooks: the group's new state"},
		{Name: "CARPVM_VIPS", Meaning: "set for node run's hooks: the group's VIPs"},
		// The transition scripts of docs/deploy/transition.
		{Name: "CARPVM_TRANSITION_LOG", Meaning: "transition scripts: the transitions log"},
		{Name: "CARPVM_NETWORKS", Meaning: "carpvm-devd-transition: its file of \"IFACE NETWORK\" lines (not carpvm.yaml's networks, which have no variable)"},
		{Name: "CARPVM_STATE_DIR", Meaning: "transition scripts: where the last state seen is kept"},
		// carpvm's own tests and benchmarks.
		{Name: "CARPVM_TEST_BIN", Meaning: "tests: a prebuilt carpvm binary"},
		{Name: "CARPVM_TEST_DRILL_STOP_AT", Meaning: "tests: the journal phase at which a drill kills itself"},
		{Name: "CARPVM_TESTBIN_SELFTEST", Meaning: "tests: internal/testbin's own test"},
		{Name: "CARPVM_LAB_TEST_LEADER_EXIT", Meaning: "tests: failover/lab's test process whose leader thread exits alone"},
		{Name: "CARPVM_FAULT_WALK", Meaning: "tests: full walks every fault at every call (make faultwalk)"},
		{Name: "CARPVM_BENCH_DRILLS", Meaning: "benchmarks: drills per trigger"},
	}...)
}

// keyVariables are the variables that override carpvm.yaml keys: every
// key of the vsphere and pair sections (vsphere.url <- CARPVM_VSPHERE_URL)
// but the password, which has a variable of its own and no key. networks
// is a list of objects, which has no variable form.
func keyVariables() []Variable {
	var vars []Variable
	for _, s := range []struct {
		section string
		keys    []string
	}{{"vsphere", vsphereKeys}, {"pair", pairKeys}} {
		for _, k := range s.keys {
			if s.section == "vsphere" && k == "password" {
				continue
			}
			key := s.section + "." + k
			vars = append(vars, Variable{Name: EnvPrefix + strings.ToUpper(s.section+"_"+k), Key: key, Meaning: "overrides carpvm.yaml's " + key})
		}
	}
	return vars
}

// CheckEnviron returns a warning for each CARPVM_* variable of environ
// carpvm does not know, naming it and the nearest known one: a misspelt
// variable is otherwise silently ignored, while a misspelt key in the file
// is an error.
func CheckEnviron(environ []string) []string {
	var names, suffixes []string
	for _, v := range Variables() {
		names = append(names, v.Name)
		suffixes = append(suffixes, strings.TrimPrefix(v.Name, EnvPrefix))
	}
	var warnings []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || slices.Contains(names, name) {
			continue
		}
		word := strings.TrimPrefix(name, EnvPrefix)
		if near := closest(word, suffixes); near != "" {
			warnings = append(warnings, fmt.Sprintf("%s is not a variable carpvm knows, so it is ignored; did you mean %s%s?", name, EnvPrefix, near))
			continue
		}
		warnings = append(warnings, fmt.Sprintf("%s is not a variable carpvm knows, so it is ignored; the nearest known one is %s%s", name, EnvPrefix, nearest(word, suffixes)))
	}
	slices.Sort(warnings)
	return warnings
}
