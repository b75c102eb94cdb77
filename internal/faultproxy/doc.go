// Package faultproxy is a TCP proxy for the fault walks
// (docs/architecture.md, "Safety promises"): it forwards a client's
// connections to a server (a simulated vCenter's TLS port) and fails the
// N-th exchange it forwards, dropping the connection before the client's
// bytes reach the server or after they did (the answer lost), or going
// away altogether until told to come back. It sees bytes only, never the
// calls inside TLS: an exchange is a burst of client bytes after the
// server spoke (a TLS handshake flight or an HTTP request), so that a walk
// through a real carpvm process exercises its whole client stack.
package faultproxy
