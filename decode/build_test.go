package decode

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/segscope/segscope/tcp"
)

// pkt describes a TCP/IP packet by its fields; bytes() serializes it with gopacket.
type pkt struct {
	v6           bool
	src, dst     string
	sport, dport uint16
	seq, ack     uint32
	flags        tcp.Flags
	win, urg     uint16
	opts         []layers.TCPOption
	payload      []byte
	ipOpts       []layers.IPv4Option
	id           uint16
	ttl          uint8
	df           bool
}

func defPkt() pkt {
	return pkt{src: "10.0.0.1", dst: "10.0.0.2", sport: 40000, dport: 80, seq: 1000, ack: 2000,
		flags: tcp.ACK | tcp.PSH, win: 502, payload: []byte("GET / HTTP/1.1\r\n\r\n"), id: 0x1234, ttl: 64}
}

func defPkt6() pkt {
	p := defPkt()
	p.v6, p.src, p.dst = true, "2001:db8::1", "2001:db8::2"
	return p
}

func (p pkt) tcpLayer() *layers.TCP {
	f := p.flags
	return &layers.TCP{
		SrcPort: layers.TCPPort(p.sport), DstPort: layers.TCPPort(p.dport),
		Seq: p.seq, Ack: p.ack, Window: p.win, Urgent: p.urg,
		FIN: f.Has(tcp.FIN), SYN: f.Has(tcp.SYN), RST: f.Has(tcp.RST), PSH: f.Has(tcp.PSH), ACK: f.Has(tcp.ACK),
		URG: f.Has(tcp.URG), ECE: f.Has(tcp.ECE), CWR: f.Has(tcp.CWR), NS: f.Has(tcp.NS),
		Options: p.opts,
	}
}

// ip returns the serialized IP packet (header, TCP header, payload), checksums computed.
func (p pkt) ip(t testing.TB) []byte {
	t.Helper()
	tcp := p.tcpLayer()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var err error
	if p.v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: p.ttl, NextHeader: layers.IPProtocolTCP,
			SrcIP: net.ParseIP(p.src), DstIP: net.ParseIP(p.dst)}
		tcp.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, ip, tcp, gopacket.Payload(p.payload))
	} else {
		ip := &layers.IPv4{Version: 4, TTL: p.ttl, Id: p.id, Protocol: layers.IPProtocolTCP,
			SrcIP: net.ParseIP(p.src).To4(), DstIP: net.ParseIP(p.dst).To4(), Options: p.ipOpts}
		if p.df {
			ip.Flags = layers.IPv4DontFragment
		}
		tcp.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, ip, tcp, gopacket.Payload(p.payload))
	}
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

var (
	macA = []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}
	macB = []byte{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}
)

// eth wraps payload in an Ethernet header with the given EtherType, after VLAN tags
// (each tag: TPID, VLAN id).
func eth(etype uint16, payload []byte, tags ...[2]uint16) []byte {
	b := append(append([]byte{}, macB...), macA...)
	for _, tg := range tags {
		b = binary.BigEndian.AppendUint16(b, tg[0])
		b = binary.BigEndian.AppendUint16(b, tg[1])
	}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

func etherType(ip []byte) uint16 {
	if ip[0]>>4 == 6 {
		return 0x86dd
	}
	return 0x0800
}

// sll1 builds a Linux cooked v1 header.
func sll1(proto uint16, payload []byte) []byte {
	b := []byte{0, 0, 0, 1, 0, 6}
	b = append(b, macA...)
	b = append(b, 0, 0)
	b = binary.BigEndian.AppendUint16(b, proto)
	return append(b, payload...)
}

// sll2 builds a Linux cooked v2 header.
func sll2hdr(proto uint16, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, proto)
	b = append(b, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6)
	b = append(b, macA...)
	b = append(b, 0, 0)
	return append(b, payload...)
}

// nflogRec builds an NFLOG record with a prefix TLV before the payload TLV, little
// endian TLV headers.
func nflogRec(family byte, payload []byte, be bool) []byte {
	var o binary.AppendByteOrder = binary.LittleEndian
	if be {
		o = binary.BigEndian
	}
	b := []byte{family, 0, 0, 1}
	// NFULA_PACKET_HDR (1): hw protocol, hook, pad: 4+4 bytes
	b = o.AppendUint16(b, 8)
	b = o.AppendUint16(b, 1)
	b = append(b, 0x08, 0x00, 3, 0)
	// NFULA_PREFIX (10): "ab\0" -> length 7, padded to 8
	b = o.AppendUint16(b, 7)
	b = o.AppendUint16(b, 10)
	b = append(b, 'a', 'b', 0, 0)
	b = o.AppendUint16(b, uint16(4+len(payload)))
	b = o.AppendUint16(b, nfulaPayload)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// fixIPv4Checksum recomputes the header checksum of an IPv4 packet in place.
func fixIPv4Checksum(b []byte) {
	hl := int(b[0]&15) * 4
	b[10], b[11] = 0, 0
	var sum uint32
	for i := 0; i < hl; i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(sum))
}

// frag4 splits an IPv4 packet into fragments with payload pieces [cuts[i], cuts[i+1]).
// cuts must start at 0, end at the payload length and be multiples of 8 inside.
func frag4(dgram []byte, cuts ...int) [][]byte {
	hl := int(dgram[0]&15) * 4
	pl := dgram[hl:]
	var out [][]byte
	for i := 0; i+1 < len(cuts); i++ {
		f := append(append([]byte{}, dgram[:hl]...), pl[cuts[i]:cuts[i+1]]...)
		binary.BigEndian.PutUint16(f[2:], uint16(len(f)))
		ff := uint16(cuts[i] / 8)
		if i+2 < len(cuts) {
			ff |= 0x2000
		}
		binary.BigEndian.PutUint16(f[6:], ff)
		fixIPv4Checksum(f)
		out = append(out, f)
	}
	return out
}

// frag6 splits an IPv6 packet (fixed header + upper layer, no extension headers) into
// fragments, inserting a fragment header with the given id.
func frag6(dgram []byte, id uint32, cuts ...int) [][]byte {
	nh := dgram[6]
	pl := dgram[40:]
	var out [][]byte
	for i := 0; i+1 < len(cuts); i++ {
		f := append([]byte{}, dgram[:40]...)
		f[6] = ip6Fragment
		fo := uint16(cuts[i])
		if i+2 < len(cuts) {
			fo |= 1
		}
		f = append(f, nh, 0)
		f = binary.BigEndian.AppendUint16(f, fo)
		f = binary.BigEndian.AppendUint32(f, id)
		f = append(f, pl[cuts[i]:cuts[i+1]]...)
		binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		out = append(out, f)
	}
	return out
}

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
