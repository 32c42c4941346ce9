package filter

import "fmt"

// LinkType is a LINKTYPE_ value as found in pcap and pcapng headers; the numbering is
// that of capture.LinkType and decode.LinkType.
type LinkType uint16

// The link types a filter can be compiled for: every one segscope decodes.
const (
	LinkNull      LinkType = 0   // BSD loopback, address family in the capturing host's byte order
	LinkEthernet  LinkType = 1   // Ethernet II (802.1Q/QinQ tags through 'vlan')
	LinkRaw12     LinkType = 12  // raw IP (DLT_RAW on some BSDs)
	LinkRaw14     LinkType = 14  // raw IP (DLT_RAW on OpenBSD)
	LinkRaw       LinkType = 101 // raw IP, version from the first nibble
	LinkLoop      LinkType = 108 // OpenBSD loopback, address family in network byte order
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkNFLOG     LinkType = 239 // Linux NFLOG: only link-independent tests (len, link[...]), as in libpcap
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2
)

var linkNames = map[LinkType]string{
	LinkNull: "BSD loopback", LinkEthernet: "Ethernet", LinkRaw12: "raw IP", LinkRaw14: "raw IP",
	LinkRaw: "raw IP", LinkLoop: "OpenBSD loopback", LinkLinuxSLL: "Linux cooked v1",
	LinkIPv4: "raw IPv4", LinkIPv6: "raw IPv6", LinkLinuxSLL2: "Linux cooked v2", 239: "NFLOG",
}

// String returns a short description, as tcpdump prints it.
func (l LinkType) String() string {
	if s, ok := linkNames[l]; ok {
		return s
	}
	return fmt.Sprintf("link type %d", uint16(l))
}

// linkKind says how the network protocol of a frame is found.
type linkKind uint8

const (
	lkEther linkKind = iota // EtherType at offLT, 802.3/LLC below 1536
	lkSLL                   // EtherType at offLT (SLL, SLL2)
	lkNull                  // 4-byte address family, host byte order
	lkLoop                  // 4-byte address family, network byte order
	lkRaw                   // IP version in the first nibble
	lkIPv4                  // always IPv4
	lkIPv6                  // always IPv6
	lkNFLOG                 // no fixed network-layer offset: protocol tests are refused
)

// LinkError is returned for a link type filters cannot be compiled for.
type LinkError struct{ Link LinkType }

func (e *LinkError) Error() string {
	return fmt.Sprintf("filter: %s (link type %d) cannot be filtered", e.Link, uint16(e.Link))
}
