package lab

import "testing"

// UpTestLab brings up a lab of peer for an external test (package
// lab_test, which may import workflow), torn down when the test ends.
func UpTestLab(t testing.TB, peer string) *Lab { return upLab(t, testOptions(t, peer)) }
