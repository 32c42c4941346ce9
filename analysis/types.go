// Package analysis turns what the pipeline recorded about one connection into the
// explanatory records: the anatomy of each HTTP message (which segments and IP packets
// carried which bytes), the ladder (sequence diagram) of a connection, and diagnose
// findings about connection management (handshake, keep-alive, pipelining, Nagle and
// delayed ACK, slow start, close and TIME_WAIT). Every function here is pure: records in,
// report records out. Nothing prints, nothing reads the clock.
package analysis

import (
	"github.com/segscope/segscope/report"
	"github.com/segscope/segscope/tcp"
)

// SegRecord is what the pipeline keeps of one TCP segment of a recorded connection.
type SegRecord struct {
	Frame      uint64
	TS         int64 // ns since the Unix epoch
	Dir        uint8 // 0 client to server, 1 server to client (flow.Dir values)
	Off        int64 // stream offset of the first payload byte in its direction
	Len        int   // TCP payload length (from the IP lengths)
	Flags      tcp.Flags
	Seq, Ack   uint32 // relative
	Win        uint32 // scaled window
	Class      tcp.Class
	IPHdrLen   int
	TCPHdrLen  int
	IPTotalLen int
	IPID       uint32
	DF         bool
	Fragments  int
	FrameLen   int
	TCPOptions string // options by name, "mss 1460,sackOK,TS,nop,wscale 7"
	// SACK holds the segment's SACK blocks [left, right), relative to the peer's ISN like
	// Ack (nil without).
	SACK [][2]uint32
}

// Delivery says that Len stream bytes at Off of direction Dir were first supplied by
// Frame (first-wins): the basis of an anatomy segment's msg_bytes.
type Delivery struct {
	Dir   uint8
	Off   uint64
	Len   int
	Frame uint64
}

// Gap says that Len stream bytes at Off of direction Dir never arrived.
type Gap struct {
	Dir uint8
	Off uint64
	Len uint64
}

// ConnInfo is what analysis needs to know about the connection itself.
type ConnInfo struct {
	ID         uint64
	Client     string
	Server     string
	FirstTS    int64
	SYNTime    int64 // 0 when not seen
	SYNACKTime int64
	ACKTime    int64
	MSS        [2]int // announced by client and server (0: none)
	WScale     [2]int // -1: none
	Close      string // "fin", "rst", "open", "timeout", "evicted"
	Closer     int    // -1 unknown, 0 client, 1 server
	HalfClosed bool
	// GapBytes are the bytes of each direction that never arrived (the reassembler's
	// count, conns' GAP): holes later filled by retransmissions are not in it.
	GapBytes [2]uint64
	// Retrans counts each direction's segments classed retransmission, SYN and FIN
	// included: the one retransmission count conns, diagnose and anatomy share.
	Retrans [2]uint64
	// ISN is each direction's initial sequence number as sent (raw, not relative);
	// SawSYN says whether that direction's SYN was seen.
	ISN        [2]uint32
	SawSYN     [2]bool
	Timestamps bool // both SYNs carried the timestamps option
	// TupleIndex is 0 for the first connection on its 4-tuple, then 1, 2, ...; Prev
	// describes the previous connection on the same 4-tuple when it was seen.
	TupleIndex int
	Prev       *PrevConn
	// Lookup is the DNS lookup of the server's address just before the connection, when
	// the capture holds it.
	Lookup *Lookup
	// Truncated says the segment log stopped early (the recorder's bound): the ladder
	// and the findings cover only the segments before that point.
	Truncated bool
	// TLS is the connection's TLS layer (nil when it is not TLS).
	TLS *report.TLS
}

// ExchangeInfo is what the pipeline keeps of one completed HTTP exchange of a recorded
// connection: its http record (anomalies and interim copied) and its stream ranges.
type ExchangeInfo struct {
	HTTP               report.HTTP
	HasReq, HasResp    bool
	ReqStart, ReqEnd   uint64 // c2s stream offsets
	RespStart, RespEnd uint64 // s2c stream offsets
	ReqHeadEnd         uint64
	RespHeadEnd        uint64
	ReqHeadTS          int64
	RespHeadTS         int64
	KeepAlive          bool // the response allows the connection to persist
}

// PrevConn is what is known of the previous connection on a 4-tuple when a new one opens
// on it: enough to tell who held TIME_WAIT and what let the new SYN through.
type PrevConn struct {
	ID        uint64
	LastTS    int64  // its last segment
	Closer    int    // -1 unknown, 0 client, 1 server: who sent the first FIN
	FINs      bool   // both directions sent a FIN
	Reset     bool   // it ended with an RST
	ClientEnd uint32 // the client's next sequence number at the end (raw)
	ServerEnd uint32 // the server's next sequence number at the end (raw)
}
