// Package workflow is the seam between carpvm's commands and vSphere: it
// opens a backend (a vCenter or ESXi, or the embedded simulator of a
// topology, started on a loopback port and stopped again), and runs the
// one check step that preflight, --fix and the drill's gate share: gather
// the facts under the pair, run every check; and Fix, the --fix workflow
// (check, plan, confirm, lock, back up, apply, check again), whose
// printing, prompt, backup file and lock the command hands in. Commands
// wire flags to options and call it; the checks and the plan themselves
// are package preflight's, pure.
package workflow
