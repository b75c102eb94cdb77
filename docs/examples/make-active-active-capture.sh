#!/usr/bin/env bash
# Records docs/examples/active-active.pcap: router-002 and router-003 as
# carpvm nodes on one bridge with the IntraNought groups of
# active-active.yaml (vhid 1, VIP 172.27.27.14, preferred by router-002;
# vhid 3, VIP 172.27.27.10, preferred by router-003; the passphrase of
# ucarp-vector.pass), captured for 8 s by tshark on router-003's interface.
# After 3 s router-002 hands vhid 1 over (carpvm node demote --vhid 1), so
# the capture ends with router-003 holding both groups. Needs root, carpvm
# on PATH and tshark. Runs in namespaces of its own (cva-*) and removes
# them; touches nothing else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/active-active.pcap
tmp=$(mktemp -d)
p=cva-
. "$here/capture-segment.sh"
segment r2 r3

# Each router: advskew 0 on the group it prefers, 100 on the other.
for ns in r2 r3; do
	if [ $ns = r2 ]; then s1=0 s3=100; else s1=100 s3=0; fi
	cat >"$tmp/$ns.yaml" <<YAML
interface: eth0
control_socket: $tmp/$ns.sock
groups:
  - {vhid: 1, vips: [172.27.27.14/28], advskew: $s1, preempt: true, pass_file: $here/ucarp-vector.pass}
  - {vhid: 3, vips: [172.27.27.10/28], advskew: $s3, preempt: true, pass_file: $here/ucarp-vector.pass}
YAML
	ip netns exec "$p$ns" carpvm node run --config "$tmp/$ns.yaml" >"$tmp/$ns.log" 2>&1 &
	echo $! >"$tmp/$ns.pid"
done
sleep 5 # each router master of the group it prefers

ip netns exec "${p}r3" tshark -q -i eth0 -f "ip proto 112" -a duration:8 -F pcap -w "$tmp/cap.pcap" >/dev/null 2>&1 &
tshark=$!
sleep 3
ip netns exec "${p}r2" carpvm node demote --vhid 1 --control-socket "$tmp/r2.sock"
wait $tshark
cp "$tmp/cap.pcap" "$out"
chmod 644 "$out"
echo "wrote $out"
