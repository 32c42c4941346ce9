package http1

import (
	"slices"
	"testing"
)

// TestOffsetsAndFrames checks stream offsets, frames and times of pipelined
// messages split over several Feed calls.
func TestOffsetsAndFrames(t *testing.T) {
	r := &recorder{}
	p := NewParser(r, Limits{KeepBodies: true})
	p.Feed(C2S, []byte("GET /a HTTP/1.1\r\nHo"), 1, 100)
	p.Feed(C2S, []byte("st: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"), 2, 200)
	p.Feed(S2C, []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"), 3, 300)
	p.Feed(S2C, []byte("2\r\nde\r\n0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\n"), 4, 400)
	p.Feed(S2C, []byte("x"), 5, 500)
	p.Finish(600)
	if len(r.xs) != 2 {
		t.Fatalf("%d exchanges, want 2", len(r.xs))
	}
	type pos struct {
		start, head, end     uint64
		first, last          uint64
		firstTS, lastTS, hTS int64
	}
	get := func(m *Message) pos {
		return pos{m.StartOff, m.HeaderEnd, m.EndOff, m.FirstFrame, m.LastFrame, m.FirstTS, m.LastTS, m.HeadEndTS}
	}
	tests := []struct {
		name string
		m    *Message
		want pos
	}{
		{"request 1", r.xs[0].Req, pos{0, 28, 28, 1, 2, 100, 200, 200}},
		{"request 2", r.xs[1].Req, pos{28, 56, 56, 2, 2, 200, 200, 200}},
		{"response 1", r.xs[0].Resp, pos{0, 47, 67, 3, 4, 300, 400, 300}},
		{"response 2", r.xs[1].Resp, pos{67, 112, 113, 4, 5, 400, 500, 400}},
	}
	for _, tt := range tests {
		if got := get(tt.m); got != tt.want {
			t.Errorf("%s: offsets/frames = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if want := []ChunkMark{{47, 3}, {55, 2}, {62, 0}}; !slices.Equal(r.xs[0].Resp.Chunks, want) {
		t.Errorf("chunks = %v, want %v", r.xs[0].Resp.Chunks, want)
	}
	if r.xs[0].RBody != "abcde" {
		t.Errorf("chunked body = %q, want %q", r.xs[0].RBody, "abcde")
	}
	if h := r.xs[0].Resp.HeaderLen(); h != 47 {
		t.Errorf("HeaderLen = %d, want 47", h)
	}
}

// TestHeaders checks field parsing details.
func TestHeaders(t *testing.T) {
	r, _ := runOps(Limits{}, c2s("GET / HTTP/1.1\r\nHost:  a.example \r\nX-Fold: one\r\n\t two \r\nNoColon\r\nX-Space : v\r\nX-Empty:\r\nSet: 1\r\nSet: 2\r\n\r\n"))
	want := []Header{{"Host", "a.example"}, {"X-Fold", "one two"}, {"X-Space", "v"}, {"X-Empty", ""}, {"Set", "1"}, {"Set", "2"}}
	m := r.xs[0].Req
	if !slices.Equal(m.Headers, want) {
		t.Errorf("Headers = %q, want %q", m.Headers, want)
	}
	if m.Host != "a.example" {
		t.Errorf("Host = %q, want a.example", m.Host)
	}
	for _, a := range []Anomaly{AnomObsFold, AnomHeaderWithoutColon, AnomSpaceBeforeColon} {
		if !slices.Contains(m.Anomalies, a) {
			t.Errorf("Anomalies = %v, want %s among them", m.Anomalies, a)
		}
	}
}

func TestKeepAlive(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"1.1 default", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
		{"1.1 close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", false},
		{"1.1 close in list", "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", false},
		{"1.0 default", "GET / HTTP/1.0\r\n\r\n", false},
		{"1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := runOps(Limits{}, c2s(tt.in))
			if got := r.xs[0].Req.KeepAlive; got != tt.want {
				t.Errorf("KeepAlive(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestUpgradeRefused: client bytes held after an Upgrade request are parsed
// when the server answers without switching.
func TestUpgradeRefused(t *testing.T) {
	r, p := runOps(Limits{},
		c2s("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n"+get),
		s2c(ok5+ok0))
	check(t, "upgrade refused", r.xs, []want{{verdict: "complete", status: 200, respBody: 5}, {verdict: "complete", status: 200}})
	if p.Protocol() != ProtoHTTP1 {
		t.Errorf("Protocol = %s, want http1", p.Protocol())
	}
	r, p = runOps(Limits{},
		c2s("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
		s2c("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x00\x12\x04"))
	check(t, "h2c", r.xs, []want{{verdict: "complete", status: 101, upgrade: "h2c"}})
	if p.Protocol() != ProtoTunnel {
		t.Errorf("Protocol = %s, want tunnel", p.Protocol())
	}
}

// TestReset checks that a reused parser gives the same exchanges as a new one.
func TestReset(t *testing.T) {
	fresh := func(req, resp string) string {
		return splitRun(Limits{KeepBodies: true, DecodeBodies: true}, []byte(req), []byte(resp), C2S, 0, 0, nil)
	}
	r := &recorder{}
	p := NewParser(r, Limits{KeepBodies: true, DecodeBodies: true})
	for _, s := range splitSeeds {
		p.Reset()
		r.out = r.out[:0]
		p.Feed(C2S, []byte(s[0]), 1, 1)
		p.Feed(S2C, []byte(s[1]), 2, 2)
		p.Close(S2C, 3)
		p.Finish(3)
		got := ""
		for _, o := range r.out {
			got += o
		}
		got += "proto=" + p.Protocol().String() + " sni=" + p.SNI() + " conn=" + anomString(p.ConnAnomalies())
		if want := fresh(s[0], s[1]); got != want {
			t.Errorf("reused parser on %q:\n%s\nwant\n%s", s[0], got, want)
		}
	}
}

func TestGapDecoding(t *testing.T) {
	body := gz("hello hello hello hello")
	r, _ := runOps(Limits{DecodeBodies: true},
		c2s(get), s2c("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n"+body[:5]), gap(S2C, 3), s2c(body[8:]))
	check(t, "gap in gzip body", r.xs, []want{{verdict: "gap", status: 200, respBody: int64(len(body)), decoded: -1}})
}

func TestStrings(t *testing.T) {
	for a := AnomNone; a <= AnomBadContentEncoding; a++ {
		if s := a.String(); s == "anomaly(?)" || s == "" {
			t.Errorf("Anomaly(%d).String() = %q", a, s)
		}
	}
	if s := Anomaly(999).String(); s != "anomaly(?)" {
		t.Errorf("Anomaly(999).String() = %q", s)
	}
	if VerdictNoResponse.String() != "no_response" || FramingCloseDelimited.String() != "close_delimited" || ProtoHTTP2.String() != "http2" {
		t.Error("String methods disagree with the JSON names")
	}
}

// TestDecoderReuse decodes several bodies of each coding on one parser, so
// the reused readers are exercised.
func TestDecoderReuse(t *testing.T) {
	text := "the quick brown fox jumps over the lazy dog, again and again"
	var req, resp string
	var ws []want
	for i := 0; i < 2; i++ {
		for _, c := range []struct{ ce, body string }{{"gzip", gz(text)}, {"deflate", zl(text)}, {"deflate", rawDeflate(text)}, {"br", br(text)}} {
			req += get
			resp += withBody("HTTP/1.1 200 OK\r\nContent-Encoding: "+c.ce+"\r\n", c.body)
			ws = append(ws, want{verdict: "complete", status: 200, respBody: int64(len(c.body)), decoded: int64(len(text))})
		}
	}
	r, _ := runOps(Limits{DecodeBodies: true}, c2s(req), s2c(resp))
	check(t, "decoder reuse", r.xs, ws)
}

// TestBounded feeds endless hostile streams and checks that the parser's
// buffers stay within the limits.
func TestBounded(t *testing.T) {
	lim := Limits{MaxLine: 256, MaxHeaderBytes: 4096, MaxHeaders: 16, MaxPipeline: 8}
	tests := []struct {
		name      string
		dir       Dir
		head, rep string
	}{
		{"endless obs-fold", C2S, "GET / HTTP/1.1\r\nX: a\r\n", " folded continuation line\r\n"},
		{"endless headers", C2S, "GET / HTTP/1.1\r\n", "X-Header: value value value\r\n"},
		{"endless long line", C2S, "GET / HTTP/1.1\r\nX: ", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"endless garbage", C2S, "", "garbage without any newline at all "},
		{"endless interim", S2C, "", "HTTP/1.1 100 Continue\r\n\r\n"},
		{"endless pipeline", C2S, "", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
		{"endless chunk ext", S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1;ext=aaaaaaaa\r\nx\r\n"},
		{"endless trailers", S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", "T: v\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewParser(&nopHandler{}, lim)
			p.Feed(tt.dir, []byte(tt.head), 1, 1)
			rep := []byte(tt.rep)
			for i := 0; i < 20000; i++ {
				p.Feed(tt.dir, rep, 2, 2)
			}
			h := &p.half[tt.dir]
			size := cap(h.line) + cap(h.arena) + cap(h.hold) + cap(h.enc) + cap(h.sniff)
			if size > 4*lim.MaxHeaderBytes {
				t.Errorf("buffers hold %d bytes, want <= %d", size, 4*lim.MaxHeaderBytes)
			}
			if len(h.spans) > lim.MaxHeaders || len(p.queue) > lim.MaxPipeline+1 {
				t.Errorf("%d fields, %d pending exchanges", len(h.spans), len(p.queue))
			}
			for _, ex := range p.queue {
				if len(ex.Interim) > maxInterim {
					t.Errorf("%d interim statuses kept", len(ex.Interim))
				}
				for _, m := range []*Message{&ex.reqMsg, &ex.respMsg} {
					if len(m.Chunks) > 4096 || len(m.Headers) > lim.MaxHeaders || len(m.Trailers) > lim.MaxHeaders {
						t.Errorf("%d chunks, %d headers, %d trailers", len(m.Chunks), len(m.Headers), len(m.Trailers))
					}
				}
			}
			p.Finish(3)
		})
	}
}

// TestSniffFrames: bytes held while ruling out the HTTP/2 preface keep the
// frame that carried them.
func TestSniffFrames(t *testing.T) {
	r := &recorder{}
	p := NewParser(r, Limits{})
	p.Feed(C2S, []byte("PR"), 7, 70)
	p.Feed(C2S, []byte("OPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n"), 8, 80)
	p.Feed(S2C, []byte("HTTP/1.1 207 Multi-Status\r\nContent-Length: 0\r\n\r\n"), 9, 90)
	p.Finish(100)
	if len(r.xs) != 1 || r.xs[0].Req == nil {
		t.Fatalf("exchanges = %+v, want one PROPFIND", r.xs)
	}
	m := r.xs[0].Req
	if m.Method != "PROPFIND" || m.FirstFrame != 7 || m.FirstTS != 70 || m.LastFrame != 8 || m.StartOff != 0 || m.HeaderEnd != 33 {
		t.Errorf("PROPFIND: method %q frames %d-%d ts %d offsets %d/%d, want PROPFIND frames 7-8 ts 70 offsets 0/33",
			m.Method, m.FirstFrame, m.LastFrame, m.FirstTS, m.StartOff, m.HeaderEnd)
	}
	if p.Protocol() != ProtoHTTP1 {
		t.Errorf("Protocol = %s, want http1", p.Protocol())
	}
}

// TestSetHandler: a reset parser reports to the handler set last.
func TestSetHandler(t *testing.T) {
	a, b := &recorder{}, &recorder{}
	p := NewParser(a, Limits{})
	p.Feed(C2S, []byte(get), 1, 1)
	p.Reset()
	p.SetHandler(b)
	p.Feed(C2S, []byte(get), 1, 1)
	p.Feed(S2C, []byte(ok0), 2, 2)
	p.Finish(3)
	if len(a.xs) != 0 || len(b.xs) != 1 {
		t.Errorf("exchanges to old, new handler = %d, %d; want 0, 1", len(a.xs), len(b.xs))
	}
}
