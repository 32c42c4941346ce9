package http1

import (
	"strings"
	"testing"
)

type nopHandler struct{ n int }

func (h *nopHandler) OnExchange(x *Exchange) { h.n++ }

func feedSegments(p *Parser, dir Dir, b []byte, seg int) {
	for i := 0; i < len(b); i += seg {
		j := min(i+seg, len(b))
		p.Feed(dir, b[i:j], uint64(i), int64(i))
	}
}

var browserReq = "GET /static/app.js?v=123 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36\r\n" +
	"Accept: */*\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\nReferer: https://www.example.com/\r\nCookie: session=abcdef0123456789; theme=dark\r\nConnection: keep-alive\r\n\r\n"

func benchBody(b *testing.B, body int, seg int, chunked bool, lim Limits) {
	benchBodyChunk(b, body, seg, chunked, 16<<10, lim)
}

func benchBodyChunk(b *testing.B, body int, seg int, chunked bool, chunkSize int, lim Limits) {
	var resp strings.Builder
	if chunked {
		resp.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
		chunk := strings.Repeat("x", chunkSize)
		for n := 0; n < body; n += len(chunk) {
			resp.WriteString(strings.ToLower(hex(chunkSize)) + "\r\n" + chunk + "\r\n")
		}
		resp.WriteString("0\r\n\r\n")
	} else {
		resp.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + itoa(body) + "\r\n\r\n")
		resp.WriteString(strings.Repeat("x", body))
	}
	req := []byte(browserReq)
	rb := []byte(resp.String())
	h := &nopHandler{}
	p := NewParser(h, lim)
	b.SetBytes(int64(len(rb)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Reset()
		p.Feed(C2S, req, 1, 1)
		feedSegments(p, S2C, rb, seg)
		p.Finish(2)
	}
	if h.n != b.N {
		b.Fatalf("%d exchanges, want %d", h.n, b.N)
	}
}

func BenchmarkContentLength1MiB_1448(b *testing.B) { benchBody(b, 1<<20, 1448, false, Limits{}) }
func BenchmarkContentLength16MiB_64K(b *testing.B) { benchBody(b, 16<<20, 64<<10, false, Limits{}) }
func BenchmarkChunked1MiB_1448(b *testing.B)       { benchBody(b, 1<<20, 1448, true, Limits{}) }
func BenchmarkChunked16MiB_64K(b *testing.B)       { benchBody(b, 16<<20, 64<<10, true, Limits{}) }
func BenchmarkChunked1MiB_100B(b *testing.B) {
	benchBodyChunk(b, 1<<20, 1448, true, 100, Limits{})
}
func BenchmarkKeepBodies1MiB_1448(b *testing.B) {
	benchBody(b, 1<<20, 1448, false, Limits{KeepBodies: true})
}

// BenchmarkPipelined measures per-exchange cost: 100 browser requests and
// small responses per connection.
func BenchmarkPipelined(b *testing.B) {
	var req, resp strings.Builder
	for i := 0; i < 100; i++ {
		req.WriteString(browserReq)
		resp.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\nCache-Control: max-age=3600\r\nContent-Length: 11\r\n\r\nconsole.log")
	}
	rq, rs := []byte(req.String()), []byte(resp.String())
	h := &nopHandler{}
	p := NewParser(h, Limits{})
	b.SetBytes(int64(len(rq) + len(rs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Reset()
		feedSegments(p, C2S, rq, 1448)
		feedSegments(p, S2C, rs, 1448)
		p.Finish(0)
	}
}

// TestBodyZeroAlloc proves that body bytes are only counted.
func TestBodyZeroAlloc(t *testing.T) {
	body := make([]byte, 1448)
	for _, chunked := range []bool{false, true} {
		p := NewParser(&nopHandler{}, Limits{})
		p.Feed(C2S, []byte(browserReq), 1, 1)
		if chunked {
			p.Feed(S2C, []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n"), 2, 2)
		} else {
			p.Feed(S2C, []byte("HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n"), 2, 2)
		}
		allocs := testing.AllocsPerRun(1000, func() {
			p.Feed(S2C, body, 3, 3)
			p.Gap(S2C, 10, 3)
		})
		if allocs != 0 {
			t.Errorf("chunked=%v: %v allocations per body Feed, want 0", chunked, allocs)
		}
	}
}

// TestResetNoAlloc checks that a reused parser does not allocate per
// connection once warm, beyond header strings.
func TestResetNoAlloc(t *testing.T) {
	p := NewParser(&nopHandler{}, Limits{})
	run := func() {
		p.Reset()
		p.Feed(C2S, []byte("GET / HTTP/1.1\r\n\r\n"), 1, 1)
		p.Feed(S2C, []byte("HTTP/1.1 204 No Content\r\n\r\n"), 2, 2)
		p.Finish(3)
	}
	run()
	if a := testing.AllocsPerRun(100, p.Reset); a != 0 {
		t.Errorf("Reset: %v allocations, want 0", a)
	}
	// One string per start line, one per header block: 4 allocations at most.
	if a := testing.AllocsPerRun(100, run); a > 4 {
		t.Errorf("%v allocations per connection, want <= 4", a)
	}
}

// BenchmarkResyncBinary measures scanning for a start line through 1 MiB of
// binary bytes (a capture that started inside a large body).
func BenchmarkResyncBinary(b *testing.B) {
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7919 >> 3)
	}
	h := &nopHandler{}
	p := NewParser(h, Limits{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Reset()
		feedSegments(p, S2C, data, 1448)
		p.Finish(0)
	}
}

// BenchmarkDecodeGzip measures DecodeBodies on a 1 MiB text body (gzip),
// bytes counted on the wire: the length from the gzip trailer (default) and
// from inflating the body (VerifyCoding).
func BenchmarkDecodeGzip1MiB(b *testing.B) { benchGzip(b, Limits{DecodeBodies: true}) }
func BenchmarkDecodeGzip1MiBVerify(b *testing.B) {
	benchGzip(b, Limits{DecodeBodies: true, VerifyCoding: true})
}

func benchGzip(b *testing.B, lim Limits) {
	body := gz(strings.Repeat("segscope reassembles HTTP/1.x and decodes bodies. ", 1<<20/50))
	resp := []byte(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", body))
	req := []byte(browserReq)
	h := &nopHandler{}
	p := NewParser(h, lim)
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Reset()
		p.Feed(C2S, req, 1, 1)
		feedSegments(p, S2C, resp, 1448)
		p.Finish(2)
	}
}
