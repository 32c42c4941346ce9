package analysis

import "strings"

// TCP Fast Open (RFC 7413): a client that holds a cookie from an earlier connection to
// the server sends the first bytes of its request in the SYN; a server that accepts them
// acknowledges them in the SYN-ACK and hands them to the application at once, so the
// request does not wait for the handshake's round trip. Without a cookie the client
// sends the TFO option alone in its SYN (a cookie request) and the server's SYN-ACK may
// carry one.

// synData returns the payload bytes of the client's first SYN and whether the SYN-ACK
// acknowledged them (its acknowledgement covers the data, not only the SYN).
func (f *connFacts) synData(segs []SegRecord) (n int, accepted bool) {
	if f.synIdx < 0 || segs[f.synIdx].Len == 0 {
		return 0, false
	}
	n = segs[f.synIdx].Len
	if f.synAck >= 0 {
		// Relative acknowledgement numbers count the SYN as 1: acknowledging the SYN's n
		// bytes is n+1.
		accepted = int64(segs[f.synAck].Ack) >= int64(n)+1
	}
	return n, accepted
}

func hasOption(s *SegRecord, name string) bool {
	for _, o := range strings.Split(s.TCPOptions, ",") {
		if o == name {
			return true
		}
	}
	return false
}

// tfoText words what TCP Fast Open did in this handshake, "" when it played no part.
func tfoText(ci *ConnInfo, f *connFacts, segs []SegRecord) string {
	n, ok := f.synData(segs)
	switch {
	case n > 0 && ok:
		return "the client's SYN carried " + plural(n, "byte", "bytes") + " of the request (TCP Fast Open with a cookie from an earlier connection, RFC 7413) and the SYN-ACK acknowledged them: the server had the request after half a round trip, so TFO saved the round trip a plain handshake costs before the first request"
	case n > 0:
		return "the client's SYN carried " + plural(n, "byte", "bytes") + " (TCP Fast Open, RFC 7413) but the SYN-ACK acknowledged only the SYN: the server did not take the data (no valid cookie, or TFO off), the client sent it again after the handshake and the round trip was paid as usual"
	case f.synIdx >= 0 && hasOption(&segs[f.synIdx], "tfo"):
		t := "the client's SYN carried the TCP Fast Open option without data: a cookie request (RFC 7413)"
		if f.synAck >= 0 && hasOption(&segs[f.synAck], "tfo") {
			t += "; the SYN-ACK returned a cookie, so a later connection can send its request in the SYN"
		} else {
			t += "; the SYN-ACK returned no cookie"
		}
		return t + "; this handshake still cost a round trip before the first request"
	}
	return ""
}
