package analysis

import (
	"reflect"
	"strings"
	"testing"

	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// parseMsgs runs the real HTTP/1 parser over whole streams and returns copies of the
// requests and responses it found, in order.
func parseMsgs(t *testing.T, c2s, s2c string) (reqs, resps []*http1.Message) {
	t.Helper()
	cp := func(m *http1.Message) *http1.Message {
		c := *m
		c.Chunks = append([]http1.ChunkMark(nil), m.Chunks...)
		c.Headers = append([]http1.Header(nil), m.Headers...)
		c.Trailers = append([]http1.Header(nil), m.Trailers...)
		c.FirstTS, c.LastTS = 0, 0 // the tests' segments carry the times
		return &c
	}
	p := http1.NewParser(http1.HandlerFunc(func(x *http1.Exchange) {
		if x.Req != nil {
			reqs = append(reqs, cp(x.Req))
		}
		if x.Resp != nil {
			resps = append(resps, cp(x.Resp))
		}
	}), http1.Limits{})
	if c2s != "" {
		p.Feed(http1.C2S, []byte(c2s), 1, t0)
	}
	if s2c != "" {
		p.Feed(http1.S2C, []byte(s2c), 2, t0)
	}
	p.Finish(t0)
	return reqs, resps
}

// checkInvariants asserts the anatomy invariants of issue 5.
func checkInvariants(t *testing.T, a *report.Anatomy, segs []SegRecord) {
	t.Helper()
	var sum int64
	for _, s := range a.Segments {
		sum += int64(s.MsgBytes)
		if s.IPTotalLen != s.IPHdrLen+s.TCPHdrLen+s.Len && s.Fragments <= 1 {
			t.Errorf("frame %d: ip_total_len %d != %d + %d + %d", s.Frame, s.IPTotalLen, s.IPHdrLen, s.TCPHdrLen, s.Len)
		}
		found := false
		for _, r := range segs {
			if r.Frame == s.Frame {
				found = true
				if dirName(r.Dir) != a.Dir {
					t.Errorf("frame %d: direction %s, anatomy of %s", s.Frame, dirName(r.Dir), a.Dir)
				}
			}
		}
		if !found {
			t.Errorf("frame %d: not a segment of the connection", s.Frame)
		}
	}
	if sum+a.GapBytes != a.MsgLen {
		t.Errorf("sum(msg_bytes) %d + gap_bytes %d != msg_len %d", sum, a.GapBytes, a.MsgLen)
	}
	var layout int64
	for _, p := range a.Parts {
		if p.Kind == "gap" {
			continue
		}
		if p.Off != layout {
			t.Errorf("part %s at %d, want %d (contiguous)", p.Kind, p.Off, layout)
		}
		layout += p.Len
	}
	if layout != a.MsgLen {
		t.Errorf("parts cover %d bytes, msg_len %d", layout, a.MsgLen)
	}
	for i := 1; i < len(a.Segments); i++ {
		p, q := a.Segments[i-1], a.Segments[i]
		if p.Off > q.Off || (p.Off == q.Off && p.Frame > q.Frame) {
			t.Errorf("segments not in stream order: frame %d before %d", p.Frame, q.Frame)
		}
	}
}

type segWant struct {
	Frame    uint64
	Len      int
	MsgBytes int
}

func segsOf(a *report.Anatomy) []segWant {
	var out []segWant
	for _, s := range a.Segments {
		out = append(out, segWant{s.Frame, s.Len, s.MsgBytes})
	}
	return out
}

func partsString(a *report.Anatomy) string {
	var b strings.Builder
	for _, p := range a.Parts {
		b.WriteString(p.Kind)
		b.WriteString(":")
		b.WriteString(itoa(p.Off))
		b.WriteString("+")
		b.WriteString(itoa(p.Len))
		b.WriteString(" ")
	}
	return strings.TrimSpace(b.String())
}

func itoa(n int64) string { return fmtBytes(n) }

func TestAnatomy(t *testing.T) {
	const get = "GET /x HTTP/1.1\r\nHost: example.com\r\n\r\n" // 17 + 19 + 2 = 38
	body3000 := strings.Repeat("a", 3000)
	resp3000 := "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + body3000 // 17 + 22 + 2 = 41 header bytes

	tests := []struct {
		name      string
		build     func(c *conn) // segments
		c2s, s2c  string
		dir       uint8
		msg       int // index among the direction's messages
		wantSegs  []segWant
		wantParts string
		check     func(t *testing.T, a *report.Anatomy)
	}{
		{
			name: "response split over three segments",
			s2c:  resp3000,
			build: func(c *conn) {
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, len(get))
				c.add(ms, dirS2C, tcp.ACK, 1448)
				c.add(ms/10, dirS2C, tcp.ACK, 1448)
				c.add(ms/10, dirS2C, tcp.ACK|tcp.PSH, 145)
			},
			c2s: get,
			dir: dirS2C,
			wantSegs: []segWant{
				{5, 1448, 1448}, {6, 1448, 1448}, {7, 145, 145},
			},
			wantParts: "start_line:0+17 headers:17+24 body:41+3,000",
			check: func(t *testing.T, a *report.Anatomy) {
				want := report.AnatomySummary{Segments: 3, IPPackets: 3, Overhead: 3 * 52, MSS: 1448, Span: report.Duration(ms / 5)}
				if a.Summary != want {
					t.Errorf("summary = %+v, want %+v", a.Summary, want)
				}
				if a.Title != "200 OK" || a.MsgLen != 3041 || a.HeaderLen != 41 || a.BodyLen != 3000 {
					t.Errorf("title %q len %d header %d body %d", a.Title, a.MsgLen, a.HeaderLen, a.BodyLen)
				}
				if a.Segments[0].Rel != 0 || a.Segments[2].Rel != report.Duration(ms/5) {
					t.Errorf("rel = %d .. %d", a.Segments[0].Rel, a.Segments[2].Rel)
				}
			},
		},
		{
			name: "segment carries the end of request 1 and the start of request 2",
			c2s:  get + strings.Replace(get, "/x", "/y", 1),
			build: func(c *conn) {
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 20)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 18+10) // 18 of request 1, 10 of request 2
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 28)
			},
			dir: dirC2S, msg: 1,
			wantSegs:  []segWant{{5, 28, 10}, {6, 28, 28}},
			wantParts: "start_line:0+17 headers:17+21",
			check: func(t *testing.T, a *report.Anatomy) {
				if a.Title != "GET /y" || a.MsgOff != 38 {
					t.Errorf("title %q off %d", a.Title, a.MsgOff)
				}
			},
		},
		{
			name: "segment carries the end of request 1 (request 1 view)",
			c2s:  get + strings.Replace(get, "/x", "/y", 1),
			build: func(c *conn) {
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 20)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 28)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 28)
			},
			dir: dirC2S, msg: 0,
			wantSegs: []segWant{{4, 20, 20}, {5, 28, 18}},
		},
		{
			name: "retransmitted copy delivers nothing",
			s2c:  resp3000,
			c2s:  get,
			build: func(c *conn) {
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, len(get))
				c.add(ms, dirS2C, tcp.ACK, 1448)
				c.add(ms/10, dirS2C, tcp.ACK, 1448)
				c.add(ms/10, dirS2C, tcp.ACK|tcp.PSH, 145)
				c.retrans(212*ms, dirS2C, 1448, 1448)
			},
			dir: dirS2C,
			wantSegs: []segWant{
				{5, 1448, 1448}, {6, 1448, 1448}, {8, 1448, 0}, {7, 145, 145},
			},
			check: func(t *testing.T, a *report.Anatomy) {
				if a.Summary.Retransmissions != 1 || a.Summary.FirstRetransGap != report.Duration(212*ms+ms/10) {
					t.Errorf("retransmissions %d after %d", a.Summary.Retransmissions, a.Summary.FirstRetransGap)
				}
				if a.Summary.Segments != 4 || a.Summary.Overhead != 4*52 {
					t.Errorf("summary %+v", a.Summary)
				}
			},
		},
		{
			name: "gap in the middle of the body",
			s2c:  resp3000,
			c2s:  get,
			build: func(c *conn) {
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, len(get))
				c.add(ms, dirS2C, tcp.ACK, 1448)
				c.skip(dirS2C, 1448)
				c.add(ms/10, dirS2C, tcp.ACK|tcp.PSH, 145)
			},
			dir:       dirS2C,
			wantSegs:  []segWant{{5, 1448, 1448}, {6, 145, 145}},
			wantParts: "start_line:0+17 headers:17+24 body:41+3,000 gap:1,448+1,448",
			check: func(t *testing.T, a *report.Anatomy) {
				if a.GapBytes != 1448 {
					t.Errorf("gap bytes %d", a.GapBytes)
				}
			},
		},
		{
			name: "chunked body with extension and trailer",
			c2s:  get,
			s2c: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + // 17 + 28 + 2 = 47
				"5\r\nhello\r\n" + // 3 + 7
				"a;ext=1\r\n0123456789\r\n" + // 9 + 12
				"0\r\nX-T: 1\r\n\r\n", // 3 + 10
			build: func(c *conn) {
				c.handshake(ms)
				c.add(ms, dirC2S, tcp.ACK|tcp.PSH, len(get))
				c.add(ms, dirS2C, tcp.ACK, 60)
				c.add(ms, dirS2C, tcp.ACK|tcp.PSH, 31)
			},
			dir:       dirS2C,
			wantSegs:  []segWant{{5, 60, 60}, {6, 31, 31}},
			wantParts: "start_line:0+17 headers:17+30 chunk_header:47+3 chunk_data:50+7 chunk_header:57+9 chunk_data:66+12 chunk_header:78+3 trailer:81+10",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConn()
			tt.build(c)
			reqs, resps := parseMsgs(t, tt.c2s, tt.s2c)
			msgs := reqs
			if tt.dir == dirS2C {
				msgs = resps
			}
			if tt.msg >= len(msgs) {
				t.Fatalf("parser found %d messages", len(msgs))
			}
			var a report.Anatomy
			Anatomy(&c.ci, tt.msg+1, tt.dir, msgs[tt.msg], c.segs, c.dels, c.gaps, &a)
			checkInvariants(t, &a, c.segs)
			if got := segsOf(&a); !reflect.DeepEqual(got, tt.wantSegs) {
				t.Errorf("Anatomy segments = %+v, want %+v", got, tt.wantSegs)
			}
			if tt.wantParts != "" {
				if got := partsString(&a); got != tt.wantParts {
					t.Errorf("Anatomy parts = %s\nwant %s", got, tt.wantParts)
				}
			}
			if tt.check != nil {
				tt.check(t, &a)
			}
		})
	}
}

// TestAnatomyReusesSlices: a second call overwrites, never appends to, dst.
func TestAnatomyReusesSlices(t *testing.T) {
	c := newConn()
	c.handshake(ms)
	c.add(ms, dirC2S, tcp.ACK|tcp.PSH, 38)
	reqs, _ := parseMsgs(t, "GET /x HTTP/1.1\r\nHost: example.com\r\n\r\n", "")
	var a report.Anatomy
	Anatomy(&c.ci, 1, dirC2S, reqs[0], c.segs, c.dels, c.gaps, &a)
	Anatomy(&c.ci, 1, dirC2S, reqs[0], c.segs, c.dels, c.gaps, &a)
	if len(a.Segments) != 1 || len(a.Parts) != 2 || a.Summary.Segments != 1 {
		t.Errorf("second call: %d segments, %d parts, summary %+v", len(a.Segments), len(a.Parts), a.Summary)
	}
}

func TestSenderMSS(t *testing.T) {
	c := newConn()
	c.add(0, dirS2C, tcp.ACK, 100)
	if got := senderMSS(&c.ci, dirS2C, c.segs); got != 1448 {
		t.Errorf("senderMSS with TS = %d, want 1448", got)
	}
	c.ci.MSS = [2]int{0, 0}
	if got := senderMSS(&c.ci, dirS2C, c.segs); got != 100 {
		t.Errorf("senderMSS without handshake = %d, want 100 (largest seen)", got)
	}
}
