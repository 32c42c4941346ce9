package http1

import (
	"bytes"
	"strings"
)

// Handler receives exchanges as they complete, in depth order.
type Handler interface {
	// OnExchange is called once per exchange. x and everything it points to
	// (messages, header slices, bodies) are valid only during the call; the
	// parser reuses them afterwards. Strings may be kept.
	OnExchange(x *Exchange)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(x *Exchange)

// OnExchange calls f(x).
func (f HandlerFunc) OnExchange(x *Exchange) { f(x) }

type state uint8

const (
	stIdle      state = iota // between messages: expecting a start line
	stHead                   // start line (nlines == 0) or header lines
	stResync                 // looking for a plausible start line
	stBody                   // Content-Length body, remain bytes left
	stChunkSize              // chunk-size line
	stChunkData              // chunk data, remain bytes left
	stChunkCRLF              // CRLF after chunk data
	stTrailer                // trailer fields after the last chunk
	stClose                  // close-delimited response body
	stHold                   // client bytes after CONNECT/Upgrade, held until the response decides
	stTunnel                 // server bytes in a CONNECT tunnel, until the client shows HTTP
	stDead                   // not HTTP (any more): bytes ignored
)

// maxInterim caps the 1xx statuses kept per exchange.
const maxInterim = 32

// unknownLimit is how many unrecognisable client bytes make a connection ProtoOther.
const unknownLimit = 64 << 10

// half is the parsing state of one direction.
type half struct {
	dir Dir
	st  state
	off uint64 // stream offset of the next byte

	line      []byte // partial line carried between Feed calls
	lineFrame uint64 // frame, time and acknowledgement of the first byte in line
	lineTS    int64
	lineAck   int64
	skipLine  bool // discarding the rest of an overlong header line

	nlines    int   // lines of the current head (start line included)
	headBytes int   // bytes of the current head
	remain    int64 // body or chunk bytes left
	crlf      uint8 // stChunkCRLF: 1 after CR

	msg *Message  // message being parsed, nil between messages
	ex  *Exchange // its exchange

	closed, afterClose bool
	skipped            uint64 // resync bytes skipped since the last message start
	skippedTotal       uint64
	pend               []Anomaly // anomalies for the next message of this direction

	hold       []byte // stHold: held client bytes
	holdN      uint64 // bytes held, dropped included
	holdOff    uint64
	holdFrame  uint64
	holdTS     int64
	holdAck    int64
	holdEx     *Exchange
	holdBroken bool

	arena []byte // field lines of the current head or trailer block
	spans []span

	enc     []byte // encoded body kept for decoding (codBuffered)
	encOver bool
	coding  coding   // how the current body's DecodedLen is found
	gzHead  [10]byte // codGzipTrailer: first body bytes (gzip header)
	gzTail  [8]byte  // codGzipTrailer: last body bytes (CRC32, ISIZE)

	started     bool
	tunnelProbe bool // first line in a CONNECT tunnel: HTTP/1.x or the end of parsing
	sniffTLS    bool // sniffing a TLS ClientHello for its SNI
	seen        bool // a start line was parsed in this direction
	sniffing    bool
	sniff       []byte
	sniffFr     uint64
	sniffTS     int64
	sniffAck    int64

	// ack is the offset of the other direction's stream that the segment carrying the
	// next bytes fed acknowledged (-1: not known); see Parser.Ack.
	ack int64
	// loss is set when bytes of this direction were lost (a gap) since its last message
	// began: lossAt is the offset where the loss began, lossSure says a whole message
	// (or the start of one) was lost at a message boundary. Responses use it to skip
	// exchanges whose response was lost; requests to note a request lost before them.
	loss     bool
	lossSure bool
	lossAt   uint64
}

// Parser parses both directions of one TCP connection. It is not safe for
// concurrent use; it starts no goroutines.
type Parser struct {
	hnd   Handler
	lim   Limits
	half  [2]half
	proto Proto
	sni   string
	strs  strArena // start lines and header blocks; kept across Reset

	queue   []*Exchange // pending exchanges, depth order
	respIdx int         // queue index of the next exchange awaiting a response
	depth   int
	free    []*Exchange
	noMore  bool // a message announced the connection closes
	conn    []Anomaly

	frame uint64
	ts    int64
	ack   int64 // the acknowledgement of the bytes being fed (half.ack)
	// acked is set once any segment's acknowledgement was given (Parser.Ack): pairing
	// can then rest on evidence.
	acked bool

	dec *decoder // allocated at the first decoded body

	// Server bytes that wait for the client bytes they acknowledge (see wait.go).
	waitQ    []waitItem
	waitBuf  []byte
	waitOver bool // the wait overflowed: nothing waits until the client catches up
}

// NewParser returns a parser that reports exchanges to h.
func NewParser(h Handler, lim Limits) *Parser {
	p := &Parser{hnd: h, lim: lim.withDefaults()}
	p.Reset()
	return p
}

// SetHandler changes the handler exchanges are reported to (for a parser reused on
// another connection, after Reset).
func (p *Parser) SetHandler(h Handler) { p.hnd = h }

// Reset makes the parser ready for a new connection, keeping its buffers.
// Pending exchanges are dropped without being reported.
func (p *Parser) Reset() {
	for _, ex := range p.queue {
		p.release(ex)
	}
	p.queue = p.queue[:0]
	p.respIdx, p.depth = 0, 0
	p.proto, p.sni = ProtoUnknown, ""
	p.noMore = false
	p.ack, p.acked = -1, false
	p.waitQ, p.waitBuf, p.waitOver = p.waitQ[:0], p.waitBuf[:0], false
	p.strs.restart()
	p.conn = p.conn[:0]
	for d := range p.half {
		h := &p.half[d]
		*h = half{
			dir:   Dir(d),
			line:  h.line[:0],
			pend:  h.pend[:0],
			hold:  h.hold[:0],
			enc:   h.enc[:0],
			arena: h.arena[:0],
			spans: h.spans[:0],
			sniff: h.sniff[:0],

			ack: -1, lineAck: -1, holdAck: -1, sniffAck: -1,
		}
	}
}

// Protocol reports what the connection carries, as far as decided.
func (p *Parser) Protocol() Proto { return p.proto }

// SNI returns the server name of the TLS ClientHello when Protocol is
// ProtoTLS, or ProtoTunnel with TLS inside a CONNECT tunnel; "" otherwise.
func (p *Parser) SNI() string { return p.sni }

// Skipped returns how many bytes of a direction were skipped while looking
// for a start line.
func (p *Parser) Skipped(dir Dir) uint64 { return p.half[dir&1].skippedTotal }

// ConnAnomalies returns anomalies that belong to no exchange (for example
// bytes skipped at the end of a stream). Valid until the next call on p.
func (p *Parser) ConnAnomalies() []Anomaly { return p.conn }

func (p *Parser) connFlag(a Anomaly) {
	for _, x := range p.conn {
		if x == a {
			return
		}
	}
	p.conn = append(p.conn, a)
}

func (h *half) pendFlag(a Anomaly) {
	for _, x := range h.pend {
		if x == a {
			return
		}
	}
	h.pend = append(h.pend, a)
}

// Feed pushes in-order bytes of one direction. data is borrowed for the
// duration of the call only. frame and ts identify the packet that carried
// data (ts in nanoseconds).
func (p *Parser) Feed(dir Dir, data []byte, frame uint64, ts int64) {
	if len(data) == 0 {
		return
	}
	if p.waits(dir) {
		p.wait(waitData, data, 0, frame, ts)
		return
	}
	p.feed(dir, data, frame, ts)
	if dir == C2S {
		p.releaseWait(false)
	}
}

func (p *Parser) feed(dir Dir, data []byte, frame uint64, ts int64) {
	h := &p.half[dir&1]
	p.frame, p.ts, p.ack = frame, ts, h.ack
	if h.closed && !h.afterClose {
		h.afterClose = true
		h.pendFlag(AnomDataAfterClose)
		if h.msg != nil {
			h.msg.flag(AnomDataAfterClose)
		}
	}
	if !h.started {
		h.started = true
		if h.dir == C2S && p.proto == ProtoUnknown && h.off == 0 && (data[0] == 0x16 || data[0] == 'P') {
			h.sniffing = true
			h.sniffFr, h.sniffTS, h.sniffAck = frame, ts, h.ack
		}
	}
	p.feedHalf(h, data)
}

// feedHalf passes bytes through protocol sniffing, then the parser.
func (p *Parser) feedHalf(h *half, data []byte) {
	if h.tunnelProbe && h.st == stIdle && data[0] == 0x16 {
		// TLS inside a CONNECT tunnel: read the SNI, parse no further.
		h.tunnelProbe = false
		p.kill()
		h.sniffing, h.sniffTLS = true, true
		h.sniff = h.sniff[:0]
	}
	if h.sniffing {
		data = p.sniffFeed(h, data)
		if data == nil {
			return
		}
	}
	p.run(h, data)
}

func (p *Parser) run(h *half, data []byte) {
	for len(data) > 0 {
		var n int
		switch h.st {
		case stDead:
			h.off += uint64(len(data))
			return
		case stIdle:
			n = p.idle(h, data)
		case stHead:
			n = p.head(h, data)
		case stResync:
			n = p.resync(h, data)
		case stBody, stChunkData:
			n = p.bodyBytes(h, data)
		case stChunkSize:
			n = p.chunkSize(h, data)
		case stChunkCRLF:
			n = p.chunkCRLF(h, data)
		case stTrailer:
			n = p.trailer(h, data)
		case stClose:
			n = len(data)
			p.body(h, data)
			p.consume(h, n)
		case stHold:
			n = p.holdBytes(h, data)
		case stTunnel:
			h.off += uint64(len(data))
			return
		}
		data = data[n:]
	}
}

// consume advances the stream offset over n bytes of the current message.
func (p *Parser) consume(h *half, n int) {
	h.off += uint64(n)
	if m := h.msg; m != nil && n > 0 {
		m.LastFrame, m.LastTS = p.frame, p.ts
	}
}

func (p *Parser) idle(h *half, data []byte) int {
	i := 0
	for i < len(data) && (data[i] == '\r' || data[i] == '\n') {
		i++
	}
	if i > 0 {
		h.off += uint64(i)
		return i
	}
	h.st = stHead
	h.nlines, h.headBytes = 0, 0
	h.line = h.line[:0]
	h.skipLine = false
	return 0
}

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

// resync scans for a plausible start line, line by line, looking at the last
// MaxLine bytes of each line.
func (p *Parser) resync(h *half, data []byte) int {
	max := p.lim.MaxLine + 1
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(data) >= max {
			h.skip(p, uint64(len(h.line)+len(data)-max))
			h.line = append(h.line[:0], data[len(data)-max:]...)
			h.lineFrame, h.lineTS, h.lineAck = p.frame, p.ts, p.ack
		} else {
			if len(h.line) == 0 {
				h.lineFrame, h.lineTS, h.lineAck = p.frame, p.ts, p.ack
			}
			h.line = append(h.line, data...)
			if d := len(h.line) - max; d > 0 {
				h.skip(p, uint64(d))
				copy(h.line, h.line[d:])
				h.line = h.line[:max]
			}
		}
		h.off += uint64(len(data))
		return len(data)
	}
	n := i + 1
	buffered := len(h.line)
	var line []byte
	if buffered == 0 {
		line = data[:n]
		h.lineFrame, h.lineTS, h.lineAck = p.frame, p.ts, p.ack
	} else {
		h.line = append(h.line, data[:n]...)
		line = h.line
	}
	lineOff := h.off + uint64(n) - uint64(len(line))
	if d := len(line) - max; d > 0 {
		h.skip(p, uint64(d))
		line = line[d:]
		lineOff += uint64(d)
		buffered -= d
	}
	content, _ := chomp(line)
	if idx := findStart(h.dir, content); idx >= 0 {
		h.skip(p, uint64(idx))
		fr, ts, ak := h.lineFrame, h.lineTS, h.lineAck
		if idx >= buffered {
			fr, ts, ak = p.frame, p.ts, p.ack
		}
		if p.startLine(h, line[idx:], lineOff+uint64(idx), fr, ts, ak, true) {
			h.line = h.line[:0]
			h.st = stHead
			h.nlines = 1
			h.headBytes = len(line) - idx
			h.skipLine = false
			p.consume(h, n)
			return n
		}
		h.skip(p, uint64(len(line)-idx))
	} else {
		h.skip(p, uint64(len(line)))
	}
	h.line = h.line[:0]
	h.off += uint64(n)
	p.giveUp(h)
	return n
}

// giveUp declares the connection ProtoOther when the client's first
// unknownLimit bytes held no request line. It is checked at line ends only,
// so that the decision does not depend on how the stream was split.
func (p *Parser) giveUp(h *half) {
	if p.proto == ProtoUnknown && h.dir == C2S && h.skippedTotal > unknownLimit {
		p.proto = ProtoOther
		p.kill()
	}
}

func (h *half) skip(p *Parser, n uint64) {
	if n == 0 {
		return
	}
	h.skipped += n
	h.skippedTotal += n
}

// kill stops HTTP parsing on both directions.
func (p *Parser) kill() {
	for d := range p.half {
		h := &p.half[d]
		if h.msg != nil {
			p.msgDone(h, false)
		}
		h.st = stDead
		h.line = h.line[:0]
		h.hold = h.hold[:0]
		h.holdEx = nil
	}
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

func (p *Parser) newExchange() *Exchange {
	if len(p.queue) >= p.lim.MaxPipeline {
		old := p.queue[0]
		if old != p.half[0].ex && old != p.half[1].ex && old != p.half[C2S].holdEx {
			old.flag(AnomPipelineOverflow)
			p.popFront()
		}
	}
	ex := p.takeExchange()
	p.depth++
	ex.Depth = p.depth
	p.queue = append(p.queue, ex)
	return ex
}

// takeExchange returns a free exchange.
func (p *Parser) takeExchange() *Exchange {
	if n := len(p.free); n > 0 {
		ex := p.free[n-1]
		p.free = p.free[:n-1]
		return ex
	}
	return new(Exchange)
}

func (p *Parser) release(ex *Exchange) {
	p.returnBodies(ex)
	ex.reqMsg.reset()
	ex.respMsg.reset()
	ex.Depth, ex.Req, ex.Resp, ex.Verdict, ex.Upgrade = 0, nil, nil, VerdictComplete, ""
	ex.Interim = ex.Interim[:0]
	ex.Anomalies = ex.Anomalies[:0]
	ex.anom = ex.anom[:0]
	ex.reqDone, ex.respDone, ex.respGap = false, false, false
	ex.reqLost, ex.lossBefore, ex.lossOff = false, false, 0
	p.free = append(p.free, ex)
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

func (p *Parser) startBody(h *half, f Framing, cl int64, an []Anomaly) {
	m := h.msg
	m.Framing = f
	for _, a := range an {
		m.flag(a)
	}
	m.Chunked = f == FramingChunked
	m.overMax = f == FramingContentLength && cl > p.lim.MaxBody
	h.enc = h.enc[:0]
	h.encOver = false
	h.coding = codNone
	if p.lim.DecodeBodies && m.ContentEncoding != "" {
		h.coding = classifyCoding(m.ContentEncoding, p.lim.VerifyCoding)
	}
	switch f {
	case FramingNone, FramingTunnel:
		p.msgDone(h, true)
	case FramingContentLength:
		if cl == 0 {
			p.msgDone(h, true)
			return
		}
		h.remain = cl
		h.st = stBody
	case FramingChunked:
		h.st = stChunkSize
		h.nlines = 0
	case FramingCloseDelimited:
		h.st = stClose
	case FramingInvalid:
		p.msgDone(h, false)
		if h.st != stDead {
			h.st = stResync
		}
	}
}

// body accounts for body bytes (chunk framing removed).
func (p *Parser) body(h *half, b []byte) {
	m := h.msg
	m.BodyLen += int64(len(b))
	if p.lim.KeepBodies {
		p.keepBody(m, b)
	}
	switch {
	case h.coding == codGzipTrailer:
		h.gzWindow(m.BodyLen-int64(len(b)), b)
	case h.coding == codBuffered && !h.encOver:
		if int64(len(h.enc)+len(b)) > p.lim.MaxDecoded {
			h.encOver = true
		} else {
			h.enc = append(h.enc, b...)
		}
	}
}

func (p *Parser) bodyBytes(h *half, data []byte) int {
	n := len(data)
	if int64(n) > h.remain {
		n = int(h.remain)
	}
	p.body(h, data[:n])
	p.consume(h, n)
	h.remain -= int64(n)
	if h.remain == 0 {
		if h.st == stBody {
			p.msgDone(h, true)
		} else {
			h.st = stChunkCRLF
			h.crlf = 0
		}
	}
	return n
}

func (p *Parser) chunkSize(h *half, data []byte) int {
	prior := len(h.line)
	lineStart := h.off - uint64(prior)
	i := bytes.IndexByte(data, '\n')
	if (i < 0 && prior+len(data) > p.lim.MaxLine) || (i >= 0 && prior+i+1 > p.lim.MaxLine+1) {
		// Resync looks at this line again, buffered part included.
		p.abortAt(h, AnomBadChunkSize, lineStart)
		return 0
	}
	line, n := p.takeLine(h, data)
	if line == nil {
		p.consume(h, n)
		return n
	}
	content, bare := chomp(line)
	m := h.msg
	size, ext, ok := parseChunkSize(content)
	if !ok {
		if prior > 0 {
			h.line = h.line[:prior]
		}
		p.abortAt(h, AnomBadChunkSize, lineStart)
		return 0
	}
	p.consume(h, n)
	h.line = h.line[:0]
	if bare {
		m.flag(AnomBareLF)
	}
	if ext {
		m.flag(AnomChunkExtension)
	}
	if len(m.Chunks) < p.lim.MaxChunkMarks {
		m.Chunks = append(m.Chunks, ChunkMark{Off: lineStart, Size: size})
	}
	if size == 0 {
		h.st = stTrailer
		return n
	}
	h.remain = size
	h.st = stChunkData
	return n
}

// parseChunkSize parses chunk-size [BWS] [; chunk-ext].
func parseChunkSize(b []byte) (size int64, ext, ok bool) {
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			goto done
		}
		if i >= 15 {
			return 0, false, false
		}
		size = size<<4 | int64(v)
	}
done:
	if i == 0 {
		return 0, false, false
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i == len(b) {
		return size, false, true
	}
	if b[i] != ';' {
		return 0, false, false
	}
	return size, true, true
}

func (p *Parser) chunkCRLF(h *half, data []byte) int {
	for i, c := range data {
		if h.crlf == 0 && c == '\r' {
			h.crlf = 1
			continue
		}
		if c == '\n' {
			if h.crlf == 0 {
				h.msg.flag(AnomBareLF)
			}
			h.crlf = 0
			p.consume(h, i+1)
			h.st = stChunkSize
			return i + 1
		}
		p.consume(h, i)
		p.abort(h, AnomBadChunkTerminator)
		return i
	}
	p.consume(h, len(data))
	return len(data)
}

func (p *Parser) trailer(h *half, data []byte) int {
	if h.skipLine {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			p.consume(h, len(data))
			return len(data)
		}
		h.skipLine = false
		p.consume(h, i+1)
		return i + 1
	}
	line, n, ok := p.boundedLine(h, data)
	if !ok || line == nil {
		return n
	}
	content, bare := chomp(line)
	if bare {
		h.msg.flag(AnomBareLF)
	}
	if len(content) == 0 {
		p.msgDone(h, true)
		return n
	}
	h.headBytes += len(line)
	p.fieldLine(h, content, false)
	return n
}

// abort ends the current message as malformed and resynchronises.
func (p *Parser) abort(h *half, a Anomaly) { p.abortAt(h, a, h.off) }

// abortAt is abort for a message that ended at stream offset end; bytes
// from end on, buffered in h.line included, go to resync.
func (p *Parser) abortAt(h *half, a Anomaly, end uint64) {
	if h.msg != nil {
		h.msg.flag(a)
		p.msgDoneAt(h, false, end)
	}
	if h.st != stDead {
		h.st = stResync
	}
}

func (p *Parser) holdBytes(h *half, data []byte) int {
	if h.holdN == 0 {
		h.holdFrame, h.holdTS, h.holdAck = p.frame, p.ts, p.ack
	}
	h.holdN += uint64(len(data))
	if h.holdBroken || len(h.hold)+len(data) > p.lim.MaxHeaderBytes {
		h.holdBroken = true
		h.hold = h.hold[:0]
	} else {
		h.hold = append(h.hold, data...)
	}
	return len(data)
}

// msgDone ends the current message of h and picks the next state.
func (p *Parser) msgDone(h *half, complete bool) { p.msgDoneAt(h, complete, h.off) }

// msgDoneAt is msgDone for a message that ended at stream offset end.
func (p *Parser) msgDoneAt(h *half, complete bool, end uint64) {
	m, ex := h.msg, h.ex
	if m == nil {
		return
	}
	m.EndOff = end
	if !m.headSeen {
		h.materialise(&m.Headers, &m.HeadersCut, &p.strs)
		m.HeaderEnd = end
		summarise(m)
	} else {
		h.materialise(&m.Trailers, &m.TrailersCut, &p.strs)
	}
	m.Complete = complete
	if m.ContentEncoding == "" || isIdentity(m.ContentEncoding) || (m.BodyLen == 0 && complete) {
		m.DecodedLen = m.BodyLen
	} else if h.coding != codNone {
		switch {
		case !complete || m.GapBytes > 0, h.coding == codUnsupported:
		case h.coding == codGzipTrailer:
			n, a := gzipTrailerLen(&h.gzHead, &h.gzTail, m.BodyLen, p.lim.MaxDecoded)
			m.DecodedLen = n
			if a != AnomNone {
				m.flag(a)
			}
		case h.encOver:
			m.flag(AnomDecodedTooLarge)
		default:
			if p.dec == nil {
				p.dec = new(decoder)
			}
			n, a := p.dec.decodedLen(m.ContentEncoding, h.enc, p.lim.MaxDecoded)
			m.DecodedLen = n
			if a != AnomNone {
				m.flag(a)
			}
		}
		h.coding = codNone
		h.enc = h.enc[:0]
	}
	h.msg, h.ex = nil, nil
	h.st = stIdle
	if h.dir == C2S {
		ex.reqDone = true
		if complete && (m.Method == "CONNECT" || isUpgradeRequest(m)) && ex.respDone == false {
			h.st = stHold
			h.hold = h.hold[:0]
			h.holdN = 0
			h.holdBroken = false
			h.holdOff = h.off
			h.holdEx = ex
		}
	} else {
		ex.respDone = true
		if m.Framing == FramingTunnel && complete {
			p.proto = ProtoTunnel
			connect := m.Status != 101 && ex.Req != nil && ex.Req.Method == "CONNECT"
			c := &p.half[C2S]
			held := c.st == stHold && c.holdEx == ex && !c.holdBroken
			c.holdEx = nil
			p.flush(false) // ex may be recycled from here on
			if connect && held {
				p.openTunnel()
			} else {
				p.kill()
			}
			return
		}
		if c := &p.half[C2S]; c.st == stHold && c.holdEx == ex {
			p.releaseHold(c)
		}
	}
	p.flush(false)
}

func isUpgradeRequest(m *Message) bool {
	up, ok := m.Get("Upgrade")
	if !ok || up == "" {
		return false
	}
	for i := range m.Headers {
		if equalFold(m.Headers[i].Name, "Connection") && hasToken(m.Headers[i].Value, "upgrade") {
			return true
		}
	}
	return false
}

// http09 is the version given to simple (HTTP/0.9) requests and their responses.
const http09 = "HTTP/0.9"

// pending09 reports whether the next response answers a simple request.
func (p *Parser) pending09() bool {
	if p.respIdx >= len(p.queue) {
		return false
	}
	req := p.queue[p.respIdx].Req
	return req != nil && req.Version == http09
}

// start09 begins an HTTP/0.9 response: no status line, no headers, a body
// that ends when the server closes. Bytes buffered in h.line are its first
// body bytes.
func (p *Parser) start09(h *half) {
	start := h.off - uint64(len(h.line))
	fr, ts, ack := h.lineFrame, h.lineTS, h.lineAck
	if len(h.line) == 0 {
		fr, ts, ack = p.frame, p.ts, p.ack
	}
	ex := p.pairResponse(h, start, ack)
	ex.Resp = &ex.respMsg
	ex.flag(AnomHTTP09)
	m := ex.Resp
	h.msg, h.ex = m, ex
	h.seen = true
	m.Version = http09
	m.StartOff = start
	m.AckOff = ack
	m.HeaderEnd = m.StartOff
	m.FirstFrame, m.FirstTS = fr, ts
	m.LastFrame, m.LastTS = p.frame, p.ts
	m.HeadEndTS = m.FirstTS
	m.DecodedLen = -1
	m.headSeen = true
	m.Framing = FramingCloseDelimited
	h.flagPending(m)
	h.st = stClose
	if len(h.line) > 0 {
		p.body(h, h.line)
		h.line = h.line[:0]
	}
	// The simple request has ended, whatever header lines it had.
	if c := &p.half[C2S]; c.ex == ex && c.st == stHead && c.msg != nil && c.msg.Version == http09 {
		p.headDone(c)
	}
}

// openTunnel starts a CONNECT tunnel: the client's first bytes decide
// whether it carries plain HTTP/1.x (parsed on), TLS (SNI read) or anything
// else (parsing stops).
func (p *Parser) openTunnel() {
	c, s := &p.half[C2S], &p.half[S2C]
	s.st = stTunnel
	c.st = stIdle
	c.off = c.holdOff
	c.tunnelProbe = true
	p.replayHold(c, p.feedHalf)
}

// releaseHold replays client bytes held after a CONNECT or Upgrade request
// that was answered without switching protocols.
func (p *Parser) releaseHold(c *half) {
	c.holdEx = nil
	if c.holdBroken {
		c.holdBroken = false
		c.off = c.holdOff + c.holdN
		c.st = stResync
		c.hold = c.hold[:0]
		return
	}
	c.st = stIdle
	c.off = c.holdOff
	p.replayHold(c, p.run)
}

// replayHold hands the client bytes held since holdOff to feed, with the frame and time
// of the first of them, and empties the hold.
func (p *Parser) replayHold(c *half, feed func(*half, []byte)) {
	if len(c.hold) == 0 {
		return
	}
	data := append([]byte(nil), c.hold...)
	c.hold = c.hold[:0]
	fr, ts, ak := p.frame, p.ts, p.ack
	p.frame, p.ts, p.ack = c.holdFrame, c.holdTS, c.holdAck
	feed(c, data)
	p.frame, p.ts, p.ack = fr, ts, ak
}

// flush emits exchanges from the front of the queue: ready ones, or all.
func (p *Parser) flush(all bool) {
	for len(p.queue) > 0 {
		ex := p.queue[0]
		if !all && !(ex.respDone && (ex.Req == nil || ex.reqDone)) {
			return
		}
		p.popFront()
	}
}

func (p *Parser) popFront() {
	ex := p.queue[0]
	copy(p.queue, p.queue[1:])
	p.queue[len(p.queue)-1] = nil
	p.queue = p.queue[:len(p.queue)-1]
	if p.respIdx > 0 {
		p.respIdx--
	}
	p.emit(ex)
	p.release(ex)
}

func (p *Parser) emit(ex *Exchange) {
	gap, trunc := false, false
	ex.Anomalies = ex.Anomalies[:0]
	add := func(a Anomaly) {
		for _, x := range ex.Anomalies {
			if x == a {
				return
			}
		}
		ex.Anomalies = append(ex.Anomalies, a)
	}
	for _, m := range [2]*Message{ex.Req, ex.Resp} {
		if m == nil {
			continue
		}
		if m.GapBytes > 0 {
			gap = true
		}
		if !m.Complete {
			trunc = true
		}
		for _, a := range m.Anomalies {
			add(a)
		}
	}
	for _, a := range ex.anom {
		add(a)
	}
	switch {
	case gap:
		ex.Verdict = VerdictGap
	case trunc:
		ex.Verdict = VerdictTruncated
	case ex.Resp == nil && ex.respGap:
		ex.Verdict = VerdictGap
	case ex.Resp == nil:
		ex.Verdict = VerdictNoResponse
	case ex.Req == nil && ex.reqLost:
		ex.Verdict = VerdictGap
	case ex.Req == nil:
		ex.Verdict = VerdictNoRequest
	case !evidence(ex):
		ex.Verdict = VerdictInferred
	default:
		ex.Verdict = VerdictComplete
	}
	if p.hnd != nil && (ex.Req != nil || ex.Resp != nil) {
		// (An exchange with neither is a request lost in a gap whose response was lost
		// too, or never came: nothing of it was seen. Its depth stays taken.)
		p.hnd.OnExchange(ex)
	}
}

// Gap reports n bytes of a direction missing from the capture.
func (p *Parser) Gap(dir Dir, n uint64, ts int64) {
	if n == 0 {
		return
	}
	if p.waits(dir) {
		p.wait(waitGap, nil, n, 0, ts)
		return
	}
	p.gap(dir, n, ts)
	if dir == C2S {
		p.releaseWait(false)
	}
}

func (p *Parser) gap(dir Dir, n uint64, ts int64) {
	h := &p.half[dir&1]
	p.ts = ts
	h.started = true
	if h.sniffing {
		h.sniffing = false
		if len(h.sniff) > 0 {
			data := h.sniff
			h.sniff = nil
			p.run(h, data)
		}
	}
	if h.tunnelProbe {
		p.kill()
	}
	switch h.st {
	case stDead:
	case stTunnel:
		h.off += n
		return
	case stBody, stChunkData:
		m := h.msg
		if n > uint64(h.remain) {
			// Bytes after this message were lost; with a known length, from its end on.
			p.lost(h, h.off+uint64(h.remain), h.st == stBody)
		}
		if n <= uint64(h.remain) {
			if p.lim.KeepBodies {
				p.keepGap(m, n)
			}
			m.GapBytes += n
			m.BodyLen += int64(n)
			h.remain -= int64(n)
			h.off += n
			if h.remain == 0 {
				if h.st == stBody {
					p.msgDone(h, true)
				} else {
					h.st = stChunkCRLF
					h.crlf = 0
				}
			}
			return
		}
		if h.st == stBody {
			// The body ends inside the gap: the message is delimited, the
			// start of the next one is lost.
			r := uint64(h.remain)
			if p.lim.KeepBodies {
				p.keepGap(m, r)
			}
			m.GapBytes += r
			m.BodyLen += int64(r)
			h.off += r
			h.remain = 0
			p.msgDone(h, true)
			h.off += n - r
		} else {
			if p.lim.KeepBodies {
				p.keepGap(m, uint64(h.remain))
			}
			m.GapBytes += n
			m.BodyLen += h.remain
			p.msgDone(h, false)
			h.off += n
		}
	case stClose:
		if p.lim.KeepBodies {
			p.keepGap(h.msg, n)
		}
		h.msg.GapBytes += n
		h.msg.BodyLen += int64(n)
		h.off += n
		return
	case stHold:
		h.holdN += n
		h.holdBroken = true
		h.hold = h.hold[:0]
		return
	default:
		p.lost(h, h.off, h.st == stIdle)
		p.partialField(h)
		if h.msg != nil {
			h.msg.GapBytes += n
			p.msgDone(h, false)
		}
		h.off += n
		if h.st != stDead {
			h.st = stResync
		}
	}
	h.line = h.line[:0]
	h.skipLine = false
	if h.st != stDead {
		h.st = stResync
	}
	if h.dir == S2C {
		// The lost bytes may have held responses to pending requests: such
		// a request left without a response gets verdict gap, not no_response.
		for _, ex := range p.queue[p.respIdx:] {
			ex.respGap = true
		}
	}
}

// Close reports the end of a direction (FIN, RST or end of capture).
func (p *Parser) Close(dir Dir, ts int64) {
	if p.waits(dir) {
		p.wait(waitClose, nil, 0, 0, ts)
		return
	}
	p.closeDir(dir, ts)
	if dir == C2S {
		p.releaseWait(true)
	}
}

func (p *Parser) closeDir(dir Dir, ts int64) {
	h := &p.half[dir&1]
	if h.closed {
		return
	}
	h.closed = true
	p.ts = ts
	p.endHalf(h)
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

// Reopen takes back a Close of a direction that carried nothing since: the connection
// tracker decided the FIN did not count (a connection reset before its handshake, then
// revived). Later bytes are parsed as usual, without data_after_close.
func (p *Parser) Reopen(dir Dir) {
	h := &p.half[dir&1]
	h.closed, h.afterClose = false, false
}

func (p *Parser) endHalf(h *half) {
	if h.sniffing {
		h.sniffing = false
		if len(h.sniff) > 0 {
			data := h.sniff
			h.sniff = nil
			p.run(h, data)
		}
	}
	if h.st == stHead && h.msg != nil && h.msg.Version == http09 {
		// A simple request needs no header block.
		p.headDone(h)
	}
	p.partialField(h)
	switch h.st {
	case stClose:
		p.msgDone(h, true)
	case stHead, stBody, stChunkSize, stChunkData, stChunkCRLF, stTrailer:
		if h.msg != nil {
			p.msgDone(h, false)
		}
		h.st = stIdle
	}
	h.line = h.line[:0]
}

// Finish ends the connection: partial messages are ended as truncated (or gap)
// and every pending exchange is emitted, in depth order.
func (p *Parser) Finish(ts int64) {
	p.releaseWait(true)
	p.ts = ts
	for d := range p.half {
		p.endHalf(&p.half[d])
	}
	for d := range p.half {
		h := &p.half[d]
		if h.skipped > 0 {
			p.connFlag(AnomResync)
			h.skipped = 0
		}
		for _, a := range h.pend {
			p.connFlag(a)
		}
		h.pend = h.pend[:0]
		h.holdEx = nil
	}
	p.flush(true)
	if p.proto == ProtoUnknown && (p.half[0].off > 0 || p.half[1].off > 0) {
		p.proto = ProtoOther
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
