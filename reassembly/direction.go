package reassembly

// Direction inference for a connection whose first segment is not a SYN.

import (
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/tcp"
)

// senderIsClient decides, from the first segment of a connection, whether its sender is
// the client: the SYN sender is the client, the SYN-ACK sender the server; then an HTTP
// request line or status line at the start of the payload; then ports.
func senderIsClient(seg *decode.Segment) bool {
	f := seg.Flags
	if f.Has(tcp.SYN) {
		return !f.Has(tcp.ACK)
	}
	if p := seg.Payload; len(p) > 0 {
		if isRequestLine(p) {
			return true
		}
		if len(p) >= 7 && string(p[:7]) == "HTTP/1." {
			return false
		}
	}
	sp, dp := seg.Src.Port(), seg.Dst.Port()
	ss, ds := isServerPort(sp), isServerPort(dp)
	switch {
	case ss && !ds:
		return false
	case ds && !ss:
		return true
	case sp < dp:
		return false
	default:
		return true
	}
}

// isServerPort reports whether p is a well-known port or a common HTTP/proxy port.
func isServerPort(p uint16) bool {
	switch p {
	case 8080, 8000, 8443, 3128, 8008, 8888:
		return true
	}
	return p < 1024
}

// isRequestLine reports whether p starts like an HTTP request line: a method token of
// upper-case letters, a space and a request target.
func isRequestLine(p []byte) bool {
	i := 0
	for i < len(p) && i <= 20 && (p[i] >= 'A' && p[i] <= 'Z' || p[i] == '-' || p[i] == '_') {
		i++
	}
	return i >= 3 && i <= 20 && i+1 < len(p) && p[i] == ' ' && p[i+1] > ' ' && p[i+1] < 0x7f
}
