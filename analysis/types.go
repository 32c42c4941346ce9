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
	ID            uint64
	Client        string
	Server        string
	FirstTS       int64
	SYNTime       int64 // 0 when not seen
	SYNACKTime    int64
	ACKTime       int64
	MSS           [2]int // announced by client and server (0: none)
	WScale        [2]int // -1: none
	Close         string // "fin", "rst", "open", "timeout", "evicted"
	Closer        int    // -1 unknown, 0 client, 1 server
	HalfClosed    bool
	ParallelConns int // connections to the same server that overlapped this one in time, this one included
	// Truncated says the segment log stopped early (the recorder's bound): the ladder
	// and the findings cover only the segments before that point.
	Truncated bool
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
