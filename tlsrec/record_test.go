package tlsrec

import (
	"bytes"
	"strings"
	"testing"
)

// rec builds a plaintext record.
func rec(typ ContentType, ver uint16, body []byte) []byte {
	b := []byte{byte(typ), byte(ver >> 8), byte(ver), byte(len(body) >> 8), byte(len(body))}
	return append(b, body...)
}

// hsMsg builds a handshake message.
func hsMsg(typ HandshakeType, body []byte) []byte {
	n := len(body)
	return append([]byte{byte(typ), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

func u16(n int) []byte { return []byte{byte(n >> 8), byte(n)} }

// clientHello builds a ClientHello with SNI and ALPN from field values.
func clientHello(random byte, sni string, alpn ...string) []byte {
	var b []byte
	b = append(b, 3, 3)
	b = append(b, bytes.Repeat([]byte{random}, 32)...)
	b = append(b, 0)                      // session id
	b = append(b, 0, 2, 0x13, 0x01, 1, 0) // suites, compression
	var ext []byte
	name := append([]byte{0}, append(u16(len(sni)), sni...)...)
	ext = append(ext, 0, 0)
	ext = append(ext, u16(len(name)+2)...)
	ext = append(ext, u16(len(name))...)
	ext = append(ext, name...)
	var list []byte
	for _, p := range alpn {
		list = append(list, byte(len(p)))
		list = append(list, p...)
	}
	ext = append(ext, 0, 16)
	ext = append(ext, u16(len(list)+2)...)
	ext = append(ext, u16(len(list))...)
	ext = append(ext, list...)
	b = append(b, u16(len(ext))...)
	b = append(b, ext...)
	return hsMsg(HSClientHello, b)
}

func serverHello(random [32]byte, suite uint16) []byte {
	var b []byte
	b = append(b, 3, 3)
	b = append(b, random[:]...)
	b = append(b, 0, byte(suite>>8), byte(suite), 0)
	// supported_versions: TLS 1.3
	b = append(b, 0, 6, 0, 43, 0, 2, 3, 4)
	return hsMsg(HSServerHello, b)
}

func feedAll(c *Conn, d Dir, b []byte) {
	c.Feed(d, c.half[d].off, b, 1, 1)
}

func TestHandshakeAcrossRecords(t *testing.T) {
	ch := clientHello(7, "example.test", "h2", "http/1.1")
	// the ClientHello cut into three records of 20, 30 and the rest
	var stream []byte
	for _, p := range [][]byte{ch[:20], ch[20:50], ch[50:]} {
		stream = append(stream, rec(TypeHandshake, 0x0301, p)...)
	}
	for _, chunk := range []int{1, 3, len(stream)} {
		col := &collector{}
		c := NewConn(col, nil, Limits{})
		for i := 0; i < len(stream); i += chunk {
			c.Feed(C2S, uint64(i), stream[i:min(i+chunk, len(stream))], uint64(i), int64(i))
		}
		f := c.Facts()
		if f.SNI != "example.test" || strings.Join(f.ALPNOffered, ",") != "h2,http/1.1" {
			t.Errorf("chunk %d: SNI %q ALPN %q", chunk, f.SNI, f.ALPNOffered)
		}
		if len(col.records) != 3 || col.records[2].NHandshake != 1 || col.records[2].Handshake[0] != HSClientHello {
			t.Errorf("chunk %d: records %+v", chunk, col.records)
		}
		if f.ClientRandom[0] != 7 || f.HelloTS != 0 || f.HelloFrame != 0 {
			t.Errorf("chunk %d: random %x hello ts %d", chunk, f.ClientRandom[:2], f.HelloTS)
		}
	}
}

func TestHelloRetryRequest(t *testing.T) {
	c := NewConn(&collector{}, nil, Limits{})
	feedAll(c, C2S, rec(TypeHandshake, 0x0301, clientHello(1, "a.test")))
	feedAll(c, S2C, rec(TypeHandshake, 0x0303, serverHello(hrrRandom, 0x1301)))
	if f := c.Facts(); !f.HelloRetry || f.Version != 0 {
		t.Fatalf("after HRR: HelloRetry %v Version %v", f.HelloRetry, f.Version)
	}
	feedAll(c, C2S, rec(TypeChangeCipherSpec, 0x0303, []byte{1})) // middlebox compatibility
	feedAll(c, C2S, rec(TypeHandshake, 0x0303, clientHello(2, "b.test")))
	if f := c.Facts(); f.SNI != "b.test" || f.ClientRandom[0] != 2 || len(f.ALPNOffered) != 0 {
		t.Fatalf("second ClientHello not read: SNI %q random %x", f.SNI, f.ClientRandom[:1])
	}
	var r [32]byte
	r[0] = 9
	feedAll(c, S2C, rec(TypeHandshake, 0x0303, serverHello(r, 0x1301)))
	feedAll(c, C2S, rec(TypeApplicationData, 0x0303, make([]byte, 40))) // Finished
	feedAll(c, C2S, rec(TypeApplicationData, 0x0303, make([]byte, 90))) // request
	f := c.Facts()
	if f.Version != VersionTLS13 || f.Suite != 0x1301 || f.RoundTrips != 2 {
		t.Errorf("Version %v Suite %v RoundTrips %d, want TLS 1.3, 0x1301, 2", f.Version, f.Suite, f.RoundTrips)
	}
}

func TestSSLv2Hello(t *testing.T) {
	// msg_type 1, version 3.1, 3 cipher specs, no session id, 16-byte challenge
	body := []byte{1, 3, 1, 0, 9, 0, 0, 0, 16}
	body = append(body, 0, 0, 0x2f, 0, 0, 0x35, 0, 0, 0x0a)
	body = append(body, bytes.Repeat([]byte{0xAB}, 16)...)
	b := append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
	if ok, more := Sniff(b); !ok || more {
		t.Fatalf("Sniff(SSLv2 hello) = %v, %v", ok, more)
	}
	col := &collector{}
	c := NewConn(col, nil, Limits{})
	feedAll(c, C2S, b)
	f := c.Facts()
	if !f.SSLv2Hello || f.OfferedVersion != VersionTLS10 || f.ClientRandom[16] != 0xAB || f.ClientRandom[15] != 0 {
		t.Errorf("facts %+v", f)
	}
	if len(col.records) != 1 || col.records[0].Type != TypeSSLv2Hello || col.records[0].HeaderLen != 2 {
		t.Errorf("records %+v", col.records)
	}
}

func TestSniff(t *testing.T) {
	cases := []struct {
		name      string
		in        string
		tls, more bool
	}{
		{"empty", "", false, true},
		{"handshake", "\x16\x03\x01\x02\x00", true, false},
		{"appdata midstream", "\x17\x03\x03\x40\x00", true, false},
		{"alert", "\x15\x03\x03\x00\x02", true, false},
		{"short", "\x16\x03", false, true},
		{"http", "GET / HTTP/1.1\r\n", false, false},
		{"bad version", "\x16\x04\x01\x00\x10", false, false},
		{"too long", "\x17\x03\x03\xff\xff", false, false},
		{"zero length", "\x16\x03\x01\x00\x00", false, false},
	}
	for _, tc := range cases {
		tls, more := Sniff([]byte(tc.in))
		if tls != tc.tls || more != tc.more {
			t.Errorf("%s: Sniff(%q) = %v, %v, want %v, %v", tc.name, tc.in, tls, more, tc.tls, tc.more)
		}
	}
}

func TestAlertsAndLimits(t *testing.T) {
	col := &collector{}
	c := NewConn(col, nil, Limits{MaxHandshake: 100, MaxRecord: 300})
	feedAll(c, S2C, rec(TypeAlert, 0x0303, []byte{2, 40}))
	big := hsMsg(HSCertificate, make([]byte, 500))
	for i := 0; i < len(big); i += 250 {
		feedAll(c, S2C, rec(TypeHandshake, 0x0303, big[i:min(i+250, len(big))]))
	}
	feedAll(c, S2C, rec(TypeHandshake, 0x0303, hsMsg(HSServerHelloDone, nil)))
	f := c.Facts()
	if len(f.Alerts) != 1 || f.Alerts[0].Name() != "handshake_failure" || !f.Anomalies.Has(AnomFatalAlert) {
		t.Errorf("alerts %+v anomalies %v", f.Alerts, f.Anomalies.Names(nil))
	}
	if !f.Anomalies.Has(AnomHandshakeTooLong) || len(c.half[S2C].hs) > 104 {
		t.Errorf("oversized handshake: anomalies %v, %d bytes held", f.Anomalies.Names(nil), len(c.half[S2C].hs))
	}
	last := col.records[len(col.records)-1]
	if last.NHandshake != 1 || last.Handshake[0] != HSServerHelloDone {
		t.Errorf("the message after the skipped one: %+v", last)
	}
	// a record over MaxRecord: resynchronised at the next header
	feedAll(c, S2C, []byte{0x16, 3, 3, 0x10, 0})
	feedAll(c, S2C, bytes.Repeat([]byte{0x55}, 100))
	feedAll(c, S2C, rec(TypeAlert, 0x0303, []byte{1, 0}))
	f = c.Facts()
	if !f.Anomalies.Has(AnomRecordTooLong) || len(f.Alerts) != 2 || f.Alerts[1].Name() != "close_notify" {
		t.Errorf("after a too long record: anomalies %v alerts %+v", f.Anomalies.Names(nil), f.Alerts)
	}
	if cap(c.half[S2C].body) > 300 {
		t.Errorf("body buffer grew to %d", cap(c.half[S2C].body))
	}
}

func TestKeyLogErrors(t *testing.T) {
	good := "CLIENT_RANDOM " + strings.Repeat("ab", 32) + " " + strings.Repeat("cd", 48) + "\n"
	cases := []struct{ name, in, err string }{
		{"fields", "CLIENT_RANDOM abc\n", "line 1: want LABEL CLIENT_RANDOM SECRET"},
		{"random", "CLIENT_RANDOM abc " + strings.Repeat("cd", 48), "line 1: client random"},
		{"secret hex", "CLIENT_TRAFFIC_SECRET_0 " + strings.Repeat("ab", 32) + " zz", "line 1: CLIENT_TRAFFIC_SECRET_0 secret"},
		{"master length", "CLIENT_RANDOM " + strings.Repeat("ab", 32) + " " + strings.Repeat("cd", 32), "48"},
		{"second line", good + "X Y\n", "line 2"},
	}
	for _, tc := range cases {
		_, err := ReadKeyLog(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: ReadKeyLog = %v, want an error with %q", tc.name, err, tc.err)
		}
	}
	kl, err := ReadKeyLog(strings.NewReader("# comment\n\nRSA 0011 2233\n" + good))
	if err != nil || kl.Len() != 1 || kl.Skipped != 1 {
		t.Fatalf("ReadKeyLog = %v, %v", kl, err)
	}
	var cr [32]byte
	for i := range cr {
		cr[i] = 0xab
	}
	if s := kl.Lookup(cr); s == nil || len(s.Master) != 48 {
		t.Errorf("Lookup = %+v", s)
	}
}

// TestExpandLabel checks HKDF-Expand-Label against RFC 8448 §3 (simple 1-RTT
// handshake): the server handshake traffic secret's write key and IV.
func TestExpandLabel(t *testing.T) {
	secret := unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
	key := expandLabel(0x5, secret, "key", 16) // crypto.SHA256 == 5
	iv := expandLabel(0x5, secret, "iv", 12)
	if got, want := hexs(key), "3fce516009c21727d0f2e4e86ee403bc"; got != want {
		t.Errorf("key = %s, want %s", got, want)
	}
	if got, want := hexs(iv), "5d313eb2671276ee13000b30"; got != want {
		t.Errorf("iv = %s, want %s", got, want)
	}
}

// TestPRF12 checks the TLS 1.2 PRF with SHA-256 against the published test vector
// (IETF TLS WG mailing list, "TLS 1.2 PRF test vectors").
func TestPRF12(t *testing.T) {
	secret := unhex("9bbe436ba940f017b17652849a71db35")
	seed := unhex("a0ba9f936cda311827a6f796ffd5198c")
	out := prf12(0x5, secret, "test label", seed, 100)
	want := "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
	if hexs(out) != want {
		t.Errorf("PRF = %s\nwant %s", hexs(out), want)
	}
}

func unhex(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			default:
				v |= byte(c-'a') + 10
			}
		}
		b[i] = v
	}
	return b
}

func hexs(b []byte) string {
	const d = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(d[c>>4])
		s.WriteByte(d[c&15])
	}
	return s.String()
}

// TestZeroAlloc: decrypting application data records, whole or split across Feed
// calls, allocates nothing.
func TestZeroAlloc(t *testing.T) {
	for _, tc := range suiteCases {
		s := newSession(t, sessionOpts{version: tc.version, suite: tc.suite,
			reqs: []string{req("/a")}, respSize: 1 << 20})
		kl := mustKeyLog(t, s.keylog)
		c := NewConn(&nopHandler{}, kl, Limits{})
		// the handshake and all but the last writes
		var off [2]uint64
		var app []write
		for _, w := range s.writes {
			if w.dir == S2C && w.data[0] == 23 && len(w.data) > 16000 {
				app = append(app, w)
				continue
			}
			if len(app) == 0 {
				c.Feed(w.dir, off[w.dir], w.data, 1, 1)
				off[w.dir] += uint64(len(w.data))
			}
		}
		if len(app) < 8 {
			t.Fatalf("%s: %d big records", tc.name, len(app))
		}
		i := 0
		allocs := testing.AllocsPerRun(len(app)-2, func() {
			w := app[i]
			i++
			half := len(w.data) / 3
			c.Feed(S2C, off[S2C], w.data[:half], 2, 2)
			c.Feed(S2C, off[S2C]+uint64(half), w.data[half:], 2, 2)
			off[S2C] += uint64(len(w.data))
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per record", tc.name, allocs)
		}
		if c.Facts().Anomalies != 0 {
			t.Errorf("%s: anomalies %v", tc.name, c.Facts().Anomalies.Names(nil))
		}
	}
}

type nopHandler struct{ n int }

func (h *nopHandler) TLSRecord(r *Record)                     {}
func (h *nopHandler) TLSPlaintext(d Dir, b []byte, r *Record) { h.n += len(b) }
func (h *nopHandler) TLSPlainGap(d Dir, n uint64, r *Record)  {}
