package http1

import (
	"slices"
	"testing"
)

func hdrs(kv ...string) []Header {
	var h []Header
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, Header{kv[i], kv[i+1]})
	}
	return h
}

func TestBodyFraming(t *testing.T) {
	type in struct {
		resp   bool
		method string
		status int
		http10 bool
		h      []Header
	}
	tests := []struct {
		name string
		in   in
		f    Framing
		n    int64
		an   []Anomaly
	}{
		{"request without length", in{false, "GET", 0, false, nil}, FramingNone, 0, nil},
		{"request content-length", in{false, "POST", 0, false, hdrs("Content-Length", "12")}, FramingContentLength, 12, nil},
		{"request content-length zero", in{false, "POST", 0, false, hdrs("Content-Length", "0")}, FramingContentLength, 0, nil},
		{"request chunked", in{false, "POST", 0, false, hdrs("Transfer-Encoding", "chunked")}, FramingChunked, 0, nil},
		{"request gzip, chunked", in{false, "POST", 0, false, hdrs("Transfer-Encoding", "gzip, chunked")}, FramingChunked, 0, nil},
		{"request chunked case", in{false, "POST", 0, false, hdrs("transfer-encoding", "Chunked")}, FramingChunked, 0, nil},
		{"request te not chunked", in{false, "POST", 0, false, hdrs("Transfer-Encoding", "gzip")}, FramingInvalid, 0, []Anomaly{AnomBadTransferEncoding}},
		{"request chunked then gzip", in{false, "POST", 0, false, hdrs("Transfer-Encoding", "chunked, gzip")}, FramingInvalid, 0, []Anomaly{AnomBadTransferEncoding}},
		{"request chunked twice", in{false, "POST", 0, false, hdrs("Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked")}, FramingChunked, 0, []Anomaly{AnomBadTransferEncoding}},
		{"cl and te", in{false, "POST", 0, false, hdrs("Content-Length", "3", "Transfer-Encoding", "chunked")}, FramingChunked, 0, []Anomaly{AnomContentLengthAndChunked}},
		{"te in http/1.0", in{false, "POST", 0, true, hdrs("Transfer-Encoding", "chunked", "Content-Length", "2")}, FramingContentLength, 2, []Anomaly{AnomTransferEncodingHTTP10}},
		{"duplicate cl list", in{false, "POST", 0, false, hdrs("Content-Length", "5, 5")}, FramingContentLength, 5, []Anomaly{AnomDuplicateContentLength}},
		{"duplicate cl fields", in{false, "POST", 0, false, hdrs("Content-Length", "5", "Content-Length", "5")}, FramingContentLength, 5, []Anomaly{AnomDuplicateContentLength}},
		{"conflicting cl list", in{false, "POST", 0, false, hdrs("Content-Length", "5, 6")}, FramingInvalid, 0, []Anomaly{AnomConflictingContentLength}},
		{"conflicting cl fields", in{true, "GET", 200, false, hdrs("Content-Length", "5", "Content-Length", "50")}, FramingInvalid, 0, []Anomaly{AnomConflictingContentLength}},
		{"invalid cl sign", in{false, "POST", 0, false, hdrs("Content-Length", "+5")}, FramingInvalid, 0, []Anomaly{AnomInvalidContentLength}},
		{"invalid cl hex", in{false, "POST", 0, false, hdrs("Content-Length", "0x10")}, FramingInvalid, 0, []Anomaly{AnomInvalidContentLength}},
		{"invalid cl empty", in{false, "POST", 0, false, hdrs("Content-Length", "")}, FramingInvalid, 0, []Anomaly{AnomInvalidContentLength}},
		{"invalid cl overflow", in{false, "POST", 0, false, hdrs("Content-Length", "99999999999999999999")}, FramingInvalid, 0, []Anomaly{AnomInvalidContentLength}},
		{"invalid cl empty item", in{false, "POST", 0, false, hdrs("Content-Length", "5,")}, FramingInvalid, 0, []Anomaly{AnomInvalidContentLength}},
		{"response close-delimited", in{true, "GET", 200, false, nil}, FramingCloseDelimited, 0, nil},
		{"response te gzip", in{true, "GET", 200, false, hdrs("Transfer-Encoding", "gzip")}, FramingCloseDelimited, 0, nil},
		{"response to HEAD with cl", in{true, "HEAD", 200, false, hdrs("Content-Length", "100")}, FramingNone, 0, nil},
		{"response to HEAD chunked", in{true, "HEAD", 200, false, hdrs("Transfer-Encoding", "chunked")}, FramingNone, 0, nil},
		{"100 continue", in{true, "POST", 100, false, nil}, FramingNone, 0, nil},
		{"103 early hints", in{true, "GET", 103, false, hdrs("Link", "</a>")}, FramingNone, 0, nil},
		{"204 with cl", in{true, "GET", 204, false, hdrs("Content-Length", "5")}, FramingNone, 0, []Anomaly{AnomBodyNotAllowed}},
		{"304 with cl", in{true, "GET", 304, false, hdrs("Content-Length", "5")}, FramingNone, 0, nil},
		{"101 upgrade", in{true, "GET", 101, false, hdrs("Upgrade", "websocket")}, FramingTunnel, 0, nil},
		{"connect 200", in{true, "CONNECT", 200, false, hdrs("Content-Length", "5")}, FramingTunnel, 0, nil},
		{"connect 407", in{true, "CONNECT", 407, false, hdrs("Content-Length", "5")}, FramingContentLength, 5, nil},
		{"response unknown method", in{true, "", 200, false, hdrs("Content-Length", "7")}, FramingContentLength, 7, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, n, an := BodyFraming(tt.in.resp, tt.in.method, tt.in.status, tt.in.http10, tt.in.h)
			if f != tt.f || n != tt.n || !slices.Equal(an, tt.an) {
				t.Errorf("BodyFraming(%+v) = %s, %d, %v; want %s, %d, %v", tt.in, f, n, an, tt.f, tt.n, tt.an)
			}
		})
	}
}
