package workflow

import (
	"context"

	"github.com/carpvm/carpvm/vsphere"
	"github.com/carpvm/carpvm/vsphere/sim"
)

// The commands reach vSphere and its simulator only through workflow
// (docs/architecture.md, "Layers"); these are the simulator's and the
// session's values they name.
type (
	// Simulator is a running embedded vSphere simulator (carpvm sim).
	Simulator = sim.Server
	// Inventory grows a simulated topology to a large vCenter's size
	// (--inventory-hosts, --inventory-vms).
	Inventory = sim.Inventory
	// ListenError is a simulator listen address this machine cannot serve
	// (in use, not its own).
	ListenError = sim.ListenError
	// AddressError is a simulator listen address that is not HOST:PORT.
	AddressError = sim.AddressError
	// SessionError is vSphere unreachable or refusing a session's call.
	SessionError = vsphere.Error
	// PrivilegeError is a plan refused before its first write: a
	// privilege it needs is missing.
	PrivilegeError = vsphere.PrivilegeError
	// ConflictError is a rollback refused: another writer changed a field
	// since the fix.
	ConflictError = vsphere.ConflictError
)

// IsTopology says whether name is one of Topologies.
func IsTopology(name string) bool {
	_, ok := sim.Topologies()[name]
	return ok
}

// TopologySpec is topology name grown by g, as Open and Gather take it.
func TopologySpec(name string, g Inventory) string { return sim.Spec(name, g) }

// SimulatorRoles names the roles a simulated user can have (carpvm sim
// --role), sorted.
func SimulatorRoles() []string { return sim.RoleNames() }

// IsSimulatorRole says whether name is one of SimulatorRoles.
func IsSimulatorRole(name string) bool {
	_, ok := sim.Roles()[name]
	return ok
}

// StartSimulator serves topology name (one of Topologies) grown by g over
// HTTPS on addr ("" for a random loopback port), its user holding role,
// until Close. A malformed addr is an *AddressError, one that cannot be
// served a *ListenError.
func StartSimulator(ctx context.Context, name string, g Inventory, addr, role string) (*Simulator, error) {
	t, err := sim.Lookup(name)
	if err != nil {
		return nil, err
	}
	sim.TuneServingProcess() // serving is this process's work
	srv, err := sim.Start(ctx, t.WithInventory(g), addr)
	if err != nil {
		return nil, err
	}
	if err := srv.SetRole(role); err != nil {
		srv.Close()
		return nil, err
	}
	return srv, nil
}

// SimulatorCertificatePath is where Simulator.WriteCredentials puts the
// server's certificate for the credentials file at path.
func SimulatorCertificatePath(path string) string { return sim.CertificatePath(path) }

// Close logs be out on a fresh context with its own deadline, so that it
// happens even after Ctrl-C cancelled ctx; a failure is a warning to
// progress.
func Close(ctx context.Context, be Backend, progress Progress) {
	cctx, cancel := vsphere.Detached(ctx)
	defer cancel()
	if err := be.Close(cctx); err != nil {
		progress("warning: log out: %v", err)
	}
}
