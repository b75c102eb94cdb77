# Sourced by the make-*-capture.sh scripts: one Linux bridge in a switch
# namespace ${p}sw and, for each name given, a namespace $p<name> with eth0
# on the bridge, addressed 172.27.27.11/28, .12, ... in order. On exit it
# kills the processes whose pid files are in $tmp, removes the namespaces
# and $tmp. Needs $p (the namespace prefix) and $tmp set.
segment_members=()
cleanup() {
	for pidf in "$tmp"/*.pid; do [ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null || true; done
	sleep 1
	for ns in sw "${segment_members[@]}"; do ip netns del "$p$ns" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

segment() {
	segment_members=("$@")
	local ns i=1
	for ns in sw "$@"; do ip netns add "$p$ns"; done
	ip -n "${p}sw" link add br0 type bridge
	ip -n "${p}sw" link set br0 up
	for ns in "$@"; do
		ip link add "${p}$ns" type veth peer name eth0 netns "$p$ns"
		ip link set "${p}$ns" netns "${p}sw"
		ip -n "${p}sw" link set "${p}$ns" master br0 up
		ip -n "$p$ns" link set lo up
		ip -n "$p$ns" addr add "172.27.27.1$i/28" dev eth0
		ip -n "$p$ns" link set eth0 up
		i=$((i + 1))
	done
}
