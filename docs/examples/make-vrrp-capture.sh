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
cleanup() {
	for pidf in "$tmp"/*.pid; do [ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null || true; done
	sleep 1
	for ns in sw r2 ka cap; do ip netns del "$p$ns" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

for ns in sw r2 ka cap; do ip netns add "$p$ns"; done
ip -n "${p}sw" link add br0 type bridge
ip -n "${p}sw" link set br0 up
i=1
for ns in r2 ka cap; do
	ip link add "${p}$ns" type veth peer name eth0 netns "$p$ns"
	ip link set "${p}$ns" netns "${p}sw"
	ip -n "${p}sw" link set "${p}$ns" master br0 up
	ip -n "$p$ns" link set lo up
	ip -n "$p$ns" addr add "172.27.27.1$i/28" dev eth0
	ip -n "$p$ns" link set eth0 up
	i=$((i + 1))
done

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
