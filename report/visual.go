package report

import "github.com/segscope/segscope/tcp"

// This file holds the records of the pictures (SVG) and of the HTML report: data only,
// filled by package analysis and drawn by render/svg and render/html.

// TSeq is the "tseq" record: one direction of a connection as a Stevens time-sequence
// graph. Sequence numbers are relative to the sender's ISN and unwrapped (int64): the
// first payload byte is 1. Times are since the connection's first packet.
type TSeq struct {
	Conn     uint64     `json:"conn"`
	Dir      string     `json:"dir"` // the direction of the data: "c2s" or "s2c"
	Sender   string     `json:"sender"`
	Receiver string     `json:"receiver"`
	Data     []TSeqData `json:"data"` // segments of Dir with payload, SYN or FIN, capture order
	Acks     []TSeqAck  `json:"acks"` // segments of the other direction that carry an ACK, capture order
	// Truncated says the segment log stopped early (the recorder's bound).
	Truncated bool `json:"truncated,omitempty"`
}

// TSeqData is one segment of the sender: the sequence range [Seq, Seq+Len) it carried
// (a SYN or FIN alone occupies one number: Len 0 and the flag set).
type TSeqData struct {
	Frame   uint64    `json:"frame"`
	Rel     Duration  `json:"rel"`
	Seq     int64     `json:"seq"`
	Len     int       `json:"len"`
	SYN     bool      `json:"syn,omitempty"`
	FIN     bool      `json:"fin,omitempty"`
	Retrans bool      `json:"retrans,omitempty"` // any kind of retransmission
	Class   tcp.Class `json:"class"`
}

// TSeqAck is one acknowledgement from the receiver: everything before Ack is
// acknowledged, the sender may send up to Ack+Win (the receive window's right edge), and
// the receiver holds the SACK blocks [left, right).
type TSeqAck struct {
	Frame  uint64     `json:"frame"`
	Rel    Duration   `json:"rel"`
	Ack    int64      `json:"ack"`
	Win    int64      `json:"win"` // scaled
	SACK   [][2]int64 `json:"sack,omitempty"`
	DupAck bool       `json:"dup_ack,omitempty"`
}

// Vantage says where on the path between client and server a connection was captured:
// the one-way delays from the capture point to each side (half the smallest round trip
// the capture point saw to that side; analysis.VantageOf), which let a ladder draw each
// arrow from its sender's send time to its receiver's receive time. Known is false
// without round trips to both sides (the delays are then 0).
type Vantage struct {
	Known    bool     `json:"known"`
	ToClient Duration `json:"to_client"` // one-way delay capture point -> client
	ToServer Duration `json:"to_server"` // one-way delay capture point -> server
	// Where is "client", "server" or "middle": the side the capture point is nearer to.
	Where string `json:"where"`
}

// Overview is the aggregate view of a capture for the HTML report's summary.
type Overview struct {
	First        Time           `json:"first"`
	Last         Time           `json:"last"`
	Span         Duration       `json:"span"`
	Conns        int            `json:"conns"`
	Exchanges    int            `json:"exchanges"`
	Verdicts     []Count        `json:"verdicts"`      // by name, most first
	FindingKinds []Count        `json:"finding_kinds"` // by kind, most first
	Bytes        PerDir         `json:"bytes"`
	Handshake    Duration       `json:"handshake"` // handshake time paid, over all connections
	Handshakes   int            `json:"handshakes"`
	Hosts        []HostSummary  `json:"hosts"`
	Step         Duration       `json:"step"`      // the length of each interval of Intervals
	Intervals    []Interval     `json:"intervals"` // the capture in steps of Step
	Timing       TimingTotals   `json:"timing"`
	Selected     []ConnInterest `json:"selected"` // connections shown in full, most interesting first
}

// Count is a name and how often it occurred.
type Count struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// HostSummary aggregates the exchanges to one host (the Host header, or the server's
// address without one).
type HostSummary struct {
	Host      string   `json:"host"`
	Conns     int      `json:"conns"`
	Exchanges int      `json:"exchanges"`
	Bytes     int64    `json:"bytes"`  // response body bytes
	Errors    int      `json:"errors"` // exchanges with a verdict other than complete, or a status >= 400
	WaitMax   Duration `json:"wait_max"`
	WaitMed   Duration `json:"wait_median"`
}

// Interval aggregates the exchanges that started in one step of the capture (a second,
// or less in a short capture).
type Interval struct {
	Start     Duration `json:"start"` // since the first packet
	Exchanges int      `json:"exchanges"`
	Conns     int      `json:"conns"` // connections that started in this interval
	Bytes     int64    `json:"bytes"`
	Errors    int      `json:"errors"`
}

// TimingTotals sums the timing phases of all exchanges (unmeasurable ones left out).
type TimingTotals struct {
	Connect, Send, Wait, Receive Duration
}

// ConnInterest says how much a connection deserves to be shown in full: how slow it was
// and how anomalous, with the reasons in words.
type ConnInterest struct {
	Conn      uint64   `json:"conn"`
	Slow      Duration `json:"slow"`      // its slowest exchange (send to last response byte), else its duration
	Anomalies int      `json:"anomalies"` // warnings, retransmissions, gaps and exchanges not complete
	Reasons   []string `json:"reasons"`
}

// ConnPicture is what the pictures of one connection need beyond its ladder events: where
// it was captured and its time-sequence graph in each direction (client to server first).
type ConnPicture struct {
	Conn    uint64  `json:"conn"`
	Vantage Vantage `json:"vantage"`
	TSeq    [2]TSeq `json:"tseq"`
}

// PictureSink is implemented by sinks that draw connections (SVG, HTML): the pipeline
// hands them each recorded connection's picture, before its ladder events. Other sinks
// do not get it.
type PictureSink interface {
	Picture(*ConnPicture) error
}

// DetailSink is implemented by sinks that draw only some connections in full (the HTML
// report of a large capture). In the report mode the pipeline asks it, after a
// connection's conn record, whether to compute and send that connection's picture,
// ladder events and anatomy records.
type DetailSink interface {
	WantDetail(conn uint64) bool
}
