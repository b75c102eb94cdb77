// Package lab builds the typical carpvm user's topology out of Linux
// network namespaces, so that drills run on one machine (`carpvm lab
// up|down|status`): a switch namespace holding two Linux bridges
// (learning switches, like the vSwitch), IntraNought and Public; router-002
// and router-003 with a leg on each, running carpvm nodes (vhid 1 with VIP
// 172.27.27.14/28 on IntraNought, vhid 2 with VIP 203.0.113.10/24 on Public,
// router-003 with advskew 100, preempt on) or ucarp on router-003; and a
// client namespace with a leg on each bridge, where a drill's witness and
// prober run. The public legs use documentation addresses (203.0.113.0/24)
// that exist only inside the namespaces. Both routers share one advbase,
// default 1 s; 0 selects OpenBSD's sub-second timers (carpvm peer only), so
// that router-003 takes over after 3*100/256 s.
//
// Every namespace is named with the lab's prefix (default "cvl-") and
// marked as the lab's (an alias on its loopback), so that Up and Down remove
// exactly what the lab made and refuse a namespace named like it that it did
// not; the lab is healthy with every process running, exactly one master
// per group and no partition left in place; the node processes, their logs, the
// pass files (0600) and a state file live in the state directory (default
// /run/carpvm-lab). Up is idempotent and cleans after itself when it fails.
// Env drives drills in the lab (failover.Env).
//
// With a SwitchModel (lab up --facts, --topology) the bridges behave as an
// ESXi vSwitch with each portgroup's effective security policy instead of
// learning switches (switch.go, docs/vswitch-model.md): learning off, tc
// filters on the router ports, built in the switch namespace and gone with
// it; Env.Explain then names, for a failed drill, the cause in vSwitch terms
// and the preflight check that predicted it.
package lab
