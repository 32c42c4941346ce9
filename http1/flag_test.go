package http1

import (
	"strings"
	"testing"
)

// mustFlag lists inputs that MUST be flagged: request smuggling shapes and
// other framing hazards. Each input is one direction's bytes.
var mustFlag = []struct {
	name string
	dir  Dir
	in   string
	want Anomaly
}{
	{"CL.TE", C2S, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", AnomContentLengthAndChunked},
	{"TE.CL", C2S, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", AnomContentLengthAndChunked},
	{"two different CLs", C2S, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n", AnomConflictingContentLength},
	{"CL list differs", C2S, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\nab", AnomConflictingContentLength},
	{"CL repeated same", C2S, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", AnomDuplicateContentLength},
	{"CL negative", C2S, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", AnomInvalidContentLength},
	{"CL plus sign", S2C, "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nab", AnomInvalidContentLength},
	{"TE xchunked", C2S, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", AnomBadTransferEncoding},
	{"TE chunked, identity", C2S, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n", AnomBadTransferEncoding},
	{"TE in HTTP/1.0", C2S, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", AnomTransferEncodingHTTP10},
	{"chunk size not hex", S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", AnomBadChunkSize},
	{"chunk size overflow", S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", AnomBadChunkSize},
	{"chunk size 0x prefix", C2S, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", AnomBadChunkSize},
	{"chunk size negative", C2S, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", AnomBadChunkSize},
	{"chunk data too long", S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", AnomBadChunkTerminator},
	{"chunk size bare LF", S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n", AnomBareLF},
	{"chunk extension", S2C, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;name=val\r\nab\r\n0\r\n\r\n", AnomChunkExtension},
	{"header without colon", C2S, "GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n", AnomHeaderWithoutColon},
	{"space before colon", C2S, "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", AnomSpaceBeforeColon},
	{"tab before colon", S2C, "HTTP/1.1 200 OK\r\nContent-Length\t: 0\r\n\r\n", AnomSpaceBeforeColon},
	{"obs-fold", C2S, "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n", AnomObsFold},
	{"obs-fold of TE", C2S, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", AnomObsFold},
	{"bare LF in headers", C2S, "GET / HTTP/1.1\nHost: a\n\n", AnomBareLF},
	{"bare LF in status line", S2C, "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", AnomBareLF},
	{"overlong header line", C2S, "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", 9000) + "\r\n\r\n", AnomLineTooLong},
	{"too many headers", C2S, "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: y\r\n", 201) + "\r\n", AnomTooManyHeaders},
	{"header block too large", C2S, "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: "+strings.Repeat("y", 4000)+"\r\n", 17) + "\r\n", AnomHeadersTooLarge},
	{"invalid header name", C2S, "GET / HTTP/1.1\r\nHost: a\r\nX(y): z\r\n\r\n", AnomInvalidHeaderName},
	{"NUL in header value", C2S, "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", AnomInvalidHeaderValue},
	{"unknown method", C2S, "FOO / HTTP/1.1\r\nHost: a\r\n\r\n", AnomUnknownMethod},
	{"HTTP/1.2", C2S, "GET / HTTP/1.2\r\nHost: a\r\n\r\n", AnomUnknownVersion},
	{"missing Host", C2S, "GET / HTTP/1.1\r\n\r\n", AnomMissingHost},
	{"two Hosts", C2S, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", AnomDuplicateHost},
	{"garbage before request", C2S, "\x00\x01garbage\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", AnomResync},
	{"bad request line after a request", C2S, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /a\x01b HTTP/1.1\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", AnomBadRequestLine},
	{"whitespace in target", C2S, "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", AnomWhitespaceInTarget},
	{"bad status line after a response", S2C, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 2000 OK\r\nHTTP/1.1 204 No Content\r\n\r\n", AnomBadStatusLine},
	{"broken version", C2S, "GET / HTTP/1.\nHost: a\n\n", AnomBadRequestLine},
	{"no version", C2S, "GET /HTTP/1.1\nHost: a\n\n", AnomBadRequestLine},
	{"no target", C2S, "OPTIONS HTTP/1.1\r\nHost: a\r\n\r\n", AnomBadRequestLine},
	{"odd method broken version", C2S, "CCM_POST / HTTP/1.\r\nHost: a\r\n\r\n", AnomBadRequestLine},
	{"204 with body", S2C, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", AnomBodyNotAllowed},
	{"orphan response", S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", AnomResponseWithoutRequest},
}

func TestMustFlag(t *testing.T) {
	for _, tt := range mustFlag {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := runOps(Limits{}, op{dir: tt.dir, data: tt.in})
			var all []string
			for _, x := range r.xs {
				all = append(all, x.Anom)
			}
			got := strings.Join(all, ";")
			if !strings.Contains(","+strings.ReplaceAll(got, ";", ",")+",", ","+tt.want.String()+",") {
				t.Errorf("anomalies(%q) = [%s], want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestProtocol(t *testing.T) {
	hello := tlsClientHello("example.com")
	tests := []struct {
		name  string
		ops   []op
		proto Proto
		sni   string
		n     int
	}{
		{"http", []op{c2s(get), s2c(ok0)}, ProtoHTTP1, "", 1},
		{"tls with sni", []op{c2s(hello), s2c("\x16\x03\x03\x00\x10HTTP/1.1 200 OK\r\n\r\n")}, ProtoTLS, "example.com", 0},
		{"tls split record", []op{c2s(hello[:3]), c2s(hello[3:20]), c2s(hello[20:])}, ProtoTLS, "example.com", 0},
		{"tls without sni", []op{c2s(tlsClientHello(""))}, ProtoTLS, "", 0},
		{"tls truncated hello", []op{c2s(hello[:30])}, ProtoTLS, "", 0},
		{"http2 preface", []op{c2s(h2Preface + "\x00\x00\x00\x04\x00\x00\x00\x00\x00"), s2c("\x00\x00\x00\x04")}, ProtoHTTP2, "", 0},
		{"http2 preface split", []op{c2s("PRI * HT"), c2s("TP/2.0\r\n\r\nSM\r\n\r\n")}, ProtoHTTP2, "", 0},
		{"PUT is not the preface", []op{c2s("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"), s2c(ok0)}, ProtoHTTP1, "", 1},
		{"server first status line", []op{s2c(ok0)}, ProtoHTTP1, "", 1},
		{"ssh", []op{s2c("SSH-2.0-OpenSSH_9.6\r\n"), c2s("SSH-2.0-OpenSSH_9.6\r\n" + strings.Repeat("\x00\x01binary", 10000))}, ProtoOther, "", 0},
		{"smtp short", []op{s2c("220 mail ESMTP\r\n"), c2s("EHLO x\r\n")}, ProtoOther, "", 0},
		{"nothing", nil, ProtoUnknown, "", 0},
		{"tls in CONNECT tunnel", []op{c2s("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"), s2c("HTTP/1.1 200 OK\r\n\r\n"), c2s(hello)}, ProtoTunnel, "example.com", 1},
		{"ssh in CONNECT tunnel", []op{c2s("CONNECT a:22 HTTP/1.1\r\nHost: a\r\n\r\n"), s2c("HTTP/1.1 200 OK\r\n\r\nSSH-2.0-x\r\n"), c2s("SSH-2.0-y\r\nGET / HTTP/1.1\r\n\r\n")}, ProtoTunnel, "", 1},
		{"tunnel after CONNECT", []op{c2s("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), s2c("HTTP/1.1 200 OK\r\n\r\n")}, ProtoTunnel, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, p := runOps(Limits{}, tt.ops...)
			if p.Protocol() != tt.proto || p.SNI() != tt.sni || len(r.xs) != tt.n {
				t.Errorf("Protocol, SNI, exchanges = %s, %q, %d; want %s, %q, %d", p.Protocol(), p.SNI(), len(r.xs), tt.proto, tt.sni, tt.n)
			}
		})
	}
}

// tlsClientHello builds a minimal TLS 1.2 ClientHello record, with a
// server_name extension when sni is not empty.
func tlsClientHello(sni string) string {
	var ext []byte
	if sni != "" {
		name := append([]byte{0, byte(len(sni) >> 8), byte(len(sni))}, sni...)
		list := append([]byte{byte(len(name) >> 8), byte(len(name))}, name...)
		ext = append([]byte{0, 0, byte(len(list) >> 8), byte(len(list))}, list...)
	}
	ext = append(ext, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00) // ec_point_formats
	body := []byte{0x03, 0x03}
	body = append(body, make([]byte, 32)...) // random
	body = append(body, 0)                   // session id
	body = append(body, 0, 2, 0x13, 0x01)    // cipher suites
	body = append(body, 1, 0)                // compression
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	rec := append([]byte{0x16, 0x03, 0x01, byte(len(hs) >> 8), byte(len(hs))}, hs...)
	return string(rec)
}

// TestLenientRequestLine checks what is taken from malformed request lines
// at a message boundary, and what is not taken at all.
func TestLenientRequestLine(t *testing.T) {
	tests := []struct {
		in                   string
		method, uri, version string
		ok                   bool
	}{
		{"GET / HTTP/1.", "GET", "/", "HTTP/1.", true},
		{"GET /HTTP/1.1", "GET", "/HTTP/1.1", "HTTP/0.9", true},
		{"OPTIONS HTTP/1.1", "OPTIONS", "", "HTTP/1.1", true},
		{"CCM_POST / HTTP/1.", "CCM_POST", "/", "HTTP/1.", true},
		{"OPTIONSHTTP/1.1", "", "", "", false},
		{"OPTIONS", "", "", "", false}, // a method alone: no request, as Zeek's baseline (tshark takes it)
		{"FOO", "", "", "", false},
		{"GET/ HTTP/1.1", "", "", "", false},
		{"\xc3\x83 / HTTP/1.", "", "", "", false},
		{"CCM_POST /HTTP/1.1", "CCM_POST", "/HTTP/1.1", "HTTP/0.9", true},
		{"FOO x", "", "", "", false},
		{"GET /a b HTTP/1.1", "GET", "/a b", "HTTP/1.1", true},
		{"GET /a b HTTP/1.", "", "", "", false},
		{"GET  / HTTP/1.1", "", "", "", false},
		{"THE END", "", "", "", false},
		{"get / HTTP/1.", "", "", "", false},
	}
	for _, tt := range tests {
		r, _ := runOps(Limits{}, c2s(tt.in+"\r\nHost: a\r\n\r\n"), s2c(ok0))
		x := r.xs[0]
		if !tt.ok {
			if x.Req != nil {
				t.Errorf("request line %q = %q %q %q, want none", tt.in, x.Req.Method, x.Req.URI, x.Req.Version)
			}
			continue
		}
		if x.Req == nil {
			t.Errorf("request line %q: no request, want %q %q %q", tt.in, tt.method, tt.uri, tt.version)
			continue
		}
		if x.Req.Method != tt.method || x.Req.URI != tt.uri || x.Req.Version != tt.version || x.Req.Host != "a" {
			t.Errorf("request line %q = %q %q %q host %q, want %q %q %q host a", tt.in, x.Req.Method, x.Req.URI, x.Req.Version, x.Req.Host, tt.method, tt.uri, tt.version)
		}
	}
}
