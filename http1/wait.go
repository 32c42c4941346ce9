package http1

// Server bytes wait for the client bytes they acknowledge.
//
// A capture can deliver a response before the request it answers: the request's segment
// was lost from the capture (the server got it), and the tracker reports that hole only
// some segments later, when the server's acknowledgements show it; or capture queues
// reordered the two. Pairing then needs the request (or the gap in its place) first. So
// while the server's bytes acknowledge more of the client's stream than was fed (and the
// client's direction has started), they wait — copied, at most maxWait bytes, with the
// gaps and the close among them — until the client's stream reaches what they
// acknowledge, it closes, or the connection finishes.

// maxWait bounds the server bytes waiting for client bytes; past it, everything waiting
// is parsed at once and nothing waits until the client's stream catches up.
const maxWait = 256 << 10

type waitKind uint8

const (
	waitData waitKind = iota
	waitGap
	waitClose
)

type waitItem struct {
	kind     waitKind
	off, end int // data in Parser.waitBuf
	n        uint64
	frame    uint64
	ts, ack  int64
}

// waits reports whether bytes, a gap or a close of dir must wait: dir is the server's
// and either something waits already or the acknowledgement carried by these bytes is
// ahead of the client's stream as fed.
func (p *Parser) waits(dir Dir) bool {
	if dir&1 != S2C {
		return false
	}
	if len(p.waitQ) > 0 {
		return true
	}
	c := &p.half[C2S]
	a := p.half[S2C].ack
	return !p.waitOver && c.started && !c.closed && a > 0 && uint64(a) > c.off
}

func (p *Parser) wait(k waitKind, data []byte, n uint64, frame uint64, ts int64) {
	it := waitItem{kind: k, n: n, frame: frame, ts: ts, ack: p.half[S2C].ack}
	it.off = len(p.waitBuf)
	p.waitBuf = append(p.waitBuf, data...)
	it.end = len(p.waitBuf)
	p.waitQ = append(p.waitQ, it)
	if len(p.waitBuf) > maxWait {
		p.waitOver = true
		p.releaseWait(true)
	}
}

// releaseWait parses what waits, in order, as far as the client's stream allows (all: all
// of it).
func (p *Parser) releaseWait(all bool) {
	if len(p.waitQ) == 0 {
		return
	}
	c := &p.half[C2S]
	i := 0
	for ; i < len(p.waitQ); i++ {
		it := &p.waitQ[i]
		if !all && !c.closed && it.ack > 0 && uint64(it.ack) > c.off {
			break
		}
		p.half[S2C].ack = it.ack
		switch it.kind {
		case waitData:
			p.feed(S2C, p.waitBuf[it.off:it.end], it.frame, it.ts)
		case waitGap:
			p.gap(S2C, it.n, it.ts)
		case waitClose:
			p.closeDir(S2C, it.ts)
		}
	}
	if i == len(p.waitQ) {
		p.waitQ, p.waitBuf = p.waitQ[:0], p.waitBuf[:0]
		if c.off >= uint64(max(p.half[S2C].ack, 0)) {
			p.waitOver = false
		}
		return
	}
	p.waitQ = append(p.waitQ[:0], p.waitQ[i:]...)
}
