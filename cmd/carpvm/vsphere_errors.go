package main

import (
	"errors"

	"github.com/carpvm/carpvm/vsphere"
)

// isVSphereError reports whether err means vSphere was unreachable or
// refused the request (exit 3).
func isVSphereError(err error) bool {
	var ve *vsphere.Error
	return errors.As(err, &ve)
}
