// Command carpvm finds, fixes and drills the vSphere settings a CARP router
// pair needs. See docs/architecture.md for the command contracts.
package main
