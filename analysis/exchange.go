package analysis

import (
	"net/netip"
	"slices"

	"github.com/segscope/segscope/http1"
	"github.com/segscope/segscope/report"
)

// This file holds the facts of an exchange and a connection that every view reports
// the same way: computed here once, used by the pipeline's records and by the views.

// HandshakeRTT is the one definition of a connection's handshake round trip: from the
// SYN to the ACK that completes the three-way handshake, as seen at the capture point.
// It is one round trip wherever the capture was taken. It is 0 when the handshake was
// not seen whole, or when its times run backwards.
func HandshakeRTT(syn, synAck, ack int64) int64 {
	if syn == 0 || synAck == 0 || ack == 0 || ack < syn {
		return 0
	}
	return ack - syn
}

// ExchangeTiming returns the phases of exchange x, as HAR names them; a phase that does
// not apply is -1. connect is the handshake RTT (HandshakeRTT, 0 when unknown), counted
// for the first exchange of a connection only; send runs from the request's first byte
// to its last, wait from the request's last byte to the response's first, receive from
// the response's first byte to its last.
func ExchangeTiming(x *http1.Exchange, connect int64) report.Timing {
	t := report.Timing{Connect: -1, Send: -1, Wait: -1, Receive: -1}
	if q := x.Req; q != nil {
		t.Send = report.Duration(q.LastTS - q.FirstTS)
		if x.Depth == 1 && connect > 0 {
			t.Connect = report.Duration(connect)
		}
	}
	if s := x.Resp; s != nil {
		t.Receive = report.Duration(s.LastTS - s.FirstTS)
		if x.Req != nil {
			t.Wait = report.Duration(s.FirstTS - x.Req.LastTS)
		}
	}
	return t
}

// ExchangeVerdict is the final integrity verdict of an exchange whose parser said v.
// conflict says the stream bytes of its messages include an overlap whose copies
// differed, truncated that they include bytes the capture's snaplen cut off. A conflict
// outranks everything, a gap included: the bytes shown may not be the ones the peer
// used. A truncation replaces "complete" and "gap" (the bytes were on the wire, the
// capture did not keep them).
func ExchangeVerdict(v http1.Verdict, conflict, truncated bool) http1.Verdict {
	switch {
	case conflict:
		return http1.VerdictConflict
	case truncated && (v == http1.VerdictGap || v == http1.VerdictComplete):
		return http1.VerdictTruncated
	}
	return v
}

// Parallel counts, per server, the connections open at the same time, for diagnose's
// parallel-connection findings: a connection's count is the most connections to its
// server (itself included) open at once while it was open. The zero value is ready.
type Parallel struct {
	open map[netip.AddrPort][]*ParallelConn
}

// ParallelConn is one connection followed by a Parallel.
type ParallelConn struct {
	server netip.AddrPort
	// Max is the most connections to the server open at once while this one was open,
	// itself included. It is final once the connection is closed.
	Max int
}

// Open notes that a connection to server opened and raises the count of every
// connection open to it.
func (p *Parallel) Open(server netip.AddrPort, c *ParallelConn) {
	if p.open == nil {
		p.open = map[netip.AddrPort][]*ParallelConn{}
	}
	c.server, c.Max = server, 0
	list := append(p.open[server], c)
	p.open[server] = list
	for _, x := range list {
		x.Max = max(x.Max, len(list))
	}
}

// Close notes that c closed.
func (p *Parallel) Close(c *ParallelConn) {
	list := p.open[c.server]
	if i := slices.Index(list, c); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(p.open, c.server)
	} else {
		p.open[c.server] = list
	}
}
