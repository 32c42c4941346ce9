package decode

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// FuzzEthernetMatchesGopacket checks the hand-written Ethernet and 802.1Q decoding
// (the steps of Decoder.ethernet and Decoder.ether: trimLength, vlanTag) against gopacket's layers.Ethernet and
// layers.Dot1Q, which decode used before: the same EtherType or 802.3 length, and the same
// payload (the same bytes of the frame, not a copy), tag after tag.
func FuzzEthernetMatchesGopacket(f *testing.F) {
	ip4 := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	f.Add(eth(0x0800, ip4))
	f.Add(eth(0x86dd, ip4, [2]uint16{0x8100, 5}))
	f.Add(eth(0x0800, ip4, [2]uint16{0x88a8, 1}, [2]uint16{0x8100, 2}))
	f.Add(eth(0x0800, ip4, [2]uint16{0x9100, 1}, [2]uint16{0x8100, 2}, [2]uint16{0x8100, 3}))
	f.Add(eth(0x0806, make([]byte, 28)))
	f.Add(eth(40, append([]byte{0xaa, 0xaa, 3, 0, 0, 0, 8, 0}, ip4...)))                       // 802.3 + SNAP, padded
	f.Add(eth(200, []byte{0xaa, 0xaa, 3, 0, 0, 0, 8, 0}))                                      // 802.3 length beyond the frame
	f.Add(eth(0x8100, []byte{0, 7, 0, 30, 0xaa, 0xaa, 3, 0, 0, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7})) // tag, then a length
	f.Add(eth(0x8100, []byte{0, 7, 0, 99, 0xaa}))                                              // tag, then a length beyond the frame
	f.Add(eth(0x8100, []byte{0, 7}))                                                           // tag cut short
	f.Add(eth(0, nil))
	f.Add(make([]byte, 13))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 14 {
			return // Decoder.ethernet: short; gopacket: an error
		}
		var e layers.Ethernet
		if err := e.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			t.Fatalf("gopacket: %v", err)
		}
		typ := binary.BigEndian.Uint16(data[12:14])
		p := data[14:]
		if typ < ethMinType {
			var short bool
			p, short = trimLength(p, typ)
			if e.EthernetType != layers.EthernetTypeLLC || e.Length != typ {
				t.Fatalf("802.3 length %d: gopacket type %v length %d", typ, e.EthernetType, e.Length)
			}
			if short != (len(e.Payload) < int(e.Length)) {
				t.Fatalf("802.3 length %d: short %v, gopacket payload %d bytes", typ, short, len(e.Payload))
			}
			samePayload(t, "802.3", p, e.Payload)
			return
		}
		if uint16(e.EthernetType) != typ {
			t.Fatalf("EtherType %#04x, gopacket %#04x", typ, uint16(e.EthernetType))
		}
		samePayload(t, "Ethernet", p, e.Payload)
		for tags := 0; tags < maxTags && (typ == eth8021Q || typ == eth8021AD || typ == ethQinQ); tags++ {
			var q layers.Dot1Q
			err := q.DecodeFromBytes(p, gopacket.NilDecodeFeedback)
			if len(p) < 4 {
				if err == nil {
					t.Fatalf("tag %d: %d bytes, gopacket decoded it", tags+1, len(p))
				}
				return
			}
			if err != nil {
				t.Fatalf("tag %d: gopacket: %v", tags+1, err)
			}
			typ, p = vlanTag(p)
			if typ < ethMinType {
				p, _ = trimLength(p, typ)
			}
			if uint16(q.Type) != typ {
				t.Fatalf("tag %d: type %#04x, gopacket %#04x", tags+1, typ, uint16(q.Type))
			}
			samePayload(t, "802.1Q", p, q.Payload)
		}
	})
}

func samePayload(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if len(got) != len(want) || len(got) > 0 && &got[0] != &want[0] {
		t.Fatalf("%s payload: %d bytes at %p, gopacket %d bytes at %p", what, len(got), got, len(want), want)
	}
}

// TestIPv4ChecksumFast checks the unrolled IPv4 header sum against the plain 16-bit sum,
// for every header length and for sums that need several folds.
func TestIPv4ChecksumFast(t *testing.T) {
	ref := func(h []byte) bool {
		var sum uint32
		for i := 0; i+1 < len(h); i += 2 {
			sum += uint32(h[i])<<8 | uint32(h[i+1])
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		return sum == 0xffff
	}
	x := uint32(2463534242)
	rnd := func() byte { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return byte(x) }
	ok := 0
	for hl := 20; hl <= 60; hl += 4 {
		for i := range 20000 {
			h := make([]byte, hl)
			switch i % 4 {
			case 0: // random
				for j := range h {
					h[j] = rnd()
				}
			case 1: // all 0xff but a few bytes: many carries
				for j := range h {
					h[j] = 0xff
				}
				h[rnd()%byte(hl)] = rnd()
			case 2: // zero
			case 3: // random with a correct checksum
				for j := range h {
					h[j] = rnd()
				}
				h[10], h[11] = 0, 0
				var s uint32
				for j := 0; j < hl; j += 2 {
					s += uint32(h[j])<<8 | uint32(h[j+1])
				}
				for s > 0xffff {
					s = s&0xffff + s>>16
				}
				binary.BigEndian.PutUint16(h[10:], ^uint16(s))
			}
			if got, want := ipv4ChecksumOK(h), ref(h); got != want {
				t.Fatalf("ipv4ChecksumOK(% x) = %v, want %v", h, got, want)
			}
			if ref(h) {
				ok++
			}
		}
	}
	if ok < 40000 {
		t.Errorf("only %d headers with a good checksum tested", ok)
	}
}
