#!/usr/bin/env bash
# Records docs/examples/reflected.pcap: router-002 and router-003 as carpvm
# nodes (vhid 1, VIP 172.27.27.14) on one bridge that hands every protocol
# 112 frame of router-002 back to it (tc mirred), as a teamed ESXi vSwitch
# with promiscuous mode does when Net.ReversePathFwdCheckPromisc is 0,
# captured for 5 s by tshark on router-002's interface. Needs root, carpvm
# on PATH and tshark. Runs in namespaces of its own (cvr-*) and removes
# them; touches nothing else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/reflected.pcap
tmp=$(mktemp -d)
p=cvr-
. "$here/capture-segment.sh"
segment r2 r3

skew=0
for ns in r2 r3; do
	ip netns exec "$p$ns" carpvm node run --interface eth0 --vhid 1 --vip 172.27.27.14/28 \
		--pass-file "$here/ucarp-vector.pass" --advskew $skew --control-socket "$tmp/$ns.sock" \
		>"$tmp/$ns.log" 2>&1 &
	echo $! >"$tmp/$ns.pid"
	skew=100
done
sleep 5 # router-002 master

ip netns exec "${p}sw" tc qdisc add dev "${p}r2" ingress
ip netns exec "${p}sw" tc filter add dev "${p}r2" ingress protocol ip u32 \
	match ip protocol 112 0xff action mirred egress mirror dev "${p}r2"
ip netns exec "${p}r2" tshark -q -i eth0 -f "ip proto 112" -a duration:5 -F pcap -w "$tmp/cap.pcap" >/dev/null 2>&1
cp "$tmp/cap.pcap" "$out"
chmod 644 "$out"
echo "wrote $out"
ip netns exec "${p}r2" carpvm node status --control-socket "$tmp/r2.sock"
