// Package report is segscope's output data model: the records of the JSON Lines contract
// (DESIGN.md), with their JSON field names as struct tags, and the Sink interface that
// renderers implement. It computes nothing; records are filled by the pipeline and by
// package analysis and formatted by the packages under render/.
//
// Records passed to a Sink are borrowed: the caller may reuse them, and their slices, as
// soon as the call returns.
package report

import (
	"encoding/json"
	"errors"

	"github.com/segscope/segscope/tcp"
)

// Time is a packet timestamp in nanoseconds since the Unix epoch. Renderers print it as
// RFC 3339 with nanoseconds, in UTC.
type Time int64

// Duration is a time span in nanoseconds. Renderers print it as seconds.
type Duration int64

// Segment is the "segment" record: one TCP segment.
type Segment struct {
	Frame     uint64    `json:"frame"`
	TS        Time      `json:"ts"`
	Rel       Duration  `json:"rel"`
	Conn      uint64    `json:"conn"`
	Dir       string    `json:"dir"`
	Src       string    `json:"src"`
	Dst       string    `json:"dst"`
	Flags     tcp.Flags `json:"flags"`
	Seq       uint32    `json:"seq"`
	Ack       uint32    `json:"ack"`
	SeqRaw    uint32    `json:"seq_raw"`
	AckRaw    uint32    `json:"ack_raw"`
	Len       int       `json:"len"`
	Win       uint16    `json:"win"`
	WinScaled uint32    `json:"win_scaled"`
	IP        IP        `json:"ip"`
	TCPHdrLen int       `json:"tcp_hdr_len"`
	Options   Options   `json:"options"`
	Class     tcp.Class `json:"class"`
	DupAck    int       `json:"dup_ack,omitempty"`
	Truncated bool      `json:"truncated,omitempty"`
	FrameLen  int       `json:"frame_len"`
	// Info is a summary of the payload, as tcpdump prints one after the segment: the
	// HTTP/1.x start line the payload begins with ("GET / HTTP/1.1"), raw bytes, or
	// empty. Borrowed like the record (it aliases the captured payload, so filling it
	// costs no allocation). Text output shows it; it is not part of the JSON record.
	Info []byte `json:"-"`
}

// IP describes the IP packet that carried a segment.
type IP struct {
	Version     uint8  `json:"version"`
	ID          uint32 `json:"id"`
	TTL         uint8  `json:"ttl"`
	TotalLen    int    `json:"total_len"`
	HdrLen      int    `json:"hdr_len"`
	DF          bool   `json:"df"`
	MF          bool   `json:"mf"`
	FragOff     uint16 `json:"frag_off"`
	Fragments   int    `json:"fragments,omitempty"`
	ChecksumBad bool   `json:"checksum_bad,omitempty"`
}

// Options are the TCP options of a segment; absent options are omitted.
type Options struct {
	MSS       uint16      `json:"mss,omitempty"`
	WScale    int         `json:"wscale,omitempty"` // shift count; written whenever HasWScale, 0 included
	HasWScale bool        `json:"-"`
	SACKPerm  bool        `json:"sack_perm,omitempty"`
	SACK      [][2]uint32 `json:"sack,omitempty"` // relative to the peer's ISN, like tcpdump
	TSVal     uint32      `json:"ts_val,omitempty"`
	TSEcr     uint32      `json:"ts_ecr,omitempty"`
	HasTS     bool        `json:"-"`
	TFO       bool        `json:"tfo,omitempty"`
	MPTCP     bool        `json:"mptcp,omitempty"`
	Unknown   int         `json:"unknown,omitempty"`
	Malformed bool        `json:"malformed,omitempty"`
}

// PerDir holds a per-direction count, client to server first.
type PerDir struct {
	C2S uint64 `json:"c2s"`
	S2C uint64 `json:"s2c"`
}

// Conn is the "conn" record: one TCP connection.
type Conn struct {
	Conn            uint64   `json:"conn"`
	Client          string   `json:"client"`
	Server          string   `json:"server"`
	FirstFrame      uint64   `json:"first_frame"`
	LastFrame       uint64   `json:"last_frame"`
	Start           Time     `json:"start"`
	End             Time     `json:"end"`
	StartRel        Duration `json:"rel"`
	Duration        Duration `json:"duration"`
	State           string   `json:"state"`
	HandshakeRTT    Duration `json:"handshake_rtt"` // -1 when the handshake was not seen whole
	MSS             [2]int   `json:"mss"`           // announced by client, server; 0 when absent
	WScale          [2]int   `json:"wscale"`        // -1 when absent
	SACK            bool     `json:"sack"`
	Timestamps      bool     `json:"timestamps"`
	Packets         PerDir   `json:"packets"`
	Bytes           PerDir   `json:"bytes"`
	Retransmissions PerDir   `json:"retransmissions"`
	OutOfOrder      PerDir   `json:"out_of_order"`
	GapBytes        PerDir   `json:"gap_bytes"`
	ConflictBytes   PerDir   `json:"conflict_bytes"`
	Requests        int      `json:"requests"`
	Protocol        string   `json:"protocol"`
	SNI             string   `json:"sni,omitempty"`
	Close           string   `json:"close"`
	Closer          string   `json:"closer,omitempty"`
	Reused          bool     `json:"reused_tuple,omitempty"`
	TupleIndex      int      `json:"tuple_index,omitempty"` // 0 for the first connection on a 4-tuple, 1 for the next, ...
	// VLAN is the outer 802.1Q tag's TCI of the connection's first frame, when
	// VLANTagged. follow --write-dir names files by it, as tcpflow does; not in JSON yet.
	VLAN       int  `json:"-"`
	VLANTagged bool `json:"-"`

	// Keys and counts shared with Zeek and other flow tools (package analysis, History).
	CommunityID string `json:"community_id"` // Community ID v1 (flow.AppendCommunityID), with the configured seed
	UID         string `json:"uid"`          // Zeek-style uid derived from community_id and start (analysis.ZeekUID)
	History     string `json:"history"`      // Zeek's history letters (analysis.History)
	ConnState   string `json:"conn_state"`   // Zeek's conn_state: S0, S1, SF, REJ, RSTO, OTH, ...
	SeqBytes    PerDir `json:"seq_bytes"`    // payload bytes by sequence-number span, bytes in gaps included (Zeek's orig_bytes/resp_bytes)
	IPBytes     PerDir `json:"ip_bytes"`     // sum of the IP total lengths (Zeek's orig_ip_bytes/resp_ip_bytes)
	// ZeekDuration is Zeek's duration: from the first segment to the last one before
	// both sides had sent FIN or RST (the final ACK does not count). Zeek output only.
	ZeekDuration Duration `json:"-"`
	TLS          *TLS     `json:"tls,omitempty"` // the TLS layer, for TLS connections
}

// FrameRange is the first and last frame of a message; zero when absent.
type FrameRange [2]uint64

// Timing splits an exchange's time, in the spirit of HAR: connect is the TCP handshake
// (first exchange of a connection only), send the request from first to last byte, wait
// from the last request byte to the first response byte, receive the response from first
// to last byte. -1 when not measurable.
type Timing struct {
	Connect Duration `json:"connect"`
	// TLS is the TLS handshake, ClientHello to the first request's first record, on the
	// first exchange of an HTTPS connection; 0 (and absent from JSON) otherwise.
	TLS     Duration `json:"tls,omitempty"`
	Send    Duration `json:"send"`
	Wait    Duration `json:"wait"`
	Receive Duration `json:"receive"`
}

// HTTP is the "http" record: one request and its response.
type HTTP struct {
	Conn           uint64     `json:"conn"`
	Depth          int        `json:"depth"`
	TS             Time       `json:"ts"`
	Rel            Duration   `json:"rel"`
	Client         string     `json:"client"`
	Server         string     `json:"server"`
	Method         string     `json:"method"`
	URI            string     `json:"uri"`
	Host           string     `json:"host"`
	Version        string     `json:"version"` // the request's; the response's without a request
	RespVersion    string     `json:"resp_version"`
	Status         int        `json:"status"`
	Reason         string     `json:"reason"`
	ReqBodyLen     int64      `json:"req_body_len"`
	RespBodyLen    int64      `json:"resp_body_len"`
	RespDecodedLen int64      `json:"resp_decoded_len"` // -1 when not decodable
	ContentType    string     `json:"content_type,omitempty"`
	ContentEnc     string     `json:"content_encoding,omitempty"`
	Interim        []int      `json:"interim"`
	ReqFrames      FrameRange `json:"req_frames"`
	RespFrames     FrameRange `json:"resp_frames"`
	Timing         Timing     `json:"timing"`
	HostLookup     Duration   `json:"host_lookup,omitempty"` // the DNS lookup of the server's address just before the connection (first exchange only); 0 when none was captured
	Verdict        string     `json:"verdict"`
	Anomalies      []string   `json:"anomalies"`
	Upgrade        string     `json:"upgrade,omitempty"`
	UID            string     `json:"uid"`          // the connection's uid, as in its conn record
	CommunityID    string     `json:"community_id"` // the connection's Community ID, as in its conn record

	// Header fields in wire order, repeated fields kept, obs-fold lines joined. JSON
	// writes each as ["name", "value"]. The *Cut lists are the indexes of fields whose
	// value a limit cut short (the line_too_long and headers_too_large anomalies); they
	// are omitted when empty. Trailers are the fields after a chunked body.
	ReqHeaders      []Header `json:"req_headers"`
	RespHeaders     []Header `json:"resp_headers"`
	ReqHeadersCut   []int    `json:"req_headers_cut,omitempty"`
	RespHeadersCut  []int    `json:"resp_headers_cut,omitempty"`
	ReqTrailers     []Header `json:"req_trailers,omitempty"`
	RespTrailers    []Header `json:"resp_trailers,omitempty"`
	ReqTrailersCut  []int    `json:"req_trailers_cut,omitempty"`
	RespTrailersCut []int    `json:"resp_trailers_cut,omitempty"`

	// Sizes of the start line and header block as on the wire, and of the whole message
	// as on the wire (chunk framing and trailers included); -1 without the message.
	ReqHeaderLen  int64 `json:"req_header_len"`
	RespHeaderLen int64 `json:"resp_header_len"`
	ReqMsgLen     int64 `json:"req_msg_len"`
	RespMsgLen    int64 `json:"resp_msg_len"`
	// Bytes of the exchange lost in gaps, per message.
	ReqGapBytes  uint64 `json:"req_gap_bytes"`
	RespGapBytes uint64 `json:"resp_gap_bytes"`
	// Retransmitted data segments that start inside each message (at most 1024 are
	// remembered per direction of a connection at once).
	Retransmissions PerDir `json:"retransmissions"`

	// Bodies, retained only for the commands that take them out (har, export); not
	// part of the JSON record.
	ReqBody, RespBody Body `json:"-"`
}

// Header is one header field, name and value as on the wire. Its JSON form is the
// array ["name", "value"].
type Header struct {
	Name, Value string
}

// MarshalJSON writes h as ["name", "value"].
func (h Header) MarshalJSON() ([]byte, error) { return json.Marshal([2]string{h.Name, h.Value}) }

// UnmarshalJSON reads ["name", "value"].
func (h *Header) UnmarshalJSON(b []byte) error {
	var v []string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if len(v) != 2 {
		return errors.New("report: a header is [name, value]")
	}
	h.Name, h.Value = v[0], v[1]
	return nil
}

// Body is a message body retained for HAR and export. Data is borrowed like the record.
type Body struct {
	// Data: chunked framing removed, bytes lost in gaps zero-filled, the content-coding
	// undone when Decoded.
	Data []byte
	// Kept: the body was retained (the command asked for bodies and the message had one).
	Kept bool
	// Cut: Data stops short of the body: a cap was reached (the per-body or the global
	// one). Incomplete: the message itself ended early (the verdict says why).
	Cut, Incomplete bool
	// Decoded: Data has the content-coding undone. Coding is the Content-Encoding that
	// was undone, or that could not be (then DecodeErr says why and Data is as sent).
	Decoded   bool
	Coding    string
	DecodeErr string
}

// AnatomySegment is one TCP segment that carried bytes of a message.
type AnatomySegment struct {
	Frame      uint64    `json:"frame"`
	Rel        Duration  `json:"rel"` // time since the message's first byte
	Seq        uint32    `json:"seq"`
	Off        int64     `json:"off"` // stream offset of the segment's first payload byte
	Len        int       `json:"len"`
	MsgBytes   int       `json:"msg_bytes"`
	Flags      tcp.Flags `json:"flags"`
	IPHdrLen   int       `json:"ip_hdr_len"`
	TCPHdrLen  int       `json:"tcp_hdr_len"`
	IPTotalLen int       `json:"ip_total_len"`
	IPID       uint32    `json:"ip_id"`
	DF         bool      `json:"df"`
	Fragments  int       `json:"fragments,omitempty"`
	FrameLen   int       `json:"frame_len"`
	TCPOptions string    `json:"tcp_options,omitempty"`
	Class      tcp.Class `json:"class"`
}

// Part is one region of a message laid out by stream offset.
type Part struct {
	Kind string `json:"kind"` // "start_line", "headers", "body", "chunk_header", "chunk_data", "trailer", "gap"
	Off  int64  `json:"off"`  // relative to the message's first byte
	Len  int64  `json:"len"`
}

// Anatomy is the "anatomy" record: how one HTTP message was segmented.
type Anatomy struct {
	Conn      uint64           `json:"conn"`
	Depth     int              `json:"depth"`
	Dir       string           `json:"dir"`
	Title     string           `json:"title"` // "GET /x" or "200 OK"
	MsgOff    int64            `json:"msg_off"`
	MsgLen    int64            `json:"msg_len"`
	HeaderLen int64            `json:"header_len"`
	BodyLen   int64            `json:"body_len"`
	GapBytes  int64            `json:"gap_bytes"`
	Parts     []Part           `json:"parts"`
	Segments  []AnatomySegment `json:"segments"`
	Summary   AnatomySummary   `json:"summary"`
	TLS       *AnatomyTLS      `json:"tls,omitempty"` // the TLS layer between the message and the segments
}

// AnatomySummary is the one-line story of a message's segmentation.
type AnatomySummary struct {
	Segments        int      `json:"segments"`
	IPPackets       int      `json:"ip_packets"`
	Overhead        int64    `json:"overhead"` // IP + TCP header bytes of the segments carrying the message
	MSS             int      `json:"mss"`
	Retransmissions int      `json:"retransmissions"`
	FirstRetransGap Duration `json:"first_retrans_delay"`
	Span            Duration `json:"span"` // first to last byte
}

// Event is the "ladder" record: one arrow or note of a connection's sequence diagram.
type Event struct {
	Conn  uint64    `json:"conn"`
	Frame uint64    `json:"frame"`
	Rel   Duration  `json:"rel"` // since the connection's first packet
	Dir   string    `json:"dir"`
	Flags tcp.Flags `json:"flags"`
	Seq   uint32    `json:"seq"`
	Ack   uint32    `json:"ack"`
	Len   int       `json:"len"`
	Win   uint32    `json:"win"`
	Class tcp.Class `json:"class"`
	Notes []string  `json:"notes"`
	// Calls are the socket calls an observer infers at this segment, "client: connect()"
	// (inferences, not observations); omitted when none.
	Calls []string `json:"calls,omitempty"`
	// Collapsed is set on a row that stands for several data segments (--max-rows).
	Collapsed      int   `json:"collapsed,omitempty"`
	CollapsedBytes int64 `json:"collapsed_bytes,omitempty"`
}

// Finding is the "finding" record of `segscope diagnose`.
type Finding struct {
	Conn     uint64 `json:"conn"`
	Frame    uint64 `json:"frame"`
	Kind     string `json:"kind"`
	Severity string `json:"severity"` // "info", "warn"
	Text     string `json:"text"`
}

// Summary is the "summary" record, written last: what was read.
type Summary struct {
	Frames       uint64            `json:"frames"`
	TCPSegments  uint64            `json:"tcp_segments"`
	Other        map[string]uint64 `json:"other"`
	Truncated    uint64            `json:"truncated"`
	Malformed    uint64            `json:"malformed"`
	BadChecksums uint64            `json:"bad_ip_checksums"`
	Fragments    uint64            `json:"ip_fragments"`
	Conns        uint64            `json:"conns"`
	Exchanges    uint64            `json:"exchanges"`
	Evicted      uint64            `json:"evicted,omitempty"`
	Selected     uint64            `json:"selected_conns"`         // connections that --conn selected (all when no --conn)
	FilteredOut  uint64            `json:"filtered_out,omitempty"` // frames a filter expression rejected (not counted in Frames)
}

// Malformed is a frame whose headers were impossible (a "malformed" record): it was
// counted and skipped. Listed by `packets`, after the segments.
type Malformed struct {
	Frame uint64   `json:"frame"`
	TS    Time     `json:"ts"`
	Rel   Duration `json:"rel"`
	Layer string   `json:"layer"` // the header found impossible: link, ipv4, ipv6, tcp
}

// MalformedSink is a Sink that lists malformed frames (the JSON and text renderers).
type MalformedSink interface {
	Malformed(*Malformed) error
}

// Sink receives records in output order. Implementations write them out at once
// (streaming), except where a format needs the whole picture (HAR, HTML).
type Sink interface {
	Segment(*Segment) error
	Conn(*Conn) error
	HTTP(*HTTP) error
	Anatomy(*Anatomy) error
	Event(*Event) error
	Finding(*Finding) error
	Close() error
}

// Encoder renders segment, conn and http records to bytes apart from a Sink, so that
// records can be rendered on several goroutines at once, each with an Encoder of its own.
// Each Append method appends one complete record, line end included, except for its
// connection ID: it returns the offset in the result at which the ID belongs, and
// AppendConnID renders an ID. A record's bytes depend on that record alone.
type Encoder interface {
	AppendSegment(dst []byte, r *Segment) (b []byte, connAt int)
	AppendConn(dst []byte, r *Conn) (b []byte, connAt int)
	AppendHTTP(dst []byte, r *HTTP) (b []byte, connAt int)
	AppendConnID(dst []byte, id uint64) []byte
}

// EncodingSink is a Sink whose segment, conn and http records may be rendered elsewhere:
// by Encoders that it hands out, of its format and options, whose output it then writes.
// Sinks that are not (text) receive every record through their methods.
type EncodingSink interface {
	Sink
	// NewEncoder returns an Encoder independent of the Sink and of every other.
	NewEncoder() Encoder
	// WriteRendered writes records that its Encoders rendered (with their IDs in place),
	// in order after those already passed to it, with the Sink's buffering and error
	// semantics. p is borrowed for the call.
	WriteRendered(p []byte) error
}

// Stream receives the reassembled bytes of connections (`segscope follow`). Data is
// borrowed until the call returns. Dir is "c2s" or "s2c".
type Stream interface {
	StreamOpen(c *Conn) error
	StreamData(conn uint64, dir string, off uint64, data []byte) error
	StreamGap(conn uint64, dir string, off, n uint64) error
	StreamClose(c *Conn) error
}
