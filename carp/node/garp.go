package node

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

const (
	etherTypeARP = 0x0806
	garpLen      = 14 + 28
)

// appendGARP appends a gratuitous ARP request for vip from mac: broadcast
// Ethernet frame from mac, ARP request whose sender and target protocol
// addresses are both vip (as FreeBSD's carp sends it), so that every
// neighbour and the switch learn vip -> mac.
func appendGARP(dst []byte, mac net.HardwareAddr, vip netip.Addr) ([]byte, error) {
	if len(mac) != 6 {
		return dst, fmt.Errorf("node: gratuitous ARP: MAC %v is not 48 bits", mac)
	}
	if !vip.Is4() {
		return dst, fmt.Errorf("node: gratuitous ARP: %v is not IPv4", vip)
	}
	ip := vip.As4()
	dst = append(dst, broadcastMAC...)
	dst = append(dst, mac...)
	dst = binary.BigEndian.AppendUint16(dst, etherTypeARP)
	dst = binary.BigEndian.AppendUint16(dst, 1)      // hardware: Ethernet
	dst = binary.BigEndian.AppendUint16(dst, 0x0800) // protocol: IPv4
	dst = append(dst, 6, 4)
	dst = binary.BigEndian.AppendUint16(dst, 1) // request
	dst = append(dst, mac...)
	dst = append(dst, ip[:]...)
	dst = append(dst, 0, 0, 0, 0, 0, 0)
	dst = append(dst, ip[:]...)
	return dst, nil
}
