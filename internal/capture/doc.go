// Package capture reads Ethernet captures in classic pcap format (both byte
// orders, micro- and nanosecond timestamps) or pcapng (section header,
// interface description and enhanced packet blocks; packets of non-Ethernet
// interfaces are skipped): what tcpdump, tshark and ESXi's pktcap-uw write.
// `carpvm watch --read` replays such a capture through the witness, and the
// tests replay the real ucarp vectors with it. It works on bytes, never
// panics on a malformed file, and callers read files.
package capture
