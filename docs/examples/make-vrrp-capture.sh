#!/usr/bin/env bash
# Records docs/examples/vrrp-and-carp.pcap: a carpvm node (CARP vhid 1,
# VIP 172.27.27.14) and keepalived (VRRP vrid 1, VIP 172.27.27.20) on one
# bridge, as IntraNought would be with a keepalived VM on it, captured for
# 6 s by tshark. Needs root, carpvm on PATH, keepalived and tshark. Runs in
# namespaces of its own (cvx-*) and removes them; touches nothing else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/vrrp-and-carp.pcap
tmp=$(mktemp -d)
p=cvx-
. "$here/capture-segment.sh"
segment r2 ka cap

ip netns exec "${p}r2" carpvm node run --interface eth0 --vhid 1 --vip 172.27.27.14/28 \
	--pass-file "$here/ucarp-vector.pass" --advskew 0 --control-socket "$tmp/r2.sock" \
	>"$tmp/r2.log" 2>&1 &
echo $! >"$tmp/r2.pid"

cat >"$tmp/keepalived.conf" <<CONF
vrrp_instance keepalived_vm {
    state BACKUP
    interface eth0
    virtual_router_id 1
    priority 100
    advert_int 1
    virtual_ipaddress {
        172.27.27.20/28
    }
}
CONF
ip netns exec "${p}ka" keepalived --vrrp --dont-fork --log-console --use-file "$tmp/keepalived.conf" \
	--pid "$tmp/ka-main.pid" --vrrp_pid "$tmp/ka-vrrp.pid" >"$tmp/ka.log" 2>&1 &
echo $! >"$tmp/ka.pid"

sleep 5 # both masters settle
ip netns exec "${p}cap" tshark -q -i eth0 -f "ip proto 112" -a duration:6 -F pcap -w "$tmp/cap.pcap" >/dev/null 2>&1
cp "$tmp/cap.pcap" "$out"
echo "wrote $out"
