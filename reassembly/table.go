package reassembly

// The connection table: connections opened, timed out, evicted, closed and buried as
// tombstones, and the closing list in deadline order.

import (
	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
)

// late processes seg, a segment of the 4-tuple of tombstone tb, on t.scratch rebuilt
// from tb, unless it starts a new connection: then tb leaves the table and late reports
// true.
func (t *Tracker) late(tb *tomb, seg *decode.Segment) (startsNew bool) {
	c := &t.scratch
	tb.unbury(c)
	if t.startsNew(c, seg) {
		t.dropTomb(tb)
		t.drain()
		return true
	}
	t.process(c, seg)
	tb.rebury(c)
	t.tombs.toTail(tb)
	c.User = nil // whatever the handler set: unbury clears the rest next time
	return false
}

// expire closes idle connections and drops old tombstones. Each list is ordered by last
// activity and has one timeout, so only list heads are looked at. Connections that time
// out together close in the order of their last frames, whichever list they are on: that
// order does not depend on which other connections share the tracker, so shards of one
// input close them as a single tracker would.
func (t *Tracker) expire() {
	now := t.now
	for {
		o, c := t.open.head, t.closing.head
		if o != nil && now-o.lastSeen <= t.cfg.IdleTimeout {
			o = nil
		}
		if c != nil && now <= c.deadline {
			c = nil
		}
		// Of the closing connections whose wait ended (a prefix of the list, which is
		// in deadline order), the one with the first last frame goes first.
		for x := c; x != nil && now > x.deadline; x = x.lnext {
			if x.LastFrame < c.LastFrame {
				c = x
			}
		}
		switch {
		case o != nil && (c == nil || o.LastFrame < c.LastFrame):
			t.stats.Timeouts++
			t.closeConn(o, endReason(o, CloseTimeout))
			t.dropped(o.ID)
			continue
		case c != nil:
			t.closeConn(c, endReason(c, CloseFIN))
			t.bury(c)
			continue
		}
		break
	}
	for tb := t.tombs.head; tb != nil && now-tb.lastSeen > t.cfg.ClosedLinger; tb = t.tombs.head {
		t.dropTomb(tb)
	}
	t.drain()
}

// makeRoom frees a table slot when MaxConns is reached: the oldest tombstone, else the
// least recently active connection, closing or open. (Evicting a connection that is
// closing first would let its last packets open a new, empty connection.)
func (t *Tracker) makeRoom() {
	for t.Len() >= t.cfg.MaxConns {
		switch {
		case t.tombs.head != nil:
			t.stats.TombEvictions++
			t.dropTomb(t.tombs.head)
		case t.closing.head != nil && (t.open.head == nil || t.closing.head.lastSeen <= t.open.head.lastSeen):
			c := t.closing.head
			t.closeConn(c, endReason(c, CloseFIN))
			t.dropped(c.ID)
		case t.open.head != nil:
			c := t.open.head
			t.stats.Evictions++
			t.closeConn(c, CloseEvicted)
			t.dropped(c.ID)
		default:
			return
		}
	}
	t.drain()
}

func (t *Tracker) newConn(key flow.Key, seg *decode.Segment, index int) *Conn {
	t.makeRoom()
	t.nextID++
	var c *Conn
	if k := len(t.freeConns); k > 0 {
		c = t.freeConns[k-1]
		t.freeConns = t.freeConns[:k-1]
	} else {
		c = new(Conn)
	}
	*c = Conn{
		ID:         t.nextID,
		Key:        key,
		FirstFrame: seg.Frame,
		FirstTS:    seg.TS,
		Closer:     -1,
		// Set before OnOpen, which names per-connection output after them.
		Index:       index,
		ReusedTuple: index > 0,
		VLAN:        -1,
	}
	if seg.VLANTagged {
		c.VLAN = int32(seg.VLAN)
	}
	c.Dir[0].WScale = -1
	c.Dir[1].WScale = -1
	if senderIsClient(seg) {
		c.Client, c.Server = seg.Src, seg.Dst
	} else {
		c.Client, c.Server = seg.Dst, seg.Src
	}
	c.lastSeen = t.now
	t.conns[key] = c
	c.moveTo(&t.open)
	t.stats.Conns++
	t.stats.Active++
	t.stats.PeakConns = max(t.stats.PeakConns, t.Len())
	t.h.OnOpen(c)
	return c
}

// lateSYNSlack is how far before the first seen byte a SYN may start and still be taken
// for a late copy of this connection's own SYN (a capture that reordered packets).
const lateSYNSlack = 1 << 20

// startsNew reports whether seg, a segment of the 4-tuple of c, starts a new connection:
// a SYN (without ACK) with a new ISN after c finished, or on an open c whose side already
// sent a different SYN or that already carried data. A SYN from a side that sent none yet,
// whose sequence number lies just before that side's bytes, is a late copy of the
// connection's own SYN and starts nothing.
func (t *Tracker) startsNew(c *Conn, seg *decode.Segment) bool {
	if !seg.Flags.Has(tcp.SYN) || seg.Flags.Has(tcp.ACK) || seg.Flags.Has(tcp.RST) {
		return false
	}
	ds := &c.Dir[c.DirOf(seg.Src)]
	if ds.SawSYN {
		return seg.Seq != ds.ISN
	}
	if ds.st.isnSet {
		if off := ds.st.off(seg.Seq) + 1; off <= 1 && off >= -lateSYNSlack {
			return false
		}
	}
	if c.finished {
		return true
	}
	for i := range c.Dir {
		st := &c.Dir[i].st
		if st.nxt > 0 || st.high > 0 || st.finSet || c.Dir[i].State == StateReset {
			return true
		}
	}
	return false
}

// finish ends both streams of c: held bytes are delivered after gaps for the holes, and
// later segments are only classified. OnClose comes later (closeConn), so that the last
// ACKs of a FIN exchange or the packets around an RST are still reported before it.
func (t *Tracker) finish(c *Conn, reason CloseReason) {
	if c.finished {
		return
	}
	t.flushDir(c, flow.C2S)
	t.flushDir(c, flow.S2C)
	c.Close = reason
	c.finished = true
	for i := range c.Dir {
		st := &c.Dir[i].st
		if st.ring != nil {
			t.recentUsed -= len(st.ring.buf)
			if len(t.freeRings) < 64 {
				t.freeRings = append(t.freeRings, st.ring)
			}
			st.ring = nil
		}
		st.chunks, st.head = nil, 0
	}
}

// closeConn finishes c, an open or closing connection, if needed (with reason), plans
// OnClose and takes c out of the table: the caller then either buries it (a tombstone)
// or reports it dropped.
func (t *Tracker) closeConn(c *Conn, reason CloseReason) {
	t.finish(c, reason)
	c.closed = true
	t.pending = append(t.pending, event{kind: evClose, c: c, ts: t.now})
	t.stats.Active--
	t.stats.Closed++
	c.lastSeen = t.now
	if t.last == c {
		t.last = nil
	}
	if c.list != nil {
		c.list.remove(c)
	}
	delete(t.conns, c.Key)
}

// bury puts a tombstone for c, just closed, in the table, for Config.ClosedLinger.
func (t *Tracker) bury(c *Conn) {
	var tb *tomb
	if k := len(t.freeTombs); k > 0 {
		tb = t.freeTombs[k-1]
		t.freeTombs = t.freeTombs[:k-1]
	} else {
		tb = new(tomb)
	}
	tb.bury(c)
	t.tombs.push(tb)
	t.tombMap.put(tb)
}

// maxFreeConns bounds Tracker.freeConns: a Conn closes (and becomes a tombstone or
// leaves) about as often as one opens.
const maxFreeConns = 64

// maxFreeTombs bounds Tracker.freeTombs: tombs expire about as fast as connections close.
const maxFreeTombs = 256

// dropTomb removes tb from the table.
func (t *Tracker) dropTomb(tb *tomb) {
	t.tombs.remove(tb)
	t.tombMap.del(tb)
	t.dropped(tb.id)
	if len(t.freeTombs) < maxFreeTombs {
		t.freeTombs = append(t.freeTombs, tb)
	}
}

// dropped plans OnDrop for a connection that left the table.
func (t *Tracker) dropped(id uint64) {
	if t.drops != nil {
		t.pending = append(t.pending, event{kind: evDrop, id: id})
	}
}

// toClosing puts c, whose streams ended, on the closing list, or moves it there: it
// waits CloseWait of packet time after its last segment, or, while both FINs wait for
// the last ACK, FinalACKWait or four handshake RTTs, whichever is longer (a last ACK
// 200 ms after the FIN still belongs to the connection). The list stays in deadline
// order; a connection is inserted from the tail, where nearly all of them go.
func (t *Tracker) toClosing(c *Conn) {
	wait := t.cfg.CloseWait
	if c.Close != CloseRST && !(c.Dir[0].st.finAcked && c.Dir[1].st.finAcked) {
		wait = max(wait, t.cfg.FinalACKWait, 4*c.irtt)
	}
	c.deadline = c.lastSeen + wait
	l := &t.closing
	if c.list != nil {
		c.list.remove(c)
	}
	at := l.tail
	for at != nil && at.deadline > c.deadline {
		at = at.lprev
	}
	c.list = l
	c.lprev = at
	if at == nil {
		c.lnext = l.head
		l.head = c
	} else {
		c.lnext = at.lnext
		at.lnext = c
	}
	if c.lnext != nil {
		c.lnext.lprev = c
	} else {
		l.tail = c
	}
	l.n++
}
