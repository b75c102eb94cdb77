// Command govc is govmomi's govc, every command of it (each package under
// govmomi's cli/ that registers one; TestGovcHasEveryCommand keeps the list
// whole), built the way govmomi builds it (its main only calls cli.Run)
// from the govmomi module carpvm already requires. Tests build it into a
// temporary directory and run it with GOVC_URL, GOVC_USERNAME,
// GOVC_PASSWORD and GOVC_TLS_CA_CERTS (or GOVC_INSECURE) in its
// environment, never the password in its arguments; docs/ use it as the
// operator's govc.
package main
