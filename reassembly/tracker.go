package reassembly

import (
	"cmp"
	"slices"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

// Config holds the tracker's limits. A zero field takes its default.
type Config struct {
	MaxConns           int   // connections in the table, tombstones included (default 65536)
	MaxBufferedPerConn int   // out-of-order bytes held per direction (default 4 MiB)
	MaxBufferedTotal   int   // out-of-order bytes held in all (default 64 MiB)
	IdleTimeout        int64 // ns of packet time without a segment before OnClose (default 10 min)
	CloseWait          int64 // ns of packet time after the streams ended (FINs, RST) before OnClose, refreshed by late packets (default 200 ms)
	FinalACKWait       int64 // ns of packet time that both FINs wait for the last ACK before OnClose, at least 4 handshake RTTs (default 2 s)
	ClosedLinger       int64 // ns a closed connection keeps receiving late packets (default 60 s, like Linux TIME_WAIT)
	RecentPerDir       int   // delivered bytes kept per direction for conflict checks (default 16 KiB; negative: none)
	RecentTotal        int   // budget for those rings in all (default 32 MiB)
}

// Defaults.
const (
	DefaultMaxConns           = 65536
	DefaultMaxBufferedPerConn = 4 << 20
	DefaultMaxBufferedTotal   = 64 << 20
	DefaultIdleTimeout        = int64(10 * 60 * 1e9)
	DefaultCloseWait          = int64(200e6)
	DefaultFinalACKWait       = int64(2e9)
	DefaultClosedLinger       = int64(60 * 1e9)
	DefaultRecentPerDir       = 16 << 10
	DefaultRecentTotal        = 32 << 20
)

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxConns, DefaultMaxConns)
	def(&c.MaxBufferedPerConn, DefaultMaxBufferedPerConn)
	def(&c.MaxBufferedTotal, DefaultMaxBufferedTotal)
	def64(&c.IdleTimeout, DefaultIdleTimeout)
	def64(&c.CloseWait, DefaultCloseWait)
	def64(&c.FinalACKWait, DefaultFinalACKWait)
	def64(&c.ClosedLinger, DefaultClosedLinger)
	if c.RecentPerDir == 0 {
		c.RecentPerDir = DefaultRecentPerDir
	}
	def(&c.RecentTotal, DefaultRecentTotal)
	return c
}

// Stats counts what the tracker did.
type Stats struct {
	Segments          uint64 // segments added
	Conns             uint64 // connections created
	Active            int    // connections open now (not yet closed)
	Tombstones        int    // closed connections still held for late packets
	PeakConns         int    // most connections held at once, tombstones included
	Reused            uint64 // connections that reused the 4-tuple of an earlier one
	Closed            uint64 // OnClose calls
	Timeouts          uint64 // closed by IdleTimeout
	Evictions         uint64 // open connections evicted to make room (MaxConns)
	TombEvictions     uint64 // tombstones dropped early to make room
	PerConnLimitHits  uint64 // holes given up because of MaxBufferedPerConn (or the chunk limit)
	TotalLimitHits    uint64 // holes given up because of MaxBufferedTotal
	Buffered          int    // out-of-order bytes held now
	BufferedPeak      int    // most out-of-order bytes held at once
	Gaps              uint64 // OnGap calls
	GapBytes          uint64 // bytes reported by OnGap
	ConflictBytes     uint64 // overlapping bytes that differed from the first copy
	RSTOutOfWindow    uint64 // RSTs ignored because out of window
	RecentUnavailable uint64 // directions without a conflict ring (RecentTotal exhausted)
	Revived           uint64 // connections an RST ended before the handshake, reopened by the SYN-ACK
}

type evKind uint8

const (
	evData evKind = iota
	evGap
	evClose
	evDrop
)

// event is a handler call planned while a segment is processed and made after OnSegment.
type event struct {
	kind  evKind
	dir   flow.Dir
	c     *Conn  // nil for evDrop
	id    uint64 // evDrop: the connection's ID
	off   int64
	data  []byte
	n     int64
	frame uint64
	ts    int64
	ack   int64 // evData: the acknowledgement of the frame (DirState.DataAck)
}

// Tracker follows TCP connections and reassembles their streams. It is not safe for
// concurrent use; shard by flow.Tuple.Hash to use several.
type Tracker struct {
	cfg   Config
	h     Handler
	drops Dropper            // h, when it wants OnDrop
	conns map[flow.Key]*Conn // open and closing connections

	open    connList // open connections, least recently active first
	closing connList // streams ended (both FINs reached, or an RST), by deadline: see toClosing
	tombs   tombList // closed, kept for late packets, least recently active first
	tombMap tombTable
	// freeTombs are tombs that left the table, for the next connections that close.
	freeTombs []*tomb
	freeConns []*Conn // closed connections handed to OnClose, for the next new ones

	// scratch is a closed connection rebuilt from its tomb while one of its late segments
	// is processed.
	scratch Conn

	nextID uint64
	now    int64
	info   SegInfo
	// segAck is the offset of the peer's stream that the segment being processed
	// acknowledged (-1: no ACK, or the peer's stream not placed yet).
	segAck  int64
	pending []event
	stats   Stats

	recentUsed int
	freeRings  []*ring

	// last is the connection of the previous segment, while it is open or closing:
	// consecutive segments of one connection skip the key and the map lookup.
	last *Conn

	// wiresharkCompat turns off segscope's deviations from Wireshark's analysis (only
	// the acceptance of zero-window probes), for the differential test.
	wiresharkCompat bool
}

// NewTracker returns a tracker that reports to h.
func NewTracker(cfg Config, h Handler) *Tracker {
	cfg = cfg.withDefaults()
	drops, _ := h.(Dropper)
	return &Tracker{
		cfg:     cfg,
		h:       h,
		drops:   drops,
		conns:   make(map[flow.Key]*Conn),
		tombMap: tombTable{byHash: make(map[uint64]*tomb)},
		pending: make([]event, 0, 16),
	}
}

// Stats returns the counters.
func (t *Tracker) Stats() Stats {
	s := t.stats
	s.Tombstones = t.tombs.n
	return s
}

// Len returns the number of connections in the table, tombstones included.
func (t *Tracker) Len() int { return len(t.conns) + t.tombs.n }

// Add processes one segment. Segments must come in capture order. seg and seg.Payload
// are not retained after Add returns; only out-of-order bytes are copied.
func (t *Tracker) Add(seg *decode.Segment) {
	t.stats.Segments++
	t.Advance(seg.TS)
	var key flow.Key
	c := t.last
	if c != nil && (seg.Src == c.Client && seg.Dst == c.Server || seg.Src == c.Server && seg.Dst == c.Client) {
		key = c.Key
	} else {
		key, _ = flow.Tuple{Src: seg.Src, Dst: seg.Dst}.Key()
		c = t.conns[key]
	}
	switch {
	case c != nil && t.startsNew(c, seg):
		index := c.Index + 1
		t.closeConn(c, endReason(c, CloseOpen))
		t.dropped(c.ID)
		t.drain()
		c = t.newConn(key, seg, index)
		t.stats.Reused++
	case c == nil:
		if tb := t.tombMap.get(key); tb != nil {
			index := int(tb.index) + 1
			if !t.late(tb, seg) {
				return
			}
			c = t.newConn(key, seg, index) // tb left the table
			t.stats.Reused++
		} else {
			c = t.newConn(key, seg, 0)
		}
	}
	t.last = c
	t.process(c, seg)
}

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

// Advance moves the tracker's clock to ts (never back) and closes what timed out by
// then, as Add does before it processes a segment. A tracker that sees only some of the
// input's connections (one shard of several) is advanced with the time of every other
// segment, so its timeouts fire at the same segments as in a single tracker.
func (t *Tracker) Advance(ts int64) {
	if ts > t.now {
		t.now = ts
	}
	t.expire()
}

// Flush ends the input: every connection still open is flushed, in order of connection
// ID (held out-of-order bytes delivered after OnGap for the holes, then OnClose), and the
// table is emptied. ts is the time of the end of the input.
func (t *Tracker) Flush(ts int64) {
	if ts > t.now {
		t.now = ts
	}
	t.expire() // what timed out by ts closes as such
	live := make([]*Conn, 0, len(t.conns))
	for _, c := range t.conns {
		live = append(live, c)
	}
	slices.SortFunc(live, func(a, b *Conn) int { return cmp.Compare(a.ID, b.ID) })
	tombs := make([]*tomb, 0, t.tombs.n)
	for tb := t.tombs.head; tb != nil; tb = tb.next {
		tombs = append(tombs, tb)
	}
	slices.SortFunc(tombs, func(a, b *tomb) int { return cmp.Compare(a.id, b.id) })
	for len(live) > 0 || len(tombs) > 0 {
		if len(live) > 0 && (len(tombs) == 0 || live[0].ID < tombs[0].id) {
			c := live[0]
			live = live[1:]
			t.closeConn(c, endReason(c, CloseOpen))
			t.drain()
			t.dropped(c.ID)
		} else {
			t.dropped(tombs[0].id)
			tombs = tombs[1:]
		}
	}
	// Every tomb was dropped: empty their list and table at once.
	t.tombs = tombList{}
	t.tombMap = tombTable{byHash: make(map[uint64]*tomb)}
	t.drain()
}

// endReason is the reason for closing c without a FIN/RST event: CloseFIN if both sides
// sent FIN, else dflt.
func endReason(c *Conn, dflt CloseReason) CloseReason {
	if c.Dir[0].st.finSet && c.Dir[1].st.finSet {
		return CloseFIN
	}
	return dflt
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

func (d *DirState) setISN(isn tcpseq.Seq) {
	d.ISN = isn
	d.st.isnSet = true
	d.st.base = isn.Add(1)
}

// process classifies seg, updates c and plans the deliveries it causes.
func (t *Tracker) process(c *Conn, seg *decode.Segment) {
	d := c.DirOf(seg.Src)
	ds, ps := &c.Dir[d], &c.Dir[d.Other()]
	flags := seg.Flags
	syn, ack, fin, rst := flags.Has(tcp.SYN), flags.Has(tcp.ACK), flags.Has(tcp.FIN), flags.Has(tcp.RST)
	// PayloadLen (from the IP lengths) is authoritative; a segment built without it
	// counts its Payload.
	n := seg.PayloadLen
	if n <= 0 {
		n = len(seg.Payload)
	}
	data := seg.Payload
	if len(data) > n {
		data = data[:n]
	}

	c.LastFrame = seg.Frame
	c.LastTS = max(c.LastTS, seg.TS)
	c.lastSeen = t.now
	if c.list == &t.open { // a closing connection is placed at the end; a tombstone by late
		c.moveTo(&t.open)
	}
	ds.Packets++
	ds.Bytes += uint64(n)

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

	if !c.finished {
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
	} else if ack && !c.closed && ps.st.finSet && !ps.st.finAcked && ps.st.off(seg.Ack) > ps.st.finOff {
		ps.st.finAcked = true // the last ACK of the FIN exchange
		if ps.State == StateFINSent {
			ps.State = StateClosed
		}
	}
	if c.list == &t.closing {
		t.toClosing(c) // the wait restarts with every segment
	}
	t.h.OnSegment(c, d, seg, info)
	t.drain()
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

// senderIsClient decides, from the first segment of a connection, whether its sender is
// the client: the SYN sender is the client, the SYN-ACK sender the server; then an HTTP
// request line or status line at the start of the payload; then ports.
func senderIsClient(seg *decode.Segment) bool {
	f := seg.Flags
	if f.Has(tcp.SYN) {
		return !f.Has(tcp.ACK)
	}
	if p := seg.Payload; len(p) > 0 {
		if isRequestLine(p) {
			return true
		}
		if len(p) >= 7 && string(p[:7]) == "HTTP/1." {
			return false
		}
	}
	sp, dp := seg.Src.Port(), seg.Dst.Port()
	ss, ds := isServerPort(sp), isServerPort(dp)
	switch {
	case ss && !ds:
		return false
	case ds && !ss:
		return true
	case sp < dp:
		return false
	default:
		return true
	}
}

// isServerPort reports whether p is a well-known port or a common HTTP/proxy port.
func isServerPort(p uint16) bool {
	switch p {
	case 8080, 8000, 8443, 3128, 8008, 8888:
		return true
	}
	return p < 1024
}

// isRequestLine reports whether p starts like an HTTP request line: a method token of
// upper-case letters, a space and a request target.
func isRequestLine(p []byte) bool {
	i := 0
	for i < len(p) && i <= 20 && (p[i] >= 'A' && p[i] <= 'Z' || p[i] == '-' || p[i] == '_') {
		i++
	}
	return i >= 3 && i <= 20 && i+1 < len(p) && p[i] == ' ' && p[i+1] > ' ' && p[i+1] < 0x7f
}
