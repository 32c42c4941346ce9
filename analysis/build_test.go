package analysis

import (
	"strconv"

	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// conn builds a synthetic connection record: segments in capture order with consistent
// offsets, relative seq/ack numbers, IP and TCP header sizes, and the deliveries and gaps
// the reassembler would have reported.
type conn struct {
	ci    ConnInfo
	segs  []SegRecord
	dels  []Delivery
	gaps  []Gap
	xs    []ExchangeInfo
	ts    int64
	frame uint64
	next  [2]int64 // next stream offset per direction
	fin   [2]int64 // 1 once the direction sent FIN (it takes a sequence number)
	ipid  uint32
}

const ms = int64(1e6)

const t0 = int64(1_700_000_000) * 1e9

func newConn() *conn {
	return &conn{
		ci: ConnInfo{ID: 1, Client: "10.0.0.1:40000", Server: "10.0.0.2:80", FirstTS: t0,
			MSS: [2]int{1460, 1460}, WScale: [2]int{7, 7}, Close: "fin", Closer: -1},
		ts: t0, ipid: 0x1a2b,
	}
}

// add appends one segment sent dt after the previous one. It carries n new bytes of dir's
// stream (delivered first by this frame) unless class marks it otherwise.
func (c *conn) add(dt int64, dir uint8, bits tcp.Flags, n int, class ...tcp.Class) *SegRecord {
	c.ts += dt
	c.frame++
	c.ipid++
	peer := dir ^ 1
	var cl tcp.Class
	for _, x := range class {
		cl |= x
	}
	s := SegRecord{
		Frame: c.frame, TS: c.ts, Dir: dir, Off: c.next[dir], Len: n,
		Flags: bits,
		Seq:   uint32(c.next[dir] + 1), Win: 64240, Class: cl,
		IPHdrLen: 20, TCPHdrLen: 32, IPTotalLen: 20 + 32 + n, IPID: c.ipid, DF: true,
		FrameLen: 14 + 20 + 32 + n, TCPOptions: "TS",
	}
	if bits.Has(tcp.ACK) {
		s.Ack = uint32(c.next[peer] + 1 + c.fin[peer])
	}
	if bits.Has(tcp.SYN) {
		s.Seq, s.Off, s.TCPHdrLen, s.TCPOptions = 0, -1, 40, "mss 1460,sackOK,TS,wscale 7"
		s.IPTotalLen, s.FrameLen = 60, 74
		if dir == dirC2S {
			c.ci.SYNTime = c.ts
		} else {
			c.ci.SYNACKTime = c.ts
		}
	}
	if bits.Has(tcp.FIN) {
		c.fin[dir] = 1
	}
	if n > 0 {
		c.dels = append(c.dels, Delivery{Dir: dir, Off: uint64(c.next[dir]), Len: n, Frame: c.frame})
		c.next[dir] += int64(n)
	}
	c.segs = append(c.segs, s)
	return &c.segs[len(c.segs)-1]
}

// handshake adds SYN, SYN-ACK and ACK with the given one-way delays.
func (c *conn) handshake(rtt int64) {
	c.add(0, dirC2S, tcp.SYN, 0)
	c.add(rtt, dirS2C, tcp.SYN|tcp.ACK, 0)
	c.add(ms/20, dirC2S, tcp.ACK, 0)
	c.ci.ACKTime = c.ts
}

// retrans re-sends n bytes of dir at off (no delivery).
func (c *conn) retrans(dt int64, dir uint8, off int64, n int, class ...tcp.Class) *SegRecord {
	save := c.next[dir]
	c.next[dir] = off
	s := c.add(dt, dir, tcp.ACK|tcp.PSH, n, append([]tcp.Class{tcp.ClassRetransmission}, class...)...)
	c.dels = c.dels[:len(c.dels)-1]
	c.next[dir] = save
	return s
}

// skip makes n bytes of dir go missing (a gap).
func (c *conn) skip(dir uint8, n int) {
	c.gaps = append(c.gaps, Gap{Dir: dir, Off: uint64(c.next[dir]), Len: uint64(n)})
	c.next[dir] += int64(n)
}

// exchange records an exchange over the given stream ranges.
func (c *conn) exchange(depth int, method, uri string, status int, reqStart, reqEnd, respStart, respEnd uint64) {
	x := ExchangeInfo{
		HTTP:   report.HTTP{Conn: 1, Depth: depth, Method: method, URI: uri, Version: "HTTP/1.1", Status: status, Reason: reason(status), Verdict: "complete"},
		HasReq: reqEnd > reqStart, ReqStart: reqStart, ReqEnd: reqEnd,
		HasResp: respEnd > respStart, RespStart: respStart, RespEnd: respEnd, KeepAlive: true,
	}
	c.xs = append(c.xs, x)
}

func reason(st int) string {
	switch st {
	case 200:
		return "OK"
	case 404:
		return "Not Found"
	}
	return "Status " + strconv.Itoa(st)
}
