package http1

// Tunnels: client bytes held after CONNECT or an Upgrade request until the response
// decides, then replayed as HTTP/1.x or given to the tunnel.

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
