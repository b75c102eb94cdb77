package main

// isVSphereError reports whether err means vSphere was unreachable or
// refused the request (exit 3). Replaced by a check on vsphere's typed error.
func isVSphereError(err error) bool { return false }
