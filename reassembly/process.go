package reassembly

// The per-segment process, in named steps (process), and what the ACKs and RSTs of a
// segment do to the streams.

import (
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

func (d *DirState) setISN(isn tcpseq.Seq) {
	d.ISN = isn
	d.st.isnSet = true
	d.st.base = isn.Add(1)
}

// process classifies seg, updates c and plans the deliveries it causes, in named steps:
// touch (activity and counters), handshake (SYNs, sequence-number bases, handshake times,
// states), classify (analysis classes and relative numbers), then while the streams run
// move (RST, payload, FIN and ACK move them) or, once they ended, lastAck; and finally
// the report (OnSegment, then the deliveries planned on the way).
func (t *Tracker) process(c *Conn, seg *decode.Segment) {
	d := c.DirOf(seg.Src)
	n, data := segmentBytes(seg)
	t.touch(c, d, seg, n)
	t.handshake(c, d, seg, n)
	info := t.classify(c, d, seg, n)
	if !c.finished {
		t.move(c, d, seg, info, data, n)
	} else {
		t.lastAck(c, d, seg)
	}
	if c.list == &t.closing {
		t.toClosing(c) // the wait restarts with every segment
	}
	t.h.OnSegment(c, d, seg, info)
	t.drain()
}

// segmentBytes returns the segment's payload length and its captured bytes within it.
// PayloadLen (from the IP lengths) is authoritative; a segment built without it counts
// its Payload.
func segmentBytes(seg *decode.Segment) (n int, data []byte) {
	n = seg.PayloadLen
	if n <= 0 {
		n = len(seg.Payload)
	}
	data = seg.Payload
	if len(data) > n {
		data = data[:n]
	}
	return n, data
}

// touch notes the segment's time and counts it.
func (t *Tracker) touch(c *Conn, d flow.Dir, seg *decode.Segment, n int) {
	c.LastFrame = seg.Frame
	c.LastTS = max(c.LastTS, seg.TS)
	c.lastSeen = t.now
	if c.list == &t.open { // a closing connection is placed at the end; a tombstone by late
		c.moveTo(&t.open)
	}
	ds := &c.Dir[d]
	ds.Packets++
	ds.Bytes += uint64(n)
}

// handshake takes what seg tells about the connection's start: a SYN's options and
// sequence number, a stream base guessed without one, the handshake times and RTT, and
// the sender's state.
func (t *Tracker) handshake(c *Conn, d flow.Dir, seg *decode.Segment, n int) {
	ds, ps := &c.Dir[d], &c.Dir[d.Other()]
	flags := seg.Flags
	syn, ack, rst := flags.Has(tcp.SYN), flags.Has(tcp.ACK), flags.Has(tcp.RST)
	if syn && ack && c.finished && !c.closed && c.Close == CloseRST && !ds.SawSYN && ps.SawSYN && seg.Ack == ps.ISN.Add(1) {
		t.revive(c)
	}
	if syn {
		if !ds.SawSYN {
			ds.SawSYN = true
			ds.SYNFrame = seg.Frame
			if seg.Opts.HasMSS {
				ds.MSS = seg.Opts.MSS
			}
			if seg.Opts.HasWScale {
				ds.WScale = int8(min(seg.Opts.WScale, 14))
			}
			ds.SACKPerm = seg.Opts.SACKPermitted
			ds.Timestamps = seg.Opts.HasTS
			if !ds.st.isnSet {
				ds.setISN(seg.Seq)
			} else {
				t.rebase(ds, seg.Seq)
			}
			if ds.State == StateNone {
				ds.State = StateSYNSent
			}
		}
		if ack {
			if c.SYNACKTime == 0 {
				c.SYNACKTime = seg.TS
			}
		} else if c.SYNTime == 0 {
			c.SYNTime = seg.TS
		}
		c.wsOK = c.Dir[0].SawSYN && c.Dir[1].SawSYN && c.Dir[0].WScale >= 0 && c.Dir[1].WScale >= 0
	} else if !ds.st.isnSet {
		ds.setISN(seg.Seq.Add(^uint32(0)))
	} else if off := ds.st.off(seg.Seq); !ds.SawSYN && n > 0 && off < 0 && !(n == 1 && off == -1) {
		// Bytes before the guessed start of a stream whose SYN was not seen: the capture
		// began with a later segment (or reordered packets). Move the start back while
		// nothing was delivered. (One byte just before the start is a keep-alive.)
		t.rebase(ds, seg.Seq.Add(^uint32(0)))
	}
	if ack && !ps.st.isnSet {
		ps.setISN(seg.Ack.Add(^uint32(0)))
	}
	if syn && !ack {
		c.mruSYN = seg.TS
	} else if !syn && ack && c.irtt == 0 && c.mruSYN != 0 {
		c.irtt = max(seg.TS-c.mruSYN, 1)
	}
	if !syn && ack && c.ACKTime == 0 && c.SYNACKTime != 0 && d == flow.C2S && ps.SawSYN && seg.Ack == ps.ISN.Add(1) {
		c.ACKTime = seg.TS
	}
	if !syn && !rst && (ds.State == StateNone || ds.State == StateSYNSent) {
		ds.State = StateEstablished
	}
}

// classify fills t.info: the segment's analysis classes (classify.go), the IP layer's
// fragment conflict, and its numbers relative to each direction's base.
func (t *Tracker) classify(c *Conn, d flow.Dir, seg *decode.Segment, n int) *SegInfo {
	ds, ps := &c.Dir[d], &c.Dir[d.Other()]
	syn, ack := seg.Flags.Has(tcp.SYN), seg.Flags.Has(tcp.ACK)
	info := &t.info
	*info = SegInfo{}
	t.analyze(c, d, seg, uint32(n))
	if seg.IP.FragConflict {
		// The IP layer kept the first copy of fragments that differed: the bytes shown
		// may not be the ones the receiver used.
		info.Class |= tcp.ClassFragmentOverlapConflict
		info.ConflictFrame = seg.IP.FragConflictFrames[0]
	}
	info.RelSeq = uint32(seg.Seq.Diff(ds.ISN))
	if ack {
		info.RelAck = uint32(seg.Ack.Diff(ps.ISN))
	}
	info.Window = uint32(seg.Window)
	if c.wsOK && !syn {
		info.Window <<= uint(ds.WScale)
	}
	info.Off = ds.st.off(seg.Seq)
	if syn {
		info.Off++
	}
	return info
}

// move applies seg to the streams while they run: an RST in the window resets the
// connection; the payload is reassembled; a FIN sets the sender's end; the ACK moves the
// peer's stream (acknowledged holes, the FIN's acknowledgement); the FIN exchange or the
// RST puts the connection on the closing list.
func (t *Tracker) move(c *Conn, d flow.Dir, seg *decode.Segment, info *SegInfo, data []byte, n int) {
	ds, ps := &c.Dir[d], &c.Dir[d.Other()]
	flags := seg.Flags
	ack, fin, rst := flags.Has(tcp.ACK), flags.Has(tcp.FIN), flags.Has(tcp.RST)
	resetNow := false
	if rst {
		if t.rstAcceptable(c, d, seg) {
			resetNow = true
		} else {
			info.Class |= tcp.ClassRSTOutOfWindow
			t.stats.RSTOutOfWindow++
		}
	}
	t.segAck = -1
	if ack && ps.st.isnSet {
		t.segAck = ps.st.off(seg.Ack)
	}
	if n > 0 && !rst && info.Class&tcp.ClassKeepAlive == 0 {
		t.reassemble(c, d, info.Off, data, int64(n), seg.Frame, seg.TS)
		if info.NewBytes > 0 && ps.st.finSet {
			c.HalfClosed = true
		}
	}
	if fin && !rst && !ds.st.finSet && info.Off+int64(n) >= -lateSYNSlack {
		ds.st.finSet = true
		ds.st.finOff = info.Off + int64(n)
		ds.FINFrame = seg.Frame
		ds.State = StateFINSent
		if c.Closer < 0 {
			c.Closer = int8(d)
		}
	}
	if ack && ps.st.isnSet {
		t.peerAck(c, d.Other(), ps.st.off(seg.Ack))
	}
	t.ackGaps(c)
	t.checkFin(c, d)
	t.checkFin(c, d.Other())
	if resetNow {
		ds.State = StateReset
		ds.RSTFrame = seg.Frame
		if c.Closer < 0 {
			c.Closer = int8(d)
		}
		t.finish(c, CloseRST)
		t.toClosing(c)
	} else if c.Dir[0].st.finDone && c.Dir[1].st.finDone {
		if c.Dir[0].st.finAcked && c.Dir[1].st.finAcked {
			t.finish(c, CloseFIN)
		}
		t.toClosing(c)
	}
}

// lastAck takes, after the streams ended, the last ACK of the FIN exchange.
func (t *Tracker) lastAck(c *Conn, d flow.Dir, seg *decode.Segment) {
	ps := &c.Dir[d.Other()]
	if seg.Flags.Has(tcp.ACK) && !c.closed && ps.st.finSet && !ps.st.finAcked && ps.st.off(seg.Ack) > ps.st.finOff {
		ps.st.finAcked = true
		if ps.State == StateFINSent {
			ps.State = StateClosed
		}
	}
}

// peerAck handles an acknowledgement of direction d up to offset a: a FIN acknowledged,
// or a hole the receiver acknowledged, so the bytes were sent but not captured.
func (t *Tracker) peerAck(c *Conn, d flow.Dir, a int64) {
	ds := &c.Dir[d]
	st := &ds.st
	if a <= st.nxt || a-st.nxt > maxAckJump {
		return
	}
	if st.finSet {
		if a > st.finOff {
			if !st.finAcked {
				st.finAcked = true
				if ds.State == StateFINSent {
					ds.State = StateClosed
				}
			}
			a = st.finOff
		}
	}
	st.acked = max(st.acked, a)
	// Only when the stream is stuck: bytes held beyond a hole, a FIN waiting, or bytes
	// seen but not captured (truncation). Otherwise the missing bytes may still come.
	if (len(st.live()) > 0 || st.finSet || st.high > st.nxt) && st.ackWait == 0 {
		st.ackWait = ackGapDelay
	}
}

// ackGapDelay is how many more segments of a connection an acknowledged hole waits for
// its bytes before it is reported as a gap: a capture can show an ACK before the data it
// acknowledges (several capture queues, or a reordered file).
const ackGapDelay = 8

// ackGaps counts down acknowledged holes and reports those that were not filled.
func (t *Tracker) ackGaps(c *Conn) {
	done := c.Dir[0].st.finSet && c.Dir[1].st.finSet && c.Dir[0].st.finAcked && c.Dir[1].st.finAcked
	for d := range c.Dir {
		st := &c.Dir[d].st
		if st.ackWait == 0 {
			continue
		}
		if st.nxt >= st.acked {
			st.ackWait = 0
			continue
		}
		st.ackWait--
		if st.ackWait == 0 || done {
			st.ackWait = 0
			t.skipTo(c, flow.Dir(d), st.acked)
		}
	}
}

// revive reopens a connection that an RST ended before its handshake completed, when
// the server then answers the client's SYN after all: the client never accepted the RST
// (an injected RST with a bad timestamp echo, which Linux rejects in SYN-SENT, is a known
// IDS evasion). It is only possible while nothing was delivered or reported as a gap, and
// before OnClose (CloseWait).
func (t *Tracker) revive(c *Conn) {
	for i := range c.Dir {
		if c.Dir[i].UniqueBytes != 0 || c.Dir[i].GapBytes != 0 {
			return
		}
	}
	c.finished = false
	c.Close = CloseOpen
	c.Closer = -1
	for i := range c.Dir {
		d := &c.Dir[i]
		d.st = stream{isnSet: d.SawSYN, base: d.st.base}
		d.FINFrame, d.RSTFrame = 0, 0
		d.State = StateNone
		if d.SawSYN {
			d.State = StateSYNSent
		}
	}
	t.stats.Revived++
	c.moveTo(&t.open)
}

// rebase moves the start of the stream of d (offset 0) to isn+1, while nothing of it was
// delivered or reported as a gap and the move stays within lateSYNSlack: a SYN seen late,
// or bytes before the first segment seen. Held bytes keep their sequence numbers.
func (t *Tracker) rebase(d *DirState, isn tcpseq.Seq) {
	st := &d.st
	if st.nxt != 0 || d.UniqueBytes != 0 || d.GapBytes != 0 {
		return
	}
	delta := st.off(isn.Add(1)) // the new offset 0, in current offsets
	if delta == 0 || delta < -lateSYNSlack || delta > lateSYNSlack {
		return
	}
	if delta > 0 && (len(st.live()) > 0 || st.high > 0) {
		return // would cut held bytes
	}
	for i := range st.live() {
		st.chunks[st.head+i].off -= delta
	}
	if st.high > 0 { // 0: nothing seen yet
		st.high = max(st.high-delta, 0)
	}
	if st.acked > 0 {
		st.acked = max(st.acked-delta, 0)
	}
	if st.finSet {
		st.finOff -= delta
	}
	d.setISN(isn)
}

// checkFin marks the stream of d finished when it reached its FIN.
func (t *Tracker) checkFin(c *Conn, d flow.Dir) {
	st := &c.Dir[d].st
	if st.finSet && !st.finDone && st.finOff >= 0 && st.nxt >= st.finOff {
		st.finDone = true
	}
}

// rstAcceptable applies RFC 5961 §3.2 from the observer's point of view: the RST's
// sequence number must lie in the receiver's window, from what it acknowledged (or what
// was delivered) to the highest sequence number sent plus the advertised window.
func (t *Tracker) rstAcceptable(c *Conn, d flow.Dir, seg *decode.Segment) bool {
	ds, ps := &c.Dir[d], &c.Dir[d.Other()]
	st := &ds.st
	off := st.off(seg.Seq)
	exp := max(st.nxt, st.high)
	if st.finSet {
		exp = max(exp, st.finOff+1)
	}
	lo := min(st.nxt, exp)
	if ps.an.lastAckSet {
		lo = min(lo, st.off(ps.an.lastAck))
	}
	wnd := int64(1)
	if ps.an.windowSet {
		w := int64(ps.an.window)
		if c.wsOK {
			w <<= uint(ps.WScale)
		}
		wnd = max(wnd, w)
	}
	return off >= lo && off <= exp+wnd
}
