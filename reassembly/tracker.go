package reassembly

import (
	"cmp"
	"slices"

	"github.com/segscope/segscope/decode"
	"github.com/segscope/segscope/flow"
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
