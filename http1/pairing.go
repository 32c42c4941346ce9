package http1

// Pairing responses with requests, anchored in TCP acknowledgements.
//
// Every TCP segment acknowledges how much of the peer's stream its sender had received.
// The caller passes that number with the bytes (Parser.Ack), and the parser keeps it for
// the first byte of each message (Message.AckOff). Three facts follow:
//
//   - A response whose first byte was sent while the server had acknowledged the client's
//     stream up to offset b answers a request that starts before b: a server does not
//     answer a request it has not received. A response that would pair with a later
//     request answers one the capture lost (or none, as a 408 sent on an idle connection
//     does): the parser puts an exchange without request in front, and the later
//     requests keep their own responses.
//   - A request sent while the client had received the server's stream up to offset a is
//     answered by a response starting at a or later.
//   - Servers answer in request order (RFC 9112 §9.3.2). When bytes of the server's
//     stream were lost at a message boundary, at least one response was lost; the parser
//     skips one pending exchange, or more when requests that the client sent after
//     receiving some of the lost bytes (each new acknowledgement inside them counts
//     once) show that more responses ended inside them. The
//     skipped exchanges end with verdict gap (response_in_gap), and the next response
//     pairs with the right request.
//
// Without acknowledgements (a one-sided capture, segments without ACK) the parser pairs
// first-in first-out, and an exchange whose pairing no acknowledgement confirms gets
// verdict inferred instead of complete.

// Ack tells the parser what the segment carrying the next bytes fed in dir acknowledged
// of the other direction: peerOff is the offset, in the other direction's stream, of the
// first byte the sender had not yet received; negative when the segment carried no
// acknowledgement. It holds for dir until the next Ack.
func (p *Parser) Ack(dir Dir, peerOff int64) {
	if peerOff < 0 {
		peerOff = -1
	} else {
		p.acked = true
	}
	p.half[dir&1].ack = peerOff
}

// pairResponse returns the exchange that a response starting at stream offset start
// answers; ack is Message.AckOff of the response.
func (p *Parser) pairResponse(s *half, start uint64, ack int64) *Exchange {
	idx := p.respIdx
	if s.loss && idx < len(p.queue) {
		// Responses were lost since the last one began: skip as many pending exchanges.
		skip := 0
		if s.lossSure {
			skip = 1
		}
		// Each request the client sent after receiving more of the lost bytes (a new
		// acknowledgement inside them) marks the end of one more lost response.
		n, last := 0, int64(-1)
		for _, ex := range p.queue[idx+1:] {
			if a := reqAck(ex); a > last && uint64(a) > s.lossAt && uint64(a) <= start {
				n, last = n+1, a
			}
		}
		skip = max(skip, n)
		for ; skip > 0 && idx+1 < len(p.queue) && p.skippable(p.queue[idx]) && answerable(p.queue[idx+1], start, ack); skip-- {
			ex := p.queue[idx]
			ex.respDone, ex.respGap = true, true
			ex.flag(AnomResponseInGap)
			idx++
		}
	}
	s.loss, s.lossSure = false, false
	if idx < len(p.queue) {
		ex := p.queue[idx]
		if !answerable(ex, start, ack) && ack >= 0 && (ex.Req == nil || ex.Req.StartOff >= uint64(ack)) {
			// The server had not received this request when it answered: the response
			// answers one the capture does not hold.
			lost := ex.lossBefore
			ex = p.insertExchange(idx)
			p.noRequest(ex, lost)
		}
		p.respIdx = idx + 1
		return ex
	}
	ex := p.newExchange()
	p.noRequest(ex, p.half[C2S].loss)
	p.respIdx = len(p.queue)
	return ex
}

// noRequest marks ex, an exchange made for a response without a request in the capture:
// the request was lost in a gap of the client's stream (lost), or there was none.
func (p *Parser) noRequest(ex *Exchange, lost bool) {
	if lost {
		ex.reqLost = true
		ex.flag(AnomRequestInGap)
		return
	}
	ex.flag(AnomResponseWithoutRequest)
}

// reqAck returns the acknowledgement carried by the first byte of ex's request (-1: none
// or unknown).
func reqAck(ex *Exchange) int64 {
	if ex.Req == nil {
		return -1
	}
	return ex.Req.AckOff
}

// answerable reports whether the acknowledgements allow a response starting at start,
// sent while the server had received the client's stream up to ack, to answer ex.
func answerable(ex *Exchange, start uint64, ack int64) bool {
	q := ex.Req
	if q == nil {
		return !ex.reqLost || ack < 0 || ex.lossOff < uint64(ack)
	}
	if ack >= 0 && q.StartOff >= uint64(ack) {
		return false
	}
	return q.AckOff < 0 || uint64(q.AckOff) <= start
}

// skippable reports whether ex may be passed over as an exchange whose response was lost.
func (p *Parser) skippable(ex *Exchange) bool {
	return ex != p.half[C2S].holdEx && ex.Resp == nil
}

// insertExchange puts a new exchange at queue index idx, taking the depth of the one
// there; the exchanges from idx on move one depth down (none of them was emitted yet).
func (p *Parser) insertExchange(idx int) *Exchange {
	ex := p.takeExchange()
	ex.Depth = p.queue[idx].Depth
	p.queue = append(p.queue, nil)
	copy(p.queue[idx+1:], p.queue[idx:])
	p.queue[idx] = ex
	for _, x := range p.queue[idx+1:] {
		x.Depth++
	}
	p.depth++
	return ex
}

// evidence reports whether the acknowledgements confirm that ex's response answers its
// request: the server had received the request's first byte when it sent the response,
// and the client had not received the response's first byte when it sent the request.
func evidence(ex *Exchange) bool {
	q, r := ex.Req, ex.Resp
	if q == nil || r == nil || r.AckOff < 0 || q.StartOff >= uint64(r.AckOff) {
		return false
	}
	return q.AckOff < 0 || uint64(q.AckOff) <= r.StartOff
}

// lost notes that bytes of h's direction starting at stream offset at were lost; sure
// when the loss began at a message boundary, so that at least one message (or its
// start) is gone. A request lost that way gets its place in the queue at once: an
// exchange without request, which the next response pairs with when the
// acknowledgements allow (it is not reported if no response comes).
func (p *Parser) lost(h *half, at uint64, sure bool) {
	if h.dir == C2S && sure {
		ex := p.newExchange()
		ex.reqLost, ex.lossOff = true, at
		ex.reqDone = true
		ex.flag(AnomRequestInGap)
		return
	}
	if !h.loss {
		h.loss, h.lossAt = true, at
	}
	h.lossSure = h.lossSure || sure
}
