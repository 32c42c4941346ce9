package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// keeper keeps copies of what retain.go adds to messages.
type keeper struct {
	reqs, resps     []Message
	reqBody, rsBody []string
}

func copyMsg(m *Message) Message {
	c := *m
	c.Headers = append([]Header(nil), m.Headers...)
	c.Trailers = append([]Header(nil), m.Trailers...)
	c.HeadersCut = append([]int(nil), m.HeadersCut...)
	c.TrailersCut = append([]int(nil), m.TrailersCut...)
	c.Body = nil
	return c
}

func (k *keeper) OnExchange(x *Exchange) {
	if x.Req != nil {
		k.reqs = append(k.reqs, copyMsg(x.Req))
		k.reqBody = append(k.reqBody, string(x.Req.Body))
	}
	if x.Resp != nil {
		k.resps = append(k.resps, copyMsg(x.Resp))
		k.rsBody = append(k.rsBody, string(x.Resp.Body))
	}
}

// feedPieces feeds c and s in pieces of n bytes (all of c first) and finishes.
func feedPieces(lim Limits, n int, c, s string) *keeper {
	k := &keeper{}
	p := NewParser(k, lim)
	for d, data := range [2]string{c, s} {
		for i := 0; i < len(data); i += n {
			p.Feed(Dir(d), []byte(data[i:min(i+n, len(data))]), uint64(i+1), int64(i))
		}
	}
	p.Finish(1 << 30)
	return k
}

func TestHeaderCutByLimits(t *testing.T) {
	long := strings.Repeat("a", 200)
	tests := []struct {
		name   string
		lim    Limits
		req    string
		want   []Header
		cut    []int
		anom   Anomaly
		trails bool
	}{
		{
			name: "line over MaxLine keeps its first MaxLine bytes",
			lim:  Limits{MaxLine: 64},
			req:  "GET / HTTP/1.1\r\nHost: h\r\nX-Long: " + long + "\r\nAfter: 1\r\n\r\n",
			want: []Header{{Name: "Host", Value: "h"}, {Name: "X-Long", Value: long[:64-len("X-Long: ")]}, {Name: "After", Value: "1"}},
			cut:  []int{1},
			anom: AnomLineTooLong,
		},
		{
			name: "field crossing MaxHeaderBytes keeps the part within, later fields dropped",
			lim:  Limits{MaxHeaderBytes: 40},
			req:  "GET / HTTP/1.1\r\nHost: h\r\nCookie: " + long + "\r\nAfter: 1\r\n\r\n",
			// The block (start line 16 bytes, Host line 9) may hold 40: the Cookie line
			// keeps 40-16-9-2 (its CRLF) = 13 bytes, "Cookie: " and 5 of its value.
			want: []Header{{Name: "Host", Value: "h"}, {Name: "Cookie", Value: long[:5]}},
			cut:  []int{1},
			anom: AnomHeadersTooLarge,
		},
		{
			name: "obs-fold continuation over MaxLine marks the folded field",
			lim:  Limits{MaxLine: 32},
			req:  "GET / HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n " + long + "\r\n\r\n",
			want: []Header{{Name: "Host", Value: "h"}, {Name: "X-Fold", Value: "a " + long[:31]}},
			cut:  []int{1},
			anom: AnomLineTooLong,
		},
		{
			name:   "trailer over MaxLine",
			lim:    Limits{MaxLine: 32},
			req:    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Trail: " + long + "\r\n\r\n",
			want:   []Header{{Name: "X-Trail", Value: long[:32-len("X-Trail: ")]}},
			cut:    []int{0},
			anom:   AnomLineTooLong,
			trails: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []int{1, 7, 1 << 20} {
				k := feedPieces(tc.lim, n, tc.req, "")
				if len(k.reqs) != 1 {
					t.Fatalf("split %d: %d requests, want 1", n, len(k.reqs))
				}
				m := k.reqs[0]
				got, cut := m.Headers, m.HeadersCut
				if tc.trails {
					got, cut = m.Trailers, m.TrailersCut
				}
				if !equalHeaders(got, tc.want) {
					t.Errorf("split %d: fields = %q, want %q", n, got, tc.want)
				}
				if !equalInts(cut, tc.cut) {
					t.Errorf("split %d: cut = %v, want %v", n, cut, tc.cut)
				}
				if !hasAnom(m.Anomalies, tc.anom) {
					t.Errorf("split %d: anomalies %v lack %v", n, m.Anomalies, tc.anom)
				}
			}
		})
	}
}

func equalHeaders(a, b []Header) bool {
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

func equalInts(a, b []int) bool {
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

func hasAnom(as []Anomaly, a Anomaly) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func TestKeepBodiesZeroFillsGaps(t *testing.T) {
	tests := []struct {
		name, head string
		parts      []string // "" is a gap of 4 bytes
		want       string
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", []string{"abc", "", "xyz"}, "abc\x00\x00\x00\x00xyz"},
		{"gap ends the body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", []string{"abc", ""}, "abc\x00\x00"},
		{"close-delimited", "HTTP/1.1 200 OK\r\n\r\n", []string{"ab", "", "c"}, "ab\x00\x00\x00\x00c"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", []string{"8\r\nab", "", "cd\r\n0\r\n\r\n"}, "ab\x00\x00\x00\x00cd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := &keeper{}
			p := NewParser(k, Limits{KeepBodies: true})
			p.Feed(C2S, []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 1, 1)
			p.Feed(S2C, []byte(tc.head), 2, 2)
			for i, s := range tc.parts {
				if s == "" {
					p.Gap(S2C, 4, int64(i+3))
				} else {
					p.Feed(S2C, []byte(s), uint64(i+3), int64(i+3))
				}
			}
			p.Finish(100)
			if len(k.rsBody) != 1 {
				t.Fatalf("%d responses, want 1", len(k.rsBody))
			}
			if k.rsBody[0] != tc.want {
				t.Errorf("body = %q, want %q", k.rsBody[0], tc.want)
			}
			if int64(len(k.rsBody[0])) != k.resps[0].BodyLen {
				t.Errorf("len(Body) = %d, BodyLen %d", len(k.rsBody[0]), k.resps[0].BodyLen)
			}
		})
	}
}

func TestBodyBudget(t *testing.T) {
	bg := &BodyBudget{Left: 8}
	k := &keeper{}
	p := NewParser(k, Limits{KeepBodies: true, MaxBody: 6, Budget: bg})
	req := "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
	p.Feed(C2S, []byte(req+req+req), 1, 1)
	// Three pipelined responses arrive before any is complete... they complete in order,
	// so the first releases its bytes before the third starts.
	p.Feed(S2C, []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n"), 2, 2)
	if got := bg.Left; got != 8 {
		t.Errorf("after the first exchange: Left = %d, want 8 (bytes given back)", got)
	}
	if k.rsBody[0] != "012345" {
		t.Errorf("first body = %q, want the MaxBody cut %q", k.rsBody[0], "012345")
	}
	// Hold the budget with a second connection's parser sharing it.
	k2 := &keeper{}
	p2 := NewParser(k2, Limits{KeepBodies: true, MaxBody: 6, Budget: bg})
	p2.Feed(C2S, []byte(req), 1, 1)
	p2.Feed(S2C, []byte("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcde"), 2, 2)
	if bg.Left != 3 {
		t.Fatalf("Left = %d with 5 bytes held, want 3", bg.Left)
	}
	p.Feed(S2C, []byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwxyz"), 3, 3)
	if k.rsBody[1] != "wxy" {
		t.Errorf("second body = %q, want %q (budget spent)", k.rsBody[1], "wxy")
	}
	if bg.Cut != 1 {
		t.Errorf("Cut = %d, want 1", bg.Cut)
	}
	p2.Feed(S2C, []byte("f"), 3, 3)
	// A Content-Length over MaxBody: none of the body is copied.
	p.Feed(S2C, []byte("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n1234567"), 5, 5)
	if k.rsBody[2] != "" || k.resps[2].BodyLen != 7 {
		t.Errorf("body over MaxBody by Content-Length = %q (BodyLen %d), want none kept", k.rsBody[2], k.resps[2].BodyLen)
	}
	p.Finish(10)
	p2.Finish(10)
	if bg.Left != 8 {
		t.Errorf("at the end Left = %d, want 8", bg.Left)
	}
}

func TestKeepBodiesNoAllocOnceWarm(t *testing.T) {
	p := NewParser(&nopHandler{}, Limits{KeepBodies: true, MaxBody: 1 << 20, Budget: &BodyBudget{Left: 1 << 30}})
	body := make([]byte, 1448)
	run := func() {
		p.Feed(C2S, []byte("GET / HTTP/1.1\r\nHost: h\r\nX-Long: "+strings.Repeat("v", 10)+"\r\n\r\n"), 1, 1)
		p.Feed(S2C, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2896\r\n\r\n"), 2, 2)
		p.Feed(S2C, body, 3, 3)
		p.Feed(S2C, body, 4, 4)
	}
	run()
	run()
	// Per exchange: one string per start line and header block at most (4); the body
	// buffer and the cut indexes are reused.
	if a := testing.AllocsPerRun(200, run); a > 4 {
		t.Errorf("%v allocations per exchange with bodies kept, want <= 4", a)
	}
}

func TestDecodeBody(t *testing.T) {
	plain := []byte(strings.Repeat("segscope decodes bodies. ", 40))
	gz := func(b []byte) []byte {
		var o bytes.Buffer
		w := gzip.NewWriter(&o)
		w.Write(b)
		w.Close()
		return o.Bytes()
	}
	zl := func(b []byte) []byte {
		var o bytes.Buffer
		w := zlib.NewWriter(&o)
		w.Write(b)
		w.Close()
		return o.Bytes()
	}
	raw := func(b []byte) []byte {
		var o bytes.Buffer
		w, _ := flate.NewWriter(&o, 5)
		w.Write(b)
		w.Close()
		return o.Bytes()
	}
	br := func(b []byte) []byte {
		var o bytes.Buffer
		w := brotli.NewWriter(&o)
		w.Write(b)
		w.Close()
		return o.Bytes()
	}
	tests := []struct {
		name, ce string
		body     []byte
		max      int64
		err      error
	}{
		{"identity", "identity", plain, 1 << 20, nil},
		{"identity list", "identity, identity", plain, 1 << 20, nil},
		{"none", "", plain, 1 << 20, nil},
		{"gzip", "gzip", gz(plain), 1 << 20, nil},
		{"x-gzip", "X-Gzip", gz(plain), 1 << 20, nil},
		{"deflate zlib", "deflate", zl(plain), 1 << 20, nil},
		{"deflate raw", "deflate", raw(plain), 1 << 20, nil},
		{"br", "br", br(plain), 1 << 20, nil},
		{"chain gzip then br", "gzip, br", br(gz(plain)), 1 << 20, nil},
		{"unknown", "zstd", plain, 1 << 20, ErrUnknownCoding},
		{"too large", "gzip", gz(plain), 100, ErrDecodedTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeBody(tc.ce, tc.body, tc.max)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("DecodeBody(%q) error = %v, want %v", tc.ce, err, tc.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("DecodeBody(%q) = %d bytes, %v; want the %d plain bytes", tc.ce, len(got), err, len(plain))
			}
		})
	}
	if _, err := DecodeBody("gzip", []byte("not gzip at all"), 1<<20); err == nil {
		t.Error("DecodeBody(gzip, garbage) = nil error")
	}
}
