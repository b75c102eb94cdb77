// Command testtimes keeps `make test`'s time budget visible.
//
//	testtimes run -events FILE -- go test -json ARGS...
//
// runs the command, prints what `go test` prints without -json (a line per
// package, and the output of the tests that fail), appends the JSON events
// to FILE and exits with the command's status.
//
//	testtimes slowest [-n 10] FILE...
//
// prints the slowest top-level tests and packages recorded in the event
// files.
//
//	testtimes bench FILE
//
// prints the scale figures from `go test -bench` output (make bench):
// preflight's gather time, round trips and peak resident set at 5,000,
// 20,000 and 40,000 VMs, and the fleet of 100 pairs, side by side.
package main
