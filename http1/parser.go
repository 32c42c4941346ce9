package http1

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
