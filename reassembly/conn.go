package reassembly

import (
	"github.com/segscope/segscope/flow"
	"github.com/segscope/segscope/tcp"
	"github.com/segscope/segscope/tcpseq"
)

// CloseReason says why a connection ended.
type CloseReason uint8

// Close reasons.
const (
	CloseOpen    CloseReason = iota // still open at the end of the input (Flush)
	CloseFIN                        // both sides sent FIN
	CloseRST                        // an in-window RST
	CloseTimeout                    // no segment for Config.IdleTimeout of packet time
	CloseEvicted                    // evicted to make room for a new connection (Config.MaxConns)
)

var closeNames = [...]string{"open", "fin", "rst", "timeout", "evicted"}

// String returns the JSON contract's spelling: "open", "fin", "rst", "timeout", "evicted".
func (r CloseReason) String() string {
	if int(r) < len(closeNames) {
		return closeNames[r]
	}
	return "unknown"
}

// DirTCPState is the TCP state of one side of a connection, as seen from the wire.
type DirTCPState uint8

// Per-direction states.
const (
	StateNone        DirTCPState = iota // nothing seen yet
	StateSYNSent                        // sent a SYN (or SYN-ACK) and no other segment yet
	StateEstablished                    // sending data or ACKs
	StateFINSent                        // sent a FIN, not yet acknowledged
	StateClosed                         // its FIN was acknowledged
	StateReset                          // sent an accepted RST
)

var stateNames = [...]string{"none", "syn_sent", "established", "fin_sent", "closed", "reset"}

// String returns the state name in snake_case.
func (s DirTCPState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// DirState is what is known about one direction of a connection. The exported fields are
// read by the pipeline and renderers; they are updated by the tracker only.
type DirState struct {
	ISN      tcpseq.Seq // the SYN's sequence number, or first seen seq-1 without a SYN
	SawSYN   bool
	SYNFrame uint64

	MSS        uint16 // from the SYN, 0 if absent
	WScale     int8   // window scale shift from the SYN, -1 if absent
	SACKPerm   bool
	Timestamps bool

	Packets       uint64 // segments sent in this direction
	Bytes         uint64 // payload bytes on the wire, retransmissions included
	UniqueBytes   uint64 // bytes delivered by OnData
	Retrans       uint64 // segments classed retransmission
	OutOfOrder    uint64 // segments classed out_of_order
	DupAcks       uint64 // segments classed dup_ack
	GapBytes      uint64 // bytes reported by OnGap
	ConflictBytes uint64 // overlapping bytes that differed from the first copy

	State    DirTCPState
	FINFrame uint64 // first FIN sent, 0 if none
	RSTFrame uint64 // first accepted RST sent, 0 if none

	st stream
	an analysis
}

// DataAck returns, during OnData, the offset in the other direction's stream that the
// frame carrying the bytes acknowledged: how much of its peer's stream the sender had
// received when it sent them. ok is false when that frame carried no ACK (a SYN, a bare
// RST) or the other stream's start was not known yet. Pairing HTTP responses with
// requests rests on it (http1.Parser.Ack).
func (c *Conn) DataAck() (off int64, ok bool) { return c.dataAck, c.dataAck >= 0 }

// FINOffset returns the stream offset of this direction's FIN as the tracker accepted
// it (its stream's length), and whether it did: a FIN flag the tracker ignored (on a
// connection an RST had already ended, or before a revived handshake) does not count.
func (d *DirState) FINOffset() (off int64, ok bool) { return d.st.finOff, d.st.finSet }

// NextOffset returns the stream offset up to which bytes were delivered or reported as
// gaps.
func (d *DirState) NextOffset() uint64 { return uint64(max(d.st.nxt, 0)) }

// Buffered returns the number of out-of-order bytes held for this direction.
func (d *DirState) Buffered() int { return d.st.buffered }

// Conn is one TCP connection. The tracker owns it; handlers may read it during calls
// and keep the pointer until OnClose returns, but only User may be written. After
// OnClose the tracker reuses the Conn for a connection that opens later (late segments
// come with a Conn rebuilt from the tombstone; see Handler): a handler that needs
// anything of it afterwards copies it in OnClose.
type Conn struct {
	ID             uint64 // 1-based, in order of each connection's first packet
	Key            flow.Key
	Client, Server flow.Endpoint

	FirstFrame, LastFrame uint64
	FirstTS, LastTS       int64

	SYNTime, SYNACKTime, ACKTime int64 // handshake timestamps, 0 if not seen (analysis.HandshakeRTT)

	Dir [2]DirState // indexed by flow.C2S and flow.S2C

	Close       CloseReason
	Closer      int8  // -1 unknown, else the flow.Dir that sent the first FIN or accepted RST
	HalfClosed  bool  // one side sent FIN and the other kept sending data afterwards
	ReusedTuple bool  // an earlier connection used the same 4-tuple
	VLAN        int32 // the first segment's outer 802.1Q TCI (decode.Segment.VLAN); -1 untagged
	Index       int   // 0 for the first connection on its 4-tuple, then 1, 2, ...

	User any // for the handler; nil on a Conn rebuilt from a tombstone

	finished bool      // streams ended (FIN exchange, RST, or closing): no more data or gaps
	closed   bool      // OnClose emitted
	wsOK     bool      // window scaling negotiated: both SYNs carried the option
	list     *connList // open or closing; nil once closed
	lprev    *Conn
	lnext    *Conn
	mruSYN   int64 // time of the most recent SYN (Wireshark's ts_mru_syn)
	irtt     int64 // Wireshark's initial RTT: mruSYN to the first ACK without SYN, either way
	lastSeen int64 // packet time of the last segment, or of the state change that put it on its list
	deadline int64 // on the closing list: the packet time at which it closes (toClosing)
	dataAck  int64 // during OnData: see DataAck
}

// Closed reports whether OnClose was emitted for c.
func (c *Conn) Closed() bool { return c.closed }

// DirOf returns the direction of a segment sent from src.
func (c *Conn) DirOf(src flow.Endpoint) flow.Dir {
	if src == c.Client {
		return flow.C2S
	}
	return flow.S2C
}

// SegInfo is the tracker's analysis of one segment, passed to Handler.OnSegment. It is
// valid only during the call.
type SegInfo struct {
	Class         tcp.Class
	DupAckCount   int    // Wireshark's "Dup ACK #n"
	DupAckFrame   uint64 // the last frame of this direction that was not a dup ACK
	RelSeq        uint32 // seq relative to this direction's ISN (the first data byte is 1)
	RelAck        uint32 // ack relative to the peer's ISN, 0 without the ACK flag
	Off           int64  // stream offset of the first payload byte (may be negative before the ISN)
	NewBytes      int    // payload bytes this segment supplied first
	Window        uint32 // window scaled by the sender's shift when negotiated
	ConflictFrame uint64 // with overlap_conflict: the frame whose bytes won
}

// connList is an intrusive doubly linked list ordered by last activity.
type connList struct {
	head, tail *Conn
	n          int
}

func (l *connList) push(c *Conn) {
	c.list = l
	c.lprev = l.tail
	c.lnext = nil
	if l.tail != nil {
		l.tail.lnext = c
	} else {
		l.head = c
	}
	l.tail = c
	l.n++
}

func (l *connList) remove(c *Conn) {
	if c.lprev != nil {
		c.lprev.lnext = c.lnext
	} else {
		l.head = c.lnext
	}
	if c.lnext != nil {
		c.lnext.lprev = c.lprev
	} else {
		l.tail = c.lprev
	}
	c.lprev, c.lnext, c.list = nil, nil, nil
	l.n--
}

// moveTo puts c at the tail of l, removing it from its current list.
func (c *Conn) moveTo(l *connList) {
	if c.list == l && l.tail == c {
		return
	}
	if c.list != nil {
		c.list.remove(c)
	}
	l.push(c)
}
