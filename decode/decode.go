// Package decode turns one captured frame into a TCP Segment: it walks the link layer
// (Ethernet with 802.1Q/QinQ tags and 802.2 LLC/SNAP, Linux SLL and SLL2, BSD NULL and
// LOOP, raw IP, NFLOG), then IPv4 (options, header checksum, trailer padding, TSO zero
// length, fragment reassembly) or IPv6 (extension headers, fragment reassembly), then the
// TCP header and its options.
//
// It owns nothing beyond one frame: it does not track connections, order segments or
// look at payload bytes. Frames that are not TCP are classified by Kind and counted in
// Stats, never dropped silently; truncated (snaplen) and malformed frames are kept apart.
//
// A Decoder is not safe for concurrent use. Decode allocates nothing for an unfragmented
// TCP segment on any supported link type; only IP fragments (rare) allocate.
//
// Ethernet II and its 802.1Q/802.1ad tags are decoded by gopacket's DecodingLayerParser
// with preallocated layers (no allocation). Everything above, and the other link types,
// is decoded by hand, in place: gopacket's TCP layer allocates for a SYN's options, its
// Linux SLL layer rejects link addresses longer than 8 bytes, and its IP layers allocate
// on options, extension headers and errors. The tests build packets with gopacket and
// check the decoding against its layers (FuzzEthernetMatchesGopacket).
package decode

import (
	"encoding/binary"
	"maps"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// LinkType is a LINKTYPE_ value from a pcap or pcapng header; the numbering is the same
// as capture.LinkType.
type LinkType uint16

// Link types Decode understands. Any other value gives KindOtherLink.
const (
	LinkNull      LinkType = 0   // BSD loopback: 4-byte address family in the capturing host's byte order
	LinkEthernet  LinkType = 1   // Ethernet II, 802.1Q/QinQ, 802.3 with LLC/SNAP
	LinkRaw12     LinkType = 12  // raw IP (DLT_RAW on some BSDs)
	LinkRaw14     LinkType = 14  // raw IP (DLT_RAW on OpenBSD)
	LinkRaw       LinkType = 101 // raw IP, version from the first nibble
	LinkLoop      LinkType = 108 // OpenBSD loopback: address family in network byte order
	LinkLinuxSLL  LinkType = 113 // Linux "cooked" capture v1
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkNFLOG     LinkType = 239 // Linux netfilter NFLOG
	LinkLinuxSLL2 LinkType = 276 // Linux "cooked" capture v2
)

// Kind is what a frame turned out to be.
type Kind uint8

const (
	KindNone      Kind = iota // zero value; Decode never returns it
	KindTCP                   // a TCP segment; *seg is filled
	KindFragment              // an IP fragment held for reassembly; no segment yet
	KindOtherIP               // IP carrying something else (UDP, ICMP, ...)
	KindARP                   // ARP or RARP
	KindOtherLink             // a link type Decode does not support
	KindNonIP                 // a supported link layer carrying something other than IP or ARP
	KindTruncated             // the capture's snaplen cut the frame before the end of the TCP header
	KindMalformed             // a header is impossible (bad lengths, bad version, ...)
	numKinds
)

var kindNames = [numKinds]string{"none", "tcp", "fragment", "other-ip", "arp", "other-link", "non-ip", "truncated", "malformed"}

// String returns the kind's lowercase name, e.g. "tcp" or "other-ip".
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Config sets the Decoder's limits. Zero values take the defaults.
type Config struct {
	// MaxFragBytes caps the bytes held for IP reassembly across all pending datagrams
	// (default 4 MiB). The oldest datagrams are dropped to make room.
	MaxFragBytes int
	// MaxFragDatagrams caps the number of datagrams pending reassembly (default 1024).
	MaxFragDatagrams int
	// FragTimeout drops a pending datagram when a fragment arrives this long (packet
	// time) after its first fragment (default 30 s, as Linux's ipfrag_time).
	FragTimeout time.Duration
	// DNS decodes UDP datagrams to or from port 53 (Decoder.DNS; see dns.go).
	DNS bool
}

const (
	defaultMaxFragBytes     = 4 << 20
	defaultMaxFragDatagrams = 1024
	defaultFragTimeout      = 30 * time.Second
)

// Stats counts what a Decoder has seen.
type Stats struct {
	Frames uint64           // frames passed to Decode
	ByKind [numKinds]uint64 // frames per Kind; index with a Kind, or use Count
	// Other counts frames that were not TCP by protocol name: "UDP", "ICMP", "ICMPv6",
	// "ARP", "LLC", "ethertype 0x88cc", "IP proto 253", "link 147", ...
	Other map[string]uint64

	Truncated       uint64 // frames cut by the snaplen before the end of the TCP header (KindTruncated)
	TruncatedTCP    uint64 // TCP segments whose payload the snaplen cut (KindTCP, Truncated set)
	Malformed       uint64 // frames with an impossible header (KindMalformed)
	BadLength       uint64 // IP lengths exceed the frame's length on the wire: the frame is believed, the segment still decoded
	BadIPv4Checksum uint64 // IPv4 headers whose checksum did not verify (decoded all the same)
	Defragmented    uint64 // IP datagrams reassembled from fragments
	FragDropped     uint64 // fragments discarded: timeout, byte or datagram cap, inconsistent or truncated fragment
	FragConflicts   uint64 // datagrams whose overlapping fragments differed (the first copy kept)
	TCPOptMalformed uint64 // segments with a malformed TCP option (still decoded)
	TCPOptUnknown   uint64 // TCP options of a kind Decode does not name
}

// Count returns the number of frames of kind k.
func (s *Stats) Count(k Kind) uint64 {
	if k < numKinds {
		return s.ByKind[k]
	}
	return 0
}

// Decoder decodes frames into Segments. Its zero value is not usable; call NewDecoder.
type Decoder struct {
	cfg Config

	st        Stats
	otherIP   [256]uint64
	otherEth  map[uint16]uint64
	otherLink map[LinkType]uint64
	otherName map[string]uint64 // constant names only

	frags defrag

	// Ethernet II and its 802.1Q/802.1ad tags go through gopacket's DecodingLayerParser
	// with these preallocated layers; it stops at the first layer it has no decoder for
	// (IP, ARP, ...), which the hand-written code below takes over.
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType

	dns dnsDecoder // DNS over UDP (dns.go), when cfg.DNS

	// per-call state
	seg   *Segment
	cut   int // bytes the snaplen removed from the end of the frame (origLen - caplen, >= 0)
	ts    int64
	frame uint64
	layer Layer // the layer being decoded, named in a malformed frame's record

	malformed []Malformed // the first MaxMalformedListed malformed frames
}

// Layer names the header a malformed frame was found impossible in.
type Layer uint8

// Layers.
const (
	LayerLink Layer = iota
	LayerIPv4
	LayerIPv6
	LayerTCP
)

var layerNames = [...]string{"link", "ipv4", "ipv6", "tcp"}

func (l Layer) String() string {
	if int(l) < len(layerNames) {
		return layerNames[l]
	}
	return "layer(?)"
}

// Malformed is one frame decoded as KindMalformed: its number, time and the layer whose
// header was impossible.
type Malformed struct {
	Frame uint64
	TS    int64
	Layer Layer
}

// MaxMalformedListed bounds the malformed frames a Decoder lists (MalformedFrames); they
// are all counted in Stats.
const MaxMalformedListed = 10000

// MalformedFrames returns the malformed frames seen so far, in frame order, at most
// MaxMalformedListed. The slice is the Decoder's: valid until the next Decode.
func (d *Decoder) MalformedFrames() []Malformed { return d.malformed }

// NewDecoder returns a Decoder with the limits of cfg (zero fields take defaults).
func NewDecoder(cfg Config) *Decoder {
	if cfg.MaxFragBytes <= 0 {
		cfg.MaxFragBytes = defaultMaxFragBytes
	}
	if cfg.MaxFragDatagrams <= 0 {
		cfg.MaxFragDatagrams = defaultMaxFragDatagrams
	}
	if cfg.FragTimeout <= 0 {
		cfg.FragTimeout = defaultFragTimeout
	}
	d := &Decoder{
		decoded:   make([]gopacket.LayerType, 0, maxTags+2),
		cfg:       cfg,
		otherEth:  make(map[uint16]uint64),
		otherLink: make(map[LinkType]uint64),
		otherName: make(map[string]uint64),
	}
	d.frags.init(cfg)
	d.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &d.eth, &d.dot1q)
	d.parser.IgnoreUnsupported = true
	return d
}

// Stats returns a snapshot of the counters. The Other map is a fresh copy.
func (d *Decoder) Stats() Stats {
	s := d.st
	s.Other = maps.Clone(d.otherName)
	for p, n := range d.otherIP {
		if n != 0 {
			s.Other[ipProtoName(uint8(p))] += n
		}
	}
	for t, n := range d.otherEth {
		s.Other[etherName(t)] += n
	}
	for l, n := range d.otherLink {
		s.Other["link "+strconv.Itoa(int(l))] += n
	}
	return s
}

// Decode decodes one frame. data is the captured bytes, link the capture's link type,
// origLen the frame's length on the wire (caplen when unknown), ts its time in
// nanoseconds and frame its 1-based number.
//
// When it returns KindTCP, *seg holds the segment; seg.Payload aliases data (or, for a
// reassembled IP datagram, a buffer of the Decoder) and is valid only until the next
// call. For any other Kind the contents of *seg are unspecified.
func (d *Decoder) Decode(data []byte, link LinkType, origLen int, ts int64, frame uint64, seg *Segment) Kind {
	*seg = Segment{Frame: frame, TS: ts, FrameLen: origLen, CapLen: len(data)}
	d.seg, d.ts, d.frame = seg, ts, frame
	d.dns.ok = false
	d.layer = LayerLink
	d.cut = origLen - len(data)
	if d.cut < 0 {
		d.cut = 0
	}
	k := d.link(data, link)
	d.seg = nil
	d.st.Frames++
	d.st.ByKind[k]++
	switch k {
	case KindTruncated:
		d.st.Truncated++
	case KindMalformed:
		d.st.Malformed++
		if len(d.malformed) < MaxMalformedListed {
			d.malformed = append(d.malformed, Malformed{Frame: frame, TS: ts, Layer: d.layer})
		}
	case KindTCP:
		if seg.Truncated {
			d.st.TruncatedTCP++
		}
	}
	return k
}

// short classifies a frame that ended before a header it needs: truncated when the
// snaplen cut the frame, malformed when the frame was captured whole.
func (d *Decoder) short() Kind {
	if d.cut > 0 {
		return KindTruncated
	}
	return KindMalformed
}

func (d *Decoder) otherNamed(name string, k Kind) Kind {
	d.otherName[name]++
	return k
}

func (d *Decoder) link(data []byte, link LinkType) Kind {
	switch link {
	case LinkEthernet:
		return d.ethernet(data)
	case LinkRaw, LinkRaw12, LinkRaw14:
		return d.ipAny(data)
	case LinkIPv4:
		return d.ipv4(data)
	case LinkIPv6:
		return d.ipv6(data)
	case LinkNull, LinkLoop:
		return d.null(data, link == LinkLoop)
	case LinkLinuxSLL:
		return d.sll(data)
	case LinkLinuxSLL2:
		return d.sll2(data)
	case LinkNFLOG:
		return d.nflog(data)
	}
	d.otherLink[link]++
	return KindOtherLink
}

// ipAny dispatches on the IP version nibble.
func (d *Decoder) ipAny(data []byte) Kind {
	if len(data) < 1 {
		return d.short()
	}
	switch data[0] >> 4 {
	case 4:
		return d.ipv4(data)
	case 6:
		return d.ipv6(data)
	}
	return KindMalformed
}

const (
	ethIPv4   = 0x0800
	ethARP    = 0x0806
	ethRARP   = 0x8035
	ethIPv6   = 0x86dd
	eth8021Q  = 0x8100
	eth8021AD = 0x88a8
	ethQinQ   = 0x9100
	ethMPLS   = 0x8847
	ethMPLSm  = 0x8848
	maxTags   = 8
)

// ethMinType is the smallest EtherType; a smaller value in its place is an 802.3 length.
const ethMinType = 0x0600

func (d *Decoder) ethernet(data []byte) Kind {
	if len(data) < 14 {
		return d.short()
	}
	t := binary.BigEndian.Uint16(data[12:14])
	payload := data[14:]
	if t < ethMinType {
		// 802.3: a length, then an LLC header; bytes beyond the length are padding.
		var short bool
		payload, short = d.length8023(payload, t)
		if short && d.cut == 0 {
			d.st.BadLength++
		}
		return d.llc(payload)
	}
	if (t == eth8021Q || t == eth8021AD || t == ethQinQ) && len(data) >= 16 {
		d.seg.VLAN, d.seg.VLANTagged = binary.BigEndian.Uint16(data[14:16]), true
	}
	// Ethernet II: gopacket's layers strip the header and any VLAN tags it knows.
	// An error can only be a cut tag; the hand-written dispatch below reports it.
	_ = d.parser.DecodeLayers(data, &d.decoded)
	tags := 0
	for _, lt := range d.decoded {
		switch lt {
		case layers.LayerTypeEthernet:
			t, payload = uint16(d.eth.EthernetType), d.eth.Payload
		case layers.LayerTypeDot1Q:
			t, payload = uint16(d.dot1q.Type), d.dot1q.Payload
			tags++
		}
	}
	if tags > 0 && t < ethMinType {
		// A tag followed by an 802.3 length.
		p, _ := d.length8023(payload, t)
		return d.llc(p)
	}
	return d.ether(t, payload, tags)
}

// length8023 cuts b to an 802.3 length n; short reports that b holds fewer bytes. What
// the snaplen cut (d.cut) is then counted within those n bytes only: nothing when they
// were captured whole, at most what is missing of them otherwise.
func (d *Decoder) length8023(b []byte, n uint16) (_ []byte, short bool) {
	b, short = trimLength(b, n)
	if short {
		d.cut = min(d.cut, int(n)-len(b))
	} else {
		d.cut = 0
	}
	return b, short
}

// trimLength cuts b to an 802.3 length n; short reports that b holds fewer bytes (b is
// then returned whole).
func trimLength(b []byte, n uint16) (_ []byte, short bool) {
	if len(b) < int(n) {
		return b, true
	}
	return b[:n], false
}

// vlanTag decodes an 802.1Q tag (TCI, then the inner EtherType or 802.3 length), at least
// 4 bytes: it returns that type and what follows the tag.
func vlanTag(b []byte) (uint16, []byte) {
	return binary.BigEndian.Uint16(b[2:4]), b[4:]
}

// ether dispatches on an EtherType; tags counts VLAN tags already removed.
func (d *Decoder) ether(t uint16, data []byte, tags int) Kind {
	switch t {
	case ethIPv4:
		return d.ipv4(data)
	case ethIPv6:
		return d.ipv6(data)
	case ethARP, ethRARP:
		return d.otherNamed("ARP", KindARP)
	case eth8021Q, eth8021AD, ethQinQ:
		if tags >= maxTags {
			return KindMalformed
		}
		if len(data) < 4 {
			return d.short()
		}
		inner, p := vlanTag(data)
		if inner < ethMinType {
			p, _ = d.length8023(p, inner)
			return d.llc(p)
		}
		return d.ether(inner, p, tags+1)
	case ethMPLS, ethMPLSm:
		return d.mpls(data)
	}
	d.otherEth[t]++
	return KindNonIP
}

// mpls skips an MPLS label stack and guesses the payload from its version nibble.
func (d *Decoder) mpls(data []byte) Kind {
	for i := 0; i < maxTags; i++ {
		if len(data) < 4 {
			return d.short()
		}
		bos := data[2]&1 != 0
		data = data[4:]
		if bos {
			if len(data) > 0 && (data[0]>>4 == 4 || data[0]>>4 == 6) {
				return d.ipAny(data)
			}
			return d.otherNamed("MPLS", KindNonIP)
		}
	}
	return KindMalformed
}

// llc decodes an 802.2 LLC header; IP is carried with SNAP (AA AA 03, OUI, EtherType).
func (d *Decoder) llc(data []byte) Kind {
	if len(data) < 3 {
		return d.short()
	}
	if data[0] == 0xaa && data[1] == 0xaa && data[2] == 0x03 {
		if len(data) < 8 {
			return d.short()
		}
		t := binary.BigEndian.Uint16(data[6:8])
		if data[3] == 0 && data[4] == 0 && data[5] == 0 || t == ethIPv4 || t == ethIPv6 || t == ethARP {
			return d.ether(t, data[8:], 0)
		}
		return d.otherNamed("SNAP", KindNonIP)
	}
	if data[0] == 0x06 && data[1] == 0x06 && data[2] == 0x03 { // IP directly over LLC (RFC 948-ish), rare
		return d.ipv4(data[3:])
	}
	return d.otherNamed("LLC", KindNonIP)
}

// null decodes BSD NULL (host byte order) and LOOP (network byte order) headers.
func (d *Decoder) null(data []byte, loop bool) Kind {
	if len(data) < 4 {
		return d.short()
	}
	be := binary.BigEndian.Uint32(data)
	af := be
	if !loop {
		// The capturing host's byte order is unknown: a real family fits in the low
		// 16 bits, so one of the two readings is small.
		if le := binary.LittleEndian.Uint32(data); le < be {
			af = le
		}
	}
	switch af {
	case 2:
		return d.ipv4(data[4:])
	case 10, 24, 28, 30: // Linux, NetBSD/OpenBSD, FreeBSD/DragonFly, Darwin AF_INET6
		return d.ipv6(data[4:])
	case 23: // Windows AF_INET6 (and OSI on some BSDs): accept if it looks like IPv6
		if len(data) > 4 && data[4]>>4 == 6 {
			return d.ipv6(data[4:])
		}
	}
	return d.otherNamed("loopback AF", KindNonIP)
}

const (
	arphrdNetlink = 824
	sllLLC        = 0x0004
	sll8023       = 0x0001
	sllCAN        = 0x000c
)

// sll decodes a Linux cooked v1 header: packet type, ARPHRD type, address length, 8
// address bytes, protocol. The header is 16 bytes whatever the address length.
func (d *Decoder) sll(data []byte) Kind {
	if len(data) < 16 {
		return d.short()
	}
	return d.sllProto(binary.BigEndian.Uint16(data[2:4]), binary.BigEndian.Uint16(data[14:16]), data[16:])
}

// sll2 decodes a Linux cooked v2 header: protocol, reserved, interface index, ARPHRD
// type, packet type, address length, 8 address bytes (20 bytes).
func (d *Decoder) sll2(data []byte) Kind {
	if len(data) < 20 {
		return d.short()
	}
	return d.sllProto(binary.BigEndian.Uint16(data[8:10]), binary.BigEndian.Uint16(data[0:2]), data[20:])
}

func (d *Decoder) sllProto(hatype, proto uint16, payload []byte) Kind {
	if hatype == arphrdNetlink {
		return d.otherNamed("netlink", KindNonIP)
	}
	switch proto {
	case sllLLC:
		return d.llc(payload)
	case sll8023:
		return d.otherNamed("802.3", KindNonIP)
	case sllCAN:
		return d.otherNamed("CAN", KindNonIP)
	}
	return d.ether(proto, payload, 0)
}

const nfulaPayload = 9

// nflog decodes a Linux NFLOG record: family, version, resource id, then TLVs (length
// and type in the capturing host's byte order, each padded to 4 bytes); the packet is
// the NFULA_PAYLOAD TLV.
func (d *Decoder) nflog(data []byte) Kind {
	if len(data) < 4 {
		return d.short()
	}
	family := data[0]
	rest := data[4:]
	// Guess the byte order from the first TLV: its length must fit.
	order := binary.ByteOrder(binary.LittleEndian)
	if len(rest) >= 4 {
		le := int(binary.LittleEndian.Uint16(rest))
		if le < 4 || le > len(rest)+d.cut {
			if be := int(binary.BigEndian.Uint16(rest)); be >= 4 && be <= len(rest)+d.cut {
				order = binary.BigEndian
			}
		}
	}
	for len(rest) > 0 {
		if len(rest) < 4 {
			return d.short()
		}
		n := int(order.Uint16(rest))
		typ := order.Uint16(rest[2:]) & 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
		if n < 4 {
			return KindMalformed
		}
		if typ == nfulaPayload {
			p := rest[4:]
			if n-4 <= len(p) {
				p = p[:n-4]
				d.cut = 0 // the packet was captured whole; what the snaplen cut is not part of it
			} else {
				// The snaplen cut the packet: at most the rest of the TLV is missing.
				d.cut = min(d.cut, n-4-len(p))
			}
			// A payload TLV longer than the data is judged by the IP layer, like an IP
			// total length beyond the frame.
			switch family {
			case 2:
				return d.ipv4(p)
			case 10:
				return d.ipv6(p)
			}
			return d.ipAny(p)
		}
		if n > len(rest) {
			return d.short()
		}
		rest = rest[min((n+3)&^3, len(rest)):]
	}
	if d.cut > 0 {
		return KindTruncated
	}
	return d.otherNamed("NFLOG without payload", KindNonIP)
}

var ipProtoNames = map[uint8]string{
	1: "ICMP", 2: "IGMP", 4: "IPIP", 17: "UDP", 41: "IPv6-in-IP", 47: "GRE", 50: "ESP",
	51: "AH", 58: "ICMPv6", 59: "IPv6-NoNxt", 88: "EIGRP", 89: "OSPF", 103: "PIM",
	112: "VRRP", 132: "SCTP", 136: "UDPLite",
}

func ipProtoName(p uint8) string {
	if s, ok := ipProtoNames[p]; ok {
		return s
	}
	return "IP proto " + strconv.Itoa(int(p))
}

var etherNames = map[uint16]string{
	0x88cc: "LLDP", 0x888e: "EAPOL", 0x8863: "PPPoE-discovery", 0x8864: "PPPoE",
	0x88e5: "MACsec", 0x8809: "slow-protocols", 0x88f7: "PTP", 0x9000: "loopback",
	0x8899: "Realtek", 0x893a: "IEEE1905",
}

func etherName(t uint16) string {
	if s, ok := etherNames[t]; ok {
		return s
	}
	const hex = "0123456789abcdef"
	return "ethertype 0x" + string([]byte{hex[t>>12], hex[t>>8&15], hex[t>>4&15], hex[t&15]})
}
