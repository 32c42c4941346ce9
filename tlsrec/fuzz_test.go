package tlsrec

import (
	"bytes"
	"crypto/tls"
	"sync"
	"testing"
)

// FuzzRecords feeds arbitrary bytes as the two directions of a connection, cut at
// points the fuzzer chooses, without keys and with a key log of an unrelated session.
// Invariants: no panic; the same records and facts whatever the cut; buffers within
// their limits.
func FuzzRecords(f *testing.F) {
	s := fuzzSession(f, tls.VersionTLS13, 0)
	f.Add(s.stream(C2S), s.stream(S2C), uint8(7), uint8(3))
	s12 := fuzzSession(f, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)
	f.Add(s12.stream(C2S), s12.stream(S2C), uint8(1), uint8(200))
	f.Add(rec(TypeHandshake, 0x0301, clientHello(3, "x.test", "h2")), rec(TypeAlert, 0x0303, []byte{2, 40}), uint8(2), uint8(5))
	f.Add([]byte{0x80, 0x0b, 1, 3, 1, 0, 0, 0, 0, 0, 2, 1, 2}, []byte{0x16, 3, 3, 0xff, 0xff}, uint8(1), uint8(1))
	kl := mustKeyLog(f, s.keylog)
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut1, cut2 uint8) {
		lim := Limits{MaxRecord: 1000, MaxHandshake: 600}
		for _, keys := range []*KeyLog{nil, kl} {
			a := feedCut(c2s, s2c, keys, lim, int(cut1)+1)
			b := feedCut(c2s, s2c, keys, lim, int(cut2)+1)
			fa, fb := a.conn.Facts(), b.conn.Facts()
			if len(a.col.records) != len(b.col.records) || fa.SNI != fb.SNI || fa.Version != fb.Version ||
				fa.Anomalies.Has(AnomBadRecord) != fb.Anomalies.Has(AnomBadRecord) {
				t.Fatalf("cuts %d and %d differ: %d/%d records, %q/%q, %v/%v", cut1, cut2,
					len(a.col.records), len(b.col.records), fa.SNI, fb.SNI, fa.Anomalies.Names(nil), fb.Anomalies.Names(nil))
			}
			for d := range a.conn.half {
				h := &a.conn.half[d]
				if len(h.hs) > lim.MaxHandshake+4 || len(h.body) > lim.MaxRecord || len(h.win) > 4 {
					t.Fatalf("buffers: hs %d body %d win %d", len(h.hs), len(h.body), len(h.win))
				}
			}
			for _, r := range a.col.records {
				if r.Len > lim.MaxRecord {
					t.Fatalf("record of %d bytes over MaxRecord", r.Len)
				}
			}
		}
	})
}

type fed struct {
	conn *Conn
	col  *collector
}

// feedCut feeds both streams alternately in pieces of n bytes.
func feedCut(c2s, s2c []byte, kl *KeyLog, lim Limits, n int) fed {
	col := &collector{}
	c := NewConn(col, kl, lim)
	var off [2]int
	streams := [2][]byte{c2s, s2c}
	for off[0] < len(c2s) || off[1] < len(s2c) {
		for d := range streams {
			st := streams[d]
			if off[d] < len(st) {
				e := min(off[d]+n, len(st))
				c.Feed(Dir(d), uint64(off[d]), st[off[d]:e], uint64(off[d]), int64(off[d]))
				off[d] = e
			}
		}
	}
	c.Close(C2S, 0)
	c.Close(S2C, 0)
	return fed{c, col}
}

var fuzzSessions sync.Map

func fuzzSession(f testing.TB, v, suite uint16) *session {
	key := uint32(v)<<16 | uint32(suite)
	if s, ok := fuzzSessions.Load(key); ok {
		return s.(*session)
	}
	s := newSession(f, sessionOpts{version: v, suite: suite,
		reqs: []string{req("/a"), req("/b"), req("/c")}, respSize: 5000})
	fuzzSessions.Store(key, s)
	return s
}

// FuzzDecrypt corrupts a real session (TLS 1.3 AES-GCM, or TLS 1.2 AES-CBC) at bytes
// the fuzzer picks, drops a range of the server's stream, and feeds the result with
// its keys. Invariants: no panic, and every plaintext byte delivered is genuine: each
// chunk occurs in the clean session's plaintext (a record that fails authentication is
// a gap, never garbage).
func FuzzDecrypt(f *testing.F) {
	f.Add(false, uint16(300), byte(1), uint16(0), uint16(0), uint8(0))
	f.Add(true, uint16(2000), byte(0x80), uint16(3000), uint16(500), uint8(13))
	f.Add(false, uint16(5), byte(0xff), uint16(100), uint16(2), uint8(1))
	s13 := fuzzSession(f, tls.VersionTLS13, 0)
	s12 := fuzzSession(f, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)
	kl13, kl12 := mustKeyLog(f, s13.keylog), mustKeyLog(f, s12.keylog)
	f.Fuzz(func(t *testing.T, cbc bool, pos uint16, flip byte, dropAt, dropLen uint16, chunk uint8) {
		s, kl := s13, kl13
		if cbc {
			s, kl = s12, kl12
		}
		col := &collector{}
		c := NewConn(col, kl, Limits{})
		var off [2]uint64
		var seen [2]int
		n := int(chunk) + 1
		for i, w := range s.writes {
			d := append([]byte(nil), w.data...)
			if w.dir == S2C {
				if p := int(pos) - seen[1]; p >= 0 && p < len(d) {
					d[p] ^= flip
				}
			}
			for j := 0; j < len(d); j += n {
				e := min(j+n, len(d))
				o := off[w.dir] + uint64(j)
				if w.dir == S2C && o+uint64(e-j) > uint64(dropAt) && o < uint64(dropAt)+uint64(dropLen) {
					continue // dropped: the next Feed's offset jump is the gap
				}
				c.Feed(w.dir, o, d[j:e], uint64(i), int64(i))
			}
			off[w.dir] += uint64(len(d))
			seen[w.dir] += len(d)
		}
		c.Close(C2S, 0)
		c.Close(S2C, 0)
		for d, clean := range [2][]byte{s.c2sApp, s.s2cApp} {
			got := col.plain[d]
			// every delivered byte run belongs to the clean plaintext: check in pieces of
			// the records' sizes through the collector's log
			if len(got) > len(clean) {
				t.Fatalf("%v: %d plaintext bytes, the session had %d", Dir(d), len(got), len(clean))
			}
		}
		for _, ch := range col.chunks {
			clean := s.c2sApp
			if ch.dir == S2C {
				clean = s.s2cApp
			}
			if !bytes.Contains(clean, ch.data) {
				t.Fatalf("%v: delivered %d bytes that are not in the session's plaintext", ch.dir, len(ch.data))
			}
		}
	})
}
