package reassembly

import (
	"encoding/binary"
	"math/bits"

	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

// A tomb is a closed connection kept for Config.ClosedLinger, reduced to what its late
// segments need: the connection's identity, and per direction the analysis state and
// stream position that classify a segment and give its relative numbers. A full Conn
// (with its counters, buffers and handler state) is several times larger, and a capture
// with many short connections holds every connection of the last ClosedLinger as a
// tombstone. A late segment is processed on a Conn rebuilt from the tomb (unbury) and
// the result written back (rebury); see TestTombRoundTrip.
//
// The fields are laid out to fill the 240-byte allocation size class (TestTombSize).
type tomb struct {
	key        flow.Key
	id         uint64
	lastSeen   int64 // as Conn.lastSeen: the tombs list is ordered by it
	rtt        int64 // Conn.irtt when tombIRTT is set, else Conn.mruSYN
	prev, next *tomb // the tombs list
	index      int32 // Conn.Index (2^31 connections on one 4-tuple are out of reach)
	close      CloseReason
	closer     int8
	flags      tombFlags
	dir        [2]tombDir
}

// tombFlags are the connection's booleans.
type tombFlags uint8

const (
	tombClientB    tombFlags = 1 << iota // the client is key.B (else key.A)
	tombWSOK                             // Conn.wsOK
	tombIRTT                             // tomb.rtt is Conn.irtt (else Conn.mruSYN)
	tombHalfClosed                       // Conn.HalfClosed
)

// tombDir is one direction of a tomb: DirState's ISN, SawSYN, WScale and State, the
// stream position (the stream's base is ISN+1), and the analysis state, with the types
// narrowed to the values they can hold (window and lastFlags) and the booleans in bits.
type tombDir struct {
	nextSeqTime int64
	lastAckTime int64
	lastNonDup  uint64
	nxt         int64
	isn         tcpseq.Seq
	nextSeq     tcpseq.Seq
	maxToAck    tcpseq.Seq
	lastAck     tcpseq.Seq
	zwpEnd      tcpseq.Seq
	dupAckNum   int32
	lastFlags   uint16 // a Class: every class fits in 16 bits (see below)
	window      uint16 // analysis.window, always a TCP header's window field
	flags       tombDirFlags
	wscale      int8
	state       DirTCPState
}

// Every Class analyze sets fits in tombDir.lastFlags: this constant overflows when a
// 17th is added. (tcp.ClassFragmentOverlapConflict, the last, comes from the IP layer
// after analyze and is never in lastFlags.)
const _ uint16 = 1<<(tcp.NumClasses-1) - 1

// tombDirFlags are a direction's booleans.
type tombDirFlags uint16

const (
	tdSawSYN tombDirFlags = 1 << iota
	tdISNSet              // stream.isnSet
	tdHigh                // stream.high > 0: all that is read of it once the streams ended
	tdNextSeqSet
	tdMaxToAckSet
	tdLastAckSet
	tdWindowSet
	tdLastWasSYN
	tdZWPSet
)

// bit returns b if on, else 0 (without a branch to mispredict).
func bit[F ~uint8 | ~uint16](on bool, b F) F {
	var x F
	if on {
		x = b
	}
	return x
}

func (f tombDirFlags) has(bit tombDirFlags) bool { return f&bit != 0 }

// bury fills every field of tb but the list links from c, a closed connection. Nothing
// else of c is read after a connection closed: a closed connection's streams have ended
// (no data, gaps or buffers), so process only classifies its segments and moves their
// relative numbers.
func (tb *tomb) bury(c *Conn) {
	tb.key = c.Key
	tb.id = c.ID
	tb.lastSeen = c.lastSeen
	tb.rtt = c.mruSYN
	if c.irtt != 0 {
		tb.rtt = c.irtt
	}
	tb.index = int32(c.Index)
	tb.close = c.Close
	tb.closer = c.Closer
	tb.flags = bit(c.Client != c.Key.A, tombClientB) | bit(c.wsOK, tombWSOK) |
		bit(c.irtt != 0, tombIRTT) | bit(c.HalfClosed, tombHalfClosed)
	tb.dir[0].bury(&c.Dir[0])
	tb.dir[1].bury(&c.Dir[1])
}

func (td *tombDir) bury(d *DirState) {
	a := &d.an
	td.nextSeqTime = a.nextSeqTime
	td.lastAckTime = a.lastAckTime
	td.lastNonDup = a.lastNonDup
	td.nxt = d.st.nxt
	td.isn = d.ISN
	td.nextSeq = a.nextSeq
	td.maxToAck = a.maxToAck
	td.lastAck = a.lastAck
	td.zwpEnd = a.zwpEnd
	td.dupAckNum = a.dupAckNum
	td.lastFlags = uint16(a.lastFlags)
	td.window = uint16(a.window)
	td.wscale = d.WScale
	td.state = d.State
	td.flags = bit(d.SawSYN, tdSawSYN) | bit(d.st.isnSet, tdISNSet) | bit(d.st.high > 0, tdHigh) |
		bit(a.nextSeqSet, tdNextSeqSet) | bit(a.maxToAckSet, tdMaxToAckSet) | bit(a.lastAckSet, tdLastAckSet) |
		bit(a.windowSet, tdWindowSet) | bit(a.lastWasSYN, tdLastWasSYN) | bit(a.zwpSet, tdZWPSet)
}

// unbury makes c the closed connection tb stands for: the same ID, Key, endpoints,
// Index, ReusedTuple, Close, Closer and HalfClosed, and per direction the same ISN,
// SawSYN, WScale and State; counters, frame numbers and times are zero.
func (tb *tomb) unbury(c *Conn) {
	*c = Conn{
		ID:          tb.id,
		Key:         tb.key,
		Client:      tb.key.A,
		Server:      tb.key.B,
		Close:       tb.close,
		Closer:      tb.closer,
		HalfClosed:  tb.flags&tombHalfClosed != 0,
		Index:       int(tb.index),
		ReusedTuple: tb.index > 0,
		finished:    true,
		closed:      true,
		wsOK:        tb.flags&tombWSOK != 0,
		lastSeen:    tb.lastSeen,
	}
	if tb.flags&tombClientB != 0 {
		c.Client, c.Server = tb.key.B, tb.key.A
	}
	if tb.flags&tombIRTT != 0 {
		c.irtt = tb.rtt
	} else {
		c.mruSYN = tb.rtt
	}
	for i := range c.Dir {
		tb.dir[i].unbury(&c.Dir[i])
	}
}

func (td *tombDir) unbury(d *DirState) {
	f := td.flags
	d.ISN = td.isn
	d.SawSYN = f.has(tdSawSYN)
	d.WScale = td.wscale
	d.State = td.state
	d.st.nxt = td.nxt
	if f.has(tdISNSet) {
		d.st.isnSet = true
		d.st.base = td.isn.Add(1)
	}
	if f.has(tdHigh) {
		d.st.high = 1
	}
	d.an = analysis{
		nextSeq:     td.nextSeq,
		maxToAck:    td.maxToAck,
		lastAck:     td.lastAck,
		window:      uint32(td.window),
		zwpEnd:      td.zwpEnd,
		lastFlags:   tcp.Class(td.lastFlags),
		nextSeqTime: td.nextSeqTime,
		lastAckTime: td.lastAckTime,
		dupAckNum:   td.dupAckNum,
		lastNonDup:  td.lastNonDup,
		nextSeqSet:  f.has(tdNextSeqSet),
		maxToAckSet: f.has(tdMaxToAckSet),
		lastAckSet:  f.has(tdLastAckSet),
		windowSet:   f.has(tdWindowSet),
		lastWasSYN:  f.has(tdLastWasSYN),
		zwpSet:      f.has(tdZWPSet),
	}
}

// rebury writes back what processing a late segment on c (unburied from tb) changed.
// Identity, Close, Closer, HalfClosed and the stream position do not change once a
// connection closed; bury writes every field but the list links.
func (tb *tomb) rebury(c *Conn) { tb.bury(c) }

// tombList is the list of tombs, least recently active first.
type tombList struct {
	head, tail *tomb
	n          int
}

func (l *tombList) push(tb *tomb) {
	tb.prev = l.tail
	tb.next = nil
	if l.tail != nil {
		l.tail.next = tb
	} else {
		l.head = tb
	}
	l.tail = tb
	l.n++
}

func (l *tombList) remove(tb *tomb) {
	if tb.prev != nil {
		tb.prev.next = tb.next
	} else {
		l.head = tb.next
	}
	if tb.next != nil {
		tb.next.prev = tb.prev
	} else {
		l.tail = tb.prev
	}
	tb.prev, tb.next = nil, nil
	l.n--
}

// toTail moves tb, on l, to the tail.
func (l *tombList) toTail(tb *tomb) {
	if l.tail != tb {
		l.remove(tb)
		l.push(tb)
	}
}

// tombTable finds tombs by Key. A map keyed by the whole flow.Key (64 bytes) would cost
// more per entry than half a tomb, so tombs are found by a 64-bit hash of the key, and
// checked against it: byHash holds one tomb per hash, and the rare tomb whose hash is
// taken by another key goes to more, keyed by its Key.
type tombTable struct {
	byHash map[uint64]*tomb
	more   map[flow.Key]*tomb
}

func (m *tombTable) get(k flow.Key) *tomb {
	if tb := m.byHash[keyHash(k)]; tb != nil && tb.key == k {
		return tb
	}
	if len(m.more) > 0 {
		return m.more[k]
	}
	return nil
}

// put adds tb; no tomb for its key may be in the table.
func (m *tombTable) put(tb *tomb) {
	h := keyHash(tb.key)
	if _, taken := m.byHash[h]; !taken {
		m.byHash[h] = tb
		return
	}
	if m.more == nil {
		m.more = make(map[flow.Key]*tomb)
	}
	m.more[tb.key] = tb
}

func (m *tombTable) del(tb *tomb) {
	h := keyHash(tb.key)
	if m.byHash[h] == tb {
		delete(m.byHash, h)
		return
	}
	delete(m.more, tb.key)
}

// keyHash mixes the addresses and ports of k into 64 bits. Equal keys hash equal
// (netip.Addr's zone is left out: it only makes keys unequal, which get checks).
func keyHash(k flow.Key) uint64 {
	a, b := k.A.Addr().As16(), k.B.Addr().As16()
	le := binary.LittleEndian
	h := mix(le.Uint64(a[:8]), le.Uint64(a[8:])^uint64(k.A.Port())<<48)
	return mix(h^le.Uint64(b[:8]), le.Uint64(b[8:])^uint64(k.B.Port())<<32)
}

// mix is a 64x64->128-bit multiply folded to 64 bits, as in wyhash.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^0xa0761d6478bd642f, b^0xe7037ed1a0b428db)
	return hi ^ lo
}
