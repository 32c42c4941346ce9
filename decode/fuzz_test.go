package decode

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unsafe"

	"github.com/gopacket/gopacket/layers"
)

// fuzzSeeds returns seed inputs: (data, link, split). The fuzz target decodes
// data[:split] and data[split:] as two frames with one Decoder, so two fragments of one
// datagram can complete.
func fuzzSeeds(t testing.TB) []struct {
	name  string
	data  []byte
	link  uint16
	split uint16
} {
	ip4 := defPkt().ip(t)
	ip6 := defPkt6().ip(t)
	o := defPkt()
	o.opts = []layers.TCPOption{{OptionType: 2, OptionData: []byte{5, 0xb4}}, {OptionType: 4}, {OptionType: 8, OptionData: make([]byte, 8)},
		{OptionType: 1}, {OptionType: 3, OptionData: []byte{7}}}
	big := bigPkt(false, 600)
	f4 := frag4(big.ip(t), 0, 304, 620)
	f6 := frag6(bigPkt(true, 600).ip(t), 9, 0, 304, 620)
	type seed = struct {
		name  string
		data  []byte
		link  uint16
		split uint16
	}
	one := func(name string, link LinkType, b []byte) seed {
		return seed{name, b, uint16(link), uint16(len(b))}
	}
	two := func(name string, link LinkType, a, b []byte) seed {
		return seed{name, append(append([]byte{}, a...), b...), uint16(link), uint16(len(a))}
	}
	return []seed{
		one("eth-ipv4", LinkEthernet, eth(0x0800, ip4)),
		one("eth-ipv4-opts", LinkEthernet, eth(0x0800, o.ip(t))),
		one("qinq-ipv6", LinkEthernet, eth(0x86dd, ip6, [2]uint16{0x88a8, 1}, [2]uint16{0x8100, 2})),
		one("sll-ipv4", LinkLinuxSLL, sll1(0x0800, ip4)),
		one("sll2-ipv6", LinkLinuxSLL2, sll2hdr(0x86dd, ip6)),
		one("null-ipv6", LinkNull, append([]byte{30, 0, 0, 0}, ip6...)),
		one("loop-ipv4", LinkLoop, append([]byte{0, 0, 0, 2}, ip4...)),
		one("nflog-ipv4", LinkNFLOG, nflogRec(2, ip4, false)),
		one("raw-ipv6", LinkRaw, ip6),
		two("frag4", LinkRaw, f4[1], f4[0]),
		two("frag6", LinkIPv6, f6[0], f6[1]),
		one("opts-malformed", LinkRaw, withRawOpts(t, defPkt(), []byte{2, 4, 5, 0xb4, 8, 12, 0, 0})),
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.data, s.link, s.split)
	}
	f.Fuzz(func(t *testing.T, data []byte, link uint16, split uint16) {
		at := min(int(split), len(data))
		orig := append([]byte{}, data...)
		d := NewDecoder(Config{MaxFragBytes: 1 << 16})
		var s Segment
		for i, fr := range [][]byte{data[:at], data[at:]} {
			for _, origLen := range []int{len(fr), len(fr) + 100} {
				k := d.Decode(fr, LinkType(link), origLen, 5, uint64(i+1), &s)
				if k == KindNone || k >= numKinds {
					t.Fatalf("Decode = %v", k)
				}
				if k != KindTCP {
					continue
				}
				if s.TCPHdrLen < 20 || s.PayloadLen < len(s.Payload) || s.PayloadLen < 0 {
					t.Fatalf("TCPHdrLen %d PayloadLen %d len(Payload) %d", s.TCPHdrLen, s.PayloadLen, len(s.Payload))
				}
				if s.Truncated != (len(s.Payload) < s.PayloadLen || s.Opts.Cut) || (s.Opts.Cut && len(s.Payload) > 0) {
					t.Fatalf("Truncated %v, PayloadLen %d len(Payload) %d", s.Truncated, s.PayloadLen, len(s.Payload))
				}
				if s.IP.Fragments == 0 && len(s.Payload) > 0 && !within(s.Payload, fr) {
					t.Fatalf("Payload does not alias the frame")
				}
				if s.IP.Fragments > 0 && len(s.Payload) != s.PayloadLen {
					t.Fatalf("reassembled datagram with a cut payload")
				}
				if !within(s.Opts.Raw, fr) && s.IP.Fragments == 0 && len(s.Opts.Raw) > 0 {
					t.Fatalf("Opts.Raw does not alias the frame")
				}
				if s.IP.HdrLen < 20 || s.IP.TotalLen < s.IP.HdrLen+s.TCPHdrLen || s.Opts.NSACK > 4 {
					t.Fatalf("IP %+v TCPHdrLen %d", s.IP, s.TCPHdrLen)
				}
				if s.Src.Addr().Is4() != (s.IP.Version == 4) {
					t.Fatalf("address family and IP version disagree")
				}
			}
		}
		// A snaplen cut inside the payload changes nothing but the captured payload.
		if k := NewDecoder(Config{}).Decode(data, LinkType(link), len(data), 5, 1, &s); k == KindTCP && s.IP.Fragments == 0 && len(s.Payload) > 1 {
			full := s
			off := int(uintptr(unsafe.Pointer(unsafe.SliceData(s.Payload))) - uintptr(unsafe.Pointer(unsafe.SliceData(data))))
			n := off + len(s.Payload)/2
			var c Segment
			k2 := NewDecoder(Config{}).Decode(data[:n], LinkType(link), len(data), 5, 1, &c)
			if k2 != KindTCP || c.Src != full.Src || c.Dst != full.Dst || c.Seq != full.Seq || c.Ack != full.Ack ||
				c.Flags != full.Flags || c.PayloadLen != full.PayloadLen || c.IP.HdrLen != full.IP.HdrLen ||
				c.TCPHdrLen != full.TCPHdrLen || !c.Truncated || len(c.Payload) != len(full.Payload)/2 {
				t.Fatalf("cut at %d: %v %+v, whole %+v", n, k2, c, full)
			}
		}
		if !bytes.Equal(orig, data) {
			t.Fatalf("Decode modified its input")
		}
		if d.frags.bytes > 1<<16 || d.frags.bytes < 0 {
			t.Fatalf("defragmenter holds %d bytes", d.frags.bytes)
		}
	})
}

// within reports whether sub lies inside b's memory.
func within(sub, b []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	s := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return s >= lo && s+uintptr(len(sub)) <= lo+uintptr(len(b))
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzDecode from the builders and from the
// first frames of the shared captures. Run with SEGSCOPE_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("SEGSCOPE_WRITE_SEEDS") == "" {
		t.Skip("set SEGSCOPE_WRITE_SEEDS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte, link, split uint16) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nuint16(%d)\nuint16(%d)\n", strconv.Quote(string(data)), link, split)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range fuzzSeeds(t) {
		write("seed-"+s.name, s.data, s.link, s.split)
	}
	for _, path := range captureFiles(t) {
		frames, _ := readCapture(path)
		for i := 0; i+1 < len(frames) && i < 4; i += 2 {
			a, b := frames[i], frames[i+1]
			if len(a.data)+len(b.data) > 4000 {
				continue
			}
			write(fmt.Sprintf("pcap-%s-%d", filepath.Base(path), a.num), append(append([]byte{}, a.data...), b.data...), uint16(a.link), uint16(len(a.data)))
		}
	}
}
