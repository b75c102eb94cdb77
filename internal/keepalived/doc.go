// Package keepalived writes keepalived.conf files: the one place carpvm
// spells keepalived's syntax, for `carpvm render keepalived`, the lab's
// keepalived peer and the node's interop tests. It knows the file's
// words, not carpvm's configuration: its callers decide the values.
package keepalived
