#!/usr/bin/env python3
"""Reads every property of every object a CARP pair lives on, with pyvmomi.

A client of `carpvm sim` the way Ansible's community.vmware modules are:
for each VM, host, network, distributed portgroup, datastore and cluster it
reads every property pyvmomi knows the managed object to have, one
property at a time, and fails on any that pyvmomi cannot parse (an element
its API version lacks, an enum value it does not know). A property the
server does not implement at all (a fault it answers with) is listed, not
failed: the point is what pyvmomi receives, not what vcsim implements.

The connection comes from the environment only, as in pyvmomi_security.py.
Usage: pyvmomi_walk.py
Output: "API VERSION", then one "TYPE NAME: N properties" line per object,
then "unimplemented TYPE.PROPERTY: FAULT" lines.
Exit status: 0 every property parsed, 1 a parse failure, 2 bad usage.
"""

import os
import ssl
import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

ENV = ("VMWARE_HOST", "VMWARE_PORT", "VMWARE_USER", "VMWARE_PASSWORD", "VMWARE_THUMBPRINT")
KINDS = (vim.VirtualMachine, vim.HostSystem, vim.Network, vim.dvs.DistributedVirtualPortgroup,
         vim.Datastore, vim.ClusterComputeResource)


def props(obj):
    """The properties pyvmomi knows obj's type to have, its bases' too."""
    return sorted(p.name for p in obj._GetPropertyList())


def walk(si):
    content = si.RetrieveContent()
    failures, unimplemented = [], set()
    for kind in KINDS:
        view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
        try:
            objs = list(view.view)
        finally:
            view.Destroy()
        for obj in objs:
            if type(obj) is not kind and kind is vim.Network:
                continue  # a distributed portgroup, walked as one
            read = 0
            for name in props(obj):
                try:
                    getattr(obj, name)
                    read += 1
                except vmodl.MethodFault as e:
                    unimplemented.add("%s.%s: %s" % (kind.__name__, name, type(e).__name__))
                except Exception as e:  # pyvmomi's parse errors have no common type
                    failures.append("%s %s: property %s: %s: %s"
                                    % (kind.__name__, obj._moId, name, type(e).__name__, e))
            print("%s %s: %d properties" % (kind.__name__, obj.name, read))
    for u in sorted(unimplemented):
        print("unimplemented %s" % u)
    for f in failures:
        print("parse failure: %s" % f, file=sys.stderr)
    return failures


def main(argv):
    if len(argv) != 1:
        print("usage: %s" % argv[0], file=sys.stderr)
        return 2
    missing = [k for k in ENV if not os.environ.get(k)]
    if missing:
        print("pyvmomi_walk: set %s in the environment" % ", ".join(missing), file=sys.stderr)
        return 2
    # Pinned by thumbprint, so the CA check is off on purpose.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    si = SmartConnect(host=os.environ["VMWARE_HOST"], port=int(os.environ["VMWARE_PORT"]),
                      user=os.environ["VMWARE_USER"], pwd=os.environ["VMWARE_PASSWORD"],
                      thumbprint=os.environ["VMWARE_THUMBPRINT"], sslContext=context)
    try:
        print("API %s" % si.content.about.apiVersion)
        return 1 if walk(si) else 0
    finally:
        Disconnect(si)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
