package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"slices"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// want describes the fields of one exchange a test checks; empty fields are not checked.
type want struct {
	verdict   string
	method    string
	uri       string
	status    int
	reqBody   int64
	respBody  int64
	decoded   int64 // checked when nonzero
	interim   []int
	upgrade   string
	anomalies []Anomaly // must all be present
	noReq     bool
	noResp    bool
	clean     bool // no anomaly at all
}

func check(t *testing.T, name string, xs []summary, ws []want) {
	t.Helper()
	if len(xs) != len(ws) {
		t.Fatalf("%s: %d exchanges, want %d:\n%+v", name, len(xs), len(ws), xs)
	}
	for i, w := range ws {
		x := xs[i]
		if x.Depth != i+1 {
			t.Errorf("%s: exchange %d depth = %d, want %d", name, i, x.Depth, i+1)
		}
		if w.verdict != "" && x.Verdict != w.verdict {
			t.Errorf("%s: exchange %d verdict = %s, want %s (anomalies %s)", name, i+1, x.Verdict, w.verdict, x.Anom)
		}
		if (x.Req == nil) != w.noReq {
			t.Errorf("%s: exchange %d has request = %v, want %v", name, i+1, x.Req != nil, !w.noReq)
		}
		if (x.Resp == nil) != w.noResp {
			t.Errorf("%s: exchange %d has response = %v, want %v", name, i+1, x.Resp != nil, !w.noResp)
		}
		if x.Req != nil {
			if w.method != "" && x.Req.Method != w.method {
				t.Errorf("%s: exchange %d method = %q, want %q", name, i+1, x.Req.Method, w.method)
			}
			if w.uri != "" && x.Req.URI != w.uri {
				t.Errorf("%s: exchange %d uri = %q, want %q", name, i+1, x.Req.URI, w.uri)
			}
			if x.Req.BodyLen != w.reqBody {
				t.Errorf("%s: exchange %d request body = %d, want %d", name, i+1, x.Req.BodyLen, w.reqBody)
			}
		}
		if x.Resp != nil {
			if w.status != 0 && x.Resp.Status != w.status {
				t.Errorf("%s: exchange %d status = %d, want %d", name, i+1, x.Resp.Status, w.status)
			}
			if x.Resp.BodyLen != w.respBody {
				t.Errorf("%s: exchange %d response body = %d, want %d", name, i+1, x.Resp.BodyLen, w.respBody)
			}
			if w.decoded != 0 && x.Resp.DecodedLen != w.decoded {
				t.Errorf("%s: exchange %d decoded = %d, want %d (anomalies %s)", name, i+1, x.Resp.DecodedLen, w.decoded, x.Anom)
			}
		}
		if w.interim != nil && !slices.Equal(x.Interim, w.interim) {
			t.Errorf("%s: exchange %d interim = %v, want %v", name, i+1, x.Interim, w.interim)
		}
		if x.Upgrade != w.upgrade {
			t.Errorf("%s: exchange %d upgrade = %q, want %q", name, i+1, x.Upgrade, w.upgrade)
		}
		if w.clean && x.Anom != "" {
			t.Errorf("%s: exchange %d anomalies = [%s], want none", name, i+1, x.Anom)
		}
		for _, a := range w.anomalies {
			if !strings.Contains(","+x.Anom+",", ","+a.String()+",") {
				t.Errorf("%s: exchange %d anomalies = [%s], want %s among them", name, i+1, x.Anom, a)
			}
		}
	}
}

const (
	get  = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
	ok0  = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	ok5  = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
	post = "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"
)

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func zl(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func rawDeflate(s string) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, 5)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func br(s string) string {
	var b bytes.Buffer
	w := brotli.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func withBody(head, body string) string {
	return head + "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestScenarios(t *testing.T) {
	text := strings.Repeat("segscope reassembles HTTP. ", 100)
	tests := []struct {
		name string
		lim  Limits
		ops  []op
		want []want
	}{
		{
			name: "pipelined with HEAD",
			ops: []op{
				c2s(get + "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n" + post),
				s2c(ok5 + "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
			},
			want: []want{
				{verdict: "complete", method: "GET", status: 200, respBody: 5, clean: true},
				{verdict: "complete", method: "HEAD", status: 200, clean: true},
				{verdict: "complete", method: "POST", status: 201, reqBody: 4, respBody: 3, clean: true},
			},
		},
		{
			name: "100-continue",
			ops: []op{
				c2s("POST /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
				s2c("HTTP/1.1 100 Continue\r\n\r\n"),
				c2s("data"),
				s2c("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" + ok5),
				c2s(get), s2c(ok0),
			},
			want: []want{
				{verdict: "complete", method: "POST", status: 200, reqBody: 4, respBody: 5, interim: []int{100, 103}},
				{verdict: "complete", method: "GET", status: 200, interim: []int{}},
			},
		},
		{
			name: "101 websocket",
			ops: []op{
				c2s("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
				s2c("HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi"),
				c2s("\x81\x85GET / HTTP/1.1\r\n\r\n"),
			},
			want: []want{{verdict: "complete", status: 101, upgrade: "websocket"}},
		},
		{
			name: "CONNECT 200",
			ops: []op{
				c2s("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n\x16\x03\x01\x00\x05hello"),
				s2c("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x01x"),
			},
			want: []want{{verdict: "complete", method: "CONNECT", status: 200}},
		},
		{
			name: "CONNECT carrying plain HTTP",
			ops: []op{
				c2s("CONNECT 10.0.0.2:80 HTTP/1.1\r\nHost: 10.0.0.2:80\r\n\r\n"),
				s2c("HTTP/1.1 200 Connection established\r\n\r\n"),
				c2s(get + get), s2c(ok5 + ok0),
			},
			want: []want{
				{verdict: "complete", method: "CONNECT", status: 200},
				{verdict: "complete", method: "GET", status: 200, respBody: 5},
				{verdict: "complete", method: "GET", status: 200},
			},
		},
		{
			name: "CONNECT carrying plain HTTP sent early",
			ops: []op{
				c2s("CONNECT 10.0.0.2:80 HTTP/1.1\r\nHost: 10.0.0.2:80\r\n\r\n" + get),
				s2c("HTTP/1.1 200 Connection established\r\n\r\n" + ok5),
			},
			want: []want{
				{verdict: "complete", method: "CONNECT", status: 200},
				{verdict: "complete", method: "GET", status: 200, respBody: 5},
			},
		},
		{
			name: "CONNECT 407 then retry",
			ops: []op{
				c2s("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\nCONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nProxy-Authorization: x\r\n\r\n"),
				s2c("HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
			},
			want: []want{{verdict: "complete", status: 407}, {verdict: "complete", status: 200}},
		},
		{
			name: "HTTP/1.0 close-delimited",
			ops: []op{
				c2s("GET / HTTP/1.0\r\n\r\n"),
				s2c("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n0123456789"),
				s2c("abc"),
				fin(S2C),
			},
			want: []want{{verdict: "complete", status: 200, respBody: 13}},
		},
		{
			name: "HTTP/0.9 simple request and bare response",
			ops:  []op{c2s("GET /bad.html\r\n"), s2c("<html>\n<h1>Bad!</h1>\n</html>\n"), fin(S2C), fin(C2S)},
			want: []want{{verdict: "complete", method: "GET", uri: "/bad.html", respBody: 29, anomalies: []Anomaly{AnomBadRequestLine}}},
		},
		{
			name: "HTTP/0.9 request answered with a status line",
			ops:  []op{c2s("GET /HTTP/1.1\nHost: a\n\n"), s2c("HTTP/1.0 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!")},
			want: []want{{verdict: "complete", method: "GET", status: 403, respBody: 3}},
		},
		{
			name: "close-delimited ended by Finish",
			ops:  []op{c2s(get), s2c("HTTP/1.1 200 OK\r\n\r\nxyz")},
			want: []want{{verdict: "complete", status: 200, respBody: 3}},
		},
		{
			name: "gzip decoded",
			lim:  Limits{DecodeBodies: true},
			ops:  []op{c2s(get), s2c(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", gz(text)))},
			want: []want{{verdict: "complete", status: 200, respBody: int64(len(gz(text))), decoded: int64(len(text))}},
		},
		{
			name: "x-gzip decoded",
			lim:  Limits{DecodeBodies: true},
			ops:  []op{c2s(get), s2c(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: x-gzip\r\n", gz(text)))},
			want: []want{{verdict: "complete", status: 200, respBody: int64(len(gz(text))), decoded: int64(len(text))}},
		},
		{
			name: "deflate zlib decoded",
			lim:  Limits{DecodeBodies: true},
			ops:  []op{c2s(get), s2c(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n", zl(text)))},
			want: []want{{verdict: "complete", status: 200, respBody: int64(len(zl(text))), decoded: int64(len(text))}},
		},
		{
			name: "deflate raw decoded",
			lim:  Limits{DecodeBodies: true},
			ops:  []op{c2s(get), s2c(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n", rawDeflate(text)))},
			want: []want{{verdict: "complete", status: 200, respBody: int64(len(rawDeflate(text))), decoded: int64(len(text))}},
		},
		{
			name: "br decoded, chunked",
			lim:  Limits{DecodeBodies: true},
			ops: []op{c2s(get), s2c("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nTransfer-Encoding: chunked\r\n\r\n" +
				strings.ToLower(hex(len(br(text)))) + "\r\n" + br(text) + "\r\n0\r\n\r\n")},
			want: []want{{verdict: "complete", status: 200, respBody: int64(len(br(text))), decoded: int64(len(text))}},
		},
		{
			name: "gzip, br decoded in reverse order",
			lim:  Limits{DecodeBodies: true},
			ops:  []op{c2s(get), s2c(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: gzip, br\r\n", br(gz(text))))},
			want: []want{{verdict: "complete", status: 200, respBody: int64(len(br(gz(text)))), decoded: int64(len(text))}},
		},
		{
			name: "gzip bomb over the cap",
			lim:  Limits{DecodeBodies: true, MaxDecoded: 1000},
			ops:  []op{c2s(get), s2c(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", gz(strings.Repeat("\x00", 1<<20))))},
			want: []want{{verdict: "complete", status: 200, respBody: int64(len(gz(strings.Repeat("\x00", 1<<20)))), decoded: -1, anomalies: []Anomaly{AnomDecodedTooLarge}}},
		},
		{
			name: "corrupt gzip",
			lim:  Limits{DecodeBodies: true},
			ops:  []op{c2s(get), s2c(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", "not gzip"))},
			want: []want{{verdict: "complete", status: 200, respBody: 8, decoded: -1, anomalies: []Anomaly{AnomBadContentEncoding}}},
		},
		{
			name: "HEAD response with Content-Encoding",
			lim:  Limits{DecodeBodies: true},
			ops:  []op{c2s("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"), s2c("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 100\r\n\r\n")},
			want: []want{{verdict: "complete", status: 200, clean: true}},
		},
		{
			name: "no decoding when not asked",
			ops:  []op{c2s(get), s2c(withBody("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n", gz(text)))},
			want: []want{{verdict: "complete", status: 200, respBody: int64(len(gz(text))), decoded: -1}},
		},
		{
			name: "gap inside body",
			ops:  []op{c2s(get + get), s2c("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"), gap(S2C, 5), s2c("xyz" + ok5)},
			want: []want{
				{verdict: "gap", status: 200, respBody: 10},
				{verdict: "complete", status: 200, respBody: 5},
			},
		},
		{
			name: "gap inside chunk data",
			ops: []op{c2s(get + get), s2c("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nab"), gap(S2C, 5),
				s2c("xyz\r\n0\r\n\r\n" + ok5)},
			want: []want{
				{verdict: "gap", status: 200, respBody: 10},
				{verdict: "complete", status: 200, respBody: 5},
			},
		},
		{
			name: "gap in response headers resyncs",
			ops: []op{c2s(get + get), s2c("HTTP/1.1 200 OK\r\nContent-Le"), gap(S2C, 3),
				s2c(": 5\r\n\r\nhello" + ok5)},
			want: []want{
				{verdict: "gap", status: 200},
				{verdict: "complete", status: 200, respBody: 5, anomalies: []Anomaly{AnomResync}},
			},
		},
		{
			name: "gap in request headers resyncs",
			ops:  []op{c2s("POST / HTTP/1.1\r\nHost: a\r\nContent-Le"), gap(C2S, 10), c2s("ngth: 3\r\n\r\nabc" + get), s2c(ok0 + ok5)},
			want: []want{
				{verdict: "gap", method: "POST", status: 200},
				{verdict: "complete", method: "GET", status: 200, respBody: 5, anomalies: []Anomaly{AnomResync}},
			},
		},
		{
			name: "gap between messages resyncs",
			// The 30 lost bytes began where a request had to begin: a request was lost,
			// and the second response is its answer (servers answer in order); the
			// request found after the resync got none.
			ops: []op{c2s(get), gap(C2S, 30), c2s("ost: a\r\n\r\n" + get), s2c(ok0 + ok0)},
			want: []want{
				{verdict: "complete", status: 200},
				{verdict: "gap", status: 200, noReq: true, anomalies: []Anomaly{AnomRequestInGap}},
				{verdict: "no_response", noResp: true, anomalies: []Anomaly{AnomResync}},
			},
		},
		{
			name: "mid-stream start",
			ops: []op{c2s("dy of an earlier post\r\nmore\r\nGET /n HTTP/1.1\r\nHost: a\r\n\r\n"),
				s2c("ontent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")},
			want: []want{{verdict: "complete", uri: "/n", status: 200, respBody: 5, anomalies: []Anomaly{AnomResync}}},
		},
		{
			name: "response without request",
			ops:  []op{s2c(ok5)},
			want: []want{{verdict: "no_request", status: 200, respBody: 5, noReq: true, anomalies: []Anomaly{AnomResponseWithoutRequest}}},
		},
		{
			name: "request without response",
			ops:  []op{c2s(get + post), s2c(ok0)},
			want: []want{{verdict: "complete", status: 200}, {verdict: "no_response", reqBody: 4, noResp: true}},
		},
		{
			name: "response lost in a gap",
			ops:  []op{c2s(get + get), gap(S2C, 2902), fin(S2C)},
			want: []want{{verdict: "gap", noResp: true}, {verdict: "gap", noResp: true}},
		},
		{
			name: "truncated response",
			ops:  []op{c2s(get), s2c("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), fin(S2C)},
			want: []want{{verdict: "truncated", status: 200, respBody: 3}},
		},
		{
			name: "request after close",
			ops:  []op{c2s(get), s2c("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), c2s(get), s2c(ok0)},
			want: []want{{verdict: "complete"}, {verdict: "complete", anomalies: []Anomaly{AnomRequestAfterClose}}},
		},
		{
			name: "data after close",
			ops:  []op{c2s(get), fin(C2S), c2s(get), s2c(ok0 + ok0)},
			want: []want{{verdict: "complete"}, {verdict: "complete", anomalies: []Anomaly{AnomDataAfterClose}}},
		},
		{
			name: "conflicting content-length resyncs",
			ops: []op{c2s("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc" + get),
				s2c(ok0 + ok0)},
			want: []want{
				{verdict: "truncated", status: 200, anomalies: []Anomaly{AnomConflictingContentLength}},
				{verdict: "complete", status: 200, anomalies: []Anomaly{AnomResync}},
			},
		},
		{
			name: "bad chunk size resyncs",
			ops:  []op{c2s(get + get), s2c("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + ok5)},
			want: []want{
				{verdict: "truncated", status: 200, anomalies: []Anomaly{AnomBadChunkSize}},
				{verdict: "complete", status: 200, respBody: 5},
			},
		},
		{
			name: "trailers",
			ops:  []op{c2s(get), s2c("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X\r\n\r\n2;a=b\r\nhi\r\n3\r\nabc\r\n0\r\nX: y\r\n\r\n")},
			want: []want{{verdict: "complete", status: 200, respBody: 5, anomalies: []Anomaly{AnomChunkExtension}}},
		},
		{
			name: "pipeline overflow bounded",
			lim:  Limits{MaxPipeline: 2},
			ops:  []op{c2s(get + get + get), s2c(ok0)},
			want: []want{
				{verdict: "no_response", noResp: true, anomalies: []Anomaly{AnomPipelineOverflow}},
				{verdict: "complete", status: 200},
				{verdict: "no_response", noResp: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := runOps(tt.lim, tt.ops...)
			check(t, tt.name, r.xs, tt.want)
		})
	}
}

func hex(n int) string {
	const d = "0123456789ABCDEF"
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{d[n%16]}, b...)
		n /= 16
	}
	return string(b)
}
