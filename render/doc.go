// Package render turns a carpvm configuration into what each router needs:
// FreeBSD's loader.conf, rc.conf and sysctl.conf lines (ifconfig(8) carp
// syntax), ucarp command lines with their systemd units and VIP scripts, and
// carpvm node configurations. The docs and the routers are rendered from the
// same carpvm.yaml so they cannot disagree.
//
// Passphrases appear only when the caller hands them in (carpvm render
// --with-secrets); otherwise a placeholder naming the pass file stands in.
package render
