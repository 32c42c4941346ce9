package http1

// Bodies: the framing BodyFraming decided, Content-Length and chunked bodies, trailers,
// HTTP/0.9 responses, and the end of a message.

import "bytes"

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
