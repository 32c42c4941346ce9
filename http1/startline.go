package http1

import "bytes"

// knownMethods are the methods accepted when resynchronising (RFC 9110,
// WebDAV, PATCH, PURGE). Longest first where one is a suffix of another.
var knownMethods = [...]string{
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "UNLOCK", "LOCK", "REPORT",
	"SEARCH", "MKCALENDAR", "MKACTIVITY", "CHECKOUT", "MERGE", "PURGE", "LINK", "UNLINK",
}

func isKnownMethod(m []byte) bool {
	for _, k := range knownMethods {
		if string(m) == k {
			return true
		}
	}
	return false
}

// parseVersion accepts "HTTP/1." DIGIT.
func parseVersion(v []byte) bool {
	return len(v) == 8 && string(v[:7]) == "HTTP/1." && v[7] >= '0' && v[7] <= '9'
}

// parseRequestLine parses method SP request-target SP HTTP-version (line
// ending removed). The target may hold any byte but SP and controls.
func parseRequestLine(b []byte) (method, uri, version []byte, ok bool) {
	sp1 := bytes.IndexByte(b, ' ')
	if sp1 <= 0 {
		return nil, nil, nil, false
	}
	method = b[:sp1]
	if !isToken(method) {
		return nil, nil, nil, false
	}
	rest := b[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 {
		return nil, nil, nil, false
	}
	uri, version = rest[:sp2], rest[sp2+1:]
	for _, c := range uri {
		if c < 0x21 || c == 0x7f {
			return nil, nil, nil, false
		}
	}
	if !parseVersion(version) {
		return nil, nil, nil, false
	}
	return method, uri, version, true
}

// parseStatusLine parses HTTP-version SP 3DIGIT [SP reason] (line ending
// removed). Like net/http it tolerates extra spaces before the status code.
func parseStatusLine(b []byte) (version []byte, status int, reason []byte, ok bool) {
	if len(b) < 12 || !parseVersion(b[:8]) || b[8] != ' ' {
		return nil, 0, nil, false
	}
	version = b[:8]
	rest := b[9:]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	if len(rest) < 3 {
		return nil, 0, nil, false
	}
	for i := 0; i < 3; i++ {
		c := rest[i]
		if c < '0' || c > '9' {
			return nil, 0, nil, false
		}
		status = status*10 + int(c-'0')
	}
	rest = rest[3:]
	switch {
	case len(rest) == 0:
	case rest[0] == ' ':
		reason = rest[1:]
	default:
		return nil, 0, nil, false
	}
	return version, status, reason, true
}

// findStart returns the index in line (line ending removed) where a plausible
// start line begins, or -1. For requests the method must be a known one and
// the line must end with the HTTP version; for responses "HTTP/1.x NNN".
func findStart(dir Dir, line []byte) int {
	if dir == S2C {
		off := 0
		for {
			i := bytes.Index(line[off:], []byte("HTTP/1."))
			if i < 0 {
				return -1
			}
			if _, _, _, ok := parseStatusLine(line[off+i:]); ok {
				return off + i
			}
			off += i + 1
		}
	}
	if len(line) < 14 || !parseVersion(line[len(line)-8:]) || line[len(line)-9] != ' ' {
		return -1
	}
	sp2 := len(line) - 9
	sp1 := bytes.LastIndexByte(line[:sp2], ' ')
	if sp1 <= 0 || sp1+1 == sp2 {
		return -1
	}
	best := -1
	for _, k := range knownMethods {
		if sp1 >= len(k) && string(line[sp1-len(k):sp1]) == k {
			if s := sp1 - len(k); best < 0 || s < best {
				best = s
			}
		}
	}
	if best < 0 {
		return -1
	}
	if _, _, _, ok := parseRequestLine(line[best:]); !ok {
		return -1
	}
	return best
}

func isIdentity(ce string) bool {
	id := true
	forEachListItem(ce, func(item string) {
		if !equalFold(item, "identity") {
			id = false
		}
	})
	return id
}

// parseRequestLineLenient accepts malformed request lines seen in the wild,
// at a message boundary only (never while resynchronising); the message is
// flagged bad_request_line:
//
//	method SP target SP "HTTP/" junk   a broken version ("HTTP/1.")
//	method SP tar get SP HTTP/1.x      spaces inside the target (whitespace_in_target)
//	method SP target                   no version (HTTP/0.9 style); origin-form target
//	                                   unless the method is a known one
//	method SP "HTTP/" version          no target, known method only
//
// The method must be a known one or an upper-case token (CCM_POST).
func parseRequestLineLenient(b []byte) (method, uri, version []byte, ok bool) {
	sp1 := bytes.IndexByte(b, ' ')
	if sp1 <= 0 || sp1 > 32 {
		return nil, nil, nil, false
	}
	method = b[:sp1]
	known := isKnownMethod(method)
	if !known && !isUpperToken(method) {
		return nil, nil, nil, false
	}
	rest := b[sp1+1:]
	if len(rest) == 0 {
		return nil, nil, nil, false
	}
	for _, c := range rest {
		if c < 0x21 && c != ' ' || c == 0x7f {
			return nil, nil, nil, false
		}
	}
	if sp2 := bytes.LastIndexByte(rest, ' '); sp2 > 0 {
		uri, version = rest[:sp2], rest[sp2+1:]
		if !bytes.HasPrefix(version, []byte("HTTP/")) {
			return nil, nil, nil, false
		}
		if bytes.IndexByte(uri, ' ') >= 0 && (!parseVersion(version) || uri[0] == ' ') {
			// Spaces inside the target, as Zeek and tshark take them (the method is the
			// first token, the version the last): only with a well-formed version.
			return nil, nil, nil, false
		}
		return method, uri, version, true
	} else if sp2 == 0 {
		return nil, nil, nil, false
	}
	if bytes.HasPrefix(rest, []byte("HTTP/")) {
		if !known {
			return nil, nil, nil, false
		}
		return method, rest[:0], rest, true
	}
	if rest[0] != '/' && !(known && (rest[0] == '*' || bytes.Contains(rest, []byte("://")))) {
		return nil, nil, nil, false
	}
	return method, rest, rest[len(rest):], true
}

// isUpperToken reports whether b is made of A-Z, 0-9, '_' and '-' with at
// least one letter: how non-standard methods look.
func isUpperToken(b []byte) bool {
	letter := false
	for _, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return letter
}

// subString returns the part of ls (a string copy of whole) that part, a
// sub-slice of whole, covers.
func subString(ls string, whole, part []byte) string {
	if len(part) == 0 {
		return ""
	}
	i := cap(whole) - cap(part)
	return ls[i : i+len(part)]
}
