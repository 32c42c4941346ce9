package http1

import "strings"

// BodyFraming decides how the body of a message is delimited (RFC 9112 §6.3),
// from the message's headers alone. It is the single place where that rule
// lives. For a response, reqMethod is the method of the paired request ("" when
// unknown) and status its status code; for a request both are ignored. http10
// is true for an HTTP/1.0 message. It returns the framing, the Content-Length
// when the framing is FramingContentLength, and the anomalies it noticed.
//
// Rules, in order:
//   - response to HEAD, 1xx, 204 and 304: no body, whatever the headers say;
//   - 2xx to CONNECT and 101 Switching Protocols: the rest of the connection is a tunnel;
//   - Transfer-Encoding whose last coding is chunked: chunked, Content-Length ignored
//     (flagged content_length_and_chunked); in HTTP/1.0 Transfer-Encoding is ignored
//     (flagged transfer_encoding_http10), as net/http does;
//   - a response with Transfer-Encoding not ending in chunked: close-delimited;
//     a request: invalid (bad_transfer_encoding);
//   - Content-Length, repeated or as a comma list, with identical values: that
//     length (duplicate_content_length); differing values (conflicting_content_length)
//     or a non-number (invalid_content_length): invalid, except that a response with
//     an invalid Content-Length ("34( 68)") that ends the connection (Connection: close,
//     or HTTP/1.0 without keep-alive) is read to the server's close, as browsers and
//     tshark do (flagged invalid_content_length). RFC 9112 §6.3 rule 5 calls that an
//     unrecoverable error; the server's close still delimits the body, so nothing is
//     guessed and the exchange is not lost;
//   - otherwise a response is close-delimited and a request has no body.
func BodyFraming(isResponse bool, reqMethod string, status int, http10 bool, h []Header) (Framing, int64, []Anomaly) {
	var an []Anomaly
	if isResponse {
		switch {
		case status == 101:
			return FramingTunnel, 0, nil
		case reqMethod == "CONNECT" && status >= 200 && status < 300:
			return FramingTunnel, 0, nil
		case reqMethod == "HEAD":
			return FramingNone, 0, nil
		case status >= 100 && status < 200, status == 204, status == 304:
			if status == 204 {
				if hasBodyHeaders(h) {
					an = append(an, AnomBodyNotAllowed)
				}
			}
			return FramingNone, 0, an
		}
	}
	var (
		teSeen, chunkedLast, chunkedEarly bool
		chunkedCount                      int
		clSeen, clBad, clConflict, clDup  bool
		cl                                int64 = -1
	)
	for i := range h {
		switch {
		case equalFold(h[i].Name, "Transfer-Encoding"):
			teSeen = true
			forEachListItem(h[i].Value, func(item string) {
				if chunkedLast {
					chunkedEarly = true
				}
				chunkedLast = equalFold(item, "chunked")
				if chunkedLast {
					chunkedCount++
				}
			})
		case equalFold(h[i].Name, "Content-Length"):
			clSeen = true
			v := h[i].Value
			for {
				item := v
				j := strings.IndexByte(v, ',')
				if j >= 0 {
					item, v = v[:j], v[j+1:]
				}
				n, ok := parseDecimal(trimOWS(item))
				if !ok {
					clBad = true
				} else {
					if cl >= 0 && n != cl {
						clConflict = true
					} else if cl >= 0 {
						clDup = true
					}
					cl = n
				}
				if j < 0 {
					break
				}
			}
		}
	}
	if teSeen && http10 {
		an = append(an, AnomTransferEncodingHTTP10)
		teSeen = false
	}
	if teSeen {
		if chunkedEarly || chunkedCount > 1 {
			an = append(an, AnomBadTransferEncoding)
		}
		if clSeen {
			an = append(an, AnomContentLengthAndChunked)
		}
		if chunkedLast {
			return FramingChunked, 0, an
		}
		if isResponse {
			return FramingCloseDelimited, 0, an
		}
		if !chunkedEarly && chunkedCount <= 1 {
			an = append(an, AnomBadTransferEncoding)
		}
		return FramingInvalid, 0, an
	}
	if clSeen {
		switch {
		case clConflict:
			return FramingInvalid, 0, append(an, AnomConflictingContentLength)
		case clBad || cl < 0:
			if isResponse && closes(http10, h) {
				return FramingCloseDelimited, 0, append(an, AnomInvalidContentLength)
			}
			return FramingInvalid, 0, append(an, AnomInvalidContentLength)
		}
		if clDup {
			an = append(an, AnomDuplicateContentLength)
		}
		return FramingContentLength, cl, an
	}
	if isResponse {
		return FramingCloseDelimited, 0, an
	}
	return FramingNone, 0, an
}

// closes reports whether a message with headers h ends its connection: Connection:
// close, or HTTP/1.0 without Connection: keep-alive.
func closes(http10 bool, h []Header) bool {
	keep, cl := false, false
	for i := range h {
		if equalFold(h[i].Name, "Connection") {
			keep = keep || hasToken(h[i].Value, "keep-alive")
			cl = cl || hasToken(h[i].Value, "close")
		}
	}
	return cl || (http10 && !keep)
}

func hasBodyHeaders(h []Header) bool {
	for i := range h {
		if equalFold(h[i].Name, "Transfer-Encoding") {
			return true
		}
		if equalFold(h[i].Name, "Content-Length") && strings.TrimSpace(h[i].Value) != "0" {
			return true
		}
	}
	return false
}

// forEachListItem calls f with each non-empty, trimmed element of a
// comma-separated field value.
func forEachListItem(v string, f func(string)) {
	for v != "" {
		var item string
		if i := strings.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, ""
		}
		item = trimOWS(item)
		if item != "" {
			f(item)
		}
	}
}

// parseDecimal parses 1*DIGIT without sign, rejecting values over 2^62.
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// hasToken reports whether the comma-separated field value v contains tok.
func hasToken(v, tok string) bool {
	found := false
	forEachListItem(v, func(item string) {
		if equalFold(item, tok) {
			found = true
		}
	})
	return found
}

var tcharTable = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tcharTable[c] {
			return false
		}
	}
	return true
}
