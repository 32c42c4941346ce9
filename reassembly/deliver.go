package reassembly

// Delivery: in-order bytes handed to the handler without copying, out-of-order bytes
// held (copied), holes given up as gaps, first-wins overlaps with their conflicts, and the
// planned handler calls (drain).

import (
	"slices"

	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
)

// drain makes the planned handler calls.
func (t *Tracker) drain() {
	for i := range t.pending {
		e := &t.pending[i]
		switch e.kind {
		case evData:
			e.c.dataAck = e.ack
			t.h.OnData(e.c, e.dir, uint64(e.off), e.data, e.frame, e.ts)
		case evGap:
			t.h.OnGap(e.c, e.dir, uint64(e.off), uint64(e.n), e.ts)
		case evClose:
			t.h.OnClose(e.c)
			if len(t.freeConns) < maxFreeConns {
				t.freeConns = append(t.freeConns, e.c)
			}
		case evDrop:
			t.drops.OnDrop(e.id)
		}
		*e = event{}
	}
	t.pending = t.pending[:0]
}

// deliver plans OnData for bytes at the delivery point.
func (t *Tracker) deliver(c *Conn, d flow.Dir, off int64, data []byte, frame uint64, ts, ack int64) {
	if len(data) == 0 {
		return
	}
	ds := &c.Dir[d]
	st := &ds.st
	st.nxt = off + int64(len(data))
	ds.UniqueBytes += uint64(len(data))
	t.pending = append(t.pending, event{kind: evData, c: c, dir: d, off: off, data: data, frame: frame, ts: ts, ack: ack})
	if st.ring == nil && !st.ringTried && t.cfg.RecentPerDir > 0 {
		st.ringTried = true
		if t.recentUsed+t.cfg.RecentPerDir <= t.cfg.RecentTotal {
			var r *ring
			if k := len(t.freeRings); k > 0 {
				r = t.freeRings[k-1]
				t.freeRings = t.freeRings[:k-1]
			} else {
				r = &ring{buf: make([]byte, t.cfg.RecentPerDir)}
			}
			r.reset(off)
			st.ring = r
			t.recentUsed += len(r.buf)
		} else {
			t.stats.RecentUnavailable++
		}
	}
	if st.ring != nil {
		st.ring.write(off, data, frame)
	}
}

// gap plans OnGap for n bytes at the delivery point.
func (t *Tracker) gap(c *Conn, d flow.Dir, off, n int64) {
	if n <= 0 {
		return
	}
	ds := &c.Dir[d]
	ds.st.nxt = off + n
	ds.GapBytes += uint64(n)
	t.stats.Gaps++
	t.stats.GapBytes += uint64(n)
	t.pending = append(t.pending, event{kind: evGap, c: c, dir: d, off: off, n: n, ts: t.now})
	if ds.st.ring != nil {
		ds.st.ring.reset(ds.st.nxt)
	}
}

// deliverFront delivers the first held chunk from the delivery point on.
func (t *Tracker) deliverFront(c *Conn, d flow.Dir) {
	st := &c.Dir[d].st
	ch := st.popFront()
	t.stats.Buffered -= len(ch.data)
	data := ch.data
	if ch.off < st.nxt {
		skip := st.nxt - ch.off
		if skip >= int64(len(data)) {
			return
		}
		data = data[skip:]
		ch.off = st.nxt
	}
	t.deliver(c, d, ch.off, data, ch.frame, ch.ts, ch.ack)
}

// deliverReady delivers held chunks that became contiguous.
func (t *Tracker) deliverReady(c *Conn, d flow.Dir) {
	st := &c.Dir[d].st
	for len(st.live()) > 0 && st.chunks[st.head].off <= st.nxt {
		t.deliverFront(c, d)
	}
}

// skipTo moves the stream of d to offset a at least, reporting holes as gaps and
// delivering held chunks on the way.
func (t *Tracker) skipTo(c *Conn, d flow.Dir, a int64) {
	st := &c.Dir[d].st
	for st.nxt < a {
		if len(st.live()) > 0 && st.chunks[st.head].off <= st.nxt {
			t.deliverFront(c, d)
			continue
		}
		end := a
		if len(st.live()) > 0 {
			end = min(end, st.chunks[st.head].off)
		}
		t.gap(c, d, st.nxt, end-st.nxt)
	}
	t.deliverReady(c, d)
}

// giveUpHole reports the first hole as a gap and delivers what follows it.
func (t *Tracker) giveUpHole(c *Conn, d flow.Dir) {
	st := &c.Dir[d].st
	if len(st.live()) == 0 {
		return
	}
	t.skipTo(c, d, st.chunks[st.head].off)
}

// flushDir delivers everything held for d, with gaps for the holes, up to the FIN or the
// highest acknowledged offset when known.
func (t *Tracker) flushDir(c *Conn, d flow.Dir) {
	st := &c.Dir[d].st
	for len(st.live()) > 0 {
		t.giveUpHole(c, d)
	}
	end := st.acked
	if st.finSet {
		end = max(end, st.finOff)
	}
	if end > st.nxt && end-st.nxt <= maxAckJump {
		t.skipTo(c, d, end)
	}
	t.checkFin(c, d)
}

// conflict records n differing bytes in an overlap with bytes first carried by frame.
func (t *Tracker) conflict(c *Conn, d flow.Dir, n int, frame uint64) {
	if n == 0 {
		return
	}
	c.Dir[d].ConflictBytes += uint64(n)
	t.stats.ConflictBytes += uint64(n)
	t.info.Class |= tcp.ClassOverlapConflict
	if t.info.ConflictFrame == 0 {
		t.info.ConflictFrame = frame
	}
}

// reassemble places the payload of one segment: sequence space [s, s+n), of which
// data holds the captured first bytes (fewer when the capture truncated the segment).
func (t *Tracker) reassemble(c *Conn, d flow.Dir, s int64, data []byte, n int64, frame uint64, ts int64) {
	st := &c.Dir[d].st
	if s < 0 { // bytes before the ISN: cannot be placed
		cut := -s
		if cut >= n {
			return
		}
		n -= cut
		data = data[min(cut, int64(len(data))):]
		s = 0
	}
	e := s + n
	ce := s + int64(len(data))
	st.high = max(st.high, e)

	// Bytes already delivered: compare with what was delivered, when still held.
	if s < st.nxt && st.ring != nil {
		k := min(st.nxt, ce) - s
		if k > 0 {
			diff, f := st.ring.compare(s, data[:k])
			t.conflict(c, d, diff, f)
		}
	}
	if e <= st.nxt {
		return
	}
	if s > st.nxt {
		t.insert(c, d, s, data, frame, ts)
		t.enforceLimits(c, d)
		return
	}
	pos := st.nxt
	for pos < e {
		if len(st.live()) > 0 && st.chunks[st.head].off <= pos {
			ch := &st.chunks[st.head]
			lo, hi := max(ch.off, s), min(ch.end(), ce)
			if lo < hi {
				t.conflict(c, d, countDiff(data[lo-s:hi-s], ch.data[lo-ch.off:hi-ch.off]), ch.frame)
			}
			t.deliverFront(c, d)
			pos = st.nxt
			continue
		}
		next := e
		if len(st.live()) > 0 {
			next = min(next, st.chunks[st.head].off)
		}
		if pos < ce {
			de := min(next, ce)
			t.deliver(c, d, pos, data[pos-s:de-s], frame, ts, t.segAck)
			t.info.NewBytes += int(de - pos)
			pos = de
		}
		if pos < next { // bytes the capture truncated
			t.gap(c, d, pos, next-pos)
			pos = next
		}
	}
	t.deliverReady(c, d)
}

// insert copies the captured bytes of an out-of-order segment into the held chunks.
// Bytes already held win; differing ones are reported as a conflict.
func (t *Tracker) insert(c *Conn, d flow.Dir, s int64, data []byte, frame uint64, ts int64) {
	st := &c.Dir[d].st
	e := s + int64(len(data))
	i := st.search(s)
	pos := s
	for pos < e {
		live := st.live()
		if i < len(live) && live[i].off <= pos {
			ch := &live[i]
			hi := min(ch.end(), e)
			t.conflict(c, d, countDiff(data[pos-s:hi-s], ch.data[pos-ch.off:hi-ch.off]), ch.frame)
			pos = hi
			i++
			continue
		}
		next := e
		if i < len(live) && live[i].off < next {
			next = live[i].off
		}
		buf := make([]byte, next-pos)
		copy(buf, data[pos-s:next-s])
		st.chunks = slices.Insert(st.chunks, st.head+i, chunk{off: pos, data: buf, frame: frame, ts: ts, ack: t.segAck})
		st.buffered += len(buf)
		t.stats.Buffered += len(buf)
		t.stats.BufferedPeak = max(t.stats.BufferedPeak, t.stats.Buffered)
		t.info.NewBytes += len(buf)
		i++
		pos = next
	}
}

// enforceLimits gives up holes until the held bytes are within the limits.
func (t *Tracker) enforceLimits(c *Conn, d flow.Dir) {
	st := &c.Dir[d].st
	for len(st.live()) > 0 && (st.buffered > t.cfg.MaxBufferedPerConn || len(st.live()) > maxChunksPerDir) {
		t.stats.PerConnLimitHits++
		t.giveUpHole(c, d)
	}
	for t.stats.Buffered > t.cfg.MaxBufferedTotal {
		t.stats.TotalLimitHits++
		if len(st.live()) > 0 {
			t.giveUpHole(c, d)
			continue
		}
		// Another connection holds the bytes: give up the least recently active one's.
		var victim *Conn
		var vd flow.Dir
		for _, l := range []*connList{&t.open, &t.closing} {
			for x := l.head; x != nil && victim == nil; x = x.lnext {
				for i := range x.Dir {
					if x.Dir[i].st.buffered > 0 {
						victim, vd = x, flow.Dir(i)
						break
					}
				}
			}
		}
		if victim == nil {
			return
		}
		t.giveUpHole(victim, vd)
	}
}
