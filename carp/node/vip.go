package node

import "net"

// VIPHolder puts a group's VIPs on this host while it is MASTER and takes
// them off otherwise. Claim and Release are idempotent.
type VIPHolder interface {
	// Prepare removes what a previous run may have left (a crash between
	// claim and release) and sets what the mode needs on the parent.
	Prepare() error
	Claim() error
	Release() error
	// GARPSource is the MAC the VIPs resolve to, the source of the
	// gratuitous ARPs.
	GARPSource() net.HardwareAddr
}
