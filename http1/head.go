package http1

// Start lines and header blocks: lines taken within the limits, field lines collected
// and materialised, the start line that begins a message, and the end of a head.

import (
	"bytes"
	"strings"
)

// takeLine returns the next complete line (LF included) starting at data and
// the number of bytes of data it used; a partial line is buffered and nil
// returned. The returned line may alias data or h.line.
func (p *Parser) takeLine(h *half, data []byte) (line []byte, n int) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(h.line) == 0 {
			h.lineFrame, h.lineTS, h.lineAck = p.frame, p.ts, p.ack
		}
		h.line = append(h.line, data...)
		return nil, len(data)
	}
	if len(h.line) == 0 {
		h.lineFrame, h.lineTS, h.lineAck = p.frame, p.ts, p.ack
		return data[:i+1], i + 1
	}
	h.line = append(h.line, data[:i+1]...)
	return h.line, i + 1
}

// flagPending moves the anomalies h noticed before message m began (and a resync, if
// bytes were skipped to find it) onto m.
func (h *half) flagPending(m *Message) {
	for _, a := range h.pend {
		m.flag(a)
	}
	h.pend = h.pend[:0]
	if h.skipped > 0 {
		m.flag(AnomResync)
		h.skipped = 0
	}
}

// boundedLine takes the next line of h's direction from data, within Limits.MaxLine, and
// consumes what it took. It returns the line (nil until it is complete; valid until the
// next call) and the bytes consumed. A line over the limit is flagged line_too_long and
// skipped up to its end: ok is false and nothing is consumed.
func (p *Parser) boundedLine(h *half, data []byte) (line []byte, n int, ok bool) {
	i := bytes.IndexByte(data, '\n')
	if (i < 0 && len(h.line)+len(data) > p.lim.MaxLine) || (i >= 0 && len(h.line)+i+1 > p.lim.MaxLine+1) {
		h.msg.flag(AnomLineTooLong)
		p.keepCutLine(h, data)
		h.line = h.line[:0]
		h.skipLine = true
		return nil, 0, false
	}
	line, n = p.takeLine(h, data)
	p.consume(h, n)
	if line != nil {
		h.line = h.line[:0]
	}
	return line, n, true
}

// chomp removes the line ending and reports whether it was a bare LF.
func chomp(line []byte) ([]byte, bool) {
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		return line[:len(line)-1], false
	}
	return line, true
}

func (p *Parser) head(h *half, data []byte) int {
	if h.skipLine {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			p.consume(h, len(data))
			return len(data)
		}
		h.skipLine = false
		h.nlines++
		p.consume(h, i+1)
		return i + 1
	}
	if h.nlines == 0 {
		if h.dir == S2C && p.pending09() {
			var first [5]byte
			k := copy(first[:], h.line)
			k += copy(first[k:], data)
			if string(first[:k]) != "HTTP/"[:k] {
				p.start09(h)
				return 0
			}
		}
		// Start line: too long or malformed sends the bytes to resync,
		// which looks at the same line again.
		i := bytes.IndexByte(data, '\n')
		if (i < 0 && len(h.line)+len(data) > p.lim.MaxLine) || (i >= 0 && len(h.line)+i+1 > p.lim.MaxLine+1) {
			if h.tunnelProbe {
				p.kill()
				return 0
			}
			h.st = stResync
			return 0
		}
		line, n := p.takeLine(h, data)
		if line == nil {
			h.off += uint64(n)
			return n
		}
		lineOff := h.off + uint64(n) - uint64(len(line))
		if !p.startLine(h, line, lineOff, h.lineFrame, h.lineTS, h.lineAck, false) {
			if h.tunnelProbe {
				// The tunnel carries something else: stop parsing.
				p.kill()
				return 0
			}
			if h.seen {
				if h.dir == C2S {
					h.pendFlag(AnomBadRequestLine)
				} else {
					h.pendFlag(AnomBadStatusLine)
				}
			}
			// Give resync the whole line again.
			if len(h.line) > 0 {
				h.line = h.line[:len(h.line)-n]
			}
			h.st = stResync
			return 0
		}
		if h.tunnelProbe {
			// Plain HTTP/1.x through the tunnel: parse on, both ways.
			h.tunnelProbe = false
			if s := &p.half[S2C]; s.st == stTunnel {
				s.st = stIdle
			}
		}
		h.line = h.line[:0]
		p.consume(h, n)
		return n
	}
	line, n, ok := p.boundedLine(h, data)
	if !ok || line == nil {
		return n
	}
	h.headBytes += len(line)
	content, bare := chomp(line)
	if bare {
		h.msg.flag(AnomBareLF)
	}
	if len(content) == 0 {
		p.headDone(h)
		return n
	}
	h.nlines++
	p.fieldLine(h, content, false)
	return n
}

// fieldLine parses one header or trailer line (without its line ending).
// Fields are collected in h.arena and turned into strings, with one
// allocation, by materialise.
// cut says content is only the first part of its line: over Limits.MaxLine, or cut by a
// gap or the end of the stream (partialField).
func (p *Parser) fieldLine(h *half, content []byte, cut bool) {
	m := h.msg
	if content[0] == ' ' || content[0] == '\t' {
		m.flag(AnomObsFold)
		if len(h.spans) == 0 {
			return
		}
		if h.headBytes > p.lim.MaxHeaderBytes {
			m.flag(AnomHeadersTooLarge)
			return
		}
		// As textproto does: one space, then the trimmed continuation; the
		// value is trimmed on the left only.
		sp := &h.spans[len(h.spans)-1]
		h.arena = append(h.arena[:sp.ve], ' ')
		h.arena = append(h.arena, trimOWSBytes(content)...)
		sp.ve = int32(len(h.arena))
		sp.cut = sp.cut || cut
		for sp.vs < sp.ve && (h.arena[sp.vs] == ' ' || h.arena[sp.vs] == '\t') {
			sp.vs++
		}
		return
	}
	colon := bytes.IndexByte(content, ':')
	if colon <= 0 {
		m.flag(AnomHeaderWithoutColon)
		return
	}
	ne := colon
	for ne > 0 && (content[ne-1] == ' ' || content[ne-1] == '\t') {
		ne--
	}
	if ne != colon {
		m.flag(AnomSpaceBeforeColon)
		if ne == 0 {
			m.flag(AnomHeaderWithoutColon)
			return
		}
	}
	if !isToken(content[:ne]) {
		m.flag(AnomInvalidHeaderName)
	}
	vs, ve := colon+1, len(content)
	for vs < ve && (content[vs] == ' ' || content[vs] == '\t') {
		vs++
	}
	for ve > vs && (content[ve-1] == ' ' || content[ve-1] == '\t') {
		ve--
	}
	for _, c := range content[vs:ve] {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			m.flag(AnomInvalidHeaderValue)
			break
		}
	}
	if over := h.headBytes - p.lim.MaxHeaderBytes; over > 0 {
		m.flag(AnomHeadersTooLarge)
		// The field that crosses the limit keeps the part of its value within it.
		if over >= len(content) || ve-over <= vs || len(h.spans) >= p.lim.MaxHeaders {
			return
		}
		ve -= over
		cut = true
	}
	if len(h.spans) >= p.lim.MaxHeaders {
		m.flag(AnomTooManyHeaders)
		return
	}
	base := int32(len(h.arena))
	h.arena = append(h.arena, content[:ve]...)
	h.spans = append(h.spans, span{ns: base, ne: base + int32(ne), vs: base + int32(vs), ve: base + int32(ve), cut: cut})
}

// span locates one field in half.arena.
// cut: the value was cut short by Limits.MaxLine or MaxHeaderBytes.
type span struct {
	ns, ne, vs, ve int32
	cut            bool
}

// materialise turns the collected fields into dst, cut from one string of a, and adds
// the indexes in dst of fields cut short to cuts.
func (h *half) materialise(dst *[]Header, cuts *[]int, a *strArena) {
	if len(h.spans) == 0 {
		h.arena = h.arena[:0]
		return
	}
	s := a.string(h.arena)
	for _, sp := range h.spans {
		if sp.cut {
			*cuts = append(*cuts, len(*dst))
		}
		*dst = append(*dst, Header{Name: s[sp.ns:sp.ne], Value: s[sp.vs:sp.ve]})
	}
	h.arena = h.arena[:0]
	h.spans = h.spans[:0]
}

func trimOWSBytes(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// startLine parses a start line (with its line ending) and, when valid,
// begins a message. strict is set when resynchronising.
func (p *Parser) startLine(h *half, line []byte, off uint64, frame uint64, ts, ack int64, strict bool) bool {
	content, bare := chomp(line)
	var m *Message
	if h.dir == C2S {
		method, uri, version, ok := parseRequestLine(content)
		lenient := false
		if !ok && !strict {
			method, uri, version, ok = parseRequestLineLenient(content)
			lenient = ok
		}
		if !ok {
			return false
		}
		known := isKnownMethod(method)
		if strict && !known {
			return false
		}
		ex := p.newExchange()
		ex.Req = &ex.reqMsg
		m = ex.Req
		h.ex = ex
		if h.loss {
			// Client bytes were lost since the last request began: a request may have
			// been lost in front of this one.
			ex.lossBefore = true
			h.loss, h.lossSure = false, false
		}
		// One string for the whole line.
		ls := p.strs.string(content)
		m.Method = subString(ls, content, method)
		m.URI = subString(ls, content, uri)
		m.Version = subString(ls, content, version)
		if lenient && len(version) == 0 {
			m.Version = http09 // a simple request: the response may be a bare body
		}
		if !known {
			m.flag(AnomUnknownMethod)
		}
		switch {
		case lenient && bytes.IndexByte(uri, ' ') >= 0 && parseVersion(version):
			m.flag(AnomWhitespaceInTarget)
		case lenient:
			m.flag(AnomBadRequestLine)
		}
	} else {
		version, status, reason, ok := parseStatusLine(content)
		if !ok {
			return false
		}
		ex := p.pairResponse(h, off, ack)
		ex.Resp = &ex.respMsg
		m = ex.Resp
		h.ex = ex
		ls := p.strs.string(content)
		m.Version, m.Status, m.Reason = ls[:len(version)], status, ls[len(ls)-len(reason):]
	}
	if m.Version != "HTTP/1.1" && m.Version != "HTTP/1.0" && m.Version != http09 {
		m.flag(AnomUnknownVersion)
	}
	if bare {
		m.flag(AnomBareLF)
	}
	h.flagPending(m)
	m.StartOff = off
	m.AckOff = ack
	m.FirstFrame, m.FirstTS = frame, ts
	m.LastFrame, m.LastTS = p.frame, p.ts
	m.DecodedLen = -1
	h.msg = m
	h.seen = true
	h.nlines = 1
	h.headBytes = len(line)
	if p.proto == ProtoUnknown {
		p.proto = ProtoHTTP1
	}
	return true
}

// headDone runs when the blank line ending a header block has been consumed.
func (p *Parser) headDone(h *half) {
	m, ex := h.msg, h.ex
	m.HeaderEnd = h.off
	m.HeadEndTS = p.ts
	h.materialise(&m.Headers, &m.HeadersCut, &p.strs)
	m.headSeen = true
	http10 := m.Version == "HTTP/1.0"
	nHost := summarise(m)
	if h.dir == C2S {
		if nHost == 0 && !http10 {
			m.flag(AnomMissingHost)
		}
		if nHost > 1 {
			m.flag(AnomDuplicateHost)
		}
		if p.noMore {
			m.flag(AnomRequestAfterClose)
		}
		if !m.KeepAlive {
			p.noMore = true
		}
		f, cl, an := BodyFraming(false, m.Method, 0, http10, m.Headers)
		p.startBody(h, f, cl, an)
		return
	}
	if m.Status >= 100 && m.Status < 200 && m.Status != 101 {
		// Interim response: recorded, and the exchange waits for the final one.
		if len(ex.Interim) < maxInterim {
			ex.Interim = append(ex.Interim, m.Status)
		}
		for _, a := range m.Anomalies {
			ex.flag(a)
		}
		m.reset()
		ex.Resp = nil
		p.respIdx--
		h.msg, h.ex = nil, nil
		h.st = stIdle
		return
	}
	method := ""
	if ex.Req != nil {
		method = ex.Req.Method
	}
	f, cl, an := BodyFraming(true, method, m.Status, http10, m.Headers)
	if f == FramingCloseDelimited {
		m.KeepAlive = false
	}
	if !m.KeepAlive {
		p.noMore = true
	}
	if f == FramingTunnel && m.Status == 101 {
		up, _ := m.Get("Upgrade")
		if up == "" && ex.Req != nil {
			up, _ = ex.Req.Get("Upgrade")
		}
		ex.Upgrade = lowerASCII(up)
	}
	p.startBody(h, f, cl, an)
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// partialField keeps a header line that a gap or the end of the stream cut short, as far
// as it goes (tshark shows it too): the message ends truncated anyway, and a Host cut
// to "10." still says more than none.
func (p *Parser) partialField(h *half) {
	if h.st == stHead && h.msg != nil && h.nlines > 0 && !h.skipLine && len(h.line) > 0 {
		content := bytes.TrimRight(h.line, "\r")
		if bytes.IndexByte(content, ':') > 0 { // a name cut before its colon says nothing
			h.headBytes += len(h.line)
			p.fieldLine(h, content, true)
		}
		h.line = h.line[:0]
	}
}

// summarise fills the fields derived from header fields: Host (the authority
// of a CONNECT or absolute-form target wins, as in net/http), Content-Encoding,
// Content-Type and KeepAlive. It returns the number of Host fields.
func summarise(m *Message) int {
	http10 := m.Version == "HTTP/1.0"
	var conn string
	nHost := 0
	for i := range m.Headers {
		f := &m.Headers[i]
		switch {
		case equalFold(f.Name, "Host"):
			if nHost == 0 {
				m.Host = f.Value
			}
			nHost++
		case equalFold(f.Name, "Content-Encoding"):
			if m.ContentEncoding == "" {
				m.ContentEncoding = f.Value
			} else if f.Value != "" {
				m.ContentEncoding += ", " + f.Value
			}
		case equalFold(f.Name, "Content-Type"):
			if m.ContentType == "" {
				m.ContentType = f.Value
			}
		case equalFold(f.Name, "Connection"):
			if conn == "" {
				conn = f.Value
			} else {
				conn += "," + f.Value
			}
		}
	}
	if http10 {
		m.KeepAlive = hasToken(conn, "keep-alive")
	} else {
		m.KeepAlive = !hasToken(conn, "close")
	}
	if m.Method != "" {
		// As net/http: the authority of a CONNECT or absolute-form target
		// wins over the Host field.
		a := ""
		if m.Method == "CONNECT" && !strings.HasPrefix(m.URI, "/") {
			a = m.URI
		} else if i := strings.Index(m.URI, "://"); i > 0 && !strings.HasPrefix(m.URI, "/") {
			a = m.URI[i+3:]
		}
		if j := strings.IndexAny(a, "/?# "); j >= 0 {
			a = a[:j]
		}
		if j := strings.LastIndexByte(a, '@'); j >= 0 {
			a = a[j+1:]
		}
		if a != "" {
			m.Host = a
		}
	}
	return nHost
}
