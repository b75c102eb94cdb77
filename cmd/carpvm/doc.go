// Command carpvm finds, fixes and drills the vSphere settings a CARP router
// pair needs. See docs/architecture.md for the command contracts.
//
// Each command is a newXCmd(app, runF): its flags fill an options struct,
// RunE checks them and hands them to runF (nil: the command's own work,
// which calls one function of workflow or of a pure core). Output helpers
// follow one naming rule: printX chooses the format the command's -o asks
// for (table, json, markdown) and writes it; writeX writes one format.
package main
