package decode

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/segscope/segscope/tcp"
)

type synthFrame struct {
	data    []byte
	origLen int // 0: len(data)
}

// writePcap writes frames as a classic microsecond pcap file.
func writePcap(t *testing.T, path string, link LinkType, frames []synthFrame) {
	t.Helper()
	b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint32(b, 262144)
	b = binary.LittleEndian.AppendUint32(b, uint32(link))
	for i, f := range frames {
		orig := f.origLen
		if orig == 0 {
			orig = len(f.data)
		}
		b = binary.LittleEndian.AppendUint32(b, 1700000000+uint32(i))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f.data)))
		b = binary.LittleEndian.AppendUint32(b, uint32(orig))
		b = append(b, f.data...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// synthCaptures builds one capture per link type out of the same field-struct packets
// the table tests use, so tshark can judge them too.
func synthCaptures(t *testing.T) map[LinkType][]synthFrame {
	ip4 := defPkt().ip(t)
	ip6 := defPkt6().ip(t)
	whole := func(bs ...[]byte) []synthFrame {
		var out []synthFrame
		for _, b := range bs {
			out = append(out, synthFrame{data: b})
		}
		return out
	}
	le := func(v uint32, b []byte) []byte { return append(binary.LittleEndian.AppendUint32(nil, v), b...) }
	be := func(v uint32, b []byte) []byte { return append(binary.BigEndian.AppendUint32(nil, v), b...) }

	var e []synthFrame
	add := func(bs ...[]byte) { e = append(e, whole(bs...)...) }
	add(eth(0x0800, ip4), eth(0x86dd, ip6), eth(0x0800, ip4, [2]uint16{0x8100, 100}),
		eth(0x86dd, ip6, [2]uint16{0x88a8, 10}, [2]uint16{0x8100, 20}),
		eth(0x0800, ip4, [2]uint16{0x9100, 10}, [2]uint16{0x8100, 20}))
	// 802.3 + LLC/SNAP, with trailer
	llc := append([]byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, ip4...)
	snap := append(append(append(append([]byte{}, macB...), macA...), byte(len(llc)>>8), byte(len(llc))), llc...)
	add(append(snap, 1, 2, 3, 4))
	// padded pure ACK
	ack := defPkt()
	ack.payload = nil
	add(append(eth(0x0800, ack.ip(t)), 0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe))
	// IPv4 options, bad checksum
	o := defPkt()
	o.ipOpts = []layers.IPv4Option{{OptionType: 7, OptionLength: 7, OptionData: []byte{4, 0, 0, 0, 0}}, {OptionType: 0}}
	add(eth(0x0800, o.ip(t)))
	bad := defPkt().ip(t)
	bad[10] ^= 0x55
	add(eth(0x0800, bad))
	// TCP options
	o = defPkt()
	o.flags = tcp.SYN
	o.payload = nil
	o.opts = []layers.TCPOption{{OptionType: 2, OptionData: []byte{5, 0xb4}}, {OptionType: 4}, {OptionType: 8, OptionData: make([]byte, 8)},
		{OptionType: 1}, {OptionType: 3, OptionData: []byte{7}}}
	add(eth(0x0800, o.ip(t)))
	add(eth(0x0800, withRawOpts(t, defPkt(), []byte{1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4})))
	add(eth(0x0800, withRawOpts(t, defPkt(), []byte{2, 4, 5, 0xb4, 8, 12, 0, 0})))
	add(eth(0x0800, withRawOpts(t, defPkt(), []byte{34, 10, 1, 2, 3, 4, 5, 6, 7, 8})))
	add(eth(0x0800, withRawOpts(t, defPkt(), []byte{254, 6, 0xf9, 0x89, 1, 2})))
	// all flags
	fl := defPkt()
	fl.flags = tcp.FIN | tcp.SYN | tcp.RST | tcp.PSH | tcp.ACK | tcp.URG | tcp.ECE | tcp.CWR | tcp.NS
	add(eth(0x0800, fl.ip(t)))
	// IPv4 fragments: in order, reversed, middle last
	for i, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {0, 2, 1}} {
		p := bigPkt(false, 3000)
		p.id = uint16(0x4000 + i)
		p.sport = uint16(41000 + i)
		fr := frag4(p.ip(t), 0, 1000, 2000, 3020)
		for _, j := range order {
			add(eth(0x0800, fr[j]))
		}
	}
	// IPv6 fragments
	for i, order := range [][]int{{0, 1, 2}, {2, 0, 1}} {
		p := bigPkt(true, 3000)
		p.sport = uint16(42000 + i)
		fr := frag6(p.ip(t), uint32(0x100+i), 0, 1448, 2896, 3020)
		for _, j := range order {
			add(eth(0x86dd, fr[j]))
		}
	}
	// IPv6 hop-by-hop + destination options
	ext := append([]byte{}, ip6[:40]...)
	ext[6] = 0
	ext = append(ext, 60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0)
	ext = append(ext, ip6[40:]...)
	binary.BigEndian.PutUint16(ext[4:], uint16(len(ext)-40))
	add(eth(0x86dd, ext))
	// TSO: IPv4 total length 0
	tso := bigPkt(false, 3000)
	tso.sport = 43000
	tb := tso.ip(t)
	tb[2], tb[3] = 0, 0
	fixIPv4Checksum(tb)
	add(eth(0x0800, tb))
	// snaplen cuts: payload cut, TCP header cut
	full := eth(0x0800, bigPkt(false, 1000).ip(t))
	e = append(e, synthFrame{data: full[:100], origLen: len(full)}, synthFrame{data: full[:40], origLen: len(full)})
	add(eth(0x0806, make([]byte, 28)))
	// malformed: TCP data offset 4, data offset past the datagram, IP total length past
	// a frame captured whole, IPv6 snaplen cut in the payload
	doff4 := defPkt().ip(t)
	doff4[32] = 0x40
	doffBig := defPkt().ip(t)
	doffBig[32] = 0xf0
	bigLen := defPkt().ip(t)
	binary.BigEndian.PutUint16(bigLen[2:], uint16(len(bigLen)+100))
	fixIPv4Checksum(bigLen)
	add(eth(0x0800, doff4), eth(0x0800, doffBig), eth(0x0800, bigLen))
	f6 := eth(0x86dd, bigPkt(true, 1000).ip(t))
	e = append(e, synthFrame{data: f6[:120], origLen: len(f6)})
	add(eth(0x8847, append([]byte{0, 0x01, 0x01, 0x40}, ip4...)))

	return map[LinkType][]synthFrame{
		LinkEthernet:  e,
		LinkLinuxSLL:  whole(sll1(0x0800, ip4), sll1(0x86dd, ip6)),
		LinkLinuxSLL2: whole(sll2hdr(0x0800, ip4), sll2hdr(0x86dd, ip6)),
		LinkNull: whole(le(2, ip4), be(2, ip4), le(24, ip6), be(24, ip6), le(28, ip6), be(28, ip6),
			le(30, ip6), be(30, ip6)),
		LinkLoop:  whole(be(2, ip4), be(24, ip6)),
		LinkRaw:   whole(ip4, ip6),
		LinkIPv4:  whole(ip4),
		LinkIPv6:  whole(ip6),
		LinkNFLOG: whole(nflogRec(2, ip4, false), nflogRec(10, ip6, false)),
	}
}

// TestTsharkSynthetic writes the synthetic frames to one capture per link type and
// compares the decoder with tshark on them.
func TestTsharkSynthetic(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not in PATH")
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	dir := t.TempDir()
	var c diffCounts
	for link, frames := range synthCaptures(t) {
		path := filepath.Join(dir, fmt.Sprintf("synth-link%d.pcap", link))
		writePcap(t, path, link, frames)
		c.add(compareWithTshark(t, path))
		c.files++
	}
	t.Logf("tshark agreement (synthetic): %v", c)
}
