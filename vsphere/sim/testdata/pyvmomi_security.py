#!/usr/bin/env python3
"""Reads and changes a host portgroup's security policy with pyvmomi.

A client of `carpvm sim` the way Ansible's community.vmware modules are:
it logs in with pyVim.connect.SmartConnect, finds the host, reads the
portgroup from its HostNetworkSystem and writes it back whole with
UpdatePortGroup, promiscuous mode set as asked. It then reads the
portgroup again and fails unless the change is there.

The connection comes from the environment only, as Ansible's vmware
modules take it (the password never on the command line):
  VMWARE_HOST, VMWARE_PORT, VMWARE_USER, VMWARE_PASSWORD, and
  VMWARE_THUMBPRINT, the SHA-1 thumbprint `carpvm sim` prints: the
  certificate is self-signed, so it is pinned by that thumbprint instead
  of verified against a CA.

Usage: pyvmomi_security.py HOST PORTGROUP accept|reject
Exit status: 0 changed and read back, 1 failed, 2 bad usage.
"""

import os
import ssl
import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

ENV = ("VMWARE_HOST", "VMWARE_PORT", "VMWARE_USER", "VMWARE_PASSWORD", "VMWARE_THUMBPRINT")


def word(b):
    if b is None:
        return "inherit"
    return "Accept" if b else "Reject"


def find_host(si, name):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    try:
        for host in view.view:
            if host.name == name:
                return host
    finally:
        view.Destroy()
    raise LookupError("no host named %r" % name)


def find_portgroup(netsys, name):
    for pg in netsys.networkInfo.portgroup:
        if pg.spec.name == name:
            return pg
    raise LookupError("no portgroup named %r" % name)


def show(what, pg):
    spec = pg.spec.policy.security
    eff = pg.computedPolicy.security
    print("%s: portgroup %s on %s: promiscuous %s (effective %s), MAC changes %s, forged transmits %s"
          % (what, pg.spec.name, pg.spec.vswitchName,
             word(spec.allowPromiscuous if spec else None), word(eff.allowPromiscuous),
             word(eff.macChanges), word(eff.forgedTransmits)))


def main(argv):
    if len(argv) != 4 or argv[3] not in ("accept", "reject"):
        print("usage: %s HOST PORTGROUP accept|reject" % argv[0], file=sys.stderr)
        return 2
    missing = [k for k in ENV if not os.environ.get(k)]
    if missing:
        print("pyvmomi_security: set %s in the environment" % ", ".join(missing), file=sys.stderr)
        return 2
    host_name, pg_name, want = argv[1], argv[2], argv[3] == "accept"
    try:
        port = int(os.environ["VMWARE_PORT"])
    except ValueError:
        print("pyvmomi_security: VMWARE_PORT %r is not a port number" % os.environ["VMWARE_PORT"], file=sys.stderr)
        return 2

    # Pinned by thumbprint below, so the CA check is off on purpose.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    si = SmartConnect(host=os.environ["VMWARE_HOST"], port=port,
                      user=os.environ["VMWARE_USER"], pwd=os.environ["VMWARE_PASSWORD"],
                      thumbprint=os.environ["VMWARE_THUMBPRINT"], sslContext=context)
    try:
        about = si.content.about
        print("connected: %s, API %s" % (about.fullName, about.apiVersion))
        netsys = find_host(si, host_name).configManager.networkSystem
        pg = find_portgroup(netsys, pg_name)
        show("before", pg)

        spec = pg.spec
        if spec.policy.security is None:
            spec.policy.security = vim.host.NetworkPolicy.SecurityPolicy()
        spec.policy.security.allowPromiscuous = want
        netsys.UpdatePortGroup(pgName=pg_name, portgrp=spec)

        pg = find_portgroup(netsys, pg_name)
        show("after", pg)
        if pg.computedPolicy.security.allowPromiscuous != want:
            print("pyvmomi_security: promiscuous mode of %s is %s after the update, want %s"
                  % (pg_name, word(pg.computedPolicy.security.allowPromiscuous), word(want)), file=sys.stderr)
            return 1
    finally:
        Disconnect(si)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (vim.fault.VimFault, LookupError) as e:
        print("pyvmomi_security: %s" % (getattr(e, "msg", None) or e), file=sys.stderr)
        sys.exit(1)
