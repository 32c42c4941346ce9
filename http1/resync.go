package http1

// Resynchronisation: looking for the next plausible start line after a gap or bytes
// that are not HTTP.

import "bytes"

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
