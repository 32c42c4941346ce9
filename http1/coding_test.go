package http1

import (
	"bytes"
	"compress/gzip"
	"math/rand/v2"
	"strings"
	"testing"
)

// gzWith compresses s as one gzip member with the given header fields and level.
func gzWith(t testing.TB, s string, level int, name string, extra []byte) string {
	t.Helper()
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Name, w.Extra = name, extra
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func randomText(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return string(b)
}

// decodedOf parses one GET and a response carrying body with the given
// Content-Encoding, fed in segments of seg bytes (0: one Feed), and returns
// the response's DecodedLen and anomalies.
func decodedOf(t *testing.T, lim Limits, ce, body string, seg int) (int64, string) {
	t.Helper()
	resp := withBody("HTTP/1.1 200 OK\r\nContent-Encoding: "+ce+"\r\n", body)
	r := &recorder{}
	p := NewParser(r, lim)
	p.Feed(C2S, []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1, 1)
	if seg <= 0 {
		seg = len(resp)
	}
	feedSegments(p, S2C, []byte(resp), seg)
	p.Finish(2)
	if len(r.xs) != 1 || r.xs[0].Resp == nil {
		t.Fatalf("%d exchanges, want 1 with a response", len(r.xs))
	}
	return r.xs[0].Resp.DecodedLen, anomString(r.xs[0].Resp.Anomalies)
}

// TestGzipTrailerLength checks that the decoded length taken from the gzip
// trailer (the default) equals the length found by inflating the body
// (VerifyCoding), for real gzip bodies, however the body is split.
func TestGzipTrailerLength(t *testing.T) {
	text := strings.Repeat("segscope reads the gzip trailer. ", 300)
	cases := []struct {
		name string
		ce   string
		body string
		want int64
	}{
		{"empty", "gzip", gz(""), 0},
		{"one byte", "gzip", gz("x"), 1},
		{"text", "gzip", gz(text), int64(len(text))},
		{"x-gzip", "x-gzip", gz(text), int64(len(text))},
		{"upper case", "GZIP", gz(text), int64(len(text))},
		{"with identity", "identity, gzip", gz(text), int64(len(text))},
		{"stored (level 0)", "gzip", gzWith(t, text, gzip.NoCompression, "", nil), int64(len(text))},
		{"best compression", "gzip", gzWith(t, text, gzip.BestCompression, "", nil), int64(len(text))},
		{"FNAME and FEXTRA", "gzip", gzWith(t, text, gzip.DefaultCompression, "index.html", []byte("ab\x02\x00xy")), int64(len(text))},
		{"random 200 KiB", "gzip", gz(randomText(200<<10, 1)), 200 << 10},
		{"zeros 3 MiB", "gzip", gz(strings.Repeat("\x00", 3<<20)), 3 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, seg := range []int{0, 1448, 7, 1} {
				if seg == 1 && len(c.body) > 4096 {
					continue
				}
				got, an := decodedOf(t, Limits{DecodeBodies: true}, c.ce, c.body, seg)
				ver, van := decodedOf(t, Limits{DecodeBodies: true, VerifyCoding: true}, c.ce, c.body, seg)
				if got != c.want || an != "" {
					t.Errorf("trailer: DecodedLen(seg %d) = %d [%s], want %d []", seg, got, an, c.want)
				}
				if ver != got || van != an {
					t.Errorf("inflated: DecodedLen(seg %d) = %d [%s], trailer gave %d [%s]", seg, ver, van, got, an)
				}
			}
		})
	}
}

// TestGzipTrailerEdges covers the outcomes that differ between the trailer
// path and full inflation, and the cases that give -1.
func TestGzipTrailerEdges(t *testing.T) {
	text := strings.Repeat("corrupt me ", 500)
	good := gz(text)
	badTrailer := good[:len(good)-4] + "\x01\x00\x00\x00" // ISIZE 1
	badCRC := good[:len(good)-8] + "\x00\x00\x00\x00" + good[len(good)-4:]
	badData := good[:12] + strings.Repeat("\xff", len(good)-20) + good[len(good)-8:]
	multi := gz("first member ") + gz("second")
	flags := good[:3] + "\x20" + good[4:] // a reserved FLG bit
	def, ver := Limits{DecodeBodies: true}, Limits{DecodeBodies: true, VerifyCoding: true}
	cases := []struct {
		name string
		lim  Limits
		ce   string
		body string
		want int64
		anom string
	}{
		{"corrupt ISIZE, trailer", def, "gzip", badTrailer, 1, ""},
		{"corrupt ISIZE, verified", ver, "gzip", badTrailer, -1, "bad_content_encoding"},
		{"corrupt CRC, trailer", def, "gzip", badCRC, int64(len(text)), ""},
		{"corrupt CRC, verified", ver, "gzip", badCRC, -1, "bad_content_encoding"},
		{"corrupt deflate data, verified", ver, "gzip", badData, -1, "bad_content_encoding"},
		// A multi-member body: the trailer path reports the last member's
		// size, full inflation the sum of all members (documented).
		{"multi-member, trailer", def, "gzip", multi, int64(len("second")), ""},
		{"multi-member, verified", ver, "gzip", multi, int64(len("first member second")), ""},
		{"not gzip", def, "gzip", "not gzip at all, but long enough", -1, "bad_content_encoding"},
		{"shorter than a member", def, "gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00", -1, "bad_content_encoding"},
		{"reserved flag bit", def, "gzip", flags, -1, "bad_content_encoding"},
		{"method not deflate", def, "gzip", good[:2] + "\x07" + good[3:], -1, "bad_content_encoding"},
		{"over MaxDecoded by ISIZE", Limits{DecodeBodies: true, MaxDecoded: 1000}, "gzip", good, -1, "decoded_too_large"},
		{"not asked", Limits{}, "gzip", good, -1, ""},
		{"not asked, verify alone", Limits{VerifyCoding: true}, "gzip", good, -1, ""},
		{"unknown coding", def, "compress", good, -1, ""},
		{"unknown coding after gzip", def, "gzip, zstd", good, -1, ""},
		{"deflate after gzip is decoded", def, "deflate, gzip", gz(rawDeflate(text)), int64(len(text)), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, an := decodedOf(t, c.lim, c.ce, c.body, 100)
			if got != c.want || an != c.anom {
				t.Errorf("DecodedLen = %d [%s], want %d [%s]", got, an, c.want, c.anom)
			}
		})
	}
}

// TestGzipTrailerGaps: a gzip body with bytes missing gives DecodedLen -1,
// wherever the gap is (header, middle, trailer), chunked or not.
func TestGzipTrailerGaps(t *testing.T) {
	body := gz(strings.Repeat("gap test ", 2000))
	n := len(body)
	for _, lim := range []Limits{{DecodeBodies: true}, {DecodeBodies: true, VerifyCoding: true}} {
		for _, g := range []struct {
			name      string
			at, width int
		}{{"header", 2, 4}, {"middle", n / 2, 10}, {"trailer", n - 6, 6}} {
			name := g.name
			if lim.VerifyCoding {
				name += ", verified"
			}
			t.Run(name, func(t *testing.T) {
				head := "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + itoa(n) + "\r\n\r\n"
				r, _ := runOps(lim, c2s("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
					s2c(head+body[:g.at]), gap(S2C, g.width), s2c(body[g.at+g.width:]))
				if len(r.xs) != 1 || r.xs[0].Resp == nil {
					t.Fatalf("%d exchanges, want 1 with a response", len(r.xs))
				}
				m := r.xs[0].Resp
				if m.DecodedLen != -1 || m.BodyLen != int64(n) || m.GapBytes != uint64(g.width) {
					t.Errorf("verify=%v: DecodedLen, BodyLen, GapBytes = %d, %d, %d, want -1, %d, %d",
						lim.VerifyCoding, m.DecodedLen, m.BodyLen, m.GapBytes, n, g.width)
				}
			})
		}
	}
}

// TestGzipTrailerChunked: the trailer window follows chunk data only, not
// the chunk framing.
func TestGzipTrailerChunked(t *testing.T) {
	text := strings.Repeat("chunked gzip ", 1000)
	body := gz(text)
	var resp strings.Builder
	resp.WriteString("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
	for rest := body; rest != ""; {
		k := min(len(rest), 5) // chunks shorter than the 8-byte trailer
		resp.WriteString(hex(k) + "\r\n" + rest[:k] + "\r\n")
		rest = rest[k:]
	}
	resp.WriteString("0\r\n\r\n")
	for _, seg := range []int{1, 3, 1448} {
		r := &recorder{}
		p := NewParser(r, Limits{DecodeBodies: true})
		p.Feed(C2S, []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1, 1)
		feedSegments(p, S2C, []byte(resp.String()), seg)
		p.Finish(2)
		if len(r.xs) != 1 || r.xs[0].Resp == nil || r.xs[0].Resp.DecodedLen != int64(len(text)) {
			t.Fatalf("seg %d: exchanges %+v, want one with DecodedLen %d", seg, r.xs, len(text))
		}
	}
}

// TestGzipTrailerNoAllocs: with the trailer path a gzip body costs no
// allocation and no buffer, however large.
func TestGzipTrailerNoAllocs(t *testing.T) {
	body := gz(randomText(256<<10, 2))
	resp := []byte(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", body))
	req := []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	h := &nopHandler{}
	p := NewParser(h, Limits{DecodeBodies: true})
	head := bytes.Index(resp, []byte("\r\n\r\n")) + 4
	run := func() {
		p.Reset()
		p.Feed(C2S, req, 1, 1)
		p.Feed(S2C, resp[:head], 2, 2)
		feedSegments(p, S2C, resp[head:], 1448)
		p.Finish(3)
	}
	run()
	small := testing.AllocsPerRun(5, func() {
		p.Reset()
		p.Feed(C2S, req, 1, 1)
		p.Feed(S2C, resp[:head], 2, 2)
		feedSegments(p, S2C, resp[head:head+1448], 1448)
		p.Finish(3)
	})
	large := testing.AllocsPerRun(5, run)
	if large > small {
		t.Errorf("allocations for a 256 KiB gzip body = %v, for its first segment %v: want no more", large, small)
	}
	if c := cap(p.half[S2C].enc); c != 0 {
		t.Errorf("encoded body buffer cap = %d, want 0 (nothing kept)", c)
	}
}
