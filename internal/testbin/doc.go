// Package testbin gives tests the carpvm and govc binaries they run as
// child processes, built once: linking carpvm costs seconds of CPU, and the
// lab, wire, docs and CLI tests of several packages all need it.
//
// A path in CARPVM_TEST_BIN (GOVC_TEST_BIN) is used as is: `make test`
// builds both once (`make test-bins`) and exports them to every package's
// test process. Without it, the first test that asks builds the binary into
// a temporary directory, once per test process.
//
// A package whose tests call Carpvm or Govc runs its tests through Main from
// its one TestMain, which removes that directory when the tests end.
package testbin
