package decode

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/segscope/segscope/tcp"
)

// withRawOpts returns an IPv4/TCP packet (built from p without options) whose TCP
// options are exactly raw (padded with EOL to a multiple of 4).
func withRawOpts(t testing.TB, p pkt, raw []byte) []byte {
	p.opts = nil
	b := p.ip(t)
	hl := int(b[0]&15) * 4
	for len(raw)%4 != 0 {
		raw = append(raw, 0)
	}
	out := append(append(append([]byte{}, b[:hl+20]...), raw...), b[hl+20:]...)
	out[hl+12] = byte((20+len(raw))/4)<<4 | out[hl+12]&0x0f
	binary.BigEndian.PutUint16(out[2:], uint16(len(out)))
	fixIPv4Checksum(out)
	return out
}

// segWant lists the fields a case checks; zero fields are not checked unless the
// check function says otherwise.
type segWant struct {
	src, dst   string
	payloadLen int
	ipHdrLen   int
	tcpHdrLen  int
	fragments  int
}

func checkSeg(s *Segment, w segWant) error {
	var errs []string
	if w.src != "" && s.Src != mustAP(w.src) {
		errs = append(errs, fmt.Sprintf("Src = %v, want %v", s.Src, w.src))
	}
	if w.dst != "" && s.Dst != mustAP(w.dst) {
		errs = append(errs, fmt.Sprintf("Dst = %v, want %v", s.Dst, w.dst))
	}
	if w.payloadLen >= 0 && s.PayloadLen != w.payloadLen {
		errs = append(errs, fmt.Sprintf("PayloadLen = %d, want %d", s.PayloadLen, w.payloadLen))
	}
	if w.ipHdrLen != 0 && s.IP.HdrLen != w.ipHdrLen {
		errs = append(errs, fmt.Sprintf("IP.HdrLen = %d, want %d", s.IP.HdrLen, w.ipHdrLen))
	}
	if w.tcpHdrLen != 0 && s.TCPHdrLen != w.tcpHdrLen {
		errs = append(errs, fmt.Sprintf("TCPHdrLen = %d, want %d", s.TCPHdrLen, w.tcpHdrLen))
	}
	if w.fragments != 0 && s.IP.Fragments != w.fragments {
		errs = append(errs, fmt.Sprintf("IP.Fragments = %d, want %d", s.IP.Fragments, w.fragments))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

const (
	v4src = "10.0.0.1:40000"
	v4dst = "10.0.0.2:80"
	v6src = "[2001:db8::1]:40000"
	v6dst = "[2001:db8::2]:80"
)

func TestLinkTypes(t *testing.T) {
	ip4 := defPkt().ip(t)
	ip6 := defPkt6().ip(t)
	pl := len(defPkt().payload)
	w4 := segWant{src: v4src, dst: v4dst, payloadLen: pl, ipHdrLen: 20, tcpHdrLen: 20}
	w6 := segWant{src: v6src, dst: v6dst, payloadLen: pl, ipHdrLen: 40, tcpHdrLen: 20}
	le := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	be := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	cat := func(a ...[]byte) []byte { return bytes.Join(a, nil) }
	snap := func(ip []byte) []byte {
		// 802.3 length, LLC AA AA 03, OUI 000000, EtherType; then 6 bytes of trailer.
		llc := cat([]byte{0xaa, 0xaa, 0x03, 0, 0, 0}, binary.BigEndian.AppendUint16(nil, etherType(ip)), ip)
		return cat(macB, macA, binary.BigEndian.AppendUint16(nil, uint16(len(llc))), llc, []byte{1, 2, 3, 4, 5, 6})
	}
	sllLong := sll1(0x0800, ip4)
	sllLong[5] = 20 // address length beyond the 8-byte field (e.g. InfiniBand): header stays 16 bytes

	tests := []struct {
		name string
		link LinkType
		data []byte
		kind Kind
		want segWant
	}{
		{"ethernet/ipv4", LinkEthernet, eth(0x0800, ip4), KindTCP, w4},
		{"ethernet/ipv6", LinkEthernet, eth(0x86dd, ip6), KindTCP, w6},
		{"802.1Q", LinkEthernet, eth(0x0800, ip4, [2]uint16{0x8100, 100}), KindTCP, w4},
		{"QinQ 88a8+8100", LinkEthernet, eth(0x86dd, ip6, [2]uint16{0x88a8, 10}, [2]uint16{0x8100, 20}), KindTCP, w6},
		{"QinQ 9100+8100", LinkEthernet, eth(0x0800, ip4, [2]uint16{0x9100, 10}, [2]uint16{0x8100, 20}), KindTCP, w4},
		{"802.3 LLC/SNAP ipv4", LinkEthernet, snap(ip4), KindTCP, w4},
		{"802.3 LLC/SNAP ipv6", LinkEthernet, snap(ip6), KindTCP, w6},
		{"802.3 LLC STP", LinkEthernet, cat(macB, macA, []byte{0, 38, 0x42, 0x42, 0x03}, make([]byte, 35)), KindNonIP, segWant{}},
		{"sll ipv4", LinkLinuxSLL, sll1(0x0800, ip4), KindTCP, w4},
		{"sll ipv6", LinkLinuxSLL, sll1(0x86dd, ip6), KindTCP, w6},
		{"sll long address", LinkLinuxSLL, sllLong, KindTCP, w4},
		{"sll vlan", LinkLinuxSLL, sll1(0x8100, cat([]byte{0, 5, 0x08, 0x00}, ip4)), KindTCP, w4},
		{"sll2 ipv4", LinkLinuxSLL2, sll2hdr(0x0800, ip4), KindTCP, w4},
		{"sll2 ipv6", LinkLinuxSLL2, sll2hdr(0x86dd, ip6), KindTCP, w6},
		{"null LE AF_INET", LinkNull, cat(le(2), ip4), KindTCP, w4},
		{"null BE AF_INET", LinkNull, cat(be(2), ip4), KindTCP, w4},
		{"null LE 24", LinkNull, cat(le(24), ip6), KindTCP, w6},
		{"null BE 24", LinkNull, cat(be(24), ip6), KindTCP, w6},
		{"null LE 28", LinkNull, cat(le(28), ip6), KindTCP, w6},
		{"null BE 28", LinkNull, cat(be(28), ip6), KindTCP, w6},
		{"null LE 30", LinkNull, cat(le(30), ip6), KindTCP, w6},
		{"null BE 30", LinkNull, cat(be(30), ip6), KindTCP, w6},
		{"null AF 99", LinkNull, cat(le(99), ip4), KindNonIP, segWant{}},
		{"loop AF_INET", LinkLoop, cat(be(2), ip4), KindTCP, w4},
		{"loop AF_INET6", LinkLoop, cat(be(24), ip6), KindTCP, w6},
		{"raw 101 v4", LinkRaw, ip4, KindTCP, w4},
		{"raw 101 v6", LinkRaw, ip6, KindTCP, w6},
		{"raw 12", LinkRaw12, ip4, KindTCP, w4},
		{"raw 14", LinkRaw14, ip6, KindTCP, w6},
		{"ipv4 228", LinkIPv4, ip4, KindTCP, w4},
		{"ipv6 229", LinkIPv6, ip6, KindTCP, w6},
		{"ipv6 229 given v4", LinkIPv6, ip4, KindMalformed, segWant{}},
		{"nflog v4 LE", LinkNFLOG, nflogRec(2, ip4, false), KindTCP, w4},
		{"nflog v6 BE", LinkNFLOG, nflogRec(10, ip6, true), KindTCP, w6},
		{"nflog unspec family", LinkNFLOG, nflogRec(0, ip6, false), KindTCP, w6},
		{"nflog no payload", LinkNFLOG, []byte{2, 0, 0, 1, 8, 0, 1, 0, 8, 0, 3, 0}, KindNonIP, segWant{}},
		{"link 147", LinkType(147), ip4, KindOtherLink, segWant{}},
		{"arp", LinkEthernet, eth(0x0806, make([]byte, 28)), KindARP, segWant{}},
		{"lldp", LinkEthernet, eth(0x88cc, make([]byte, 40)), KindNonIP, segWant{}},
		{"mpls", LinkEthernet, eth(0x8847, cat([]byte{0, 0x01, 0x01, 0x40}, ip4)), KindTCP, w4},
		{"empty ethernet", LinkEthernet, nil, KindMalformed, segWant{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Config{})
			var s Segment
			k := d.Decode(tc.data, tc.link, len(tc.data), 7, 42, &s)
			if k != tc.kind {
				t.Fatalf("Decode(%s) = %v, want %v", tc.name, k, tc.kind)
			}
			if k != KindTCP {
				return
			}
			if s.Frame != 42 || s.TS != 7 || s.CapLen != len(tc.data) || s.FrameLen != len(tc.data) {
				t.Errorf("frame/ts/len = %d/%d/%d/%d", s.Frame, s.TS, s.CapLen, s.FrameLen)
			}
			if err := checkSeg(&s, tc.want); err != nil {
				t.Errorf("Decode(%s): %v", tc.name, err)
			}
			if string(s.Payload) != string(defPkt().payload) {
				t.Errorf("Payload = %q", s.Payload)
			}
			if s.Seq != 1000 || s.Ack != 2000 || s.Flags != tcp.ACK|tcp.PSH || s.Window != 502 || s.Truncated {
				t.Errorf("seq %d ack %d flags %v win %d trunc %v", s.Seq, s.Ack, s.Flags, s.Window, s.Truncated)
			}
		})
	}
}

func TestOtherStats(t *testing.T) {
	d := NewDecoder(Config{})
	var s Segment
	udp := defPkt().ip(t)
	udp[9] = 17
	fixIPv4Checksum(udp)
	icmp6 := defPkt6().ip(t)
	icmp6[6] = 58
	nonxt := defPkt6().ip(t)
	nonxt[6] = 59
	for _, c := range []struct {
		link LinkType
		data []byte
	}{
		{LinkEthernet, eth(0x0800, udp)}, {LinkEthernet, eth(0x0800, udp)}, {LinkRaw, icmp6},
		{LinkRaw, nonxt}, {LinkEthernet, eth(0x0806, make([]byte, 28))}, {LinkType(147), udp},
		{LinkEthernet, eth(0x88cc, make([]byte, 46))}, {LinkEthernet, eth(0x1234, make([]byte, 46))},
	} {
		d.Decode(c.data, c.link, len(c.data), 0, 1, &s)
	}
	st := d.Stats()
	want := map[string]uint64{"UDP": 2, "ICMPv6": 1, "IPv6-NoNxt": 1, "ARP": 1, "link 147": 1, "LLDP": 1, "ethertype 0x1234": 1}
	for k, v := range want {
		if st.Other[k] != v {
			t.Errorf("Stats().Other[%q] = %d, want %d (all: %v)", k, st.Other[k], v, st.Other)
		}
	}
	if st.Count(KindOtherIP) != 4 || st.Count(KindARP) != 1 || st.Count(KindOtherLink) != 1 || st.Count(KindNonIP) != 2 || st.Frames != 8 {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestIPv4(t *testing.T) {
	optsPkt := defPkt()
	optsPkt.ipOpts = []layers.IPv4Option{{OptionType: 7, OptionLength: 7, OptionData: []byte{4, 0, 0, 0, 0}}, {OptionType: 0}}
	withOpts := optsPkt.ip(t)

	badSum := defPkt().ip(t)
	badSum[10] ^= 0xff

	// A pure ACK padded to Ethernet's 60-byte minimum with non-zero trailer bytes.
	ack := defPkt()
	ack.payload = nil
	padded := append(eth(0x0800, ack.ip(t)), 0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe)

	tso := defPkt()
	tso.payload = bytes.Repeat([]byte("x"), 3000)
	tsoIP := tso.ip(t)
	tsoIP[2], tsoIP[3] = 0, 0
	fixIPv4Checksum(tsoIP)

	bigLen := defPkt().ip(t)
	binary.BigEndian.PutUint16(bigLen[2:], uint16(len(bigLen)+100))
	fixIPv4Checksum(bigLen)

	shortTotal := defPkt().ip(t)
	binary.BigEndian.PutUint16(shortTotal[2:], 30) // shorter than IP + TCP headers
	fixIPv4Checksum(shortTotal)

	ver5 := defPkt().ip(t)
	ver5[0] = 0x55
	ihl4 := defPkt().ip(t)
	ihl4[0] = 0x44
	doff4 := defPkt().ip(t)
	doff4[20+12] = 0x40
	doffBig := defPkt().ip(t)
	doffBig[20+12] = 0xf0 // 60-byte TCP header, past the IP datagram

	tests := []struct {
		name  string
		data  []byte
		kind  Kind
		check func(*Segment) string
	}{
		{"options", withOpts, KindTCP, func(s *Segment) string {
			if s.IP.HdrLen != 28 || s.IP.TotalLen != len(withOpts) || s.PayloadLen != len(defPkt().payload) || s.IP.ChecksumBad {
				return fmt.Sprintf("HdrLen %d TotalLen %d PayloadLen %d bad %v", s.IP.HdrLen, s.IP.TotalLen, s.PayloadLen, s.IP.ChecksumBad)
			}
			return ""
		}},
		{"bad checksum", badSum, KindTCP, func(s *Segment) string {
			if !s.IP.ChecksumBad || s.PayloadLen != 18 {
				return "ChecksumBad not set"
			}
			return ""
		}},
		{"trailer padding", padded[14:], KindTCP, func(s *Segment) string {
			if s.PayloadLen != 0 || len(s.Payload) != 0 || s.Truncated {
				return fmt.Sprintf("PayloadLen %d Payload %x", s.PayloadLen, s.Payload)
			}
			return ""
		}},
		{"TSO zero length", tsoIP, KindTCP, func(s *Segment) string {
			if !s.IP.TSOZeroLen || s.IP.TotalLen != len(tsoIP) || s.PayloadLen != 3000 || len(s.Payload) != 3000 {
				return fmt.Sprintf("TSO %v TotalLen %d PayloadLen %d", s.IP.TSOZeroLen, s.IP.TotalLen, s.PayloadLen)
			}
			return ""
		}},
		{"total length beyond frame", bigLen, KindTCP, func(s *Segment) string {
			if s.Truncated || s.PayloadLen != 18 || len(s.Payload) != 18 || s.IP.TotalLen != len(bigLen)+100 {
				return fmt.Sprintf("Truncated %v PayloadLen %d", s.Truncated, s.PayloadLen)
			}
			return ""
		}},
		{"total length below headers", shortTotal, KindMalformed, nil},
		{"version 5", ver5, KindMalformed, nil},
		{"ihl 4", ihl4, KindMalformed, nil},
		{"tcp data offset 4", doff4, KindMalformed, nil},
		{"tcp data offset past datagram", doffBig, KindMalformed, nil},
		{"fields", defPkt().ip(t), KindTCP, func(s *Segment) string {
			if s.IP.Version != 4 || s.IP.ID != 0x1234 || s.IP.TTL != 64 || s.IP.DF || s.IP.MF || s.IP.FragOff != 0 || s.IP.Fragments != 0 {
				return fmt.Sprintf("%+v", s.IP)
			}
			return ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Config{})
			var s Segment
			k := d.Decode(tc.data, LinkRaw, len(tc.data), 0, 1, &s)
			if k != tc.kind {
				t.Fatalf("Decode = %v, want %v", k, tc.kind)
			}
			if tc.check != nil {
				if msg := tc.check(&s); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
	// Counters for the distinct outcomes.
	d := NewDecoder(Config{})
	var s Segment
	d.Decode(badSum, LinkRaw, len(badSum), 0, 1, &s)
	d.Decode(bigLen, LinkRaw, len(bigLen), 0, 2, &s)
	d.Decode(ver5, LinkRaw, len(ver5), 0, 3, &s)
	d.Decode(bigLen[:30], LinkRaw, len(bigLen), 0, 4, &s)
	st := d.Stats()
	if st.BadIPv4Checksum != 1 || st.BadLength != 2 || st.Malformed != 1 || st.Truncated != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

// TestEthernetTrailerRaw is a raw frame: a SYN-ACK padded to 60 bytes.
//
//	0x0000:  0011 2233 4455 6677 8899 aabb 0800 4500  ..."3DUfw......E.
//	0x0010:  0028 0000 4000 4006 26ce 0a00 0002 0a00  .(..@.@.&.......
//	0x0020:  0001 0050 9c40 0000 07d0 0000 03e9 5012  ...P.@........P.
//	0x0030:  fe88 0000 0000 ffff ffff ffff            ............
func TestEthernetTrailerRaw(t *testing.T) {
	frame := []byte{
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00, 0x45, 0x00,
		0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x26, 0xce, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00,
		0x00, 0x01, 0x00, 0x50, 0x9c, 0x40, 0x00, 0x00, 0x07, 0xd0, 0x00, 0x00, 0x03, 0xe9, 0x50, 0x12,
		0xfe, 0x88, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	}
	d := NewDecoder(Config{})
	var s Segment
	if k := d.Decode(frame, LinkEthernet, len(frame), 0, 1, &s); k != KindTCP {
		t.Fatalf("Decode = %v", k)
	}
	if s.Flags != tcp.SYN|tcp.ACK || s.Seq != 2000 || s.Ack != 1001 || s.PayloadLen != 0 || len(s.Payload) != 0 ||
		s.Src != mustAP("10.0.0.2:80") || s.Dst != mustAP("10.0.0.1:40000") || !s.IP.DF || s.Window != 65160 || s.IP.ChecksumBad {
		t.Errorf("Decode = %+v", s)
	}
}

func TestIPv6ExtensionHeaders(t *testing.T) {
	base := defPkt6().ip(t)
	tcp := base[40:]
	build := func(exts ...[]byte) []byte {
		// each ext: first byte is a placeholder for next header, chained here
		b := append([]byte{}, base[:40]...)
		if len(exts) > 0 {
			b[6] = exts[0][0]
		}
		for i, e := range exts {
			e = append([]byte{}, e...)
			if i+1 < len(exts) {
				e[0] = exts[i+1][0]
			} else {
				e[0] = 6
			}
			b = append(b, e...)
		}
		b = append(b, tcp...)
		binary.BigEndian.PutUint16(b[4:], uint16(len(b)-40))
		return b
	}
	// First byte of each slice names the header's own type while building.
	hop := []byte{0, 0, 1, 4, 0, 0, 0, 0}                                                    // Pad1 + PadN
	dst := []byte{60, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}                          // 16 bytes
	rt := []byte{43, 0, 0, 0, 0, 0, 0, 0}                                                    // routing, segments left 0
	ah := []byte{51, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12} // (4+2)*4 = 24
	atomic := []byte{44, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef}

	tests := []struct {
		name   string
		data   []byte
		kind   Kind
		hdr    int
		fragID uint32
	}{
		{"hop-by-hop", build(hop), KindTCP, 48, 0},
		{"hop+dst+routing", build(hop, dst, rt), KindTCP, 72, 0},
		{"AH", build(ah), KindTCP, 64, 0},
		{"atomic fragment", build(atomic), KindTCP, 48, 0xdeadbeef},
		{"dst+atomic+dst", build(dst, atomic, dst), KindTCP, 80, 0xdeadbeef},
		{"ext past payload", build(hop)[:47], KindTruncated, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Config{})
			var s Segment
			orig := len(tc.data)
			if tc.kind == KindTruncated {
				orig += 100
			}
			k := d.Decode(tc.data, LinkRaw, orig, 0, 1, &s)
			if k != tc.kind {
				t.Fatalf("Decode = %v, want %v", k, tc.kind)
			}
			if k != KindTCP {
				return
			}
			if s.IP.HdrLen != tc.hdr || s.IP.TotalLen != len(tc.data) || s.IP.ID != tc.fragID || s.PayloadLen != 18 || s.Src != mustAP(v6src) {
				t.Errorf("IP %+v PayloadLen %d", s.IP, s.PayloadLen)
			}
		})
	}
	// Malformed: extension header longer than the payload length says.
	b := build(hop)
	binary.BigEndian.PutUint16(b[4:], 4)
	d := NewDecoder(Config{})
	var s Segment
	if k := d.Decode(b[:44], LinkRaw, 44, 0, 1, &s); k != KindMalformed {
		t.Errorf("short ext header: Decode = %v, want malformed", k)
	}
}

func TestTCPOptions(t *testing.T) {
	mss := []byte{2, 4, 0x05, 0xb4}
	ws := []byte{3, 3, 7}
	sackp := []byte{4, 2}
	ts := []byte{8, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	sack := func(n int) []byte {
		b := []byte{5, byte(2 + 8*n)}
		for i := range n {
			b = binary.BigEndian.AppendUint32(b, uint32(100*i+10))
			b = binary.BigEndian.AppendUint32(b, uint32(100*i+20))
		}
		return b
	}
	cat := func(a ...[]byte) []byte { return bytes.Join(a, nil) }
	nop := []byte{1}
	tests := []struct {
		name  string
		raw   []byte
		check func(o *Options) bool
	}{
		{"syn set", cat(mss, sackp, ts, nop, ws), func(o *Options) bool {
			return o.HasMSS && o.MSS == 1460 && o.SACKPermitted && o.HasTS && o.TSVal == 1 && o.TSEcr == 2 && o.HasWScale && o.WScale == 7 && !o.Malformed && o.Unknown == 0
		}},
		{"nop nop ts (fast path)", cat(nop, nop, ts), func(o *Options) bool {
			return o.HasTS && o.TSVal == 1 && o.TSEcr == 2 && !o.Malformed && o.Unknown == 0 && o.NSACK == 0 && len(o.Raw) == 12
		}},
		{"nop nop ts nop nop sack", cat(nop, nop, ts, nop, nop, sack(1)), func(o *Options) bool { return o.HasTS && o.TSVal == 1 && o.NSACK == 1 }},
		{"sack 1", cat(nop, nop, sack(1)), func(o *Options) bool { return o.NSACK == 1 && o.SACK[0] == SACKBlock{10, 20} }},
		{"sack 3 + ts", cat(nop, nop, ts, nop, nop, sack(3)), func(o *Options) bool { return o.NSACK == 3 && o.SACK[2] == SACKBlock{210, 220} && o.HasTS }},
		{"sack 4", cat(nop, nop, sack(4)), func(o *Options) bool { return o.NSACK == 4 && o.SACK[3] == SACKBlock{310, 320} }},
		{"mptcp", cat([]byte{30, 12, 0x00, 0x81}, make([]byte, 8)), func(o *Options) bool { return o.HasMPTCP && !o.Malformed }},
		{"tfo 34 cookie", cat([]byte{34, 10}, make([]byte, 8)), func(o *Options) bool { return o.HasTFO }},
		{"tfo 34 request", []byte{34, 2}, func(o *Options) bool { return o.HasTFO }},
		{"tfo 254 magic", cat([]byte{254, 12, 0xf9, 0x89}, make([]byte, 8)), func(o *Options) bool { return o.HasTFO && o.Unknown == 0 }},
		{"254 other magic", []byte{254, 4, 0x12, 0x34}, func(o *Options) bool { return !o.HasTFO && o.Unknown == 1 }},
		{"unknown kind 99", cat([]byte{99, 4, 1, 2}, mss), func(o *Options) bool {
			return o.Unknown == 1 && o.HasMSS && !o.Malformed && bytes.Contains(o.Raw, []byte{99, 4, 1, 2})
		}},
		{"eol stops", cat(mss, []byte{0}, ws), func(o *Options) bool { return o.HasMSS && !o.HasWScale && !o.Malformed }},
		{"length 0", cat(mss, []byte{99, 0}), func(o *Options) bool { return o.Malformed && o.HasMSS }},
		{"length 1", []byte{8, 1, 0, 0}, func(o *Options) bool { return o.Malformed && !o.HasTS }},
		{"past header", cat(mss, []byte{8, 10, 0, 0}), func(o *Options) bool { return o.Malformed && o.HasMSS && !o.HasTS }},
		{"kind without length", cat(mss, nop, nop, nop, []byte{3}), func(o *Options) bool { return o.Malformed && o.HasMSS }},
		{"mss wrong length", []byte{2, 3, 5, 1}, func(o *Options) bool { return o.Malformed && !o.HasMSS }},
		{"sack odd length", []byte{5, 6, 0, 0, 0, 1, 1, 1}, func(o *Options) bool { return o.Malformed && o.NSACK == 0 }},
		{"ts wrong length then mss", cat([]byte{8, 6, 0, 0, 0, 1}, mss), func(o *Options) bool { return o.Malformed && !o.HasTS && o.HasMSS }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := withRawOpts(t, defPkt(), tc.raw)
			d := NewDecoder(Config{})
			var s Segment
			if k := d.Decode(b, LinkRaw, len(b), 0, 1, &s); k != KindTCP {
				t.Fatalf("Decode = %v, want tcp (a bad option never drops a segment)", k)
			}
			if !tc.check(&s.Opts) {
				t.Errorf("options %x: got %+v", tc.raw, s.Opts)
			}
			if s.PayloadLen != 18 || string(s.Payload) != string(defPkt().payload) || s.Seq != 1000 {
				t.Errorf("rest of segment damaged: %+v", s)
			}
			if st := d.Stats(); s.Opts.Malformed != (st.TCPOptMalformed == 1) {
				t.Errorf("TCPOptMalformed = %d", st.TCPOptMalformed)
			}
		})
	}
}

func TestFlags(t *testing.T) {
	p := defPkt()
	p.flags = tcp.FIN | tcp.SYN | tcp.RST | tcp.PSH | tcp.ACK | tcp.URG | tcp.ECE | tcp.CWR | tcp.NS
	p.urg = 7
	b := p.ip(t)
	d := NewDecoder(Config{})
	var s Segment
	if k := d.Decode(b, LinkRaw, len(b), 0, 1, &s); k != KindTCP || s.Flags != p.flags || s.Urgent != 7 {
		t.Errorf("Decode = %v, flags %v urgent %d", k, s.Flags, s.Urgent)
	}
	if s.Checksum == 0 {
		t.Errorf("Checksum not set")
	}
}

func TestKindString(t *testing.T) {
	for k, w := range map[Kind]string{KindTCP: "tcp", KindFragment: "fragment", KindOtherIP: "other-ip", KindARP: "arp",
		KindOtherLink: "other-link", KindNonIP: "non-ip", KindTruncated: "truncated", KindMalformed: "malformed", Kind(200): "kind(200)"} {
		if k.String() != w {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), w)
		}
	}
}

// TestTruncateEveryByte cuts frames at every length, both as a snaplen cut (origLen is
// the full length) and as a whole but short frame. It must never panic, and the kind
// must follow from where the cut falls.
func TestTruncateEveryByte(t *testing.T) {
	opt := defPkt()
	opt.opts = []layers.TCPOption{{OptionType: 2, OptionData: []byte{5, 0xb4}}, {OptionType: 1}, {OptionType: 3, OptionData: []byte{7}}}
	opt.ipOpts = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
	ip4 := opt.ip(t)
	ip6 := defPkt6().ip(t)
	cases := []struct {
		name   string
		link   LinkType
		data   []byte
		hdrEnd int // offset of the TCP payload
		opts   int // bytes of TCP options before it (mss 1460, nop, wscale 7)
	}{
		{"ethernet/ipv4+opts", LinkEthernet, eth(0x0800, ip4), 14 + 24 + 28, 8},
		{"qinq/ipv6", LinkEthernet, eth(0x86dd, ip6, [2]uint16{0x88a8, 1}, [2]uint16{0x8100, 2}), 22 + 60, 0},
		{"sll2/ipv4", LinkLinuxSLL2, sll2hdr(0x0800, ip4), 20 + 24 + 28, 8},
		{"sll/ipv6", LinkLinuxSLL, sll1(0x86dd, ip6), 16 + 60, 0},
		{"null/ipv6", LinkNull, append([]byte{30, 0, 0, 0}, ip6...), 4 + 60, 0},
		{"nflog/ipv4", LinkNFLOG, nflogRec(2, ip4, false), 24 + 24 + 28, 8},
	}
	for _, c := range cases {
		full := len(c.data)
		pl := full - c.hdrEnd
		if c.link == LinkNFLOG {
			pl = len(opt.payload)
		}
		for n := 0; n <= full; n++ {
			for _, whole := range []bool{false, true} {
				d := NewDecoder(Config{})
				var s Segment
				orig := full
				if whole {
					orig = n
				}
				data := append([]byte{}, c.data[:n]...)
				k := d.Decode(data, c.link, orig, 0, 1, &s)
				switch {
				case n >= c.hdrEnd:
					if k != KindTCP {
						t.Errorf("%s[:%d] whole=%v: Decode = %v, want tcp", c.name, n, whole, k)
						continue
					}
					got := min(n-c.hdrEnd, pl)
					pl := pl
					if whole {
						// IP lengths beyond a frame captured whole: the frame wins.
						pl = got
					}
					if len(s.Payload) != got || s.PayloadLen != pl || s.Truncated != (got < pl) {
						t.Errorf("%s[:%d] whole=%v: Payload %d PayloadLen %d Truncated %v", c.name, n, whole, len(s.Payload), s.PayloadLen, s.Truncated)
					}
				case !whole && n >= c.hdrEnd-c.opts:
					// Cut inside the TCP options: the fixed header and the options that
					// fit are decoded, the segment kept as truncated.
					optsSeen := n - (c.hdrEnd - c.opts)
					if k != KindTCP || !s.Truncated || len(s.Payload) != 0 || s.PayloadLen != pl || s.Opts.Malformed ||
						s.Opts.HasMSS != (optsSeen >= 4) || s.Opts.HasWScale != (optsSeen >= 8) {
						t.Errorf("%s[:%d]: Decode = %v truncated %v payload %d/%d opts %+v, want tcp, truncated, options that fit",
							c.name, n, k, s.Truncated, len(s.Payload), s.PayloadLen, s.Opts)
					}
				case whole && c.link == LinkNFLOG && (n == 4 || n == 12 || n == 19 || n == 20):
					// Cut at a TLV boundary: a whole NFLOG record without a payload TLV.
					if k != KindNonIP {
						t.Errorf("%s[:%d] whole: Decode = %v, want non-ip", c.name, n, k)
					}
				case whole:
					if k != KindMalformed {
						t.Errorf("%s[:%d] whole: Decode = %v, want malformed", c.name, n, k)
					}
				default:
					if k != KindTruncated {
						t.Errorf("%s[:%d]: Decode = %v, want truncated", c.name, n, k)
					}
				}
			}
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	ip4 := defPkt().ip(t)
	ip6 := defPkt6().ip(t)
	ack := defPkt()
	ack.opts = []layers.TCPOption{{OptionType: 1}, {OptionType: 1}, {OptionType: 8, OptionData: make([]byte, 8)}, {OptionType: 1}, {OptionType: 1}, {OptionType: 5, OptionData: make([]byte, 16)}}
	cases := []struct {
		name string
		link LinkType
		data []byte
	}{
		{"ethernet/ipv4", LinkEthernet, eth(0x0800, ip4)},
		{"ethernet/ipv4+sack", LinkEthernet, eth(0x0800, ack.ip(t))},
		{"vlan/ipv6", LinkEthernet, eth(0x86dd, ip6, [2]uint16{0x8100, 5})},
		{"sll/ipv4", LinkLinuxSLL, sll1(0x0800, ip4)},
		{"sll2/ipv6", LinkLinuxSLL2, sll2hdr(0x86dd, ip6)},
		{"null/ipv4", LinkNull, append([]byte{2, 0, 0, 0}, ip4...)},
		{"raw/ipv6", LinkRaw, ip6},
		{"nflog/ipv4", LinkNFLOG, nflogRec(2, ip4, false)},
		{"truncated", LinkEthernet, eth(0x0800, ip4)[:40]},
	}
	d := NewDecoder(Config{})
	var s Segment
	for _, c := range cases {
		n := testing.AllocsPerRun(1000, func() {
			d.Decode(c.data, c.link, len(c.data)+10, 1, 1, &s)
		})
		if n != 0 {
			t.Errorf("Decode(%s) allocates %.1f times per frame, want 0", c.name, n)
		}
	}
}

var sinkKind Kind

func benchFrame(b *testing.B) []byte {
	p := defPkt()
	p.payload = bytes.Repeat([]byte{'a'}, 1448)
	p.opts = []layers.TCPOption{{OptionType: 1}, {OptionType: 1}, {OptionType: 8, OptionData: make([]byte, 8)}}
	return eth(0x0800, p.ip(b))
}

func BenchmarkDecodeEthernetIPv4(b *testing.B) {
	frame := benchFrame(b)
	d := NewDecoder(Config{})
	var s Segment
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkKind = d.Decode(frame, LinkEthernet, len(frame), int64(i), uint64(i), &s)
	}
}

func BenchmarkDecodeSLL2IPv6(b *testing.B) {
	p := defPkt6()
	p.payload = bytes.Repeat([]byte{'a'}, 1428)
	frame := sll2hdr(0x86dd, p.ip(b))
	d := NewDecoder(Config{})
	var s Segment
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkKind = d.Decode(frame, LinkLinuxSLL2, len(frame), int64(i), uint64(i), &s)
	}
}

// BenchmarkGopacketParser is the baseline: gopacket's DecodingLayerParser with
// preallocated Ethernet, IPv4 and TCP layers on the same frame.
func BenchmarkGopacketParser(b *testing.B) {
	frame := benchFrame(b)
	var (
		e   layers.Ethernet
		ip  layers.IPv4
		tcp layers.TCP
		pl  gopacket.Payload
	)
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &e, &ip, &tcp, &pl)
	decoded := make([]gopacket.LayerType, 0, 4)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.DecodeLayers(frame, &decoded); err != nil || len(decoded) != 4 {
			b.Fatal(err, decoded)
		}
	}
}
