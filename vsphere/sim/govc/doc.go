// Command govc is govmomi's govc, built the way govmomi builds it (its main
// only calls cli.Run) from the govmomi module carpvm already requires, with
// the commands carpvm's tests drive against the simulator: host.portgroup.*,
// host.option.* and dvs.portgroup.*. Tests build it into a temporary
// directory and run it with GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD and
// GOVC_INSECURE in its environment, never the password in its arguments.
package main
