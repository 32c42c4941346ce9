package decode

import (
	"bytes"
	"testing"
	"time"
)

func bigPkt(v6 bool, n int) pkt {
	p := defPkt()
	if v6 {
		p = defPkt6()
	}
	p.payload = make([]byte, n)
	for i := range p.payload {
		p.payload[i] = byte(i * 7)
	}
	return p
}

type fragStep struct {
	frag []byte
	ts   time.Duration
}

// runFrags decodes the fragments in order (frame numbers from 1) and returns the kinds.
func runFrags(t *testing.T, d *Decoder, link LinkType, steps []fragStep, s *Segment) []Kind {
	t.Helper()
	var kinds []Kind
	for i, st := range steps {
		kinds = append(kinds, d.Decode(st.frag, link, len(st.frag), int64(st.ts), uint64(i+1), s))
	}
	return kinds
}

func seq(frags [][]byte, order ...int) []fragStep {
	var out []fragStep
	for _, i := range order {
		out = append(out, fragStep{frag: frags[i]})
	}
	return out
}

func TestDefragIPv4(t *testing.T) {
	p := bigPkt(false, 3000)
	dgram := p.ip(t)
	frags := frag4(dgram, 0, 1000, 2000, 3020)
	if len(frags) != 3 {
		t.Fatal("bad split")
	}
	// Overlap: a second fragment covering [504, 2000) with different bytes where it
	// overlaps the first. The first to arrive wins.
	over := frag4(dgram, 0, 504, 2000, 3020)[1]
	for i := 20; i < 20+496; i++ {
		over[i] ^= 0xff
	}
	fixIPv4Checksum(over)

	tests := []struct {
		name      string
		steps     []fragStep
		wantKinds []Kind
		last      uint64 // frame that completes
		n         int
	}{
		{"in order", seq(frags, 0, 1, 2), []Kind{KindFragment, KindFragment, KindTCP}, 3, 3},
		{"reversed", seq(frags, 2, 1, 0), []Kind{KindFragment, KindFragment, KindTCP}, 3, 3},
		{"middle last", seq(frags, 0, 2, 1), []Kind{KindFragment, KindFragment, KindTCP}, 3, 3},
		{"overlap, original first", append(seq(frags, 0, 1), fragStep{frag: over}, fragStep{frag: frags[2]}),
			[]Kind{KindFragment, KindFragment, KindFragment, KindTCP}, 4, 4},
		{"duplicate", seq(frags, 0, 0, 1, 2), []Kind{KindFragment, KindFragment, KindFragment, KindTCP}, 4, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Config{})
			var s Segment
			kinds := runFrags(t, d, LinkRaw, tc.steps, &s)
			if !equalKinds(kinds, tc.wantKinds) {
				t.Fatalf("kinds = %v, want %v", kinds, tc.wantKinds)
			}
			if s.Frame != tc.last || s.IP.Fragments != tc.n || s.IP.TotalLen != len(dgram) || s.IP.HdrLen != 20 || s.IP.MF || s.IP.FragOff != 0 {
				t.Errorf("Frame %d IP %+v", s.Frame, s.IP)
			}
			if !bytes.Equal(s.Payload, p.payload) || s.PayloadLen != 3000 || s.Seq != 1000 || s.Src != mustAP(v4src) {
				t.Errorf("payload differs (len %d, PayloadLen %d)", len(s.Payload), s.PayloadLen)
			}
			if st := d.Stats(); st.Defragmented != 1 || st.Count(KindFragment) != uint64(len(tc.steps)-1) {
				t.Errorf("Stats %+v", st)
			}
			// Only the overlap with different bytes is a conflict (a duplicate is not),
			// naming the first copy's frame and the contradicting one's.
			conflict := tc.name == "overlap, original first"
			if s.IP.FragConflict != conflict || (conflict && s.IP.FragConflictFrames != [2]uint64{1, 3}) || d.Stats().FragConflicts != map[bool]uint64{true: 1}[conflict] {
				t.Errorf("FragConflict %v frames %v (stats %d), want %v", s.IP.FragConflict, s.IP.FragConflictFrames, d.Stats().FragConflicts, conflict)
			}
		})
	}

	t.Run("overlap, altered first", func(t *testing.T) {
		d := NewDecoder(Config{})
		var s Segment
		runFrags(t, d, LinkRaw, append([]fragStep{{frag: over}}, seq(frags, 0, 1, 2)...), &s)
		// [0,504) comes from frags[0] (no overlap), [504,1000) from over (first).
		if s.IP.Fragments != 4 || s.Payload[504-20] != p.payload[504-20]^0xff || s.Payload[0] != p.payload[0] {
			t.Errorf("first arrival should win: Fragments %d", s.IP.Fragments)
		}
		if !s.IP.FragConflict || s.IP.FragConflictFrames != [2]uint64{1, 2} {
			t.Errorf("FragConflict %v frames %v, want true [1 2]", s.IP.FragConflict, s.IP.FragConflictFrames)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		d := NewDecoder(Config{FragTimeout: 10 * time.Second})
		var s Segment
		steps := []fragStep{{frags[0], 0}, {frags[1], 5 * time.Second}, {frags[2], 11 * time.Second}}
		kinds := runFrags(t, d, LinkRaw, steps, &s)
		if !equalKinds(kinds, []Kind{KindFragment, KindFragment, KindFragment}) {
			t.Errorf("kinds = %v", kinds)
		}
		if st := d.Stats(); st.FragDropped != 2 || st.Defragmented != 0 {
			t.Errorf("Stats %+v", st)
		}
		// Within the timeout it still completes.
		kinds = runFrags(t, d, LinkRaw, []fragStep{{frags[0], 12 * time.Second}, {frags[1], 13 * time.Second}}, &s)
		if kinds[1] != KindTCP {
			t.Errorf("kinds = %v", kinds)
		}
	})

	t.Run("byte cap", func(t *testing.T) {
		d := NewDecoder(Config{MaxFragBytes: 1500})
		var s Segment
		kinds := runFrags(t, d, LinkRaw, seq(frags, 0, 1, 2), &s)
		if !equalKinds(kinds, []Kind{KindFragment, KindFragment, KindFragment}) {
			t.Errorf("kinds = %v", kinds)
		}
		if st := d.Stats(); st.FragDropped == 0 || d.frags.bytes > 1500 {
			t.Errorf("Stats %+v, held %d", st, d.frags.bytes)
		}
		sp := bigPkt(false, 500)
		sp.id = 77
		small := frag4(sp.ip(t), 0, 256, 520)
		kinds = runFrags(t, d, LinkRaw, seq(small, 0, 1), &s)
		if kinds[1] != KindTCP {
			t.Errorf("small datagram after the cap: %v", kinds)
		}
	})

	t.Run("datagram cap", func(t *testing.T) {
		d := NewDecoder(Config{MaxFragDatagrams: 2})
		var s Segment
		var all [][][]byte
		for id := range 3 {
			q := bigPkt(false, 1000)
			q.id = uint16(100 + id)
			all = append(all, frag4(q.ip(t), 0, 512, 1020))
		}
		kinds := runFrags(t, d, LinkRaw, []fragStep{{frag: all[0][0]}, {frag: all[1][0]}, {frag: all[2][0]},
			{frag: all[1][1]}, {frag: all[2][1]}}, &s)
		want := []Kind{KindFragment, KindFragment, KindFragment, KindTCP, KindTCP}
		if !equalKinds(kinds, want) {
			t.Errorf("kinds = %v, want %v (oldest evicted)", kinds, want)
		}
		if st := d.Stats(); st.FragDropped != 1 {
			t.Errorf("Stats %+v", st)
		}
	})

	t.Run("udp", func(t *testing.T) {
		u := append([]byte{}, dgram...)
		u[9] = 17
		fixIPv4Checksum(u)
		d := NewDecoder(Config{})
		var s Segment
		kinds := runFrags(t, d, LinkRaw, seq(frag4(u, 0, 1000, 3020), 0, 1), &s)
		if !equalKinds(kinds, []Kind{KindFragment, KindOtherIP}) || d.Stats().Other["UDP"] != 1 {
			t.Errorf("kinds = %v", kinds)
		}
	})

	t.Run("snaplen cut fragment", func(t *testing.T) {
		d := NewDecoder(Config{})
		var s Segment
		f := frags[0]
		if k := d.Decode(f[:200], LinkRaw, len(f), 0, 1, &s); k != KindTruncated {
			t.Errorf("Decode = %v", k)
		}
		if st := d.Stats(); st.FragDropped != 1 {
			t.Errorf("Stats %+v", st)
		}
	})
}

func TestDefragIPv6(t *testing.T) {
	p := bigPkt(true, 3000)
	dgram := p.ip(t)
	frags := frag6(dgram, 0xabcdef01, 0, 1448, 2896, 3020)
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}} {
		d := NewDecoder(Config{})
		var s Segment
		var steps []fragStep
		for _, i := range order {
			steps = append(steps, fragStep{frag: eth(0x86dd, frags[i])})
		}
		kinds := runFrags(t, d, LinkEthernet, steps, &s)
		if !equalKinds(kinds, []Kind{KindFragment, KindFragment, KindTCP}) {
			t.Fatalf("order %v: kinds = %v", order, kinds)
		}
		if s.Frame != 3 || s.IP.Fragments != 3 || s.IP.ID != 0xabcdef01 || s.IP.HdrLen != 40 || s.IP.TotalLen != len(dgram) {
			t.Errorf("order %v: Frame %d IP %+v", order, s.Frame, s.IP)
		}
		if !bytes.Equal(s.Payload, p.payload) || s.Src != mustAP(v6src) || s.Dst != mustAP(v6dst) {
			t.Errorf("order %v: payload or addresses differ", order)
		}
	}
}

func equalKinds(a, b []Kind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDefragIPv6ExtHeaders: hop-by-hop before the fragment header (unfragmentable part),
// destination options after it (fragmentable part, so only in the first fragment).
func TestDefragIPv6ExtHeaders(t *testing.T) {
	p := bigPkt(true, 2000)
	dgram := p.ip(t)
	upper := append([]byte{6, 0, 1, 4, 0, 0, 0, 0}, dgram[40:]...) // dst opts -> TCP
	mk := func(off, end int, more bool) []byte {
		f := append([]byte{}, dgram[:40]...)
		f[6] = 0                               // hop-by-hop
		f = append(f, 44, 0, 1, 4, 0, 0, 0, 0) // hop-by-hop -> fragment
		fo := uint16(off)
		if more {
			fo |= 1
		}
		f = append(f, 60, 0, byte(fo>>8), byte(fo), 0, 0, 0x12, 0x34) // fragment -> dst opts
		f = append(f, upper[off:end]...)
		f[4], f[5] = byte((len(f)-40)>>8), byte(len(f)-40)
		return f
	}
	frags := [][]byte{mk(0, 1200, true), mk(1200, len(upper), false)}
	for _, order := range [][]int{{0, 1}, {1, 0}} {
		d := NewDecoder(Config{})
		var s Segment
		kinds := runFrags(t, d, LinkRaw, seq(frags, order...), &s)
		if !equalKinds(kinds, []Kind{KindFragment, KindTCP}) {
			t.Fatalf("order %v: kinds = %v", order, kinds)
		}
		// HdrLen: 40 + hop-by-hop 8 + destination options 8 (the fragment header is gone).
		if s.IP.HdrLen != 56 || s.IP.TotalLen != 48+len(upper) || s.IP.ID != 0x1234 || s.IP.Fragments != 2 {
			t.Errorf("order %v: IP %+v", order, s.IP)
		}
		if !bytes.Equal(s.Payload, p.payload) || s.PayloadLen != 2000 {
			t.Errorf("order %v: payload differs", order)
		}
	}
}
